"""djangocms-alias under releases: static aliases, the alias plugin, the admin and locks."""

from __future__ import annotations

import pytest
from cms.api import add_plugin, create_page
from cms.models import CMSPlugin, PageContent
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils.html import escape
from djangocms_alias.models import Alias, AliasContent, Category

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version

pytestmark = pytest.mark.django_db

ALIAS_PAGE = (
    '{% load cms_tags djangocms_alias_tags sekizai_tags %}<html><head>{% render_block "css" %}'
    '</head><body>{% cms_toolbar %}<main>{% placeholder "content" %}</main>'
    '<footer>{% static_alias "footer" %}</footer>{% render_block "js" %}</body></html>'
)


@pytest.fixture(autouse=True)
def alias_page_template(settings):
    """A page template with a ``{% static_alias "footer" %}`` (served from memory)."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    ("django.template.loaders.locmem.Loader", {"alias_page.html": ALIAS_PAGE}),
                    "django.template.loaders.app_directories.Loader",
                ],
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "sekizai.context_processors.sekizai",
                    "cms.context_processors.cms_settings",
                ],
            },
        }
    ]
    settings.CMS_TEMPLATES = [("alias_page.html", "Page with footer alias")]


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def ship(release: Release | str) -> Release:
    """Approve, lock and deploy ``release``."""
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)
    return Release.objects.get(version=getattr(release, "version", release))


def body_of(plugin: CMSPlugin) -> str:
    return CMSPlugin.objects.get(pk=plugin.pk).get_bound_plugin().body


def make_page(user, text: str = "Body one") -> PageContent:
    """A page (draft in the working release) using the footer template, with one text plugin."""
    page = create_page("Home", "alias_page.html", "en", created_by=user)
    content = PageContent.admin_manager.get(page=page)
    add_plugin(content.get_placeholders().get(slot="content"), "TextPlugin", "en", body=f"<p>{text}</p>")
    return content


def make_static_alias(user, text: str = "Footer one", code: str = "footer") -> AliasContent:
    """The static alias ``code`` with a draft content row holding one text plugin."""
    category = Category.objects.create(name="Static")
    alias = Alias.objects.create(static_code=code, category=category)
    content = AliasContent.objects.with_user(user).create(alias=alias, name=code, language="en")
    add_plugin(content.placeholder, "TextPlugin", "en", body=f"<p>{text}</p>")
    return content


def live_site(user) -> tuple[PageContent, AliasContent]:
    """Release v1 with the page and its footer, deployed."""
    page_content = make_page(user)
    alias_content = make_static_alias(user)
    ship("v1")
    return page_content, alias_content


def edit_footer_in(release: str, alias_content: AliasContent, user, text: str) -> AliasContent:
    """Branch ``release`` from the live one and change the footer text there."""
    services.create_release(release, based_on=Release.objects.live())
    draft = services.create_draft(alias_content, user=user, release=release)
    plugin = CMSPlugin.objects.get(placeholder=draft.placeholder)
    plugin = plugin.get_bound_plugin()
    plugin.body = f"<p>{text}</p>"
    plugin.save()
    return draft


# -- static aliases -------------------------------------------------------------------------


def test_edit_mode_creates_the_static_alias_as_a_draft_of_the_working_release(editor, editor_client):
    page_content = make_page(editor)
    response = editor_client.get(get_object_edit_url(page_content))
    assert response.status_code == 200
    alias = Alias.objects.get(static_code="footer")
    content = AliasContent.admin_manager.get(alias=alias)
    version = services.get_version(content)
    assert (version.release.version, version.status) == ("v1", DRAFT)
    assert list(AliasContent.objects.filter(alias=alias)) == []


def test_visitors_never_create_static_aliases(client, editor):
    page_content = make_page(editor)
    ship("v1")
    response = client.get(page_content.get_absolute_url())
    assert response.status_code == 200
    assert b"Body one" in response.content
    assert not Alias.objects.filter(static_code="footer").exists()


def test_visitors_see_the_footer_only_once_it_is_live(client, editor):
    page_content = make_page(editor)
    make_static_alias(editor)
    services.approve_release("v1")
    services.lock_release("v1")
    assert page_content.page.get_absolute_url("en") is None  # no URL until deployed
    assert client.get("/home/").status_code == 404
    services.deploy_release("v1")
    url = page_content.page.get_absolute_url("en")
    assert url == "/home/"
    response = client.get(url)
    assert response.status_code == 200
    assert b"Footer one" in response.content


@pytest.mark.parametrize("query", ["", "?edit", "?preview", "?toolbar_on", "?structure"])
def test_visitors_get_the_live_footer_whatever_they_ask_for(client, editor, query):
    page_content, alias_content = live_site(editor)
    edit_footer_in("v2", alias_content, editor, "Footer two")
    response = client.get(page_content.page.get_absolute_url("en") + query)
    assert response.status_code == 200
    assert b"Footer one" in response.content
    assert b"Footer two" not in response.content


def test_editors_see_the_working_release_footer_in_edit_and_preview(editor, editor_client):
    page_content, alias_content = live_site(editor)
    edit_footer_in("v2", alias_content, editor, "Footer two")
    page_draft = services.create_draft(page_content, user=editor, release="v2")
    for url in (get_object_edit_url(page_draft), get_object_preview_url(page_draft)):
        response = editor_client.get(url)
        assert response.status_code == 200, url
        assert b"Footer two" in response.content, url
        assert b"Footer one" not in response.content, url
    live = editor_client.get(page_content.page.get_absolute_url("en"))
    assert b"Footer one" in live.content
    assert b"Footer two" not in live.content


def test_static_alias_is_editable_only_while_its_content_is_a_draft(editor, editor_client):
    page_content, alias_content = live_site(editor)
    services.create_release("v2", based_on="v1")
    page_draft = services.create_draft(page_content, user=editor, release="v2")
    plugin = CMSPlugin.objects.get(placeholder=alias_content.placeholder)
    response = editor_client.get(get_object_edit_url(page_draft))
    assert b"Footer one" in response.content
    assert f"cms-plugin-{plugin.pk}".encode() not in response.content  # shared with v1: read-only
    assert not alias_content.placeholder.check_source(editor)

    footer_draft = services.create_draft(alias_content, user=editor, release="v2")
    draft_plugin = CMSPlugin.objects.get(placeholder=footer_draft.placeholder)
    response = editor_client.get(get_object_edit_url(page_draft))
    assert f"cms-plugin-{draft_plugin.pk}".encode() in response.content
    assert footer_draft.placeholder.check_source(editor)


def test_deploy_swaps_the_footer_and_rollback_restores_it(client, editor):
    page_content, alias_content = live_site(editor)
    edit_footer_in("v2", alias_content, editor, "Footer two")
    url = page_content.page.get_absolute_url("en")
    ship("v2")
    assert b"Footer two" in client.get(url).content
    services.deploy_release("v1", rollback=True)
    response = client.get(url)
    assert b"Footer one" in response.content
    assert b"Footer two" not in response.content


def test_hidden_footer_disappears_from_the_live_site(client, editor):
    page_content, alias_content = live_site(editor)
    services.create_release("v2", based_on="v1")
    services.transition(alias_content, "deactivate", user=editor, release="v2")
    ship("v2")
    response = client.get(page_content.page.get_absolute_url("en"))
    assert response.status_code == 200
    assert b"Body one" in response.content
    assert b"Footer one" not in response.content


# -- the alias plugin -----------------------------------------------------------------------


def _page_with_alias_plugin(user) -> tuple[PageContent, AliasContent]:
    page_content = make_page(user, text="Intro")
    alias_content = make_static_alias(user, text="Shared block", code="")
    alias_content.alias.static_code = None
    alias_content.alias.save()
    placeholder = page_content.get_placeholders().get(slot="content")
    add_plugin(placeholder, "Alias", "en", alias=alias_content.alias)
    ship("v1")
    return page_content, alias_content


def test_alias_plugin_renders_live_content_for_visitors_and_working_content_for_editors(
    client, editor, editor_client
):
    page_content, alias_content = _page_with_alias_plugin(editor)
    url = page_content.page.get_absolute_url("en")
    assert b"Shared block" in client.get(url).content

    services.create_release("v2", based_on="v1")
    draft = services.create_draft(alias_content, user=editor, release="v2")
    plugin = CMSPlugin.objects.get(placeholder=draft.placeholder).get_bound_plugin()
    plugin.body = "<p>Shared block, revised</p>"
    plugin.save()

    assert b"revised" not in client.get(url).content
    page_draft = services.create_draft(page_content, user=editor, release="v2")
    assert b"Shared block, revised" in editor_client.get(get_object_preview_url(page_draft)).content
    ship("v2")
    assert b"Shared block, revised" in client.get(url).content


def test_alias_plugin_edit_menu_points_at_the_working_release_content(editor, rf):
    from djangocms_alias.cms_plugins import Alias as AliasPluginClass

    _, alias_content = _page_with_alias_plugin(editor)
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(alias_content, user=editor, release="v2")
    plugin = CMSPlugin.objects.get(plugin_type="Alias").get_bound_plugin()
    request = rf.get("/")
    request.user = editor
    items = AliasPluginClass.get_extra_plugin_menu_items(request, plugin)
    urls = [item.url for item in items or []]
    assert get_object_edit_url(draft) in urls


# -- alias API under releases ---------------------------------------------------------------


def test_get_content_and_languages_follow_the_releases(editor):
    _, alias_content = live_site(editor)
    german = None
    services.create_release("v2", based_on="v1")
    with use_release("v2"):
        german = AliasContent.objects.with_user(editor).create(
            alias=alias_content.alias, name="Fußzeile", language="de"
        )
        draft = services.create_draft(alias_content, user=editor)
        alias = Alias.objects.get(pk=alias_content.alias_id)
        assert alias.get_content("en", show_draft_content=True) == draft
        assert alias.get_content("de", show_draft_content=True) == german
        assert sorted(alias.get_languages()) == ["de", "en"]
    alias = Alias.objects.get(pk=alias_content.alias_id)
    assert alias.get_content("en") == alias_content  # the live row
    assert alias.get_content("de") is None  # not live yet


def test_create_draft_copies_the_alias_content_with_its_plugins(editor):
    _, alias_content = live_site(editor)
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(alias_content, user=editor, release="v2")
    assert draft.pk != alias_content.pk
    assert (draft.alias_id, draft.language, draft.name) == (alias_content.alias_id, "en", "footer")
    assert draft.placeholder.pk != alias_content.placeholder.pk
    assert draft.placeholder.slot == "footer"
    copied = CMSPlugin.objects.get(placeholder=draft.placeholder)
    original = CMSPlugin.objects.get(placeholder=alias_content.placeholder)
    assert copied.pk != original.pk
    assert body_of(copied) == body_of(original) == "<p>Footer one</p>"
    assert services.get_version(alias_content, "v2").object_id == draft.pk
    assert services.get_version(alias_content, "v1").object_id == alias_content.pk


# -- locks ----------------------------------------------------------------------------------


@pytest.fixture
def locked_footer(editor):
    make_page(editor)
    alias_content = make_static_alias(editor)
    services.lock_release("v1")
    plugin = CMSPlugin.objects.get(placeholder=alias_content.placeholder)
    return alias_content, plugin


def test_locked_alias_content_refuses_model_writes(locked_footer):
    alias_content, plugin = locked_footer
    alias_content.name = "renamed"
    with pytest.raises(ValidationError, match="locked release v1"), transaction.atomic():
        alias_content.save()
    with pytest.raises(ValidationError, match="locked release v1"), transaction.atomic():
        add_plugin(alias_content.placeholder, "TextPlugin", "en", body="<p>sneaky</p>")
    bound = plugin.get_bound_plugin()
    bound.body = "<p>changed</p>"
    with pytest.raises(ValidationError, match="locked release v1"), transaction.atomic():
        bound.save()
    with pytest.raises(ValidationError, match="v1"), transaction.atomic():
        alias_content.alias.delete()
    assert AliasContent.admin_manager.get(pk=alias_content.pk).name == "footer"
    assert CMSPlugin.objects.filter(placeholder=alias_content.placeholder).count() == 1
    assert body_of(plugin) == "<p>Footer one</p>"


def test_locked_alias_content_refuses_plugin_endpoints(locked_footer, editor_client):
    alias_content, plugin = locked_footer
    placeholder = alias_content.placeholder
    add_url = reverse("admin:cms_placeholder_add_plugin")
    response = editor_client.post(
        f"{add_url}?placeholder_id={placeholder.pk}&plugin_type=TextPlugin"
        "&plugin_language=en&plugin_position=2",
        {"body": "<p>x</p>"},
    )
    assert response.status_code == 403
    response = editor_client.post(
        reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk]), {"body": "<p>x</p>"}
    )
    assert response.status_code == 403
    response = editor_client.post(
        reverse("admin:cms_placeholder_clear_placeholder", args=[placeholder.pk]), {"test": 0}
    )
    assert response.status_code == 403
    assert CMSPlugin.objects.filter(placeholder=placeholder).count() == 1
    assert body_of(plugin) == "<p>Footer one</p>"


def test_locked_release_refuses_new_alias_content(editor, locked_footer):
    alias_content, _ = locked_footer
    with use_release("v1"), pytest.raises(ValidationError, match="locked"), transaction.atomic():
        AliasContent.objects.with_user(editor).create(alias=alias_content.alias, name="x", language="de")
    with pytest.raises(ValidationError, match="no open release"), transaction.atomic():
        AliasContent.objects.with_user(editor).create(alias=alias_content.alias, name="x", language="de")
    assert AliasContent.admin_manager.filter(alias=alias_content.alias).count() == 1


def test_draft_alias_content_takes_plugin_edits(editor, editor_client):
    alias_content = make_static_alias(editor)
    plugin = CMSPlugin.objects.get(placeholder=alias_content.placeholder)
    response = editor_client.post(
        reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk]), {"body": "<p>Footer edited</p>"}
    )
    assert response.status_code == 200
    assert body_of(plugin) == "<p>Footer edited</p>"


# -- admin ----------------------------------------------------------------------------------


def _change_url(alias: Alias) -> str:
    return reverse("admin:djangocms_alias_alias_change", args=[alias.pk]) + "?language=en"


def _change_data(alias: Alias, name: str) -> dict:
    return {
        "content__name": name,
        "category": alias.category_id,
        "site": "",
        "content__language": "en",
    }


def test_alias_changelist_lists_aliases_of_every_state(editor, editor_client):
    live_site(editor)
    services.create_release("v2", based_on="v1")
    with use_release("v2"):
        category = Category.objects.create(name="Blocks")
        fresh = Alias.objects.create(category=category)
        AliasContent.objects.with_user(editor).create(alias=fresh, name="Newsletter box", language="en")
    response = editor_client.get(reverse("admin:djangocms_alias_alias_changelist") + "?language=en")
    assert response.status_code == 200
    assert b"footer" in response.content
    assert b"Newsletter box" in response.content


def test_alias_change_form_is_editable_for_drafts(editor, editor_client):
    alias_content = make_static_alias(editor)
    alias = alias_content.alias
    response = editor_client.get(_change_url(alias))
    assert response.status_code == 200
    assert b'name="content__name"' in response.content
    response = editor_client.post(_change_url(alias), _change_data(alias, "Site footer"))
    assert response.status_code == 302, response.content[:2000]
    assert AliasContent.admin_manager.get(pk=alias_content.pk).name == "Site footer"


def test_alias_change_form_is_read_only_for_approved_content(editor, editor_client):
    _, alias_content = live_site(editor)
    services.create_release("v2", based_on="v1")
    alias = alias_content.alias
    response = editor_client.get(_change_url(alias))
    assert response.status_code == 200
    assert b'name="content__name"' not in response.content
    reason = str(AliasContent.admin_manager.get(pk=alias_content.pk).is_editable(None))
    assert reason and escape(reason).encode() in response.content  # the read-only reason
    editor_client.post(_change_url(alias), _change_data(alias, "Hijacked"))
    assert AliasContent.admin_manager.get(pk=alias_content.pk).name == "footer"
    assert services.get_version(alias_content, "v2").status == APPROVED


def test_alias_content_admin_redirects_drafts_to_the_alias(editor, editor_client):
    alias_content = make_static_alias(editor)
    url = reverse("admin:djangocms_alias_aliascontent_change", args=[alias_content.pk])
    response = editor_client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(
        reverse("admin:djangocms_alias_alias_change", args=[alias_content.alias_id])
    )


def test_alias_usage_view_loads(editor, editor_client):
    _, alias_content = _page_with_alias_plugin(editor)
    url = reverse("admin:djangocms_alias_alias_usage", args=[alias_content.alias_id])
    response = editor_client.get(url)
    assert response.status_code == 200
    assert b"Home" in response.content


def test_alias_content_rows_have_exactly_one_version_per_release(editor):
    _, alias_content = live_site(editor)
    services.create_release("v2", based_on="v1")
    services.create_draft(alias_content, user=editor, release="v2")
    versions = Version.objects.filter(content_type__model="aliascontent")
    assert sorted(versions.values_list("release__version", flat=True)) == ["v1", "v2"]


# -- page cache -----------------------------------------------------------------------------


@pytest.fixture
def page_cache(settings):
    """django CMS' page cache switched on (the test settings switch it off)."""
    from django.core.cache import cache

    settings.CMS_PAGE_CACHE = True
    settings.CMS_PLACEHOLDER_CACHE = True
    settings.CMS_CACHE_DURATIONS = {"menus": 60, "content": 60, "permissions": 60}
    cache.clear()
    yield
    cache.clear()


