"""The review page and the rollback manifest cost what changed, not the size of the site
(issue 11.4): the database counts the differing groupings and hands over one page of keys;
releases descending from one another are compared through the rows changed on the way.
Their answers equal the full comparison's, rows, kinds and order alike."""

from __future__ import annotations

import importlib

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import manifest, services
from djangocms_release_versioning.constants import DRAFT
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.manifest import (
    _changes_by_comparison,
    change_keys,
    compute_manifest,
    differing_keys,
    lineage_path,
    page_changes,
)
from djangocms_release_versioning.models import Release, Version
from tests.factories import ArticleContentFactory
from tests.helpers import sqlite_steps
from tests.test_lock_cost import assert_flat, branch_with_changes, described, live_site
from tests.test_toolbar_support import make_user, release_url
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db

# The module (``views.review`` is also the name of its view function).
review_view = importlib.import_module("djangocms_release_versioning.views.review")


def refreshed(release: Release) -> Release:
    return Release.objects.get(pk=release.pk)


def edit(release: Release, content: ArticleContent, title: str) -> None:
    draft = services.create_draft(content, user=None, release=release)
    ArticleContent._base_manager.filter(pk=draft.pk).update(title=title)


def show(release: Release, content: ArticleContent, active: bool) -> None:
    version = Version.objects.get(release=release, object_id=content.pk)
    version.active = active
    version.save()


def lineage() -> dict[str, Release | None]:
    """v1 live (12 articles); v2 branched from it (edit, two hidden, one added), locked; v3
    branched from v2 (edit, one shown again, one back to draft, one added); ``gone`` branched
    from v1 without one grouping (``has_removals``); ``solo`` without a base."""
    v1, contents = live_site(12, "v1")
    v2 = services.create_release("v2", based_on=v1)
    edit(v2, contents[0], "Edited in v2")
    show(v2, contents[1], False)
    show(v2, contents[2], False)
    with use_release(v2):
        ArticleContentFactory()
    services.approve_release(v2)
    services.lock_release(v2, allow_offline=True)
    v3 = services.create_release("v3", based_on=v2)
    edit(v3, contents[3], "Edited in v3")
    show(v3, contents[1], True)
    with use_release(v3):
        ArticleContentFactory()
    services.approve_release(v3)
    # Behind the services' back: the database clears ``inherited`` (migration 0009).
    Version.objects.filter(release=v3, object_id=contents[4].pk).update(status=DRAFT)
    gone = services.create_release("gone", based_on=v1)
    edit(gone, contents[5], "Edited in gone")
    draft = services.create_draft(contents[6], user=None, release=gone)
    draft.delete()
    solo = services.create_release("solo")
    with use_release(solo):
        for _ in range(3):
            ArticleContentFactory()
    services.approve_release(solo)
    releases = {name: refreshed(r) for name, r in (("v1", v1), ("v2", v2), ("v3", v3), ("gone", gone))}
    releases.update(solo=refreshed(solo), none=None)
    assert releases["gone"].has_removals
    return releases


def reference_differences(release: Release, other: Release | None) -> list[tuple[int, str]]:
    """Every grouping whose row differs, computed in Python from every row of both."""

    def rows(r: Release | None) -> dict[tuple[int, str], tuple]:
        if r is None:
            return {}
        return {
            (v.content_type_id, v.grouping_key): (v.object_id, v.status, v.active)
            for v in Version.objects.filter(release=r)
        }

    mine, theirs = rows(release), rows(other)
    return sorted(key for key in mine.keys() | theirs.keys() if mine.get(key) != theirs.get(key))


PAIRS = [
    ("v3", "v1"),  # two steps down: v3 descends from v1 through v2
    ("v1", "v3"),  # two steps up (a rollback from v3 to v1)
    ("v2", "v1"),
    ("v1", "v2"),
    ("v3", "v2"),
    ("v2", "v3"),
    ("gone", "v1"),  # a removal on the way: full comparison
    ("v1", "gone"),
    ("solo", "v1"),  # unrelated: full comparison
    ("v1", "solo"),
    ("v3", "none"),
]


@pytest.mark.parametrize("few", [500, 0], ids=["pks as a list", "pks as a subquery"])
def test_keys_and_changes_equal_the_full_comparison(monkeypatch, few):
    monkeypatch.setattr(manifest, "_FEW_CHANGES", few)
    releases = lineage()
    related = 0
    for first, second in PAIRS:
        release, other = releases[first], releases[second]
        if other is not None and lineage_path(release, other) is not None:
            related += 1
        expected = reference_differences(release, other)
        assert expected, (first, second)
        keys = differing_keys(release, other)
        assert keys.count() == len(expected), (first, second)
        assert list(keys) == expected, (first, second)
        assert keys[1:3] == expected[1:3]
        full = _changes_by_comparison(other, release)
        live_keys = change_keys(other, release)
        assert live_keys.count() == len(full), (first, second)
        assert described(page_changes(other, release, list(live_keys))) == described(full), (first, second)
        if other is not None:
            assert described(compute_manifest(other, release).changes) == described(full), (first, second)
    assert related == 6  # the fast paths were taken for every related pair


