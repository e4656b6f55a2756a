"""Concurrency on PostgreSQL and MariaDB/MySQL: real threads, each with its own connection.

DESIGN §8 "Concurrency": a double "Edit" gives one draft; edits racing a lock never land
after the lock commits; two deploys racing are serialised and both recorded. Where a race
can be made deterministic, one thread holds its transaction open at a known point and the
test watches the server until the other thread is waiting for a row lock:
``pg_stat_activity`` on PostgreSQL, ``SHOW ENGINE INNODB STATUS`` on MariaDB/MySQL
(which needs the PROCESS privilege). Lock waits are bounded by ``TIMEOUT`` (``lock_timeout``,
``innodb_lock_wait_timeout``). SQLite serialises writers itself: these tests are skipped there.

The helpers of the first section are shared with other test modules (import them from here).
"""

from __future__ import annotations

import re
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection, connections, transaction
from django.db.models.signals import pre_save

from djangocms_release_versioning import registry, services
from djangocms_release_versioning.constants import APPROVED, DRAFT
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.fingerprint import release_fingerprint
from djangocms_release_versioning.models import Deployment, LiveRelease, Release, Version
from djangocms_release_versioning.services import content as content_service
from djangocms_release_versioning.signals import release_deployed
from tests.factories import ArticleContentFactory
from tests.testapp.cms_config import HOOK_CALLS
from tests.testapp.models import ArticleContent

#: Database vendors whose row locks these tests exercise (``connection.vendor``).
ROW_LOCK_VENDORS = ("postgresql", "mysql")

#: Skips a test unless the database takes row locks and serves concurrent connections.
needs_row_locks = pytest.mark.skipif(
    connection.vendor not in ROW_LOCK_VENDORS,
    reason="needs PostgreSQL or MariaDB/MySQL: row locks and concurrent connections",
)

pytestmark = [pytest.mark.row_locks, needs_row_locks, pytest.mark.django_db(transaction=True)]

#: Seconds any thread waits for an event, a barrier or a row lock before giving up.
TIMEOUT = 20


# -- threads ----------------------------------------------------------------------------


class Worker(threading.Thread):
    """Run ``target`` in a thread with its own connection; keep its result or exception."""

    def __init__(self, target: Callable[[], Any], name: str) -> None:
        super().__init__(name=name, daemon=True)
        self.target = target
        self.result: Any = None
        self.error: BaseException | None = None
        self.backend_pid: int | None = None
        self.finished_at: float | None = None
        self.connected = threading.Event()

    def run(self) -> None:
        try:
            self.backend_pid = _prepare_session()
            self.connected.set()
            self.result = self.target()
        except BaseException as exc:
            self.error = exc
        finally:
            self.finished_at = time.monotonic()
            self.connected.set()
            connections.close_all()

    def finish(self) -> Worker:
        """Wait for the thread; fail the test if it hangs."""
        self.join(TIMEOUT * 2)
        assert not self.is_alive(), f"{self.name} did not finish"
        return self


def start(target: Callable[[], Any], name: str) -> Worker:
    worker = Worker(target, name)
    worker.start()
    assert worker.connected.wait(TIMEOUT), f"{name} did not connect"
    return worker


def _prepare_session() -> int:
    """Bound this thread's lock waits by ``TIMEOUT``; return its connection's id on the server."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"SET lock_timeout = '{TIMEOUT}s'")
            cursor.execute("SELECT pg_backend_pid()")
        else:
            cursor.execute(
                f"SET SESSION innodb_lock_wait_timeout = {TIMEOUT}, SESSION lock_wait_timeout = {TIMEOUT}"
            )
            cursor.execute("SELECT CONNECTION_ID()")
        return cursor.fetchone()[0]


def is_waiting_for_lock(backend_pid: int) -> bool:
    """Whether the server connection ``backend_pid`` is waiting for a lock right now.

    MariaDB/MySQL: InnoDB's own report of its transactions (``SHOW ENGINE INNODB STATUS``).
    ``information_schema.INNODB_TRX`` is not enough: MariaDB 10.11 leaves out a transaction
    whose first statement waits (e.g. ``SELECT … FOR UPDATE`` by primary key).
    """
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT wait_event_type = 'Lock' FROM pg_stat_activity WHERE pid = %s", [backend_pid]
            )
            row = cursor.fetchone()
            return bool(row and row[0])
        cursor.execute("SHOW ENGINE INNODB STATUS")
        status = cursor.fetchone()[2]
    thread = re.compile(rf"\b(?:MariaDB|MySQL) thread id {int(backend_pid)},")
    return any("LOCK WAIT" in trx and thread.search(trx) for trx in status.split("\n---TRANSACTION"))


def waits_for_lock(worker: Worker) -> bool:
    """Return True once ``worker`` waits for a lock, False if it finishes without waiting."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        if not worker.is_alive():
            return False
        if is_waiting_for_lock(worker.backend_pid):
            return True
        time.sleep(0.01)
    frame = sys._current_frames().get(worker.ident)
    where = "".join(traceback.format_stack(frame)[-8:]) if frame else "(finished meanwhile)\n"
    raise AssertionError(f"{worker.name} neither finished nor waited for a lock; it is at:\n{where}")


