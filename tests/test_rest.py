"""djangocms-rest (django CMS' headless API) under releases.

Visitors get the live release through every endpoint, whatever query parameter they add;
staff asking for ``?preview`` get their working release, like the toolbar's preview; the API
follows a deploy at once. Endpoints are djangocms-rest's own, served by tests/rest_urls.py.
"""

from __future__ import annotations

import json

import pytest
from cms.models import PageContent
from django.contrib.contenttypes.models import ContentType
from django.test import Client

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from tests.pages_support import add_text, branch, content_of, edit, make_page, ship

pytestmark = [pytest.mark.django_db, pytest.mark.urls("tests.rest_urls")]

SECRETS = ("draft", "Secret", "secret")


@pytest.fixture
def site(admin_user):
    """v1 live: Home, About ("about live"), Gone ("gone live").

    v2 (open, the working release): About changed ("About draft", "about draft"), Gone hidden,
    and a new page "Secret" (slug "secret", text "secret draft") that was never deployed.
    """
    home = make_page("Home", admin_user)
    about = make_page("About", admin_user)
    hidden = make_page("Gone", admin_user, slug="gone")
    add_text(content_of(home), "<p>home live</p>")
    add_text(content_of(about), "<p>about live</p>")
    add_text(content_of(hidden), "<p>gone live</p>")
    home.set_as_homepage()
    ship("v1")
    v2 = branch("v2", "v1")
    draft = edit(about, admin_user, v2, title="About draft", menu_title="About draft")
    add_text(draft, "<p>about draft</p>")
    services.transition(content_of(hidden, release=v2), "deactivate", release=v2)
    with use_release(v2):
        secret = make_page("Secret", admin_user, slug="secret")
        add_text(content_of(secret), "<p>secret draft</p>")
    return {"home": home, "about": about, "hidden": hidden, "secret": secret, "v2": v2}


def placeholder_url(content: PageContent, slot: str = "content", language: str = "en") -> str:
    ct = ContentType.objects.get_for_model(PageContent)
    return f"/api/{language}/placeholders/{ct.pk}/{content.pk}/{slot}/"


def get_json(client: Client, url: str) -> tuple[int, str]:
    response = client.get(url)
    return response.status_code, response.content.decode()


@pytest.fixture
def staff(admin_user) -> Client:
    client = Client()
    client.force_login(admin_user)
    return client


# Every query parameter djangocms-rest documents (preview, html) and those the site knows.
QUERIES = [
    "",
    "?preview",
    "?preview=true",
    "?preview=1",
    "?preview=True",
    "?preview=0",
    "?html=1",
    "?html=1&preview=1",
    "?edit",
    "?toolbar_on",
    "?structure",
    "?release=v2",
    "?toolbar_on&edit&release=v2",
]


def endpoints(site) -> list[str]:
    """Every endpoint of djangocms-rest that serves content, with live and unreleased targets."""
    live_about = content_of(site["about"], release="v1")
    draft_about = content_of(site["about"], release=site["v2"])
    return [
        "/api/languages/",
        "/api/plugins/",
        "/api/en/pages-tree/",
        "/api/en/pages-list/",
        "/api/en/pages/",
        "/api/en/pages/about/",
        "/api/en/pages/secret/",
        "/api/en/page_search/?q=About",
        "/api/en/menu/",
        "/api/en/menu/0/100/0/100/about/",
        "/api/en/submenu/",
        "/api/en/breadcrumbs/about/",
        placeholder_url(live_about),
        placeholder_url(draft_about),
        placeholder_url(content_of(site["secret"], release=site["v2"])),
    ]


def with_query(url: str, query: str) -> str:
    if not query:
        return url
    return f"{url}&{query[1:]}" if "?" in url else f"{url}{query}"


def assert_no_secret(body: str) -> None:
    for secret in SECRETS:
        assert secret not in body


@pytest.mark.parametrize("query", QUERIES)
def test_anonymous_clients_get_the_live_release_whatever_they_ask(site, query):
    client = Client()
    for url in endpoints(site):
        status, body = get_json(client, with_query(url, query))
        assert status in (200, 403, 404), (url, status)
        assert_no_secret(body)
    status, body = get_json(client, with_query("/api/en/pages-list/", query))
    if status == 200:
        assert "About" in body
        assert "Gone" in body  # hidden in the open release only: still live


