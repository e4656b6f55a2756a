"""Deploy guards in the admin and the toolbar: the lock and deploy confirmations list what
would go offline, with a checkbox; refusals answer with a message, never a 500."""

from __future__ import annotations

import pytest

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Release
from tests.test_toolbar import html_of, release_menu
from tests.test_toolbar_support import (
    ajax,
    changes_since,
    content_in,
    element,
    item_of,
    live_site,
    make_page,
    make_user,
    messages_of,
    release_url,
    state_snapshot,
)
from tests.testapp.cms_config import HOOK_FAILURES

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def draft_site(user):
    """Page "About" live in v1; v2 holds an unapproved edit of it (it would go offline)."""
    page, v1, v2 = live_site(user)
    with use_release(v2):
        services.create_draft(content_in(page, v2), user=user)
    return page, v1, v2


def text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


# -- lock -----------------------------------------------------------------------------------


def test_lock_confirmation_lists_what_would_go_offline_with_a_checkbox(client, boss):
    _page, _v1, v2 = draft_site(boss)
    before = state_snapshot()
    page = text(client.get(release_url("lock", v2)))
    assert changes_since(before) == []  # the confirmation writes nothing
    guard = element(page, "rv-guard-would_go_offline")
    assert "Live content that would go offline" in guard
    assert "page content" in guard and "About (en)" in guard and "draft, not approved" in guard
    assert 'type="checkbox" name="allow_offline"' in guard
    assert "Lock now" in page


def test_lock_without_the_checkbox_is_refused_and_asks_again(client, boss):
    _page, _v1, v2 = draft_site(boss)
    before = state_snapshot()
    page = text(client.post(release_url("lock", v2), {"next": "/admin/"}))
    assert "would take 1 live object offline" in element(page, "errorlist")
    assert 'name="allow_offline"' in page
    assert changes_since(before) == []
    response = ajax(client, release_url("lock", v2))
    assert response.status_code == 400 and "would take 1 live object offline" in response.content.decode()
    assert not Release.objects.get(pk=v2.pk).is_locked


def test_lock_with_the_checkbox_locks_and_audits(client, boss):
    _page, _v1, v2 = draft_site(boss)
    response = client.post(release_url("lock", v2), {"next": "/admin/", "allow_offline": "1"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert any("Release v2 is locked." in message for message in messages_of(response))
    entry = AuditEntry.objects.get(action=Action.LOCK_RELEASE, release=v2)
    assert entry.user == boss
    assert entry.details["confirmed"]["would_go_offline"][0]["name"] == "About (en)"


def test_lock_confirmation_without_findings_has_no_checkbox(client, boss):
    _page, _v1, v2 = live_site(boss)
    page = text(client.get(release_url("lock", v2) + "?_popup=1"))
    assert "rv-guard" not in page and "Lock now" in page
    response = client.post(release_url("lock", v2) + "?_popup=1", {"_popup": "1"})
    assert response.status_code == 200 and Release.objects.get(pk=v2.pk).is_locked


def test_lock_confirmation_escapes_names(client, boss):
    page, _v1, v2 = live_site(boss)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=boss)
    # the live title is what the list names; an editor could have set it to markup
    live = content_in(page, "v1")
    type(live).objects.filter(pk=live.pk).update(title="<img src=x onerror=alert(1)>")
    assert draft.pk != live.pk
    body = text(client.get(release_url("lock", v2)))
    assert "<img src=x" not in body and "&lt;img src=x onerror=alert(1)&gt;" in body


def test_lock_confirmation_needs_the_lock_permission(client, boss):
    _page, _v1, v2 = draft_site(boss)
    client.force_login(make_user("editor", "djangocms_release_versioning.view_release", staff=True))
    assert client.get(release_url("lock", v2)).status_code == 403


def test_toolbar_lock_opens_the_confirmation_in_a_modal(client, boss):
    page, _v1, v2 = live_site(boss)
    client.post(release_url("select", v2))
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    item = item_of(menu, release_url("lock", v2))
    assert "cms-toolbar-item-navigation-disabled" not in item
    assert 'data-rel="modal"' in item


# -- deploy ---------------------------------------------------------------------------------


def test_deploy_confirmation_lists_what_would_go_offline_and_needs_the_checkbox(client, boss):
    _page, v1, v2 = draft_site(boss)
    services.lock_release(v2, allow_offline=True)
    confirm = text(client.get(release_url("deploy", v2)))
    guard = element(confirm, "rv-guard-would_go_offline")
    assert "About (en)" in guard and 'name="allow_offline"' in guard
    assert "Deploy now" in confirm
    before = state_snapshot()
    page = text(client.post(release_url("deploy", v2), {"next": "/admin/"}))
    assert "would take 1 live object offline" in element(page, "errorlist")
    assert changes_since(before) == []
    assert Release.objects.live() == v1
    response = client.post(release_url("deploy", v2), {"next": "/admin/", "allow_offline": "1"})
    assert response.status_code == 302
    assert Release.objects.live() == Release.objects.get(pk=v2.pk)
    entry = AuditEntry.objects.get(action=Action.DEPLOY_RELEASE, release=v2)
    assert entry.details["confirmed"]["would_go_offline"][0]["name"] == "About (en)"


def test_deploy_confirmation_without_findings_is_as_before(client, boss):
    _page, _v1, v2 = live_site(boss)
    with use_release(v2):
        make_page("News", boss)
    services.approve_release(v2)
    services.lock_release(v2)
    confirm = text(client.get(release_url("deploy", v2)))
    assert "rv-guard" not in confirm and "Deploy now" in confirm


def test_a_failing_hook_answers_with_a_message_not_a_500(client, boss):
    """ArticleContent's on_publish hook (tests/testapp/cms_config.py) raises."""
    from tests.factories import ArticleContentFactory

    _page, v1, v2 = live_site(boss)
    with use_release(v2):
        ArticleContentFactory(title="<b>Bold</b>")
    services.approve_release(v2)
    services.lock_release(v2)
    HOOK_FAILURES["publish"] = RuntimeError("index <down>")
    before = state_snapshot()
    response = client.post(release_url("deploy", v2), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    [message] = messages_of(response)
    assert "on_publish hook" in message and "RuntimeError: index <down>" in message
    popup = text(client.post(release_url("deploy", v2) + "?_popup=1", {"_popup": "1"}))
    assert "on_publish hook" in popup and "index &lt;down&gt;" in popup and "<b>Bold</b>" not in popup
    response = ajax(client, release_url("deploy", v2))
    assert response.status_code == 400 and "index &lt;down&gt;" in response.content.decode()
    assert changes_since(before) == []
    assert Release.objects.live() == v1