def _cached_live_page_with_new_footer_approved(client, editor) -> str:
    """Footer one is live and cached; Footer two is approved and locked in v2."""
    page_content, alias_content = live_site(editor)
    edit_footer_in("v2", alias_content, editor, "Footer two")
    services.approve_release("v2")
    services.lock_release("v2")
    url = page_content.page.get_absolute_url("en")
    assert b"Footer one" in client.get(url).content  # now in the page cache
    return url


def test_page_cache_switches_with_the_deploy_even_without_its_clean_up(
    client, editor, page_cache, django_capture_on_commit_callbacks
):
    """The deploy's on_commit clean-up never runs (as if its process died after COMMIT):
    the next request still gets the new release, because cache keys follow the live
    deployment (DESIGN §9.1, invariant 8)."""
    from djangocms_text.models import Text

    url = _cached_live_page_with_new_footer_approved(client, editor)
    # Control: the page is served from the cache (a write behind the locks is not seen).
    live_footer = AliasContent.objects.get(alias__static_code="footer")
    Text.objects.filter(placeholder__object_id=live_footer.pk).update(body="<p>Footer zero</p>")
    assert b"Footer one" in client.get(url).content
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.deploy_release("v2")
    assert callbacks  # the clean-up was due and never ran
    response = client.get(url)
    assert b"Footer two" in response.content
    assert b"Footer one" not in response.content


def test_deploy_refreshes_the_page_cache_when_the_footer_goes_live(
    client, editor, page_cache, django_capture_on_commit_callbacks
):
    url = _cached_live_page_with_new_footer_approved(client, editor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.deploy_release("v2")
    assert callbacks
    response = client.get(url)
    assert b"Footer two" in response.content
    assert b"Footer one" not in response.content
    with django_capture_on_commit_callbacks(execute=True):
        services.deploy_release("v1", rollback=True)
    assert b"Footer one" in client.get(url).content


def test_a_dry_run_leaves_the_page_cache_alone(
    client, editor, page_cache, django_capture_on_commit_callbacks
):
    url = _cached_live_page_with_new_footer_approved(client, editor)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.deploy_release("v2", dry_run=True)
    assert callbacks == []
    assert b"Footer one" in client.get(url).content


def test_a_page_cache_hit_costs_one_query_the_live_snapshot(
    client, editor, page_cache, django_assert_num_queries
):
    """The cache key needs the live deployment, and only the database knows it for sure."""
    url = _cached_live_page_with_new_footer_approved(client, editor)
    with django_assert_num_queries(1):
        assert b"Footer one" in client.get(url).content
