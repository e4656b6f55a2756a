"""A small django CMS site in releases, for the browser tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cms.api import create_page_content
from django.utils.text import slugify

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.factories import ArticleContentFactory
from tests.test_toolbar_support import PASSWORD, add_text, make_page, make_user, ship

__all__ = ["PASSWORD", "Site", "build_site", "build_states_site"]


@dataclass
class Site:
    """What :func:`build_site` made."""

    user: Any
    pages: dict[str, Any] = field(default_factory=dict)
    articles: list[Any] = field(default_factory=list)
    releases: dict[str, Release] = field(default_factory=dict)

    def url(self, name: str, language: str = "en") -> str:
        return self.pages[name].get_absolute_url(language)


def make_admin(username: str = "editor") -> Any:
    return make_user(username, superuser=True)


def page_with_text(title: str, text: str, user: Any) -> Any:
    return make_page(title, user, text)


def build_site() -> Site:
    """v1 live with Home and About; v2 open, branched from v1 (nothing changed yet)."""
    user = make_admin()
    site = Site(user=user)
    v1 = services.create_release("v1", description="First release")
    with use_release(v1):
        site.pages["home"] = page_with_text("Home", "Hello world", user)
        site.pages["about"] = page_with_text("About", "About us", user)
    site.releases["v1"] = ship(v1)
    site.releases["v2"] = services.create_release("v2", based_on=v1, description="Spring update")
    return site


def build_states_site() -> Site:
    """A site whose working release v2 holds a page in every state of DESIGN §5."""
    user = make_admin()
    site = Site(user=user)
    v1 = services.create_release("v1", description="First release")
    with use_release(v1):
        for name in ("home", "about", "team", "contact"):
            site.pages[name] = page_with_text(name.capitalize(), f"{name.capitalize()} text", user)
        site.articles = [
            ArticleContentFactory(title=title, article__slug=slugify(title), user=user)
            for title in ("Live article", "Changed article", "Parked article")
        ]
    site.releases["v1"] = ship(v1)
    v2 = site.releases["v2"] = services.create_release("v2", based_on="v1", description="Spring update")
    with use_release(v2):
        about = services.create_draft(site.pages["about"].get_admin_content("en"), user=user)
        add_text(about, "New about text")  # Changed
        contact = services.create_draft(site.pages["contact"].get_admin_content("en"), user=user)
        services.transition(contact, "mark_future", user=user)  # Parked
        services.transition(site.pages["team"].get_admin_content("en"), "deactivate", user=user)  # Hidden
        site.pages["news"] = page_with_text("News", "Fresh news", user)  # Draft
        site.pages["jobs"] = page_with_text("Jobs", "We are hiring", user)
        services.transition(site.pages["jobs"].get_admin_content("en"), "approve", user=user)  # Approved
        create_page_content("de", "Startseite", site.pages["home"], created_by=user)  # Draft (de)
        changed = services.create_draft(site.articles[1], user=user)
        changed.title = "Changed article (edited)"
        changed.save()
        parked = services.create_draft(site.articles[2], user=user)
        services.transition(parked, "mark_future", user=user)
        site.articles.append(
            ArticleContentFactory(title="New article", article__slug="new-article", user=user)
        )
    return site
