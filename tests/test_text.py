"""djangocms-text under releases: plugin copies, inline editing and its page link lookups."""

from __future__ import annotations

import json

import pytest
from cms.api import add_plugin, create_page
from cms.models import CMSPlugin, PageContent
from cms.toolbar.utils import get_object_edit_url
from django.core import signing
from django.urls import reverse
from djangocms_text.utils import plugin_to_tag

from djangocms_release_versioning import conf, services
from djangocms_release_versioning.models import Release

pytestmark = pytest.mark.django_db


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


def ship(release: Release | str) -> None:
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)


def make_page(user, title: str = "About", text: str = "<p>Hello</p>") -> tuple[PageContent, CMSPlugin]:
    """A page draft of the working release with one text plugin in "content"."""
    page = create_page(title, "page.html", "en", created_by=user)
    content = PageContent.admin_manager.get(page=page)
    plugin = add_plugin(content.get_placeholders().get(slot="content"), "TextPlugin", "en", body=text)
    return content, plugin


def texts_of(content: PageContent) -> list[str]:
    placeholder = content.get_placeholders().get(slot="content")
    plugins = CMSPlugin.objects.filter(placeholder=placeholder, parent=None).order_by("position")
    return [plugin.get_bound_plugin().body for plugin in plugins]


def body_of(plugin: CMSPlugin) -> str:
    return CMSPlugin.objects.get(pk=plugin.pk).get_bound_plugin().body


# -- copies ---------------------------------------------------------------------------------


def test_create_draft_copies_text_plugins_with_their_body(editor):
    content, plugin = make_page(editor, text="<p>Hello <b>world</b></p>")
    ship("v1")
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(content, user=editor, release="v2")
    assert texts_of(draft) == ["<p>Hello <b>world</b></p>"]
    copied = CMSPlugin.objects.get(placeholder__object_id=draft.pk, placeholder__slot="content")
    assert copied.pk != plugin.pk
    bound = copied.get_bound_plugin()
    bound.body = "<p>Goodbye</p>"
    bound.save()
    assert body_of(plugin) == "<p>Hello <b>world</b></p>"  # the live row is untouched
    assert texts_of(draft) == ["<p>Goodbye</p>"]


def test_copies_keep_text_child_plugins_linked(editor):
    content, parent = make_page(editor)
    child = add_plugin(
        parent.placeholder, "TextPlugin", "en", target=parent, position="last-child", body="<p>inner</p>"
    )
    parent = parent.get_bound_plugin()
    parent.body = f"<p>Outer {plugin_to_tag(child)}</p>"
    parent.save()
    ship("v1")
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(content, user=editor, release="v2")
    placeholder = draft.get_placeholders().get(slot="content")
    new_parent = CMSPlugin.objects.get(placeholder=placeholder, parent=None).get_bound_plugin()
    new_child = CMSPlugin.objects.get(placeholder=placeholder, parent=new_parent)
    assert new_child.pk != child.pk
    assert f'id="{new_child.pk}"' in new_parent.body
    assert f'id="{child.pk}"' not in new_parent.body
    assert new_child.get_bound_plugin().body == "<p>inner</p>"


# -- inline editing -------------------------------------------------------------------------


def inline_save(client, plugin: CMSPlugin, html: str, page_path: str = "/about/"):
    """POST what djangocms-text's inline editor sends when an editor leaves a text plugin."""
    url = reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk]) + f"?cms_path={page_path}"
    data = {"body": html, "json": json.dumps({"type": "doc"}), "_save": "Save"}
    return client.post(url, data)


def test_inline_editing_saves_a_draft(editor, editor_client):
    _, plugin = make_page(editor)
    response = inline_save(editor_client, plugin, "<p>Edited inline</p>")
    assert response.status_code == 200
    assert body_of(plugin) == "<p>Edited inline</p>"


def test_inline_editing_is_refused_on_locked_content(editor, editor_client):
    _, plugin = make_page(editor)
    services.lock_release("v1")
    response = inline_save(editor_client, plugin, "<p>Sneaky</p>")
    assert response.status_code == 403
    assert body_of(plugin) == "<p>Hello</p>"


def test_inline_editing_is_refused_on_approved_content_of_an_open_release(editor, editor_client):
    content, plugin = make_page(editor)
    services.approve_release("v1")
    response = inline_save(editor_client, plugin, "<p>Sneaky</p>")
    assert response.status_code == 403
    assert body_of(plugin) == "<p>Hello</p>"
    draft = services.create_draft(content, user=editor)  # the way to edit it: a copy
    copied = CMSPlugin.objects.get(placeholder__in=draft.get_placeholders(), parent=None)
    assert copied.pk != plugin.pk
    assert inline_save(editor_client, copied, "<p>Edited copy</p>").status_code == 200
    assert body_of(copied) == "<p>Edited copy</p>"


