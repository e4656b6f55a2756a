"""Grouper admins under releases (``grouper_admin_mixin="__default__"``): the state column
with its menu, author and modified, for custom grouper admins, aliases and posts."""

from __future__ import annotations

import re

import pytest
from cms.admin.utils import GrouperModelAdmin
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.admin_integration import RefusalAnswersMixin, replace_grouper_admins
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.grouper_admin import ReleaseGrouperAdminMixin
from djangocms_release_versioning.models import Release
from tests.factories import ArticleContentFactory
from tests.test_toolbar_support import (
    EDITOR_PERMS,
    action_url,
    changes_since,
    make_user,
    ship,
    state_snapshot,
)
from tests.testapp.models import Article, ArticleContent

pytestmark = pytest.mark.django_db

ARTICLES = "admin:testapp_article_changelist"


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def rows(html: str) -> dict[str, str]:
    """``{article slug: row html}`` of a changelist."""
    result = {}
    for chunk in html.split("<tr")[1:]:
        row = chunk[: chunk.find("</tr>")]
        slug = re.search(r'class="field-slug">(?:<a [^>]*>)?([^<]+)<', row)
        if slug:
            result[slug.group(1)] = row
    return result


def article(title: str, user, slug: str | None = None) -> ArticleContent:
    return ArticleContentFactory(
        title=title, article__slug=slug or title.lower().replace(" ", "-"), user=user
    )


def states_site(user) -> tuple[Release, Release]:
    """v1 live with three articles; in v2 one is changed, one parked, one untouched + a new one."""
    v1 = services.create_release("v1")
    with use_release(v1):
        article("Live", user)
        changed, parked = article("Changed", user), article("Parked", user)
    v1 = ship(v1)
    v2 = services.create_release("v2", based_on=v1)
    with use_release(v2):
        draft = services.create_draft(changed, user=user)
        draft.title = "Changed again"
        draft.save()
        services.transition(services.create_draft(parked, user=user), "mark_future", user=user)
        article("New", user)
    return v1, v2


# -- wiring -----------------------------------------------------------------------------


def test_grouper_admins_of_default_items_get_the_release_mixin():
    from djangocms_alias.models import Alias
    from djangocms_stories.models import Post

    for model in (Article, Alias, Post):
        assert isinstance(admin.site._registry[model], ReleaseGrouperAdminMixin), model
    from cms.models import Page

    assert not isinstance(admin.site._registry[Page], ReleaseGrouperAdminMixin)


def test_replacing_grouper_admins_is_idempotent_and_keeps_the_admin_class():
    class MyArticleAdmin(GrouperModelAdmin):
        content_model = ArticleContent
        extra_grouping_fields = ("language",)

    site = admin.AdminSite(name="other")
    site.register(Article, MyArticleAdmin)
    replace_grouper_admins(site)
    wrapped = type(site._registry[Article])
    assert issubclass(wrapped, ReleaseGrouperAdminMixin) and issubclass(wrapped, MyArticleAdmin)
    replace_grouper_admins(site)
    assert type(site._registry[Article]) is wrapped


def test_admins_that_are_not_grouper_admins_only_get_refusal_answers():
    site = admin.AdminSite(name="plain")
    site.register(Article, admin.ModelAdmin)
    replace_grouper_admins(site)
    model_admin = site._registry[Article]
    assert isinstance(model_admin, RefusalAnswersMixin)  # a refused delete is no 500
    assert not isinstance(model_admin, ReleaseGrouperAdminMixin)
    assert type(model_admin).__bases__ == (RefusalAnswersMixin, admin.ModelAdmin)


# -- the changelist -------------------------------------------------------------------


def test_changelist_shows_state_author_and_modified(client, boss):
    _v1, _v2 = states_site(boss)
    html = client.get(reverse(ARTICLES)).content.decode()
    found = rows(html)
    assert set(found) == {"live", "changed", "parked", "new"}
    expectations = {
        "live": ("published", "Live"),
        "changed": ("dirty", "Changed"),
        "parked": ("future", "Parked for a later release"),
        "new": ("draft", "Draft"),
    }
    for slug, (indicator, label) in expectations.items():
        row = found[slug]
        assert f"cms-pagetree-node-state-{indicator}" in row, slug
        assert f'rv-state-label">{label}<' in row, slug
        # author: who last changed it in the working release (v1 was approved by a script)
        assert ("boss" in row) is (slug != "live"), slug
    assert "Author" in html and "Modified" in html and "State" in html


def test_state_menu_offers_the_actions_of_each_state(client, boss):
    _v1, v2 = states_site(boss)
    found = rows(client.get(reverse(ARTICLES)).content.decode())
    changed = ArticleContent.admin_manager.for_release(v2).get(article__slug="changed")
    menu = found["changed"]
    for action in ("approve", "mark_future", "deactivate", "view_live", "compare_live"):
        assert action_url(changed, action) in menu, action
    assert 'name="csrfmiddlewaretoken"' in menu
    parked = ArticleContent.admin_manager.for_release(v2).get(article__slug="parked")
    assert action_url(parked, "mark_draft") in found["parked"]
    assert action_url(parked, "mark_future") not in found["parked"]


