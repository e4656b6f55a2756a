"""Seed the demo site: release v1.0.0 live, release v1.1.0 open with pending changes.

v1.0.0 (deployed): pages Home, About us, Team and Blog in English and German, a static alias
footer and two blog posts. v1.1.0 (open, branched from v1.0.0): About us changed (draft),
a new Careers page parked for a later release, Team hidden, a new blog post (draft) and a
new footer text that is approved already.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from cms.api import add_plugin, create_page, create_page_content
from cms.models import CMSPlugin, Page, PageContent
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.db import transaction

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from djangocms_alias.models import AliasContent
    from djangocms_stories.models import PostContent

LIVE_RELEASE = "v1.0.0"
NEXT_RELEASE = "v1.1.0"
ADMIN_USERNAME = "admin"
ADMIN_PASSWORD = "admin"
TEMPLATE = "demo/page.html"
SITE_DOMAIN = "127.0.0.1:8000"  # the domain for the default port; see site_domain()


def site_domain() -> str:
    """The demo site's domain: 127.0.0.1 and the port of ``make demo PORT=…`` (default 8000).

    :raises ValueError: ``PORT`` is set but is not a port number (1-65535).
    """
    port = os.environ.get("PORT", "").strip() or "8000"
    if not port.isdigit() or not 1 <= int(port) <= 65535:
        raise ValueError(f"PORT must be a port number between 1 and 65535, not {port!r}.")
    return f"127.0.0.1:{int(port)}"


#: key: {language: (title, text)}; created in this order, the first becomes the home page.
PAGES: dict[str, dict[str, tuple[str, str]]] = {
    "home": {
        "en": (
            "Home",
            "<h1>Welcome</h1><p>This site is served from release <b>v1.0.0</b>. Release "
            "<b>v1.1.0</b> is open with pending changes: log in (admin / admin) and look at "
            "the toolbar, the page tree and the releases in the admin.</p>",
        ),
        "de": (
            "Startseite",
            "<h1>Willkommen</h1><p>Diese Seite kommt aus Release <b>v1.0.0</b>. Release "
            "<b>v1.1.0</b> ist offen und enthält Änderungen.</p>",
        ),
    },
    "about": {
        "en": ("About us", "<p>We build websites with django CMS.</p>"),
        "de": ("Über uns", "<p>Wir bauen Websites mit django CMS.</p>"),
    },
    "team": {
        "en": ("Team", "<p>Ada, Grace and Linus.</p>"),
        "de": ("Team", "<p>Ada, Grace und Linus.</p>"),
    },
    "blog": {
        "en": ("Blog", ""),
        "de": ("Blog", ""),
    },
}

CAREERS = {
    "en": ("Careers", "<p>We are hiring in autumn.</p>"),
    "de": ("Karriere", "<p>Wir stellen im Herbst ein.</p>"),
}

FOOTER = {
    "en": "<p>© Release versioning demo · footer of v1.0.0</p>",
    "de": "<p>© Release-Versioning-Demo · Fußzeile von v1.0.0</p>",
}
NEW_FOOTER_EN = "<p>© Release versioning demo · new footer, approved in v1.1.0</p>"
CHANGED_ABOUT_EN = "<p>We build websites with django CMS, and ship them in releases.</p>"

#: (title per language, text) of the live posts, newest last.
POSTS = [
    {
        "en": ("Hello, releases", "<p>Content ships in releases now.</p>"),
        "de": ("Hallo, Releases", "<p>Inhalte kommen jetzt in Releases.</p>"),
    },
    {"en": ("How a deploy works", "<p>One transaction switches the live release.</p>")},
]
NEW_POST = {"en": ("Release day", "<p>v1.1.0 brings a careers page.</p>")}


@dataclass
class DemoSite:
    """What :func:`seed_demo` created."""

    live: Release
    next: Release
    pages: dict[str, Page] = field(default_factory=dict)
    footer: dict[str, AliasContent] = field(default_factory=dict)
    posts: list[dict[str, PostContent]] = field(default_factory=list)
    new_post: dict[str, PostContent] = field(default_factory=dict)


def is_seeded() -> bool:
    """True once the demo's live release exists."""
    return Release.objects.filter(version=LIVE_RELEASE).exists()


def ensure_admin(username: str = ADMIN_USERNAME, password: str = ADMIN_PASSWORD) -> AbstractBaseUser:
    """The demo superuser, created or reset to the documented password."""
    user_model = get_user_model()
    user, _ = user_model.objects.get_or_create(
        username=username, defaults={"email": f"{username}@example.com"}
    )
    user.is_staff = user.is_superuser = user.is_active = True
    user.set_password(password)
    user.save()
    return user


