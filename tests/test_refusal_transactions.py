"""A refused write is clean: it raises before anything is written and the caller's
transaction stays usable (DESIGN §3.3, §9.1.9; issue 8 items 2 and 4).

Every write path to content of a locked release is tried three ways: in autocommit mode,
inside the caller's ``transaction.atomic()`` and in a view under ``ATOMIC_REQUESTS``. Each
must refuse with a ``ValidationError``, change nothing, and leave the transaction able to
run (and commit) the next query. Admin and structure-board endpoints answer with a message
or a 400/403, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cms.api import add_plugin, create_page
from cms.models import CMSPlugin, Page, PageContent, Placeholder
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.http import JsonResponse
from django.urls import path
from djangocms_alias.models import Alias, AliasContent, Category
from djangocms_stories.models import Post, PostContent
from djangocms_text.models import Text

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version
from tests.factories import ArticleContentFactory
from tests.testapp.models import Article, ArticleContent, SeoExtension


@dataclass
class Site:
    """Content of the locked release v1, and an open release v2 with a draft of its own."""

    content: ArticleContent
    placeholder: Placeholder
    first: CMSPlugin
    second: CMSPlugin
    page: Page
    page_content: PageContent
    extension: SeoExtension
    alias: Alias
    post: Post
    draft_placeholder: Placeholder
    draft_plugin: CMSPlugin


def build_site() -> Site:
    release = services.create_release("v1")
    with use_release(release):
        content = ArticleContentFactory(title="original")
        page = create_page("Home", "page.html", "en")
        category = Category.objects.create(name="Footers")
        alias = Alias.objects.create(category=category, static_code="footer")
        alias_content = AliasContent.objects.create(alias=alias, name="Footer", language="en")
        Version.objects.create(release=release, content=alias_content)
        post = Post.objects.create()
        post_content = PostContent.objects.create(post=post, language="en", title="Hello", slug="hello")
        Version.objects.create(release=release, content=post_content)
    placeholder = Placeholder.objects.create(slot="content", source=content)
    first = add_plugin(placeholder, "TextPlugin", "en", body="<p>first</p>")
    second = add_plugin(placeholder, "TextPlugin", "en", body="<p>second</p>")
    add_plugin(alias_content.placeholder, "TextPlugin", "en", body="<p>footer</p>")
    page_content = PageContent.admin_manager.get(page=page, language="en")
    extension = SeoExtension.objects.create(extended_object=page_content, keywords="a")
    services.lock_release(release)
    draft_release = services.create_release("v2", based_on=release)
    with use_release(draft_release):
        draft = ArticleContentFactory(title="draft")
    draft_placeholder = Placeholder.objects.create(slot="content", source=draft)
    draft_plugin = add_plugin(draft_placeholder, "TextPlugin", "en", body="<p>draft</p>")
    return Site(
        content=content,
        placeholder=placeholder,
        first=CMSPlugin.objects.get(pk=first.pk),
        second=CMSPlugin.objects.get(pk=second.pk),
        page=Page.objects.get(pk=page.pk),
        page_content=page_content,
        extension=extension,
        alias=alias,
        post=post,
        draft_placeholder=draft_placeholder,
        draft_plugin=CMSPlugin.objects.get(pk=draft_plugin.pk),
    )


def snapshot() -> dict[str, list]:
    """Every row a write path could touch."""
    return {
        "articles": sorted(Article.objects.values_list("pk", "slug")),
        "article contents": sorted(ArticleContent._base_manager.values_list("pk", "title")),
        "placeholders": sorted(  # the admin gives each user a clipboard on first use
            Placeholder.objects.exclude(slot="clipboard").values_list("pk", "slot", "object_id")
        ),
        "plugins": sorted(
            CMSPlugin.objects.values_list("pk", "placeholder_id", "parent_id", "position", "language")
        ),
        "texts": sorted(Text.objects.values_list("pk", "body")),
        "pages": sorted(Page.objects.values_list("pk", "path")),
        "page contents": sorted(PageContent._base_manager.values_list("pk", "title", "template")),
        "extensions": sorted(SeoExtension.objects.values_list("pk", "keywords")),
        "aliases": sorted(Alias.objects.values_list("pk", flat=True)),
        "alias contents": sorted(AliasContent._base_manager.values_list("pk", "name")),
        "posts": sorted(Post.objects.values_list("pk", flat=True)),
        "post contents": sorted(PostContent._base_manager.values_list("pk", "title")),
        "versions": sorted(Version.objects.values_list("pk", "release_id", "object_id", "status", "active")),
    }


# -- the write paths ------------------------------------------------------------------------


def _save_content(site: Site) -> None:
    site.content.title = "changed"
    site.content.save()


def _add_plugin_at_top(site: Site) -> None:
    site.placeholder.add_plugin(Text(plugin_type="TextPlugin", language="en", position=1, body="<p>x</p>"))


def _edit_plugin(site: Site) -> None:
    bound = site.first.get_bound_plugin()
    bound.body = "<p>changed</p>"
    bound.save()


def _save_extension(site: Site) -> None:
    site.extension.keywords = "b"
    site.extension.save()


WRITES: dict[str, Callable[[Site], Any]] = {
    "content save": _save_content,
    "content delete": lambda site: site.content.delete(),
    "content queryset delete": lambda site: ArticleContent._base_manager.filter(pk=site.content.pk).delete(),
    "page content delete": lambda site: site.page_content.delete(),
    "plugin add (cms.api)": lambda site: add_plugin(site.placeholder, "TextPlugin", "en", body="<p>x</p>"),
    "plugin add (Placeholder.add_plugin)": _add_plugin_at_top,
    "plugin edit": _edit_plugin,
    "plugin move": lambda site: site.placeholder.move_plugin(site.second, 1),
    "plugin move to an open draft": lambda site: site.placeholder.move_plugin(
        site.second, 1, target_placeholder=site.draft_placeholder
    ),
    "plugin move from an open draft": lambda site: site.draft_placeholder.move_plugin(
        site.draft_plugin, 1, target_placeholder=site.placeholder
    ),
    "plugin delete": lambda site: site.first.delete(),
    "plugin delete (Placeholder.delete_plugin)": lambda site: site.placeholder.delete_plugin(site.first),
    "plugin delete (Placeholder.delete_plugins)": lambda site: site.placeholder.delete_plugins([site.second]),
    "plugin queryset delete": lambda site: CMSPlugin.objects.filter(placeholder=site.placeholder).delete(),
    "placeholder clear": lambda site: site.placeholder.clear(),
    "placeholder delete": lambda site: Placeholder.objects.filter(pk=site.placeholder.pk).delete(),
    "extension save": _save_extension,
    "extension create": lambda site: SeoExtension.objects.create(
        extended_object=site.page_content, keywords="c"
    ),
    "extension delete": lambda site: site.extension.delete(),
    "article delete": lambda site: site.content.article.delete(),
    "page delete": lambda site: site.page.delete(),
    "page queryset delete": lambda site: Page.objects.filter(pk=site.page.pk).delete(),
    "alias delete": lambda site: site.alias.delete(),
    "post delete": lambda site: site.post.delete(),
}


def _after_refusal() -> int:
    """The next queries of the caller: a read and a write that must commit."""
    Article.objects.create(slug="written-after-the-refusal")
    return Release.objects.count()


# -- model API: autocommit, atomic() --------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", list(WRITES))
def test_refused_in_autocommit_mode(write):
    site = build_site()
    before = snapshot()
    assert not connection.in_atomic_block
    with pytest.raises(ValidationError) as refusal:
        WRITES[write](site)
    assert refusal.value.code in {"release_locked", "grouper_in_release"}
    assert not connection.in_atomic_block
    assert snapshot() == before
    assert _after_refusal() == 2


@pytest.mark.django_db
@pytest.mark.parametrize("write", list(WRITES))
def test_refused_inside_atomic_leaves_the_transaction_usable(write):
    site = build_site()
    before = snapshot()
    with transaction.atomic():
        with pytest.raises(ValidationError) as refusal:
            WRITES[write](site)
        assert refusal.value.code in {"release_locked", "grouper_in_release"}
        assert snapshot() == before
        assert _after_refusal() == 2
    assert Article.objects.filter(slug="written-after-the-refusal").exists()


# -- a view under ATOMIC_REQUESTS -------------------------------------------------------------

_view_site: dict[str, Site] = {}


def write_view(request, write):
    """Try one write, show the refusal, go on with the request (as a view would)."""
    depth = len(connection.atomic_blocks)
    try:
        WRITES[write](_view_site["site"])
    except ValidationError as error:
        code = error.code
    else:
        code = None
    return JsonResponse({"refused": code, "releases": _after_refusal(), "depth": depth})


urlpatterns = [path("write/<str:write>/", write_view)]


@pytest.fixture
def atomic_requests(settings, monkeypatch):
    """ATOMIC_REQUESTS on for this test (the handler reads ``connection.settings_dict``)."""
    settings.ROOT_URLCONF = __name__
    monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    yield
    _view_site.clear()


@pytest.mark.django_db
@pytest.mark.parametrize("write", list(WRITES))
def test_refused_in_a_view_under_atomic_requests(write, atomic_requests, client):
    _view_site["site"] = build_site()
    before = snapshot()
    depth = len(connection.atomic_blocks)
    response = client.get(f"/write/{write}/")
    assert response.status_code == 200
    answer = response.json()
    assert answer["refused"] in {"release_locked", "grouper_in_release"}
    assert answer["depth"] == depth + 1  # the view ran in the request's own transaction
    assert answer["releases"] == 2
    assert Article.objects.filter(slug="written-after-the-refusal").exists()
    assert {key: rows for key, rows in snapshot().items() if key != "articles"} == {
        key: rows for key, rows in before.items() if key != "articles"
    }


@pytest.mark.django_db
def test_without_atomic_requests_the_view_runs_in_no_transaction_of_its_own(settings, client):
    """The check above is meaningful: the depth only grows with ATOMIC_REQUESTS on."""
    settings.ROOT_URLCONF = __name__
    _view_site["site"] = build_site()
    depth = len(connection.atomic_blocks)
    try:
        answer = client.get("/write/content save/").json()
    finally:
        _view_site.clear()
    assert answer["depth"] == depth


# -- admin endpoints: a message or a 400/403, never a 500 ----------------------------------


@pytest.fixture(params=["autocommit", "ATOMIC_REQUESTS"])
def admin_client(request, django_user_model, monkeypatch):
    """A superuser's client that answers a server error with a 500 (not an exception)."""
    from django.test import Client

    if request.param == "ATOMIC_REQUESTS":
        monkeypatch.setitem(connection.settings_dict, "ATOMIC_REQUESTS", True)
    client = Client(raise_request_exception=False)
    client.force_login(django_user_model.objects.create_superuser("admin", "admin@example.com", "pw"))
    return client


