"""Locked, approved and shared content refuses every write path (DESIGN §3.3, §3.4)."""

import pytest
from cms.api import add_plugin
from cms.models import CMSPlugin, Placeholder
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Version
from tests.factories import ArticleContentFactory, UserFactory
from tests.helpers import version_of
from tests.testapp.models import Article, ArticleContent

pytestmark = pytest.mark.django_db


def _content_with_plugin(release):
    with use_release(release):
        content = ArticleContentFactory(title="original")
    placeholder = Placeholder.objects.create(slot="content", source=content)
    plugin = add_plugin(placeholder, "TextPlugin", "en", body="<p>original</p>")
    return content, placeholder, plugin


@pytest.fixture
def locked():
    """A locked release with one content row, its placeholder and a text plugin."""
    release = services.create_release("v1")
    content, placeholder, plugin = _content_with_plugin(release)
    services.lock_release(release)
    return release, content, placeholder, plugin


def _plugin_state(placeholder):
    return sorted(
        (p.pk, p.position, p.get_bound_plugin().body)
        for p in CMSPlugin.objects.filter(placeholder=placeholder)
    )


# -- model API ----------------------------------------------------------------------------


def test_content_save_refused(locked):
    _, content, _, _ = locked
    content.title = "changed"
    with pytest.raises(ValidationError, match="locked release v1"):
        content.save()
    assert ArticleContent._base_manager.get(pk=content.pk).title == "original"


def test_content_delete_refused(locked):
    _, content, _, _ = locked
    with pytest.raises(ValidationError, match="locked"), transaction.atomic():
        content.delete()
    assert ArticleContent._base_manager.filter(pk=content.pk).exists()


def test_plugin_edit_refused(locked):
    _, _, placeholder, plugin = locked
    bound = plugin.get_bound_plugin()
    bound.body = "<p>changed</p>"
    before = _plugin_state(placeholder)
    with pytest.raises(ValidationError, match="locked"):
        bound.save()
    assert _plugin_state(placeholder) == before


def test_plugin_add_refused(locked):
    _, _, placeholder, _ = locked
    before = _plugin_state(placeholder)
    with pytest.raises(ValidationError, match="locked"):
        add_plugin(placeholder, "TextPlugin", "en", body="<p>new</p>")
    assert _plugin_state(placeholder) == before


def test_plugin_delete_and_clear_refused(locked):
    _, _, placeholder, plugin = locked
    before = _plugin_state(placeholder)
    with pytest.raises(ValidationError, match="locked"), transaction.atomic():
        plugin.delete()
    with pytest.raises(ValidationError, match="locked"), transaction.atomic():
        placeholder.clear()
    assert _plugin_state(placeholder) == before


def test_extension_write_refused():
    from cms.api import create_page

    from tests.testapp.models import SeoExtension

    release = services.create_release("v1")
    with use_release(release):
        page = create_page("Home", "page.html", "en")
    content = page.get_admin_content("en")
    extension = SeoExtension.objects.create(extended_object=content, keywords="a")
    services.lock_release(release)
    extension.keywords = "b"
    with pytest.raises(ValidationError, match="locked"):
        extension.save()
    with pytest.raises(ValidationError, match="locked"), transaction.atomic():
        extension.delete()
    with pytest.raises(ValidationError, match="locked"):
        SeoExtension.objects.create(extended_object=content, keywords="c")
    assert list(SeoExtension.objects.values_list("keywords", flat=True)) == ["a"]


def test_grouper_delete_refused_for_locked_or_live(locked):
    _, content, _, _ = locked
    article = content.article
    with pytest.raises(ValidationError, match="locked"), transaction.atomic():
        article.delete()
    assert Article.objects.filter(pk=article.pk).exists()
    assert ArticleContent._base_manager.filter(pk=content.pk).exists()


def test_grouper_delete_of_open_draft_allowed():
    release = services.create_release("v1")
    content, _, _ = _content_with_plugin(release)
    content.article.delete()
    assert not Version.objects.exists()
    assert not CMSPlugin.objects.exists()


def test_approved_content_is_immutable_in_open_release():
    release = services.create_release("v1")
    with use_release(release):
        content = ArticleContentFactory(title="original")
    services.approve_release(release)
    content.title = "changed"
    with pytest.raises(ValidationError, match="approved"):
        content.save()
    assert ArticleContent._base_manager.get(pk=content.pk).title == "original"