def seed_demo() -> DemoSite:
    """Create the demo content (in one transaction).

    :raises ValueError: the demo is seeded already.
    """
    if is_seeded():
        raise ValueError(f"The demo is seeded already (release {LIVE_RELEASE} exists).")
    with transaction.atomic():
        Site.objects.update_or_create(
            pk=1, defaults={"domain": site_domain(), "name": "Release versioning demo"}
        )
        admin = ensure_admin()
        live = services.create_release(
            LIVE_RELEASE, description="The first release of the demo site.", user=admin
        )
        demo = DemoSite(live=live, next=live)
        with use_release(live):
            demo.pages = {key: _page(key, titles, admin) for key, titles in PAGES.items()}
            demo.pages["home"].set_as_homepage(admin)
            demo.footer = _footer(admin)
            config = _blog_config()
            demo.posts = [_post(config, texts, admin) for texts in POSTS]
        services.approve_release(live, user=admin)
        services.lock_release(live, user=admin)
        services.deploy_release(live, user=admin)
        demo.live = Release.objects.get(pk=live.pk)
        demo.next = services.create_release(
            NEXT_RELEASE,
            based_on=live,
            description="Careers page, new blog post, About us reworded, Team page retired.",
            user=admin,
        )
        with use_release(demo.next):
            demo.new_post = _pending_changes(demo, config, admin)
    return demo


# -- pages ----------------------------------------------------------------------------------


def _content(page: Page, language: str) -> PageContent:
    return PageContent.admin_manager.current_content(page=page, language=language).get()


def _add_text(content: Any, language: str, text: str, slot: str = "content") -> None:
    if text:
        placeholder = content.get_placeholders().get(slot=slot)
        add_plugin(placeholder, "TextPlugin", language, body=text)


def _page(key: str, titles: dict[str, tuple[str, str]], user: AbstractBaseUser) -> Page:
    """A page with one content row (and one text plugin) per language."""
    extra = {"apphook": "StoriesApp", "apphook_namespace": "blog"} if key == "blog" else {}
    (first_language, (title, text)), *others = titles.items()
    page = create_page(title, TEMPLATE, first_language, created_by=user, in_navigation=True, **extra)
    _add_text(_content(page, first_language), first_language, text)
    for language, (title, text) in others:
        create_page_content(language, title, page, created_by=user, in_navigation=True, template=TEMPLATE)
        _add_text(_content(page, language), language, text)
    return page


def _set_text(content: Any, text: str) -> None:
    """Replace the body of the first text plugin of ``content``."""
    plugin = CMSPlugin.objects.filter(placeholder__in=content.get_placeholders(), plugin_type="TextPlugin")
    bound = plugin.order_by("position").first().get_bound_plugin()
    bound.body = text
    bound.save()


# -- footer (static alias) ------------------------------------------------------------------


def _footer(user: AbstractBaseUser) -> dict[str, AliasContent]:
    from djangocms_alias.constants import DEFAULT_STATIC_ALIAS_CATEGORY_NAME
    from djangocms_alias.models import Alias, AliasContent, Category

    category = Category.objects.filter(translations__name=DEFAULT_STATIC_ALIAS_CATEGORY_NAME).first()
    if category is None:
        category = Category.objects.create(name=DEFAULT_STATIC_ALIAS_CATEGORY_NAME)
    alias = Alias.objects.create(
        static_code="footer", category=category, creation_method=Alias.CREATION_BY_TEMPLATE
    )
    contents = {}
    for language, text in FOOTER.items():
        content = AliasContent.objects.with_user(user).create(alias=alias, name="footer", language=language)
        add_plugin(content.placeholder, "TextPlugin", language, body=text)
        contents[language] = content
    return contents


# -- blog (djangocms-stories) ---------------------------------------------------------------


def _blog_config() -> Any:
    from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults

    fields = {model_field.name for model_field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    return StoriesConfig.objects.create(namespace="blog", app_title="Blog", object_name="Post", **defaults)


def _post(config: Any, texts: dict[str, tuple[str, str]], user: AbstractBaseUser) -> dict[str, PostContent]:
    """A post with one content row (abstract and a text plugin) per language."""
    from django.utils.text import slugify
    from djangocms_stories.models import Post, PostCategory, PostContent

    category = PostCategory.objects.filter(app_config=config).first()
    if category is None:
        category = PostCategory.objects.create(app_config=config, name="News", slug="news")
    post = Post.objects.create(app_config=config, author=user)
    post.categories.add(category)
    contents = {}
    for language, (title, text) in texts.items():
        content = PostContent.objects.with_user(user).create(
            post=post, language=language, title=title, slug=slugify(title), abstract=text
        )
        add_plugin(content.content, "TextPlugin", language, body=text)
        contents[language] = content
    return contents


# -- the open release -----------------------------------------------------------------------


def _pending_changes(demo: DemoSite, config: Any, user: AbstractBaseUser) -> dict[str, PostContent]:
    """Edits in the working release: changed, parked, hidden, new and approved content."""
    about = services.create_draft(_content(demo.pages["about"], "en"), user=user)
    _set_text(about, CHANGED_ABOUT_EN)

    careers = _page("careers", CAREERS, user)
    for language in CAREERS:
        services.transition(_content(careers, language), "mark_future", user=user)
    demo.pages["careers"] = careers

    for language in PAGES["team"]:
        services.transition(_content(demo.pages["team"], language), "deactivate", user=user)

    footer = services.create_draft(demo.footer["en"], user=user)
    _set_text(footer, NEW_FOOTER_EN)
    services.transition(footer, "approve", user=user)

    return _post(config, NEW_POST, user)