@pytest.mark.parametrize("query", QUERIES)
def test_logged_in_non_staff_get_the_live_release_even_with_a_release_in_the_session(
    site, django_user_model, query
):
    from djangocms_release_versioning import conf

    user = django_user_model.objects.create_user("visitor", password="pw")
    client = Client()
    client.force_login(user)
    session = client.session
    session[conf.SESSION_KEY] = site["v2"].pk
    session.save()
    for url in endpoints(site):
        status, body = get_json(client, with_query(url, query))
        assert status in (200, 403, 404), (url, status)
        assert_no_secret(body)


@pytest.mark.parametrize("query", ["?preview", "?preview=true", "?preview=1"])
def test_preview_is_refused_to_visitors(site, query):
    assert Client().get(f"/api/en/pages-list/{query}").status_code == 403
    assert Client().get(f"/api/en/pages/about/{query}").status_code == 403


def test_staff_without_preview_get_the_live_release(site, staff):
    for url in endpoints(site):
        status, body = get_json(staff, url)
        assert status in (200, 404), (url, status)
        assert_no_secret(body)


@pytest.mark.parametrize("endpoint", ["pages-list", "pages-tree"])
def test_staff_preview_lists_the_working_release_with_its_new_pages(site, staff, endpoint):
    status, body = get_json(staff, f"/api/en/{endpoint}/?preview=true")
    assert status == 200, body
    assert "About draft" in body
    assert "Secret" in body


def test_a_page_new_in_the_working_release_is_previewable_through_its_api_link(site, staff):
    """Its list entry links to its working path; the detail endpoint serves it in previews only."""
    listed = json.loads(staff.get("/api/en/pages-list/?preview=1").content)
    secret = next(entry for entry in listed if entry["title"] == "Secret")
    assert secret["details"] == "http://testserver/api/en/pages/secret/?preview=1"
    response = staff.get("/api/en/pages/secret/?preview=1")
    assert response.status_code == 200, response.content
    assert "secret draft" in response.content.decode()
    assert response.json()["path"] == "secret"
    assert staff.get("/api/en/pages/secret/").status_code == 404
    assert Client().get("/api/en/pages/secret/").status_code == 404


def test_preview_follows_the_working_path_of_pages_below_a_new_page(site, staff, admin_user):
    with use_release(site["v2"]):
        child = make_page("Kid", admin_user, parent=site["secret"], slug="kid")
        add_text(content_of(child), "<p>kid draft</p>")
    tree = staff.get("/api/en/pages-tree/?preview=1").content.decode()
    assert "http://testserver/api/en/pages/secret/kid/?preview=1" in tree
    response = staff.get("/api/en/pages/secret/kid/?preview=1")
    assert response.status_code == 200, response.content
    assert "kid draft" in response.content.decode()
    assert staff.get("/api/en/pages/kid/?preview=1").status_code == 404


def test_staff_preview_of_pages_and_placeholders_serves_the_working_release(site, staff):
    body = staff.get("/api/en/pages/about/?preview=true").content.decode()
    assert "About draft" in body
    assert "about draft" in body
    draft = content_of(site["about"], release=site["v2"])
    body = staff.get(f"{placeholder_url(draft)}?preview=true").content.decode()
    assert "about draft" in body
    menu = staff.get("/api/en/menu/?preview=1").content.decode()
    assert "About draft" in menu


def test_the_api_follows_a_deploy_at_once(site, settings):
    settings.CMS_CACHE_DURATIONS = {"menus": 3600, "content": 3600, "permissions": 3600}
    settings.CMS_PLACEHOLDER_CACHE = True
    settings.CMS_PAGE_CACHE = True
    client = Client()
    live_about = content_of(site["about"], release="v1")
    before = [client.get(url).content.decode() for url in ("/api/en/pages-list/", "/api/en/menu/")]
    assert all("About draft" not in body for body in before)
    assert "about live" in client.get(placeholder_url(live_about)).content.decode()
    ship(site["v2"])
    listed = client.get("/api/en/pages-list/").content.decode()
    assert "About draft" in listed
    assert "Secret" in listed
    assert "Gone" not in listed
    assert "About draft" in client.get("/api/en/menu/").content.decode()
    response = client.get("/api/en/pages/secret/")
    assert response.status_code == 200
    assert "secret draft" in response.content.decode()
    body = client.get("/api/en/pages/about/").content.decode()
    assert "About draft" in body
    assert "about draft" in body
    new_about = content_of(site["about"], release=site["v2"])
    assert "about draft" in client.get(placeholder_url(new_about)).content.decode()
    assert client.get(placeholder_url(live_about)).status_code == 404
