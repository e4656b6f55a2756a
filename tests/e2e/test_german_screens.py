"""The admin and the toolbar of a German editor (browser language de), with a site holding
content in every state (issue 13 item 3). Screenshots: tests/e2e/screenshots/de-*.png."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.urls import reverse

from tests.e2e.helpers import django_db, log_in, open_release_menu, open_state_menu, settle
from tests.e2e.site import build_states_site

pytestmark = pytest.mark.browser


@pytest.fixture
def german(server: Any, browser: Any) -> Iterator[tuple[Any, Any]]:
    """The states site and a logged-in browser page whose language is German."""
    with django_db():
        site = build_states_site()
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="de-DE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, server, site.user)
    yield site, page
    context.close()


def visit(page: Any, server: Any, name: str, *args: Any) -> None:
    with django_db():
        url = reverse(name, args=args)
    response = page.goto(server.url + url)
    assert response.status == 200, url
    settle(page)


def test_german_release_list_and_release_page(server, german, shot):
    site, page = german
    visit(page, server, "admin:djangocms_release_versioning_release_changelist")
    results = page.locator("#result_list")
    assert results.get_by_text("Zustand").is_visible() and results.get_by_text("Basiert auf").is_visible()
    assert page.locator("#changelist-filter").get_by_text("Offen", exact=True).is_visible()
    shot(page, "de-release-list", full_page=True)
    visit(page, server, "admin:djangocms_release_versioning_release_change", site.releases["v2"].pk)
    assert page.locator(".rv-button", has_text="Release sperren").first.is_visible()
    audit = page.locator("#rv-audit")
    assert audit.get_by_text("Entwurf erstellt").first.is_visible()
    assert audit.get_by_text("About (en)").first.is_visible()
    shot(page, "de-release-page", full_page=True)


def test_german_page_tree(server, german, shot):
    _site, page = german
    visit(page, server, "admin:cms_pagecontent_changelist")
    page.locator(".cms-pagetree-node-state").first.wait_for()
    line = page.locator(".rv-tree-release")
    assert "Der Seitenbaum zeigt Release v2" in line.inner_text()
    shot(page, "de-page-tree", full_page=True)


def test_german_toolbar(server, german, shot):
    site, page = german
    with django_db():
        about, home = site.url("about"), site.url("home")
    response = page.goto(server.url + home + "?toolbar_on")
    assert response.status == 200
    settle(page)
    state = page.locator("ul.cms-release-state-menu")
    assert "Unverändert in v2" in state.inner_text()  # live, unchanged in the working release
    menu = open_release_menu(page)
    assert menu.get_by_text("Release wechseln").is_visible()
    shot(page, "de-toolbar-release-menu")
    page.goto(server.url + about)
    settle(page)
    state = open_state_menu(page)
    assert (
        state.get_by_text("Freigeben").first.is_visible()
        or state.get_by_text("Mit Live vergleichen").is_visible()
    )
    shot(page, "de-toolbar-state-menu")