def test_the_rollback_manifest_equals_the_full_comparison():
    """v2 (branched from v1: one edit, one added, one hidden) is live; rolling back to v1."""
    v2 = branch_with_changes(6, "v2")
    v1 = v2.based_on
    services.lock_release(v2, allow_offline=True)
    services.deploy_release(v2, allow_offline=True)
    fast = compute_manifest(refreshed(v2), v1)
    assert lineage_path(v1, refreshed(v2)) == (refreshed(v2), v1, [v2.pk])
    assert described(fast.changes) == described(_changes_by_comparison(v2, v1))
    assert sorted(kind for kind, *_ in described(fast.changes)) == ["added", "changed", "removed"]


def rollback_queries(size: int, name: str) -> int:
    v2 = branch_with_changes(size, name)
    services.lock_release(v2, allow_offline=True)
    services.deploy_release(v2, allow_offline=True, allow_revert=True)
    live, target = refreshed(v2), refreshed(v2.based_on)
    with CaptureQueriesContext(connection) as captured:
        rolled_back = compute_manifest(live, target)
    assert len(rolled_back) == 3
    return len(captured)


def test_the_rollback_manifest_does_not_grow_with_the_site():
    assert rollback_queries(20, "small") == rollback_queries(200, "large")


# -- the review page ---------------------------------------------------------------------------


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def review(client, release: Release, **params) -> tuple[object, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(release_url("review", release), params)
    assert response.status_code == 200
    return response.context, len(captured)


def expected_kind(release: Release, other: Release | None, key: tuple[int, str]) -> str:
    def row(r: Release | None) -> Version | None:
        if r is None:
            return None
        return Version.objects.filter(release=r, content_type_id=key[0], grouping_key=key[1]).first()

    mine, theirs = row(release), row(other)
    if theirs is None:
        return "added"
    if mine is None:
        return "removed"
    if mine.object_id != theirs.object_id:
        return "changed"
    if mine.active != theirs.active:
        return "restored" if mine.active else "hidden"
    return "status"


@pytest.mark.parametrize("against", ["live", "base", "solo", "gone"])
def test_both_pages_of_both_lists_show_what_the_full_comparison_finds(client, boss, monkeypatch, against):
    monkeypatch.setattr(review_view, "REVIEW_PAGE_SIZE", 3)
    releases = lineage()
    release, live = releases["v3"], releases["v1"]
    other = {"live": live, "base": releases["v2"]}.get(against) or releases[against]
    param = against if against in ("live", "base") else str(other.pk)
    differences = reference_differences(release, other)
    goes_live = _changes_by_comparison(live, release)
    assert len(differences) > 3 and len(goes_live) > 3
    for number in (1, 2):
        context, _queries = review(client, release, against=param, page=number, live_page=number)
        window = slice(3 * (number - 1), 3 * number)
        assert [
            (row.kind, (row.mine or row.theirs).content_type_id, row.grouping_key) for row in context["rows"]
        ] == [(expected_kind(release, other, key), *key) for key in differences[window]]
        assert [(row.kind, row.grouping_key) for row in context["goes_live"]] == [
            (f"live_{change.kind}", change.grouping_key) for change in goes_live[window]
        ]
        assert context["page"].paginator.count == len(differences)
        assert context["live_page"].paginator.count == len(goes_live)


def site_with_every_grouping_changed(size: int, name: str) -> Release:
    """A branch of a live site of ``size`` articles pointing every grouping at another row."""
    base, contents = live_site(size, f"{name}-base")
    branch = services.create_release(name, based_on=base)
    for content in contents:
        copy = ArticleContent._original_manager.create(
            article_id=content.article_id, language=content.language, title=f"{content.title} (edited)"
        )
        Version.objects.filter(release=branch, object_id=content.pk).update(object_id=copy.pk)
    return refreshed(branch)


def review_work(client, release: Release, **params) -> tuple[int, int | None]:
    """(queries, SQLite virtual machine steps in tens, None elsewhere) of the review page."""
    with sqlite_steps() as steps:
        _context, queries = review(client, release, **params)
    return queries, steps[0] if connection.vendor == "sqlite" else None


def test_the_review_of_a_release_changing_everything_costs_the_same_queries(client, boss):
    small = site_with_every_grouping_changed(30, "small")
    review(client, small)  # the first request fills per-process caches (content types …)
    small_queries = [review(client, small, **params)[1] for params in ({}, {"against": "base"})]
    large = site_with_every_grouping_changed(300, "large")
    context, _queries = review(client, large)
    assert context["page"].paginator.count == 300
    assert context["live_page"].paginator.count == 300
    large_queries = [review(client, large, **params)[1] for params in ({}, {"against": "base"})]
    assert large_queries == small_queries


def test_the_review_of_a_few_changes_does_not_grow_with_the_site(client, boss):
    small = branch_with_changes(20, "small")
    review(client, small)
    small_work = review_work(client, small)
    large = branch_with_changes(200, "large")
    context, _queries = review(client, large)
    assert context["page"].paginator.count == 3
    assert_flat(small_work, review_work(client, large))
