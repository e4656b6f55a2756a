"""Schedule a deploy from the toolbar's modal, see it in the Release menu and on the release
page, and cancel it there."""

from __future__ import annotations

import pytest

from djangocms_release_versioning import services
from djangocms_release_versioning.models import ScheduledDeploy, ScheduleStatus
from tests.e2e.helpers import (
    django_db,
    log_in,
    modal_button,
    modal_frame,
    open_release_menu,
    release_menu_entry,
    settle,
)
from tests.e2e.site import build_site

pytestmark = pytest.mark.browser


def test_schedule_a_deploy_in_the_toolbar_then_cancel_it_on_the_release_page(server, new_page, shot):
    with django_db():
        site = build_site()
        v2 = site.releases["v2"]
        services.lock_release(v2)
        about = site.url("about")
    page = new_page()
    log_in(page, server, site.user)
    release_page = f"{server.url}/admin/djangocms_release_versioning/release/{v2.pk}/change/"
    page.goto(release_page)
    with page.expect_navigation():
        page.locator("button", has_text="Work in this release").click()
    page.goto(server.url + about)
    settle(page)
    assert "Release: v2 · locked" in page.locator("li.cms-release-menu > a").inner_text()

    open_release_menu(page)
    release_menu_entry(page, "Schedule deploy").click()
    frame = modal_frame(page)
    field = frame.locator("input[name=at]")
    field.wait_for()
    field.fill("2099-01-31T09:30")
    shot(page, "schedule-deploy-modal")
    with page.expect_navigation():
        modal_button(page, "Schedule deploy").click()
    settle(page)
    with django_db():
        schedule = ScheduledDeploy.objects.get(release__version="v2")
        assert schedule.status == ScheduleStatus.PENDING and schedule.created_by == site.user

    open_release_menu(page)
    assert release_menu_entry(page, "Cancel the deploy scheduled for 2099-01-31 09:30").is_visible()

    page.goto(release_page)
    assert "2099" in page.locator("#rv-pending-schedule").inner_text()
    shot(page, "release-page-pending-schedule", full_page=True)
    page.once("dialog", lambda dialog: dialog.accept())
    with page.expect_navigation():
        page.locator("button.rv-button-cancel_schedule").click()
    assert page.locator("#rv-pending-schedule").count() == 0
    with django_db():
        assert ScheduledDeploy.objects.get(release__version="v2").status == ScheduleStatus.CANCELLED