def _messages(response) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]


def _admin_url(name: str, *args: Any) -> str:
    from django.urls import reverse

    return reverse(f"admin:{name}", args=args)


DELETE_VIEWS: dict[str, Callable[[Site], str]] = {
    "alias": lambda site: _admin_url("djangocms_alias_alias_delete", site.alias.pk),
    "post": lambda site: _admin_url("djangocms_stories_post_delete", site.post.pk),
    "post content": lambda site: _admin_url(
        "djangocms_stories_postcontent_delete", PostContent._base_manager.get(post=site.post).pk
    ),
    "page": lambda site: _admin_url("cms_page_delete", site.page.pk),
    "page content": lambda site: _admin_url("cms_pagecontent_delete", site.page_content.pk),
}


@pytest.mark.django_db
@pytest.mark.parametrize("view", list(DELETE_VIEWS))
def test_admin_delete_views_refuse_with_a_message(view, admin_client):
    site = build_site()
    before = snapshot()
    url = DELETE_VIEWS[view](site)
    for response in (admin_client.get(url), admin_client.post(url, {"post": "yes"})):
        assert response.status_code == 302, response.content[:500]
        assert any("cannot" in message for message in _messages(response))
    assert snapshot() == before


@pytest.mark.django_db
@pytest.mark.parametrize("model", ["alias", "post"])
def test_admin_bulk_delete_action_refuses_with_a_message(model, admin_client):
    site = build_site()
    before = snapshot()
    grouper = {"alias": site.alias, "post": site.post}[model]
    opts = grouper._meta
    url = _admin_url(f"{opts.app_label}_{opts.model_name}_changelist")
    response = admin_client.post(
        url, {"action": "delete_selected", "_selected_action": [grouper.pk], "post": "yes"}
    )
    assert response.status_code == 302, response.content[:500]
    assert any("cannot" in message for message in _messages(response))
    assert snapshot() == before