def run_together(*targets: Callable[[], Any]) -> list[Worker]:
    """Run ``targets`` in threads released at the same instant by a barrier."""
    barrier = threading.Barrier(len(targets), timeout=TIMEOUT)

    def synchronised(target: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            barrier.wait()
            return target()

        return run

    workers = [start(synchronised(target), f"racer-{i}") for i, target in enumerate(targets)]
    return [worker.finish() for worker in workers]


@contextmanager
def slowed(owner: Any, name: str, seconds: float = 0.3) -> Iterator[None]:
    """Make ``owner.name`` sleep after doing its work, widening the race window."""
    original = getattr(owner, name)

    def slow(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        time.sleep(seconds)
        return result

    with mock.patch.object(owner, name, slow):
        yield


# -- double "Edit" ----------------------------------------------------------------------


ROUNDS = 4


@dataclass
class EditCase:
    """Content of one grouping and the release in which two editors click "Edit" together."""

    content: ArticleContent
    release: Release


def _shared_cases() -> list[EditCase]:
    """Approved content of a locked release, shared with the open release branched from it."""
    r1 = services.create_release("v1")
    with use_release(r1):
        contents = [ArticleContentFactory() for _ in range(ROUNDS)]
    services.approve_release(r1)
    services.lock_release(r1)
    r2 = services.create_release("v2", based_on=r1)
    return [EditCase(content, r2) for content in contents]


def _approved_cases() -> list[EditCase]:
    """Approved content referenced by one open release only."""
    r1 = services.create_release("v1")
    with use_release(r1):
        contents = [ArticleContentFactory() for _ in range(ROUNDS)]
    services.approve_release(r1)
    return [EditCase(content, r1) for content in contents]


def _missing_cases() -> list[EditCase]:
    """Content of a locked release; the open release (not branched) has no Version for it."""
    r1 = services.create_release("v1")
    with use_release(r1):
        contents = [ArticleContentFactory() for _ in range(ROUNDS)]
    services.approve_release(r1)
    services.lock_release(r1)
    r2 = services.create_release("v2")
    return [EditCase(content, r2) for content in contents]


EDIT_CASES = {"shared": _shared_cases, "approved": _approved_cases, "missing": _missing_cases}


@pytest.mark.parametrize("case", list(EDIT_CASES))
def test_double_edit_makes_one_copy(case: str) -> None:
    cases = EDIT_CASES[case]()
    item = registry.for_model(ArticleContent)
    for edit in cases:
        HOOK_CALLS.clear()
        with slowed(item, "copy_function"):
            workers = run_together(
                *[lambda e=edit: services.create_draft(e.content, user=None, release=e.release)] * 2
            )
        assert [w.error for w in workers] == [None, None]
        first, second = (w.result for w in workers)
        assert first.pk == second.pk
        _assert_one_copy(edit, first)


def _assert_one_copy(edit: EditCase, draft: ArticleContent) -> None:
    rows = ArticleContent._base_manager.filter(article=edit.content.article_id, language="en")
    version = services.get_version(edit.content, edit.release)
    assert version.object_id == draft.pk
    assert version.status == DRAFT
    assert draft.pk != edit.content.pk
    still_referenced = Version.objects.filter(object_id=edit.content.pk, content_type=version.content_type)
    assert rows.count() == 1 + still_referenced.exists()
    assert [name for name, _ in HOOK_CALLS] == ["draft_create"]


# -- deploy racing deploy ---------------------------------------------------------------


def _locked_release(version: str) -> Release:
    """A locked release with one approved article titled after the release.

    Each replaces the site of the one before (confirming that its article goes offline).
    """
    release = services.create_release(version)
    with use_release(release):
        ArticleContentFactory(title=f"article of {version}")
    services.approve_release(release)
    return services.lock_release(release, allow_offline=True)


def _deploy(release: Release) -> None:
    services.deploy_release(release, allow_offline=True, allow_revert=True)


@contextmanager
def deploy_intervals() -> Iterator[list[tuple[str, float, float]]]:
    """Record (release, start, end) of every deploy's signal, holding the pointer lock a while."""
    intervals: list[tuple[str, float, float]] = []

    def receiver(release: Release, **kwargs: Any) -> None:
        began = time.monotonic()
        time.sleep(0.3)
        intervals.append((release.version, began, time.monotonic()))

    release_deployed.connect(receiver, dispatch_uid="test_concurrency_deploys", weak=False)
    try:
        yield intervals
    finally:
        release_deployed.disconnect(dispatch_uid="test_concurrency_deploys")


@pytest.mark.parametrize("already_live", [True, False], ids=["over a live release", "first deploy"])
def test_racing_deploys_are_serialised_and_both_recorded(already_live: bool) -> None:
    initial = _locked_release("v0") if already_live else None
    if initial is not None:
        _deploy(initial)
    first, second = _locked_release("va"), _locked_release("vb")
    with deploy_intervals() as intervals:
        workers = run_together(lambda: _deploy(first), lambda: _deploy(second))
    assert [w.error for w in workers] == [None, None]
    (early, _, early_end), (late, late_start, _) = sorted(intervals, key=lambda i: i[1])
    assert early_end <= late_start, "the two deploys overlapped"
    deployments = list(Deployment.objects.exclude(release=initial).order_by("pk"))
    assert [d.release.version for d in deployments] == [early, late]
    assert deployments[0].previous == initial
    assert deployments[1].previous == deployments[0].release, "the later deploy did not see the earlier one"
    assert LiveRelease.objects.get().release.version == late
    assert list(ArticleContent.objects.values_list("title", flat=True)) == [f"article of {late}"]


def test_racing_deploys_of_one_release_record_one_deployment() -> None:
    release = _locked_release("v1")
    workers = run_together(*[lambda: services.deploy_release(release)] * 2)
    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert errors[0].code == "already_live"
    assert Deployment.objects.filter(release=release).count() == 1
    assert Release.objects.live() == release


# -- edits racing a lock ----------------------------------------------------------------


@dataclass
class OpenRelease:
    """An open release with a draft article and an approved one."""

    release: Release
    draft: ArticleContent
    approved: ArticleContent

    def titles(self) -> list[str]:
        return sorted(ArticleContent._base_manager.values_list("title", flat=True))


@pytest.fixture
def open_release() -> OpenRelease:
    release = services.create_release("v1")
    with use_release(release):
        draft = ArticleContentFactory(title="draft")
        approved = ArticleContentFactory(title="approved")
    services.transition(approved, "approve", release=release)
    return OpenRelease(release, draft, approved)


def _save_draft(site: OpenRelease) -> None:
    content = ArticleContent._base_manager.get(pk=site.draft.pk)
    content.title = "edited"
    content.save()


def _add_plugin(site: OpenRelease) -> None:
    from cms.api import add_plugin

    placeholder = site.draft.placeholders.get_or_create(slot="content")[0]
    add_plugin(placeholder, "TextPlugin", "en", body="edited")


def _create_draft(site: OpenRelease) -> None:
    services.create_draft(site.approved, user=None, release=site.release)


def _approve_one(site: OpenRelease) -> None:
    services.transition(site.draft, "approve", release=site.release)


def _approve_all(site: OpenRelease) -> None:
    services.approve_release(site.release)


def _add_content(site: OpenRelease) -> None:
    with use_release(site.release):
        ArticleContentFactory(title="added")


EDITS: dict[str, Callable[[OpenRelease], None]] = {
    "save draft content": _save_draft,
    "add a plugin": _add_plugin,
    "create_draft": _create_draft,
    "approve one": _approve_one,
    "approve_release": _approve_all,
    "add content": _add_content,
}


def _in_transaction(
    edit: Callable[[], None], done: threading.Event, proceed: threading.Event
) -> Callable[[], float]:
    """Run ``edit`` in a transaction that stays open, holding its locks, until ``proceed``."""

    def run() -> float:
        with transaction.atomic():
            edit()
            done.set()
            assert proceed.wait(TIMEOUT), "never told to commit"
        return time.monotonic()

    return run


def _atomically(edit: Callable[[], None]) -> None:
    with transaction.atomic():
        edit()


@pytest.mark.parametrize("edit", list(EDITS))
def test_edit_before_lock_is_in_the_fingerprint(edit: str, open_release: OpenRelease) -> None:
    """The edit's transaction is open when lock_release starts: the lock waits for it."""
    site = open_release
    before = release_fingerprint(site.release)
    edited, proceed = threading.Event(), threading.Event()
    editor = start(_in_transaction(lambda: EDITS[edit](site), edited, proceed), "editor")
    try:
        assert edited.wait(TIMEOUT), editor.error
        locker = start(lambda: services.lock_release(site.release.version), "locker")
        lock_waited = waits_for_lock(locker)
    finally:
        proceed.set()
    editor.finish()
    locker.finish()
    assert (editor.error, locker.error) == (None, None)
    assert lock_waited, "lock_release did not wait for the open edit"
    assert editor.result < locker.finished_at
    locked = Release.objects.get(pk=site.release.pk)
    assert locked.fingerprint != before, "the fingerprint does not include the edit"
    assert services.verify_release(locked) == []


@pytest.mark.parametrize("edit", list(EDITS))
def test_edit_after_lock_is_refused(edit: str, open_release: OpenRelease) -> None:
    """lock_release's transaction is open when the edit starts: the edit waits, then is refused."""
    site = open_release
    locked, proceed = threading.Event(), threading.Event()
    locker = start(
        _in_transaction(lambda: services.lock_release(site.release.version), locked, proceed), "locker"
    )
    try:
        assert locked.wait(TIMEOUT), locker.error
        versions_before, titles_before = Version.objects.count(), site.titles()
        editor = start(lambda: _atomically(lambda: EDITS[edit](site)), "editor")
        edit_waited = waits_for_lock(editor)
    finally:
        proceed.set()
    locker.finish()
    editor.finish()
    assert locker.error is None
    assert isinstance(editor.error, ValidationError), editor.error
    assert editor.error.code == "release_locked"
    assert edit_waited, "the edit did not wait for the lock"
    assert (Version.objects.count(), site.titles()) == (versions_before, titles_before)
    assert services.verify_release(site.release.version) == []


@contextmanager
def pause_after_guard(thread_name: str, paused: threading.Event, proceed: threading.Event) -> Iterator[None]:
    """Hold ArticleContent saves of ``thread_name`` after the package's guard, before the UPDATE."""

    def receiver(sender: type, instance: Any, **kwargs: Any) -> None:
        if threading.current_thread().name == thread_name:
            paused.set()
            proceed.wait(TIMEOUT)

    pre_save.connect(receiver, sender=ArticleContent, dispatch_uid="test_concurrency_pause", weak=False)
    try:
        yield
    finally:
        pre_save.disconnect(sender=ArticleContent, dispatch_uid="test_concurrency_pause")


def test_autocommit_save_racing_a_lock_does_not_land(open_release: OpenRelease) -> None:
    """A plain ``save()`` outside ``atomic()`` (a shell, a script) passes the lock guard, then
    lock_release commits before its UPDATE runs: the edit must still not land."""
    site = open_release
    paused, proceed = threading.Event(), threading.Event()
    with pause_after_guard("editor", paused, proceed):
        editor = start(lambda: _save_draft(site), "editor")
        try:
            assert paused.wait(TIMEOUT), editor.error
            locker = start(lambda: services.lock_release(site.release.version), "locker")
            waits_for_lock(locker)
        finally:
            proceed.set()
        editor.finish()
        locker.finish()
    assert locker.error is None
    assert services.verify_release(site.release.version) == [], "an edit landed after the lock committed"


def test_racing_approvals_of_one_row_approve_once(open_release: OpenRelease) -> None:
    """Two approvals of the same row at once: one succeeds, the other is told it is approved
    (a ValidationError, not a database deadlock)."""
    site = open_release
    with slowed(content_service, "locked_release_ids"):
        workers = run_together(*[lambda: _approve_one(site)] * 2)
    errors = [w.error for w in workers if w.error is not None]
    assert len(errors) == 1
    assert isinstance(errors[0], ValidationError)
    assert services.get_version(site.draft, site.release).status == APPROVED


def test_racing_transitions_on_two_rows_both_succeed(open_release: OpenRelease) -> None:
    """Two editors change the status of two different rows of one release at once.

    Both pass the release-lock check (a shared row lock on the release) before either
    locks its Version row; neither may need more than that shared lock on the release.
    """
    site = open_release
    second = ArticleContent._base_manager.get(pk=site.approved.pk)
    services.transition(second, "deactivate", release=site.release)
    with slowed(content_service, "locked_release_ids"):
        workers = run_together(
            lambda: services.transition(site.draft, "mark_future", release=site.release),
            lambda: services.transition(second, "reactivate", release=site.release),
        )
    assert [w.error for w in workers] == [None, None]
    assert services.get_version(site.draft, site.release).status == "future"
    assert services.get_version(second, site.release).active
