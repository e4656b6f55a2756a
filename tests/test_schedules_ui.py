"""Scheduled deploys in the release admin and the toolbar: form, cancel, where they are shown."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.models import Release, ScheduledDeploy, ScheduleStatus
from tests.test_toolbar_support import (
    EDITOR_PERMS,
    changes_since,
    element,
    item_of,
    live_site,
    make_user,
    messages_of,
    release_url,
    state_snapshot,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock(settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # +14: local and UTC dates differ
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


@pytest.fixture
def locked_v2(boss) -> tuple:
    """Page About live in v1; v2 branched from it and locked."""
    page, v1, v2 = live_site(boss)
    return page, v1, services.lock_release(v2)


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def test_schedule_from_the_release_page_then_cancel(client, clock, boss, locked_v2):
    _page, _v1, v2 = locked_v2
    page = html(client.get(release_url("change", v2)))
    assert f'href="{release_url("schedule", v2)}?next=' in page and "Schedule deploy…" in page
    form = html(client.get(release_url("schedule", v2)))
    assert 'type="datetime-local"' in form and "Time zone Pacific/Kiritimati" in form

    # 2027-03-06 10:00 in Kiritimati (+14) is 2027-03-05 20:00 UTC
    response = client.post(release_url("schedule", v2), {"at": "2027-03-06T10:00", "next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    schedule = ScheduledDeploy.objects.get()
    assert schedule.at == datetime(2027, 3, 5, 20, 0, tzinfo=UTC)
    assert (schedule.created_by, schedule.rollback) == (boss, False)
    assert any("scheduled for 2027-03-06 10:00 +14" in m for m in messages_of(response))

    page = html(client.get(release_url("change", v2)))
    # one format on every page (views.common.when): local time and zone, the moment in UTC
    badge = element(page, "rv-badge-scheduled")
    assert '<time datetime="2027-03-05T20:00:00+00:00">2027-03-06 10:00 +14</time>' in badge
    assert '<time datetime="2027-03-05T20:00:00+00:00">2027-03-06 10:00 +14</time>' in element(
        page, "rv-schedule-pending", "tr"
    )
    assert "Cancel the deploy scheduled for 2027-03-06 10:00 +14" in page
    assert "Schedule deploy…" not in page
    assert 'id="rv-schedules"' in page

    response = client.post(release_url("cancel_schedule", v2), {"next": "/admin/"})
    assert response.status_code == 302
    assert ScheduledDeploy.objects.get().status == ScheduleStatus.CANCELLED
    page = html(client.get(release_url("change", v2)))
    assert "Schedule deploy…" in page and "Cancelled" in page


def test_the_release_list_shows_the_pending_schedule(client, clock, boss, locked_v2):
    _page, _v1, v2 = locked_v2
    services.schedule_deploy(v2, at=NOW + timedelta(hours=3))
    changelist = html(client.get(reverse("admin:djangocms_release_versioning_release_changelist")))
    assert 'deploys <time datetime="2027-03-05T12:00:00+00:00">2027-03-06 02:00 +14</time>' in changelist


def test_the_toolbar_offers_schedule_and_shows_the_pending_one(client, clock, boss, locked_v2):
    page, _v1, v2 = locked_v2
    client.post(release_url("select", v2))
    menu = element(html(client.get(page.get_absolute_url("en"))), "cms-release-menu")
    item = item_of(menu, release_url("schedule", v2))
    assert 'data-rel="modal"' in item and "Schedule deploy" in item
    services.schedule_deploy(v2, at=NOW + timedelta(hours=3), user=boss)
    menu = element(html(client.get(page.get_absolute_url("en"))), "cms-release-menu")
    item = item_of(menu, release_url("cancel_schedule", v2))
    assert "Cancel the deploy scheduled for 2027-03-06 02:00 +14" in item
    assert release_url("schedule", v2) not in menu


def test_a_refused_schedule_changes_nothing_and_says_why(client, clock, boss, locked_v2):
    _page, _v1, v2 = locked_v2
    before = state_snapshot()
    response = client.post(
        release_url("schedule", v2) + "?_popup=1", {"at": "2027-03-05T10:00", "_popup": "1"}
    )
    body = html(response)  # in the modal: the form again, with the reason
    assert "must be in the future" in body
    response = client.post(release_url("schedule", v2), {"at": "2027-03-05T10:00", "next": "/admin/"})
    assert response.status_code == 302
    assert any("must be in the future" in m for m in messages_of(response))
    response = client.post(release_url("schedule", v2), {"at": "not a date"})
    assert "Enter a valid date/time." in html(response)
    response = client.post(release_url("cancel_schedule", v2), {"next": "/admin/"})
    assert any("no pending scheduled deploy" in m for m in messages_of(response))
    assert changes_since(before) == []


def test_an_open_or_live_release_offers_no_schedule(client, clock, boss):
    _page, v1, v2 = live_site(boss)
    assert "Schedule deploy" not in html(client.get(release_url("change", v2)))
    assert "Schedule " not in html(client.get(release_url("change", v1)))


def test_scheduling_needs_the_deploy_permission(client, clock, locked_v2):
    _page, _v1, v2 = locked_v2
    editor = make_user("editor", *EDITOR_PERMS)
    client.force_login(editor)
    assert client.get(release_url("schedule", v2)).status_code == 403
    assert client.post(release_url("schedule", v2), {"at": "2027-03-06T10:00"}).status_code == 403
    services.schedule_deploy(v2, at=NOW + timedelta(hours=1))
    assert client.post(release_url("cancel_schedule", v2)).status_code == 403
    assert client.get(release_url("cancel_schedule", v2)).status_code == 405
    assert ScheduledDeploy.objects.get().status == ScheduleStatus.PENDING


def test_a_failed_schedule_is_shown_with_its_reason_escaped(client, clock, boss, locked_v2):
    _page, _v1, v2 = locked_v2
    ScheduledDeploy.objects.create(
        release=v2,
        at=NOW - timedelta(hours=1),
        status=ScheduleStatus.FAILED,
        failure_reason="Refused: <script>alert(1)</script>",
    )
    page = html(client.get(release_url("change", v2)))
    assert "Refused: &lt;script&gt;alert(1)&lt;/script&gt;" in element(page, "rv-failure")
    assert "<script>alert(1)" not in page


def test_a_deployed_release_offers_a_scheduled_rollback(client, clock, boss, locked_v2):
    _page, v1, v2 = locked_v2
    services.deploy_release(v2)
    page = html(client.get(release_url("change", v1)))
    assert "Schedule rollback…" in page
    client.post(release_url("schedule", v1), {"at": "2027-03-06T10:00"})
    assert ScheduledDeploy.objects.get(release=v1).rollback
    assert Release.objects.live() == v2


def test_a_guard_refusal_offers_its_checkbox_and_the_confirmation_schedules(client, clock, boss):
    from djangocms_release_versioning.context import use_release
    from tests.test_toolbar_support import make_page

    _page, _v1, _v2 = live_site(boss)
    v3 = services.create_release("v3")  # not branched from the live v1: About would go offline
    with use_release(v3):
        make_page("Other", boss)
    services.approve_release(v3)
    services.lock_release(v3, allow_offline=True)
    before = state_snapshot()
    form = html(client.post(release_url("schedule", v3), {"at": "2027-03-06T10:00"}))
    assert "would take 1 live object offline" in form
    assert 'name="allow_offline"' in form
    assert changes_since(before) == []
    response = client.post(release_url("schedule", v3), {"at": "2027-03-06T10:00", "allow_offline": "on"})
    assert response.status_code == 302
    assert ScheduledDeploy.objects.get(release=v3).confirmations == {"allow_offline": True}
