"""What each kind of request sees: visitors the live release, staff in edit/preview the working one."""

import pytest
from cms.models import CMSPlugin, Placeholder
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url, get_object_structure_url
from django.test import Client

from djangocms_release_versioning import conf
from djangocms_release_versioning.context import use_release
from tests.pages_support import add_text, branch, content_of, edit, make_page, ship

pytestmark = pytest.mark.django_db

EXTRAS = "pages_extras.html"  # inherited "content" placeholder + {% show_placeholder "content" "footer" %}


def replace_text(content, body: str) -> None:
    """Replace the text plugins of an editable ``content`` by one with ``body``."""
    for plugin in CMSPlugin.objects.filter(placeholder__in=Placeholder.objects.get_for_obj(content)):
        plugin.delete()
    add_text(content, body)


def change_page(page, user, release, title: str, body: str) -> None:
    draft = edit(page, user, release, title=title, menu_title=title)
    replace_text(draft, body)


@pytest.fixture
def site(admin_user, settings):
    """v1 live: Footer (reverse id "footer"), Parent, Parent > Child (inherits "content").

    v2 (open) changes the footer and the parent: titles "... draft", texts "... draft".
    """
    settings.CMS_TEMPLATES = [("page.html", "Page"), (EXTRAS, "Extras")]
    footer = make_page("Footer", admin_user, reverse_id="footer", in_navigation=False)
    parent = make_page("Parent", admin_user)
    child = make_page("Child", admin_user, parent=parent, template=EXTRAS)
    add_text(content_of(footer), "<p>footer live</p>")
    add_text(content_of(parent), "<p>parent live</p>")
    ship("v1")
    v2 = branch("v2", "v1")
    change_page(footer, admin_user, v2, "Footer draft", "<p>footer draft</p>")
    change_page(parent, admin_user, v2, "Parent draft", "<p>parent draft</p>")
    return {"footer": footer, "parent": parent, "child": child, "v2": v2}


def assert_live_only(body: str) -> None:
    assert "parent live" in body
    assert "footer live" in body
    assert ">Parent<" in body  # menu
    assert "draft" not in body


@pytest.fixture
def visitor(django_user_model):
    user = django_user_model.objects.create_user("visitor", password="pw")
    client = Client()
    client.force_login(user)
    return client


QUERIES = ["", "?edit", "?preview", "?toolbar_on", "?structure", "?release=v2", "?toolbar_on&edit&release=v2"]


@pytest.mark.parametrize("query", QUERIES)
def test_anonymous_visitors_see_the_live_release_whatever_they_ask(site, query):
    response = Client().get(f"/parent/child/{query}")
    assert response.status_code == 200
    assert_live_only(response.content.decode())


@pytest.mark.parametrize("query", QUERIES)
def test_logged_in_non_staff_see_the_live_release_even_with_a_release_in_the_session(site, visitor, query):
    session = visitor.session
    session[conf.SESSION_KEY] = site["v2"].pk
    session.save()
    response = visitor.get(f"/parent/child/{query}")
    assert response.status_code == 200
    assert_live_only(response.content.decode())


def test_staff_on_the_live_url_see_the_live_release(site, admin_client):
    response = admin_client.get("/parent/child/?toolbar_on")
    assert response.status_code == 200
    body = response.content.decode()
    assert "parent live" in body
    assert "parent draft" not in body


@pytest.mark.parametrize("endpoint", [get_object_edit_url, get_object_preview_url, get_object_structure_url])
@pytest.mark.parametrize("which", ["draft", "live"])
def test_object_endpoints_refuse_visitors(site, visitor, endpoint, which):
    release = site["v2"] if which == "draft" else "v1"
    url = endpoint(content_of(site["parent"], release=release))
    for client in (Client(), visitor):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_staff_in_preview_see_the_working_release(site, admin_client):
    response = admin_client.get(get_object_preview_url(content_of(site["child"])))
    assert response.status_code == 200
    body = response.content.decode()
    assert "parent draft" in body  # inherited placeholder
    assert "footer draft" in body  # show_placeholder
    assert ">Parent draft<" in body  # menu
    assert "parent live" not in body
    assert "footer live" not in body


def test_staff_in_edit_mode_see_the_working_release(site, admin_user, admin_client):
    child = edit(site["child"], admin_user, site["v2"])  # an editable draft of the child
    response = admin_client.get(get_object_edit_url(child))
    assert response.status_code == 200
    body = response.content.decode()
    assert '"mode": "draft"' in body  # edit mode (inherited placeholders are not rendered there)
    assert "footer draft" in body
    assert ">Parent draft<" in body
    assert "live" not in body.split("<nav>")[1].split("</aside>")[0]


def test_the_edit_endpoint_redirects_non_editable_content_to_preview(site, admin_client):
    live = content_of(site["parent"], release="v1")
    response = admin_client.get(get_object_edit_url(live))
    assert response.status_code == 302
    assert response["Location"] == get_object_preview_url(live)
    draft = content_of(site["parent"], release=site["v2"])
    assert admin_client.get(get_object_edit_url(draft)).status_code == 200


def test_the_editors_chosen_release_drives_menus_and_other_pages(site, admin_user, admin_client):
    v3 = branch("v3", "v1")
    change_page(site["footer"], admin_user, v3, "Footer v3", "<p>footer v3</p>")
    child = content_of(site["child"])
    assert "footer v3" in admin_client.get(get_object_preview_url(child)).content.decode()  # newest open
    session = admin_client.session
    session[conf.SESSION_KEY] = site["v2"].pk
    session.save()
    body = admin_client.get(get_object_preview_url(child)).content.decode()
    assert "footer draft" in body
    assert "footer v3" not in body


def test_a_page_never_deployed_is_only_reachable_through_the_endpoints(site, admin_user, admin_client):
    with use_release(site["v2"]):
        fresh = make_page("Fresh", admin_user)
        add_text(content_of(fresh), "<p>fresh text</p>")
    assert Client().get("/fresh/").status_code == 404
    assert admin_client.get("/fresh/").status_code == 404
    with use_release(site["v2"]):
        url = get_object_preview_url(content_of(fresh))
    assert "fresh text" in admin_client.get(url).content.decode()
    assert ">Fresh<" not in Client().get("/parent/").content.decode()
