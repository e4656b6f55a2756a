"""The lock confirmation in the toolbar's modal lists live content that would go offline,
with a checkbox: without the tick the lock is refused and the modal asks again."""

from __future__ import annotations

import pytest

from djangocms_release_versioning.models import Release
from tests.e2e.helpers import (
    django_db,
    log_in,
    modal_button,
    modal_frame,
    open_release_menu,
    release_menu_entry,
    settle,
)
from tests.e2e.site import build_states_site

pytestmark = pytest.mark.browser


def test_lock_modal_lists_what_would_go_offline_and_needs_the_checkbox(server, new_page, shot):
    with django_db():
        site = build_states_site()
        about = site.url("about")
    page = new_page()
    log_in(page, server, site.user)
    page.goto(server.url + about)
    settle(page)
    assert "Release: v2 · open" in page.locator("li.cms-release-menu > a").inner_text()

    open_release_menu(page)
    release_menu_entry(page, "Lock release").click()
    frame = modal_frame(page)
    guard = frame.locator("section.rv-guard-would_go_offline")
    guard.wait_for()
    listed = guard.inner_text()
    # About and the article were edited (drafts), Contact and the article parked: all live in v1
    assert "About (en)" in listed and "draft, not approved" in listed
    assert "Contact (en)" in listed and "parked for a later release" in listed
    assert "Team" not in listed  # hidden on purpose
    shot(page, "lock-confirmation-offline")

    modal_button(page, "Lock now").click()  # without the tick: refused, the modal asks again
    frame.locator("ul.errorlist").wait_for()
    assert "would take 4 live objects offline" in frame.locator("ul.errorlist").inner_text()
    with django_db():
        assert not Release.objects.get(version="v2").is_locked

    frame.locator("input[name=allow_offline]").check()
    with page.expect_navigation():
        modal_button(page, "Lock now").click()
    settle(page)
    assert "v2 · locked" in page.locator("li.cms-release-menu > a").inner_text()
    with django_db():
        assert Release.objects.get(version="v2").is_locked
