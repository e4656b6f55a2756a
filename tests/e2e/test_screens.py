"""Screens of the editor experience, with a site holding content in every state.

Each test checks what the screen must show and saves a screenshot under
tests/e2e/screenshots/ (used by docs/howto/editor-guide.rst)."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from tests.e2e.helpers import (
    django_db,
    log_in,
    open_release_menu,
    open_state_menu,
    release_menu_entry,
    settle,
)
from tests.e2e.site import build_states_site

pytestmark = pytest.mark.browser


@pytest.fixture
def states(server, new_page):
    """The states site and a logged-in browser page."""
    with django_db():
        site = build_states_site()
    page = new_page()
    log_in(page, server, site.user)
    return site, page


def url_for(name: str, *args) -> str:
    """``reverse()`` (loading the URLconf may query the database: django CMS' apphooks)."""
    with django_db():
        return reverse(name, args=args)


def visit(page, server, url: str) -> None:
    response = page.goto(server.url + url)
    assert response.status == 200, url
    settle(page)


def test_toolbar_menus(server, states, shot):
    site, page = states
    with django_db():
        about = site.url("about")
    visit(page, server, about)
    open_release_menu(page)
    release_menu_entry(page, "Switch release").hover()
    assert page.locator("li.cms-release-menu").get_by_text("v1 · deployed · live").is_visible()
    shot(page, "toolbar-release-menu")
    page.keyboard.press("Escape")
    page.mouse.click(700, 600)
    state = open_state_menu(page)
    assert state.get_by_text("Compare with live").is_visible()
    shot(page, "toolbar-state-menu")


def test_page_tree_shows_every_state(server, states, shot):
    _site, page = states
    visit(page, server, url_for("admin:cms_pagecontent_changelist"))
    tree = page.locator(".cms-pagetree-container")
    tree.locator(".cms-pagetree-node-state").first.wait_for()
    html = tree.inner_html()
    for state in ("published", "dirty", "future", "unpublished", "draft", "approved"):
        assert f"cms-pagetree-node-state-{state}" in html, state
    shot(page, "page-tree-states", full_page=True)


def test_release_admin_screens(server, states, shot):
    site, page = states
    v1, v2 = site.releases["v1"], site.releases["v2"]
    visit(page, server, url_for("admin:djangocms_release_versioning_release_changelist"))
    assert page.locator("#result_list").get_by_text("v2").is_visible()
    shot(page, "admin-release-list", full_page=True)
    visit(page, server, url_for("admin:djangocms_release_versioning_release_change", v2.pk))
    assert page.get_by_text("your working release").is_visible()
    shot(page, "admin-release-page", full_page=True)
    visit(page, server, url_for("admin:djangocms_release_versioning_release_review", v2.pk))
    assert page.locator("table.rv-goes-live").get_by_text("Goes offline").first.is_visible()
    shot(page, "admin-review", full_page=True)
    visit(page, server, url_for("admin:djangocms_release_versioning_release_deploy", v1.pk))
    assert page.get_by_text("is live already").is_visible()


def test_compare_side_by_side(server, states, shot):
    site, page = states
    with django_db():
        from cms.models import PageContent

        about = site.pages["about"]
        live = PageContent.admin_manager.all_rows(site.releases["v1"]).get(page=about, language="en")
        draft = PageContent.admin_manager.all_rows(site.releases["v2"]).get(page=about, language="en")
        content_type = ContentType.objects.get_for_model(PageContent).pk
        url = url_for("admin:djangocms_release_versioning_release_compare", content_type, live.pk, draft.pk)
    visit(page, server, url)
    frames = page.locator(".rv-compare-side iframe")
    assert frames.count() == 2
    left, right = (
        page.frame_locator(".rv-compare-side iframe >> nth=0"),
        page.frame_locator(".rv-compare-side iframe >> nth=1"),
    )
    assert "New about text" not in left.locator("main").inner_text()
    assert "New about text" in right.locator("main").inner_text()
    assert left.locator(".cms-toolbar").count() == 0  # previews without the toolbar
    shot(page, "admin-compare")


def test_grouper_admin_state_column(server, states, shot):
    _site, page = states
    visit(page, server, url_for("admin:testapp_article_changelist"))
    menus = page.locator("details.rv-state-menu")
    assert menus.count() == 4
    changed = page.locator("tr", has_text="Changed article").locator("details.rv-state-menu")
    changed.locator("summary").click()
    assert changed.get_by_text("Approve").is_visible()
    shot(page, "admin-grouper-state-menu")
