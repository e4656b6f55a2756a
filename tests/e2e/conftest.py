"""Headless Chromium (Playwright, the system's /usr/bin/chromium) against ``live_server``.

Browser tests are marked ``browser`` and skipped when Chromium or Playwright is missing
(``scripts/install-browser`` installs both). Screenshots go to ``tests/e2e/screenshots/``.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).parent / "screenshots"


def browser_missing() -> str:
    """Why the browser tests cannot run here ('' if they can)."""
    if not CHROMIUM.exists():
        return f"{CHROMIUM} is not installed (run scripts/install-browser)"
    if importlib.util.find_spec("playwright") is None:
        return "playwright is not installed (run scripts/install-browser)"
    return ""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = browser_missing()
    if not reason:
        return
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture
def server(transactional_db: None, live_server: Any) -> Any:
    """``live_server``, started after the test database exists (an in-memory SQLite
    connection is shared with the server thread only then)."""
    return live_server


@pytest.fixture
def browser(server: Any) -> Iterator[Any]:
    """Headless Chromium, opened after (and closed before) the test database work of the
    fixtures, so that their setup and teardown use the real connection."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    """A factory of fresh browser pages (each in its own context: own cookies)."""
    contexts = []

    def make() -> Any:
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def shot() -> Any:
    """``shot(page, "name")`` saves a screenshot as tests/e2e/screenshots/<name>.png."""
    SCREENSHOTS.mkdir(exist_ok=True)

    def take(page: Any, name: str, **kwargs: Any) -> Path:
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), **kwargs)
        return path

    return take
