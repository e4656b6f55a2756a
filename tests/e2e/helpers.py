"""Helpers for driving the site in Chromium."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.test import Client

from tests.e2e.site import PASSWORD


@contextmanager
def django_db() -> Iterator[None]:
    """Let the test use Django's database connection while the browser is open.

    Playwright's sync API leaves its event loop marked as running in this thread, so Django
    would open another connection for this "async" context (for in-memory SQLite: another,
    empty database) or refuse sync queries. Inside this block no loop is marked as running,
    so the block must not call Playwright.
    """
    loop = asyncio._get_running_loop()
    asyncio._set_running_loop(None)
    try:
        yield
    finally:
        asyncio._set_running_loop(loop)


def log_in(page: Any, server: Any, user: Any) -> None:
    """Give the browser page a logged-in session of ``user`` (without the login form)."""
    with django_db():
        client = Client()
        client.force_login(user)
        session = client.cookies["sessionid"].value
    page.context.add_cookies([{"name": "sessionid", "value": session, "url": server.url}])


def log_in_with_form(page: Any, server: Any, username: str) -> None:
    """Log in through the admin's login form."""
    page.goto(f"{server.url}/admin/login/?next=/admin/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("input[type=submit], button[type=submit]")


def settle(page: Any) -> None:
    page.wait_for_load_state("networkidle")


def open_release_menu(page: Any) -> Any:
    """Open the toolbar's Release menu and return its locator."""
    menu = page.locator("li.cms-release-menu")
    menu.locator("> a").click()
    return menu


def release_menu_entry(page: Any, text: str) -> Any:
    """An entry of the Release menu (or of one of its submenus) whose text starts with ``text``."""
    return page.locator("li.cms-release-menu li > a", has_text=re.compile(rf"^\s*{re.escape(text)}")).first


def open_state_menu(page: Any) -> Any:
    menu = page.locator("ul.cms-release-state-menu > li")
    menu.locator("> a").click()
    return menu


def modal_frame(page: Any) -> Any:
    """The document inside django CMS' modal dialog."""
    return page.frame_locator(".cms-modal-frame iframe")


def modal_button(page: Any, text: str) -> Any:
    """A button of the modal's footer (django CMS copies the form's submit buttons there)."""
    return page.locator(".cms-modal-buttons a", has_text=text).first


def replace_text_in_plugin_form(page: Any, server: Any, plugin_edit_url: str, text: str) -> None:
    """Open a text plugin's form, replace its text in the rich text editor and save."""
    page.goto(server.url + plugin_edit_url)
    settle(page)
    editor = page.locator("#id_body_editor [contenteditable=true]").first
    editor.click()
    page.keyboard.press("Control+A")
    page.keyboard.type(text)
    page.locator(
        "input[type=submit][name=_save], input[type=submit].default, button[type=submit]"
    ).last.click()
    settle(page)
