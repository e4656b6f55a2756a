"""The German toolbar's state menu is as wide as its longest entry (issue 13 item 3: longer
labels such as "Für ein späteres Release zurückstellen" must not run out of the menu)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.helpers import django_db, log_in, open_state_menu, settle
from tests.e2e.site import build_states_site

pytestmark = pytest.mark.browser


def test_the_state_menu_holds_its_longest_entry(server: Any, browser: Any) -> None:
    with django_db():
        site = build_states_site()
        about = site.url("about")  # changed in v2: Approve, Park for a later release, …
    context = browser.new_context(viewport={"width": 1400, "height": 900}, locale="de-DE")
    context.set_default_timeout(15_000)
    page = context.new_page()
    log_in(page, server, site.user)
    page.goto(server.url + about)
    settle(page)
    menu = open_state_menu(page)
    assert menu.get_by_text("Für ein späteres Release zurückstellen").is_visible()
    widths = page.evaluate(
        """() => {
            const list = document.querySelector("ul.cms-release-state-menu > li > ul");
            const box = list.getBoundingClientRect();
            return {
                list: [box.left, box.right],
                entries: [...list.querySelectorAll(":scope > li > a")].map(
                    (a) => [a.scrollWidth, a.clientWidth]
                ),
                viewport: window.innerWidth,
            };
        }"""
    )
    assert widths["entries"]
    assert all(scroll <= client for scroll, client in widths["entries"]), widths
    left, right = widths["list"]
    assert left >= 0 and right <= widths["viewport"], widths  # it opens towards the left
    context.close()