def test_shared_content_is_immutable():
    release = services.create_release("v1")
    content, _placeholder, _plugin = _content_with_plugin(release)
    services.lock_release(release)
    branch = services.create_release("v2", based_on=release)
    assert version_of(content, branch).object_id == content.pk
    content.title = "changed"
    with pytest.raises(ValidationError):
        content.save()


def test_draft_content_saves_and_plugins_change():
    release = services.create_release("v1")
    content, placeholder, _plugin = _content_with_plugin(release)
    content.title = "changed"
    content.save()
    add_plugin(placeholder, "TextPlugin", "en", body="<p>second</p>")
    assert ArticleContent._base_manager.get(pk=content.pk).title == "changed"
    assert CMSPlugin.objects.filter(placeholder=placeholder).count() == 2


def test_is_editable_carries_reason(locked):
    _, content, placeholder, _ = locked
    editable = ArticleContent._base_manager.get(pk=content.pk).is_editable(None)
    assert not editable
    assert "locked release v1" in str(editable)
    assert not placeholder.check_source(UserFactory())


# -- structure board / plugin endpoints -----------------------------------------------------


@pytest.fixture
def admin_client(client):
    client.force_login(UserFactory(username="admin"))
    return client


def test_add_plugin_endpoint_refused(locked, admin_client):
    _, _, placeholder, _ = locked
    before = _plugin_state(placeholder)
    url = reverse("admin:cms_placeholder_add_plugin")
    response = admin_client.post(
        url + f"?placeholder_id={placeholder.pk}&plugin_type=TextPlugin&plugin_language=en&plugin_position=2",
        {"body": "<p>x</p>"},
    )
    assert response.status_code == 403
    assert _plugin_state(placeholder) == before


def test_edit_plugin_endpoint_refused(locked, admin_client):
    _, _, placeholder, plugin = locked
    before = _plugin_state(placeholder)
    response = admin_client.post(
        reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk]), {"body": "<p>x</p>"}
    )
    assert response.status_code == 403
    assert _plugin_state(placeholder) == before


def test_delete_plugin_endpoint_refused(locked, admin_client):
    _, _, placeholder, plugin = locked
    before = _plugin_state(placeholder)
    response = admin_client.post(
        reverse("admin:cms_placeholder_delete_plugin", args=[plugin.pk]), {"post": "yes"}
    )
    assert response.status_code == 403
    assert _plugin_state(placeholder) == before


def test_clear_placeholder_endpoint_refused(locked, admin_client):
    _, _, placeholder, _ = locked
    before = _plugin_state(placeholder)
    response = admin_client.post(
        reverse("admin:cms_placeholder_clear_placeholder", args=[placeholder.pk]), {"test": 0}
    )
    assert response.status_code == 403
    assert _plugin_state(placeholder) == before


def test_move_plugin_endpoint_refused(locked, admin_client):
    _, _, placeholder, plugin = locked
    before = _plugin_state(placeholder)
    response = admin_client.post(
        reverse("admin:cms_placeholder_move_plugin"),
        {"plugin_id": plugin.pk, "target_language": "en", "target_position": 1},
    )
    assert response.status_code == 403
    assert _plugin_state(placeholder) == before


def test_endpoints_allow_draft_content(admin_client):
    release = services.create_release("v1")
    _, _placeholder, plugin = _content_with_plugin(release)
    response = admin_client.post(
        reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk]), {"body": "<p>edited</p>"}
    )
    assert response.status_code == 200
    assert CMSPlugin.objects.get(pk=plugin.pk).get_bound_plugin().body == "<p>edited</p>"


def test_approved_plugins_refuse_direct_delete_but_grouper_delete_cascades():
    release = services.create_release("v1")
    content, _placeholder, plugin = _content_with_plugin(release)
    services.approve_release(release)
    with pytest.raises(ValidationError, match="approved"), transaction.atomic():
        plugin.delete()
    assert CMSPlugin.objects.filter(pk=plugin.pk).exists()
    content.article.delete()
    assert not ArticleContent._base_manager.exists()
    assert not CMSPlugin.objects.exists()
    assert not Version.objects.exists()