@pytest.mark.django_db
def test_inline_title_edit_of_locked_content_is_refused(admin_client):
    site = build_site()
    before = snapshot()
    url = _admin_url("cms_page_edit_title_fields", site.page.pk, "en") + "?edit_fields=title"
    response = admin_client.post(url, {"title": "<b>changed</b>"})
    assert response.status_code == 403
    assert b"release" in response.content and b"<b>" not in response.content
    assert snapshot() == before


@pytest.fixture
def nothing_open():
    """The site with every release locked: new content has no release to go into."""
    site = build_site()
    services.lock_release(Release.objects.get(version="v2"))
    return site


PAGE_WRITES_WITHOUT_OPEN_RELEASE: dict[str, Callable[[Site], tuple[str, dict]]] = {
    "add page": lambda site: (
        _admin_url("cms_pagecontent_add") + "?language=en",
        {"title": "New", "slug": "new", "template": "page.html"},
    ),
    "duplicate page": lambda site: (
        _admin_url("cms_pagecontent_duplicate", site.page_content.pk),
        {"source": site.page.pk, "title": "Copy", "slug": "copy"},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("write", list(PAGE_WRITES_WITHOUT_OPEN_RELEASE))
def test_page_admin_writes_without_an_open_release_answer_with_a_message(write, nothing_open, admin_client):
    before = snapshot()
    url, data = PAGE_WRITES_WITHOUT_OPEN_RELEASE[write](nothing_open)
    response = admin_client.post(url, data)
    assert response.status_code in {200, 302}, response.content[:500]
    assert any("no open release" in message for message in _messages(response))
    assert snapshot() == before


STRUCTURE_BOARD: dict[str, Callable[[Site], tuple[str, dict]]] = {
    "add plugin": lambda site: (
        _admin_url("cms_placeholder_add_plugin")
        + f"?placeholder_id={site.placeholder.pk}&plugin_type=TextPlugin"
        + "&plugin_language=en&plugin_position=1",
        {"body": "<p>x</p>"},
    ),
    "edit plugin": lambda site: (
        _admin_url("cms_placeholder_edit_plugin", site.first.pk),
        {"body": "<p>x</p>"},
    ),
    "move plugin": lambda site: (
        _admin_url("cms_placeholder_move_plugin"),
        {"plugin_id": site.second.pk, "target_language": "en", "target_position": 1},
    ),
    "delete plugin": lambda site: (
        _admin_url("cms_placeholder_delete_plugin", site.first.pk),
        {"post": "yes"},
    ),
    "clear placeholder": lambda site: (
        _admin_url("cms_placeholder_clear_placeholder", site.placeholder.pk),
        {"test": 0},
    ),
}


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(STRUCTURE_BOARD))
def test_structure_board_endpoints_refuse_with_a_403(endpoint, admin_client):
    site = build_site()
    before = snapshot()
    url, data = STRUCTURE_BOARD[endpoint](site)
    response = admin_client.post(url, data)
    assert response.status_code == 403
    assert snapshot() == before
