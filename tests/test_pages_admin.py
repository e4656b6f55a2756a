"""The page admins under releases: drafts reachable, read-only where not editable, guarded writes."""

import pytest
from cms.models import CMSPlugin, Page, PageContent, PageUrl, Placeholder
from django.contrib.messages import get_messages
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Version
from tests.pages_support import add_text, branch, content_of, edit, make_page, ship, texts, translate

pytestmark = pytest.mark.django_db


def admin_url(name: str, *args) -> str:
    return reverse(f"admin:cms_pagecontent_{name}", args=args)


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def snapshot() -> tuple:
    """Everything a refused page admin write must leave untouched."""
    return (
        list(PageContent._base_manager.order_by("pk").values()),
        list(Version.objects.order_by("pk").values()),
        list(PageUrl.objects.order_by("pk").values()),
        list(CMSPlugin.objects.order_by("pk").values("pk", "placeholder_id", "language", "position")),
        list(Page.objects.order_by("pk").values_list("pk", flat=True)),
    )


@pytest.fixture
def live_page(admin_user):
    """A page live in v1 (English and German, with a plugin each); v2 branched and open."""
    page = make_page("Live", admin_user)
    add_text(content_of(page), "<p>english</p>")
    translate(page, "de", "Live de", admin_user, slug="live-de")
    add_text(content_of(page, "de"), "<p>deutsch</p>")
    ship("v1")
    branch("v2", "v1")
    return page


# -- change form ------------------------------------------------------------------------


def test_a_never_deployed_draft_opens_editable(admin_user, admin_client):
    draft = content_of(make_page("Draft", admin_user))
    response = admin_client.get(admin_url("change", draft.pk))
    assert response.status_code == 200
    assert 'name="title"' in response.content.decode()
    assert messages_of(response) == []