def test_edit_mode_offers_inline_editing_for_drafts_only(editor, editor_client):
    content, plugin = make_page(editor)
    response = editor_client.get(get_object_edit_url(content))
    assert response.status_code == 200
    assert f"cms-plugin-{plugin.pk}".encode() in response.content
    assert b"bundle.editor.min.js" in response.content  # the inline editor is loaded
    services.lock_release("v1")
    response = editor_client.get(get_object_edit_url(content))
    assert response.status_code == 302  # django CMS sends non-editable content to preview
    assert "/preview/" in response["Location"]


def _token(client, plugin: CMSPlugin) -> str:
    return signing.Signer(salt=client.session.session_key).sign(str(plugin.pk))


def _with_child(plugin: CMSPlugin) -> CMSPlugin:
    return add_plugin(
        plugin.placeholder, "TextPlugin", "en", target=plugin, position="last-child", body="<p>child</p>"
    )


def test_text_plugin_endpoints_work_on_drafts(editor, editor_client):
    _, plugin = make_page(editor)
    child = _with_child(plugin)
    url = reverse("admin:djangocms_text_textplugin_render_plugin")
    response = editor_client.get(url, {"token": _token(editor_client, plugin), "plugin": child.pk})
    assert response.status_code == 200
    assert b"child" in response.content
    response = editor_client.post(
        reverse("admin:djangocms_text_textplugin_revert_on_cancel"), {"token": _token(editor_client, plugin)}
    )
    assert response.status_code == 204
    assert body_of(plugin) == "<p>Hello</p>"
    assert not CMSPlugin.objects.filter(pk=child.pk).exists()  # cancel cleans up orphans


def test_cancelling_an_edit_cannot_delete_plugins_of_locked_content(editor, editor_client):
    """djangocms-text's revert-on-cancel deletes child plugins the body no longer references.

    Known gap: the endpoint checks ``Placeholder.has_change_permission()`` only, which does not
    run the placeholder checks, so the write reaches the lock guard and ends as a server error
    (nothing changes, but the editor gets a 500 instead of a refusal).
    """
    _, parent = make_page(editor)
    orphan = _with_child(parent)  # not referenced from the parent's body
    services.lock_release("v1")
    editor_client.raise_request_exception = False
    response = editor_client.post(
        reverse("admin:djangocms_text_textplugin_revert_on_cancel"), {"token": _token(editor_client, parent)}
    )
    assert CMSPlugin.objects.filter(pk=orphan.pk).exists()  # nothing changed ...
    assert response.status_code == 403  # ... but the editor gets a server error, not a refusal


# -- the link lookups (current_content chains) ----------------------------------------------


def _urls_endpoint() -> str:
    return reverse("admin:djangocms_text_textplugin_get_available_urls")


def _search_titles(client, query: str) -> list[str]:
    response = client.get(_urls_endpoint(), {"q": query})
    assert response.status_code == 200
    return [child["verbose"] for group in response.json()["results"] for child in group["children"]]


def test_link_search_lists_each_page_once_from_the_working_release(editor, editor_client):
    content, _ = make_page(editor, title="About")
    make_page(editor, title="Contact")
    ship("v1")
    assert _search_titles(editor_client, "") == ["About", "Contact"]
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(content, user=editor, release="v2")
    draft.title = "About us"
    draft.save()
    assert _search_titles(editor_client, "") == ["About us", "Contact"]
    assert _search_titles(editor_client, "about") == ["About us"]
    session = editor_client.session
    session[conf.SESSION_KEY] = Release.objects.get(version="v1").pk  # the editor picks v1
    session.save()
    assert _search_titles(editor_client, "about") == ["About"]


def test_link_lookup_by_reference_reads_the_working_release(editor, editor_client):
    content, _ = make_page(editor, title="About")
    ship("v1")
    services.create_release("v2", based_on="v1")
    draft = services.create_draft(content, user=editor, release="v2")
    draft.title = "About us"
    draft.save()
    response = editor_client.get(_urls_endpoint(), {"g": f"cms.page:{content.page_id}"})
    assert response.status_code == 200
    assert response.json() == {"text": "About us", "url": "/about/"}


def test_link_lookup_of_a_page_missing_from_the_working_release_is_a_404(editor, editor_client):
    content, _ = make_page(editor, title="About")
    ship("v1")
    services.create_release("v2", based_on="v1")
    services.transition(content, "deactivate", user=editor, release="v2")
    response = editor_client.get(_urls_endpoint(), {"g": f"cms.page:{content.page_id}"})
    assert response.status_code == 404
