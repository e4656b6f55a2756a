"""Refusal messages never run as script (issue 8.3), in Chromium.

A page titled like markup and a working release named like markup (legacy data: the name
is written with ``update()``, past model validation). Each refusal path of the toolbar
(``Messages.open`` with the failed request's body) and of the page tree (``showError``)
is triggered as a superuser; the refusal must be shown, as text, and no script may run:
every ``alert()`` would open a dialog, which the page's dialog handler records.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from cms.models import PageContent
from cms.toolbar.utils import get_object_edit_url
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.e2e.helpers import django_db, log_in, open_release_menu, open_state_menu, settle
from tests.e2e.site import build_site, page_with_text

pytestmark = pytest.mark.browser

EVIL_TITLE = "<img src=x onerror=alert(5)>"
EVIL_RELEASE = '"><img src=x onerror=alert(2)>'


@dataclass
class Evil:
    """The site, the browser page and the dialogs it opened."""

    page: Any
    release: Release
    content: PageContent
    edit_url: str
    tree_url: str
    dialogs: list[tuple[str, str]] = field(default_factory=list)

    @property
    def alerts(self) -> list[str]:
        return [message for kind, message in self.dialogs if kind == "alert"]


@pytest.fixture
def evil(server, new_page) -> Evil:
    with django_db():
        site = build_site()  # v1 live, v2 open (the working release)
        v2 = site.releases["v2"]
        with use_release(v2):
            evil_page = page_with_text(EVIL_TITLE, "Evil text", site.user)
        Release.objects.filter(pk=v2.pk).update(version=EVIL_RELEASE)
        v2 = Release.objects.get(pk=v2.pk)
        content = PageContent.admin_manager.all_rows(v2).get(page=evil_page, language="en")
        edit_url = server.url + get_object_edit_url(content)
        tree_url = server.url + reverse("admin:cms_pagecontent_changelist")
    page = new_page()
    evil = Evil(page, v2, content, edit_url, tree_url)

    def record(dialog: Any) -> None:
        evil.dialogs.append((dialog.type, dialog.message))
        dialog.accept()  # confirmations ("Lock release …?") are answered with OK

    page.on("dialog", record)
    log_in(page, server, site.user)
    work_in(page, v2)  # stays the working release once locked, as after locking from the toolbar
    return evil


def work_in(page: Any, release: Release) -> None:
    """Make ``release`` the working release of the browser's session."""
    from importlib import import_module

    from django.conf import settings

    from djangocms_release_versioning import conf

    cookie = next(c for c in page.context.cookies() if c["name"] == settings.SESSION_COOKIE_NAME)
    with django_db():
        session = import_module(settings.SESSION_ENGINE).SessionStore(session_key=cookie["value"])
        session[conf.SESSION_KEY] = release.pk
        session.save()


def toolbar_message(page: Any, expected: str) -> Any:
    """The toolbar's message box once it shows ``expected``."""
    box = page.locator(".cms-messages-inner")
    box.get_by_text(expected, exact=False).wait_for()
    return box


def assert_shown_as_text(box: Any, *texts: str) -> None:
    shown = box.inner_text()
    for text in texts:
        assert text in shown, shown
    assert box.locator("img").count() == 0, box.inner_html()


# -- the toolbar ------------------------------------------------------------------------------


def test_toolbar_stale_park_for_later(evil, shot):
    page = evil.page
    page.goto(evil.edit_url)
    settle(page)
    with django_db():  # parked meanwhile (another tab, another editor)
        services.transition(evil.content, "mark_future", user=None, release=evil.release)
    open_state_menu(page)
    page.locator("li.cms-release-action-mark_future > a").click()
    box = toolbar_message(page, "does not apply")
    assert_shown_as_text(box, EVIL_TITLE)
    page.wait_for_timeout(500)  # an onerror handler would have fired by now
    shot(page, "xss-toolbar-stale-park")
    assert evil.alerts == []


def test_toolbar_actions_on_a_locked_release(evil, shot):
    page = evil.page
    page.goto(evil.edit_url)
    settle(page)
    with django_db():  # locked meanwhile
        services.lock_release(evil.release)
    open_state_menu(page)
    page.locator("li.cms-release-action-deactivate > a").click()
    box = toolbar_message(page, "is locked")
    assert_shown_as_text(box, f"Release {EVIL_RELEASE} is locked")
    page.wait_for_timeout(500)
    shot(page, "xss-toolbar-locked-hide")

    open_release_menu(page)
    page.locator("li.cms-release-menu li > a", has_text="Lock").first.click()  # its confirmation modal
    errors = page.frame_locator(".cms-modal-frame iframe").locator("ul.errorlist")
    errors.wait_for()
    assert f"Release {EVIL_RELEASE} is locked already." in errors.inner_text()  # shown as text
    page.wait_for_timeout(500)
    shot(page, "xss-toolbar-locked-lock")
    assert evil.dialogs == []  # no script ran (and the lock asks in its modal, not a dialog)


def test_toolbar_button_refused_after_a_reload(evil, shot):
    """The main button posts the whole page: the refusal comes back as a message on the next
    page, which the toolbar shows from its configuration."""
    page = evil.page
    page.goto(evil.edit_url)
    settle(page)
    with django_db():  # locked meanwhile
        services.lock_release(evil.release)
    with page.expect_navigation():
        page.locator("a.cms-release-action-approve").click()
    settle(page)
    box = toolbar_message(page, "is locked")
    assert_shown_as_text(box, EVIL_RELEASE)
    page.wait_for_timeout(500)
    shot(page, "xss-toolbar-locked-approve-button")
    assert evil.alerts == []


# -- the page tree ------------------------------------------------------------------------------


def tree_row(evil: Evil) -> Any:
    """The cells of the evil page's row in the page tree (jstree keeps them in columns)."""
    page = evil.page
    page.goto(evil.tree_url)
    settle(page)
    anchor = page.locator("a.jstree-anchor", has_text=EVIL_TITLE)
    anchor.wait_for()
    node_id = anchor.evaluate("a => a.closest('li.jstree-node').id")
    return page.locator(f'[data-jstreegrid="{node_id}"]')


def tree_error(page: Any, expected: str) -> Any:
    """The page tree's error message once it shows ``expected``."""
    box = page.locator(".messagelist")
    box.get_by_text(expected, exact=False).wait_for()
    return box


def test_page_tree_stale_park_for_later(evil, shot):
    row = tree_row(evil)
    page = evil.page
    with django_db():  # parked meanwhile
        services.transition(evil.content, "mark_future", user=None, release=evil.release)
    row.locator(".cms-tree-item-lang .js-cms-pagetree-dropdown-trigger").click()
    row.locator("a.js-cms-tree-lang-trigger", has_text="Park for a later release").click()
    box = tree_error(page, "does not apply")
    assert_shown_as_text(box, EVIL_TITLE)
    page.wait_for_timeout(500)
    shot(page, "xss-page-tree-stale-park")
    assert evil.alerts == []


def test_page_tree_menu_toggle_in_a_locked_release(evil, shot):
    row = tree_row(evil)
    page = evil.page
    with django_db():  # approved and locked meanwhile
        services.approve_release(evil.release)
        services.lock_release(evil.release)
    row.locator(".js-cms-tree-item-menu a").click()
    box = tree_error(page, "locked")
    assert_shown_as_text(box, EVIL_RELEASE)
    page.wait_for_timeout(500)
    shot(page, "xss-page-tree-locked-menu-toggle")
    assert evil.alerts == []