def test_a_draft_can_be_saved_through_the_admin(admin_user, admin_client):
    draft = content_of(make_page("Draft", admin_user))
    response = admin_client.post(
        admin_url("change", draft.pk), {"title": "Renamed", "slug": "draft", "template": "page.html"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    draft.refresh_from_db()
    assert draft.title == "Renamed"


@pytest.mark.parametrize(
    ("release", "reason"),
    [("v1", "locked release v1"), ("v2", "locked release v1")],
)
def test_content_that_cannot_change_opens_read_only_with_the_reason(live_page, admin_client, release, reason):
    content = content_of(live_page, release=release)
    response = admin_client.get(admin_url("change", content.pk))
    assert response.status_code == 200
    body = response.content.decode()
    assert 'name="title"' not in body
    assert "Live" in body
    assert any(reason in message for message in messages_of(response))


def test_approved_content_of_an_open_release_is_read_only(admin_user, admin_client):
    page = make_page("Approved", admin_user)
    services.approve_release("v1")
    response = admin_client.get(admin_url("change", content_of(page).pk))
    assert 'name="title"' not in response.content.decode()
    assert any("approved in release v1" in message for message in messages_of(response))


def test_posting_to_content_that_cannot_change_is_refused(live_page, admin_client):
    content = content_of(live_page, release="v2")
    before = snapshot()
    response = admin_client.post(admin_url("change", content.pk), {"title": "Hacked", "slug": "live"})
    assert response.status_code == 403
    assert snapshot() == before


# -- in navigation / template -----------------------------------------------------------


def test_toggling_the_menu_flag_of_a_draft_works(admin_user, admin_client):
    draft = content_of(make_page("Draft", admin_user))
    assert admin_client.post(admin_url("change_innavigation", draft.pk)).status_code == 204
    draft.refresh_from_db()
    assert draft.in_navigation is False


@pytest.mark.parametrize("name", ["change_innavigation", "change_template"])
def test_menu_flag_and_template_of_content_that_cannot_change_are_refused(live_page, admin_client, name):
    content = content_of(live_page, release="v2")
    before = snapshot()
    response = admin_client.post(admin_url(name, content.pk), {"template": "page.html"})
    assert response.status_code == 403
    assert "locked release v1" in response.content.decode()
    assert snapshot() == before


def test_changing_the_template_of_a_draft_works(admin_user, admin_client, settings):
    settings.CMS_TEMPLATES = [("page.html", "Page"), ("pages_extras.html", "Extras")]
    draft = content_of(make_page("Draft", admin_user))
    response = admin_client.post(admin_url("change_template", draft.pk), {"template": "pages_extras.html"})
    assert response.status_code == 200
    draft.refresh_from_db()
    assert draft.template == "pages_extras.html"


# -- copy language ----------------------------------------------------------------------


def copy_language(client, content, target="de"):
    return client.post(
        admin_url("copy_language", content.pk), {"source_language": "en", "target_language": target}
    )


def test_copy_language_copies_into_the_working_releases_draft(admin_user, admin_client):
    page = make_page("Page", admin_user)
    add_text(content_of(page), "<p>english</p>")
    translate(page, "de", "Seite", admin_user)
    response = copy_language(admin_client, content_of(page))
    assert response.status_code == 200
    assert texts(content_of(page, "de")) == ["<p>english</p>"]
    assert texts(content_of(page)) == ["<p>english</p>"]


def test_copy_language_into_live_content_makes_a_draft(live_page, admin_client):
    live_de = content_of(live_page, "de", release="v1")
    # core's toolbar posts the *public* English row; the working release's row is used
    response = copy_language(admin_client, content_of(live_page, release="v1"))
    assert response.status_code == 200
    draft_de = content_of(live_page, "de", release="v2")
    assert draft_de.pk != live_de.pk
    assert texts(draft_de) == ["<p>deutsch</p>", "<p>english</p>"]
    assert texts(live_de) == ["<p>deutsch</p>"]
    assert services.get_version(draft_de, "v2").status == "draft"


def test_copy_language_uses_the_working_releases_source(live_page, admin_user, admin_client):
    draft = edit(live_page, admin_user, "v2")
    CMSPlugin.objects.filter(placeholder__in=Placeholder.objects.get_for_obj(draft)).delete()
    add_text(draft, "<p>english v2</p>")
    assert copy_language(admin_client, content_of(live_page, release="v1")).status_code == 200
    assert texts(content_of(live_page, "de", release="v2")) == ["<p>deutsch</p>", "<p>english v2</p>"]


def test_copy_language_refuses_a_locked_working_release(live_page, admin_client):
    services.deprecate_release("v2")  # the live, locked v1 becomes the working release
    before = snapshot()
    response = copy_language(admin_client, content_of(live_page, release="v1"))
    assert response.status_code == 403
    assert "locked" in response.content.decode()
    assert snapshot() == before


@pytest.mark.parametrize(("target", "status"), [("de", 400), ("xx", 400), ("", 400)])
def test_copy_language_needs_target_content_and_a_language(admin_user, admin_client, target, status):
    page = make_page("Page", admin_user)
    add_text(content_of(page), "<p>english</p>")
    before = snapshot()
    assert copy_language(admin_client, content_of(page), target).status_code == status
    assert snapshot() == before


def test_copy_language_is_post_only(admin_user, admin_client):
    page = make_page("Page", admin_user)
    assert admin_client.get(admin_url("copy_language", content_of(page).pk)).status_code == 405


# -- delete translation -----------------------------------------------------------------


def test_deleting_a_draft_translation_works(live_page, admin_user, admin_client):
    with use_release("v2"):
        translate(make_page("Other", admin_user), "de", "Andere", admin_user)
        other = Page.objects.get(pagecontent_set__title="Other")
        de = content_of(other, "de")
    response = admin_client.get(admin_url("delete", de.pk) + "?language=de")
    assert response.status_code == 200
    response = admin_client.post(admin_url("delete", de.pk) + "?language=de", {"post": "yes"})
    assert response.status_code == 302
    assert not PageContent._base_manager.filter(page=other, language="de").exists()
    assert not Version.objects.for_content(de).exists()
    assert PageContent._base_manager.filter(page=other, language="en").exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_live_translation_is_refused(live_page, admin_client, method):
    de = content_of(live_page, "de", release="v2")
    before = snapshot()
    response = getattr(admin_client, method)(admin_url("delete", de.pk) + "?language=de", {"post": "yes"})
    assert response.status_code == 302
    assert response["Location"] == admin_url("changelist")
    assert any("locked or live" in m and "v1" in m for m in messages_of(response))
    assert snapshot() == before


# -- delete page ------------------------------------------------------------------------


def delete_page(client, page):
    return client.post(reverse("admin:cms_page_delete", args=(page.pk,)), {"post": "yes"})


def test_deleting_a_page_of_an_open_release_works_even_when_approved(admin_user, admin_client):
    page = make_page("Approved", admin_user)
    child = make_page("Child", admin_user, parent=page)
    add_text(content_of(child), "<p>child</p>")
    services.approve_release("v1")
    response = delete_page(admin_client, page)
    assert response.status_code == 302
    assert not Page.objects.filter(pk__in=[page.pk, child.pk]).exists()
    assert not PageContent._base_manager.exists()
    assert not Version.objects.exists()
    assert not CMSPlugin.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_deleting_a_page_with_live_descendants_is_refused(live_page, admin_user, admin_client, method):
    with use_release("v2"):
        parent = make_page("Parent", admin_user)
    live_page.move_page(parent, "first-child")
    before = snapshot()
    url = reverse("admin:cms_page_delete", args=(parent.pk,))
    response = getattr(admin_client, method)(url, {"post": "yes"})
    assert response.status_code == 302
    assert any("This page cannot be deleted" in m and "v1" in m for m in messages_of(response))
    assert snapshot() == before


# -- page tree search -------------------------------------------------------------------


def test_the_filtered_tree_searches_the_working_release_only(admin_user, admin_client):
    page = make_page("Zebra", admin_user, slug="z-page")
    ship("v1")
    branch("v2", "v1")
    edit(page, admin_user, "v2", title="Yak")
    row = f'data-id="{page.pk}"'
    response = admin_client.get(admin_url("changelist") + "?q=Yak&language=en")
    assert response.status_code == 200
    assert row in response.content.decode()
    response = admin_client.get(admin_url("changelist") + "?q=Zebra&language=en")
    assert row not in response.content.decode()  # v1's title, not the working release's
