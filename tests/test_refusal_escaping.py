"""Refusal and success messages never become markup (issue 8.3, DESIGN §9.1 invariant 9).

django CMS' toolbar (``Messages.open``) and page tree (``showError``) insert the body of a
failed AJAX request into the page as HTML; object names and release versions in those
bodies are chosen by editors. Every answer that can reach a browser is escaped once: AJAX
bodies and JSON messages by the endpoints, messages-framework messages by the templates.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils.html import escape

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.test_toolbar_support import (
    action_url,
    ajax,
    changes_since,
    content_in,
    live_site,
    make_page,
    make_user,
    messages_of,
    release_url,
    state_snapshot,
)

pytestmark = pytest.mark.django_db

EVIL_TITLE = "<img src=x onerror=alert(5)>"
EVIL_RELEASE = '"><img src=x onerror=alert(2)>'


def rename(release: Release, version: str) -> Release:
    """Give ``release`` a name the model would refuse today (legacy data): ``update()``
    bypasses model validation."""
    Release.objects.filter(pk=release.pk).update(version=version)
    return Release.objects.get(pk=release.pk)


def assert_escaped(body: str, *texts: str) -> None:
    """``body`` quotes every text of ``texts`` escaped once, and holds no markup of them."""
    assert "<img" not in body, body
    for text in texts:
        assert escape(text) in body, body


@pytest.fixture
def boss():
    return make_user("boss", superuser=True)


@pytest.fixture
def evil_site(boss, client):
    """v1 live; the working release v2 (named like markup) holds a draft page titled like markup."""
    _about, v1, v2 = live_site(boss)
    v2 = rename(v2, EVIL_RELEASE)
    with use_release(v2):
        page = make_page(EVIL_TITLE, boss)
    client.force_login(boss)
    client.post(release_url("select", v2))
    return page, v1, v2


def is_html(response) -> bool:
    return response["Content-Type"].startswith("text/html")


# -- content actions (toolbar menus and page tree indicator menus) -------------------------


def test_a_stale_park_for_later_answers_with_the_title_escaped(client, evil_site):
    page, _v1, v2 = evil_site
    draft = content_in(page, v2)
    assert ajax(client, action_url(draft, "mark_future")).status_code == 200
    before = state_snapshot()
    response = ajax(client, action_url(draft, "mark_future"))  # a second click from a stale menu
    assert response.status_code == 400 and is_html(response)
    assert_escaped(response.content.decode(), EVIL_TITLE)
    assert "does not apply" in response.content.decode()
    assert changes_since(before) == []


def test_an_action_in_a_locked_release_answers_with_the_release_name_escaped(client, evil_site):
    page, _v1, v2 = evil_site
    draft = content_in(page, v2)
    services.lock_release(v2)
    before = state_snapshot()
    response = ajax(client, action_url(draft, "deactivate"))
    assert response.status_code == 400 and is_html(response)
    assert_escaped(response.content.decode(), EVIL_RELEASE)
    assert "is locked" in response.content.decode()
    assert changes_since(before) == []


def test_a_success_message_in_json_is_escaped(client, evil_site):
    page, _v1, v2 = evil_site
    response = ajax(client, action_url(content_in(page, v2), "mark_future"))
    assert response.status_code == 200
    message = response.json()["message"]
    assert_escaped(message, EVIL_TITLE, EVIL_RELEASE)
    # the messages framework keeps plain text: its templates escape it (once)
    assert any(EVIL_TITLE in text and EVIL_RELEASE in text for text in messages_of(response))


def test_a_refusal_without_ajax_is_a_plain_message_that_the_admin_escapes(client, evil_site):
    page, _v1, v2 = evil_site
    services.lock_release(v2)
    response = client.post(action_url(content_in(page, v2), "deactivate"), {"next": "/admin/"}, follow=True)
    html = response.content.decode()
    assert f"Release {escape(EVIL_RELEASE)} is locked" in html
    assert EVIL_RELEASE not in html and "<img" not in html


# -- release actions (Release menu) -----------------------------------------------------------


@pytest.mark.parametrize(("action", "reason"), [("lock", "is locked already"), ("approve", "is locked")])
def test_a_refused_release_action_answers_with_the_release_name_escaped(client, evil_site, action, reason):
    _page, _v1, v2 = evil_site
    services.lock_release(v2)
    before = state_snapshot()
    response = ajax(client, release_url(action, v2))
    assert response.status_code == 400 and is_html(response)
    assert_escaped(response.content.decode(), EVIL_RELEASE)
    assert reason in response.content.decode()
    assert changes_since(before) == []


def test_a_release_action_success_message_in_json_is_escaped(client, evil_site):
    _page, _v1, v2 = evil_site
    response = ajax(client, release_url("lock", v2))
    assert response.status_code == 200
    assert_escaped(response.json()["message"], EVIL_RELEASE)
    response = ajax(client, release_url("select", v2))
    assert_escaped(response.json()["message"], EVIL_RELEASE)


# -- the page admin's small endpoints (page tree, toolbar Page menu) ---------------------


def page_admin_url(name: str, content) -> str:
    return reverse(f"admin:cms_pagecontent_{name}", args=[content.pk])


@pytest.mark.parametrize("name", ["change_innavigation", "change_template"])
def test_the_page_admins_not_editable_answer_is_escaped(client, evil_site, name):
    page, _v1, v2 = evil_site
    services.approve_release(v2)
    services.lock_release(v2)
    before = state_snapshot()
    response = client.post(
        page_admin_url(name, content_in(page, v2)),
        {"template": "page.html"},
        headers={"x-requested-with": "XMLHttpRequest"},
    )
    assert response.status_code == 403 and is_html(response)
    assert_escaped(response.content.decode(), EVIL_RELEASE)
    assert changes_since(before) == []


def test_copy_language_refusal_is_escaped(client, evil_site, boss):
    from cms.api import create_page_content

    page, _v1, v2 = evil_site
    with use_release(v2):
        create_page_content("de", "Seite", page, created_by=boss)
    services.approve_release(v2)
    services.lock_release(v2)
    before = state_snapshot()
    response = client.post(
        page_admin_url("copy_language", content_in(page, v2)),
        {"source_language": "en", "target_language": "de"},
    )
    assert response.status_code == 403 and is_html(response)
    assert_escaped(response.content.decode(), EVIL_RELEASE)
    assert changes_since(before) == []
