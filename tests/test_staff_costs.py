"""Staff paths cost the same whatever the size of the site and the number of releases.

DESIGN §8: the toolbar's Edit, the edit endpoint and the live URL with the toolbar must be
flat in the number of pages and releases (issue 11.6). Query counts, not timings.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.test_toolbar_support import action_url, content_in, edit_url, make_page, make_user, ship

pytestmark = pytest.mark.django_db


def count(client: Client, method: str, url: str) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url)
    assert response.status_code in (200, 302), (url, response.status_code)
    return len(captured)


def staff_costs(client: Client, page, live: Release, working: Release) -> dict[str, int]:
    """Queries of the staff paths on ``page``: the live URL with the toolbar, the toolbar's
    Edit (a copy-on-write draft in ``working``), the edit endpoint, and Edit again."""
    live_content = content_in(page, live)
    costs = {"live url with toolbar": count(client, "get", page.get_absolute_url("en") + "?toolbar_on")}
    costs["edit action"] = count(client, "post", action_url(live_content, "edit"))
    draft = content_in(page, working)
    assert draft.pk != live_content.pk
    costs["edit endpoint"] = count(client, "get", edit_url(draft))
    costs["edit action again"] = count(client, "post", action_url(draft, "edit"))
    return costs


def test_staff_paths_are_flat_in_pages_and_releases():
    owner = make_user("owner", superuser=True)
    client = Client()
    client.force_login(owner)
    first = services.create_release("v1")
    with use_release(first):
        warm_up, small_page, warm_up_large, large_page = (make_page(f"Page {n}", owner) for n in range(4))
    live = ship(first)
    working = services.create_release("w1", based_on=live)
    staff_costs(client, warm_up, live, working)
    small = staff_costs(client, small_page, live, working)

    grown = services.create_release("v2", based_on=live)
    with use_release(grown):
        for n in range(10):
            make_page(f"More {n}", owner)
    live = ship(grown)
    for number in range(3, 6):
        live = ship(services.create_release(f"v{number}", based_on=live))
    working = services.create_release("w2", based_on=live)  # the newest open release: working
    # The first menu of a release registers its cache key (one INSERT per release and site).
    staff_costs(client, warm_up_large, live, working)
    large = staff_costs(client, large_page, live, working)
    assert large == small


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plan")
def test_state_lookup_uses_the_indexes_not_a_scan_of_every_version():
    """The indicator/editability lookup behind every staff path must not read every Version
    of the content type (its time grew with pages times releases: 78 ms at 5,000 pages and
    50 releases, issue 11.6)."""
    from djangocms_release_versioning.indicators import prefetch_indicators

    owner = make_user("owner", superuser=True)
    first = services.create_release("v1")
    with use_release(first):
        page = make_page("Page", owner)
    live = ship(first)
    working = services.create_release("w1", based_on=live)
    content = content_in(page, live)
    with use_release(working), CaptureQueriesContext(connection) as captured:
        prefetch_indicators([content])
    (query,) = [
        q["sql"] for q in captured.captured_queries if "djangocms_release_versioning_version" in q["sql"]
    ]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN QUERY PLAN {query}")
        plan = [row[-1] for row in cursor.fetchall()]
    version_steps = [step for step in plan if "djangocms_release_versioning_version" in step or " v " in step]
    assert version_steps and all("=? AND" in step for step in version_steps if "INDEX" in step), plan
    assert not any(step.startswith("SCAN") for step in plan), plan
