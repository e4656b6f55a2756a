"""Locking a branch costs what changed, not the size of the release (issue 11.3, DESIGN §8).

The database keeps ``Version.inherited`` honest (the trigger of migration 0009 clears it when
an inherited row's ``object_id``, ``status`` or ``active`` changes behind the services' back),
so ``lock_release`` reads only the changed rows: its statements, the rows it digests, the
rows the database touches (SQLite's VM steps, MariaDB's ``Handler_read_*``) and, on SQLite,
its query plans do not depend on the number of groupings.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT, Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.fingerprint import version_digests
from djangocms_release_versioning.models import AuditEntry, Release, Version
from tests.factories import ArticleContentFactory
from tests.helpers import sqlite_steps
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db

VERSION_TABLE = Version._meta.db_table


def live_site(size: int, name: str) -> tuple[Release, list[ArticleContent]]:
    """A deployed release ``name`` of ``size`` approved articles (replacing the live one)."""
    base = services.create_release(name)
    with use_release(base):
        contents = [ArticleContentFactory() for _ in range(size)]
    services.approve_release(base)
    services.lock_release(base, allow_offline=True)
    services.deploy_release(base, allow_offline=True, allow_revert=True)
    return Release.objects.get(pk=base.pk), contents


def branch_with_changes(size: int, name: str) -> Release:
    """A branch of a live site of ``size`` articles: one edited, one added, one hidden."""
    base, contents = live_site(size, f"{name}-base")
    branch = services.create_release(name, based_on=base)
    draft = services.create_draft(contents[0], user=None, release=branch)
    ArticleContent._base_manager.filter(pk=draft.pk).update(title="Edited")
    with use_release(branch):
        ArticleContentFactory()
    hidden = Version.objects.get(release=branch, object_id=contents[1].pk)
    hidden.active = False
    hidden.save()
    services.approve_release(branch)
    return Release.objects.get(pk=branch.pk)


def lock_statements(release: Release) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        services.lock_release(release)
    return [query["sql"] for query in captured.captured_queries]


def _handler_reads() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
        return sum(int(value) for _, value in cursor.fetchall())


def lock_work(release: Release) -> tuple[int, int | None]:
    """(statements, work) of locking ``release``. Work, a count that follows the rows the
    database touches: SQLite's virtual machine steps (in units of 10), MariaDB/MySQL's
    ``Handler_read_*``; None on PostgreSQL (no per-session counter)."""
    before = _handler_reads() if connection.vendor == "mysql" else 0
    with sqlite_steps() as steps:
        statements = len(lock_statements(release))
    if connection.vendor == "sqlite":
        return statements, steps[0]
    if connection.vendor == "mysql":
        return statements, _handler_reads() - before
    return statements, None


def assert_flat(small: tuple[int, int | None], large: tuple[int, int | None]) -> None:
    """The same statements; the work may differ a little (B-tree depth), not tenfold as the
    groupings do."""
    assert large[0] == small[0]
    if small[1] is not None:
        assert large[1] < 1.5 * small[1] + 20, (small, large)


def test_lock_work_does_not_grow_with_the_release():
    small = lock_work(branch_with_changes(20, "small"))
    large = lock_work(branch_with_changes(200, "large"))
    assert_flat(small, large)
    for release in Release.objects.filter(version__in=["small", "large"]):
        entry = AuditEntry.objects.get(release=release, action=Action.LOCK_RELEASE)
        assert entry.details["digested"] == 3  # edited, added, hidden
        # The count is derived from the base's and the changed rows; it is the real one.
        assert entry.details["versions"] == Version.objects.filter(release=release).count()
        assert services.verify_release(release) == []


@pytest.mark.skipif(connection.vendor != "sqlite", reason="reads SQLite's query plans")
def test_no_lock_statement_scans_the_version_table_after_analyze():
    """SQLite's statistics average the index of changed rows over the releases; a query
    reading both its columns then scans the whole table (N rows) instead."""
    release = branch_with_changes(60, "v2")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
        scans = []
        for sql in lock_statements(release):
            if VERSION_TABLE not in sql or not sql.lstrip().upper().startswith(("SELECT", "UPDATE")):
                continue
            cursor.execute(f"EXPLAIN QUERY PLAN {sql}")
            plan = [row[-1] for row in cursor.fetchall()]
            if any(step.startswith(f"SCAN {VERSION_TABLE}") for step in plan):
                scans.append((sql, plan))
    assert scans == []


def replacement(version: Version, title: str) -> ArticleContent:
    """Another content row of the grouping of ``version`` (what an edit would create)."""
    original = ArticleContent._base_manager.get(pk=version.object_id)
    return ArticleContent._original_manager.create(
        article_id=original.article_id, language=original.language, title=title
    )


def inherited_row() -> Version:
    base, contents = live_site(2, "v1")
    services.create_release("v2", based_on=base)
    return Version.objects.get(release__version="v2", object_id=contents[0].pk)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda version, other: {"object_id": other.pk}, id="object_id"),
        pytest.param(lambda version, other: {"status": DRAFT}, id="status"),
        pytest.param(lambda version, other: {"active": False}, id="active"),
    ],
)
def test_an_update_behind_the_services_back_clears_inherited(change):
    version = inherited_row()
    assert version.inherited
    other = replacement(version, "Sneaky")
    assert Version.objects.filter(pk=version.pk).update(**change(version, other)) == 1
    assert not Version.objects.get(pk=version.pk).inherited


def test_an_update_that_changes_nothing_that_counts_keeps_inherited():
    version = inherited_row()
    Version.objects.filter(pk=version.pk).update(
        object_id=version.object_id, status=APPROVED, active=True, fingerprint=""
    )
    assert Version.objects.get(pk=version.pk).inherited


def test_setting_inherited_again_after_a_change_is_trusted():
    """What rebase does: change the row, then say it equals the base again."""
    version = inherited_row()
    other = replacement(version, "Other")
    rows = Version.objects.filter(pk=version.pk)
    rows.update(object_id=other.pk)
    rows.update(inherited=True)
    assert Version.objects.get(pk=version.pk).inherited
    rows.update(object_id=version.object_id, inherited=True)  # flag unchanged: cleared
    assert not Version.objects.get(pk=version.pk).inherited


def test_a_change_behind_the_services_back_is_locked_and_deployed():
    version = inherited_row()
    branch = Release.objects.get(version="v2")
    other = replacement(version, "Sneaky")
    Version.objects.filter(pk=version.pk).update(object_id=other.pk)
    branch = services.lock_release(branch)
    assert Version.objects.get(pk=version.pk).fingerprint == version_digests(branch)[version.pk]
    manifest = services.deploy_release(branch)
    assert [(change.kind, change.new.object_id) for change in manifest.changes] == [("changed", other.pk)]
    assert services.verify_release(branch) == []


def chain_two_steps_from_live(size: int, name: str) -> tuple[Release, Release]:
    """(live, v3): v2 branched from the live release and locked, not deployed; v3 branched
    from v2. Each changes some groupings; v3 puts one of v2's changes back to the live row."""
    live, contents = live_site(size, f"{name}-v1")
    v2 = services.create_release(f"{name}-v2", based_on=live)
    draft = services.create_draft(contents[0], user=None, release=v2)
    ArticleContent._base_manager.filter(pk=draft.pk).update(title="Edited in v2")
    for index in (1, 2):
        hidden = Version.objects.get(release=v2, object_id=contents[index].pk)
        hidden.active = False
        hidden.save()
    with use_release(v2):
        ArticleContentFactory()
    services.approve_release(v2)
    services.lock_release(v2)
    v3 = services.create_release(f"{name}-v3", based_on=v2)
    draft = services.create_draft(contents[3], user=None, release=v3)
    ArticleContent._base_manager.filter(pk=draft.pk).update(title="Edited in v3")
    shown = Version.objects.get(release=v3, object_id=contents[1].pk)
    shown.active = True  # as live again
    shown.save()
    services.approve_release(v3)
    return live, Release.objects.get(pk=v3.pk)


def described(changes) -> list[tuple]:
    return [
        (c.kind, c.grouping_key, c.old.object_id if c.old else None, c.new.object_id if c.new else None)
        for c in changes
    ]


def test_a_release_two_steps_from_the_live_one_is_compared_through_the_changes_on_the_way():
    """The lock guard (and a deploy) read the rows v2 and v3 changed, not the releases."""
    from djangocms_release_versioning.manifest import _changes_by_comparison, compute_manifest

    work = []
    for size, name in ((20, "small"), (200, "large")):
        live, v3 = chain_two_steps_from_live(size, name)
        fast = described(compute_manifest(live, v3).changes)
        assert fast == described(_changes_by_comparison(live, v3))
        assert sorted(kind for kind, *_ in fast) == ["added", "changed", "changed", "removed"]
        work.append(lock_work(v3))
        assert services.verify_release(v3) == []
    assert_flat(*work)