def test_state_menu_without_permission_shows_disabled_entries_with_the_reason(client):
    editor = make_user("editor", *EDITOR_PERMS)
    client.force_login(editor)
    _v1, v2 = states_site(editor)
    found = rows(client.get(reverse(ARTICLES)).content.decode())
    menu = found["new"]
    new = ArticleContent.admin_manager.for_release(v2).get(article__slug="new")
    approve = menu[menu.index(action_url(new, "approve")) :]
    approve = approve[: approve.index("</li>")]
    assert "disabled" in approve and "You do not have permission for this." in approve
    assert action_url(new, "publish_now") not in menu


def test_changelist_costs_the_same_queries_for_few_and_many_rows(client, boss):
    services.create_release("v1")

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(ARTICLES)).status_code == 200
        return len(queries)

    with use_release("v1"):
        for number in range(2):
            article(f"A{number}", boss)
    count()
    few = count()
    with use_release("v1"):
        for number in range(2, 14):
            article(f"A{number}", boss)
    assert count() == few


def test_state_menu_post_edits_an_approved_article_through_copy_on_write(client, boss):
    _v1, v2 = states_site(boss)
    live = ArticleContent.admin_manager.for_release(v2).get(article__slug="live")
    response = client.post(action_url(live, "edit"))
    draft = ArticleContent.admin_manager.for_release(v2).get(article__slug="live")
    assert draft.pk != live.pk
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:testapp_articlecontent_change", args=[draft.pk])


# -- the change form ------------------------------------------------------------------------


def test_approved_content_is_read_only_in_the_change_form_with_the_reason(client, boss):
    _v1, _v2 = states_site(boss)
    grouper = Article.objects.get(slug="live")
    url = reverse("admin:testapp_article_change", args=[grouper.pk]) + "?language=en"
    html = client.get(url).content.decode()
    assert 'name="content__title"' not in html  # read-only
    assert "Choose “Edit” in the state menu" in html and "in release v2" in html
    before = state_snapshot()
    client.post(url, {"slug": "live", "content__title": "Hacked", "content__language": "en"})
    assert "Hacked" not in str(changes_since(before))
    assert not ArticleContent._base_manager.filter(title="Hacked").exists()


def test_draft_content_is_editable_in_the_change_form(client, boss):
    _v1, v2 = states_site(boss)
    grouper = Article.objects.get(slug="new")
    url = reverse("admin:testapp_article_change", args=[grouper.pk]) + "?language=en"
    html = client.get(url).content.decode()
    assert 'name="content__title"' in html
    response = client.post(
        url, {"slug": "new", "content__title": "New title", "content__body": "", "content__language": "en"}
    )
    assert response.status_code == 302
    assert ArticleContent.admin_manager.for_release(v2).get(article=grouper).title == "New title"


def test_adding_through_the_grouper_admin_creates_a_draft_in_the_working_release(client, boss):
    _v1, v2 = states_site(boss)
    url = reverse("admin:testapp_article_add") + "?language=en"
    response = client.post(
        url, {"slug": "added", "content__title": "Added", "content__body": "", "content__language": "en"}
    )
    assert response.status_code == 302
    content = ArticleContent._base_manager.get(title="Added")
    version = services.get_version(content, v2)
    assert version is not None and version.status == "draft"


# -- aliases and posts -----------------------------------------------------------------------


def test_alias_changelist_has_the_state_column(client, boss):
    from djangocms_alias.models import Alias, AliasContent, Category

    with use_release(services.create_release("v1")):
        alias = Alias.objects.create(category=Category.objects.create(name="Footers"))
        AliasContent.objects.with_user(boss).create(alias=alias, name="Footer", language="en")
    html = client.get(reverse("admin:djangocms_alias_alias_changelist")).content.decode()
    assert "cms-pagetree-node-state-draft" in html
    assert "rv-state-menu" in html and "Author" in html and "Modified" in html


def test_post_changelist_has_the_state_column(client, boss):
    from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults
    from djangocms_stories.models import Post, PostContent

    fields = {field.name for field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    config = StoriesConfig.objects.create(
        namespace="grouper-blog", app_title="Blog", object_name="Story", **defaults
    )
    v1 = services.create_release("v1")
    with use_release(v1):
        post = Post.objects.create(app_config=config, author=boss)
        PostContent.objects.with_user(boss).create(post=post, language="en", title="A story", slug="a-story")
    ship(v1)
    html = client.get(reverse("admin:djangocms_stories_post_changelist")).content.decode()
    assert "cms-pagetree-node-state-published" in html and "rv-state-label" in html
