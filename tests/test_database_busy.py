"""A deploy that cannot get the database's write lock in time is refused, never a 500.

On PostgreSQL and MariaDB another connection holds the live pointer row ``FOR UPDATE``
while the deploy's ``lock_timeout`` / ``innodb_lock_wait_timeout`` is short. SQLite's own
error (two writers on a database file) is checked on its own: the test database lives in
memory.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import OperationalError, connection, transaction
from django.db.utils import DatabaseErrorWrapper

from djangocms_release_versioning import services
from djangocms_release_versioning.models import LIVE_POINTER_PK, Deployment, LiveRelease, Release
from djangocms_release_versioning.services import deploy as deploy_module
from djangocms_release_versioning.services._busy import DEADLOCK_RETRIES, is_busy_error
from tests.helpers import live_release

pytestmark = pytest.mark.django_db(transaction=True)


def test_sqlite_lock_error_is_a_refusal(tmp_path):
    """SQLite's real ``database is locked``, raised through Django's error wrapper."""
    from djangocms_release_versioning.services._busy import refuse_when_busy

    path = str(tmp_path / "busy.sqlite3")
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("CREATE TABLE t (x)")
    holder.execute("BEGIN IMMEDIATE")
    waiter = sqlite3.connect(path, timeout=0, isolation_level=None)

    sqlite_backend = SimpleNamespace(Database=sqlite3.dbapi2, errors_occurred=False)

    @refuse_when_busy("deploy")
    def write() -> None:
        with DatabaseErrorWrapper(sqlite_backend):  # what Django's SQLite backend does
            waiter.execute("BEGIN IMMEDIATE")

    try:
        with pytest.raises(ValidationError) as refusal:
            write()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
        waiter.close()
    assert refusal.value.code == "database_busy"
    assert "database is locked" in refusal.value.messages[0]


@contextmanager
def write_lock_held_elsewhere() -> Iterator[None]:
    """Another connection holds the write lock the deploy needs, until the block ends."""
    if connection.vendor == "postgresql":
        import psycopg

        settings = connection.settings_dict
        other = psycopg.connect(
            dbname=settings["NAME"], user=settings["USER"], host=settings["HOST"], port=settings["PORT"]
        )
        other.execute(
            "SELECT 1 FROM djangocms_release_versioning_liverelease WHERE id = %s FOR UPDATE",
            [LIVE_POINTER_PK],
        )
        with connection.cursor() as cursor:
            cursor.execute("SET lock_timeout = '200ms'")
        try:
            yield
        finally:
            other.rollback()
            other.close()
            with connection.cursor() as cursor:
                cursor.execute("RESET lock_timeout")
    elif connection.vendor == "mysql":
        import MySQLdb

        settings = connection.settings_dict
        other = MySQLdb.connect(
            database=settings["NAME"],
            user=settings["USER"],
            password=settings["PASSWORD"],
            host=settings["HOST"],
            port=int(settings["PORT"]),
        )
        other.cursor().execute(
            "SELECT 1 FROM djangocms_release_versioning_liverelease WHERE id = %s FOR UPDATE",
            [LIVE_POINTER_PK],
        )
        with connection.cursor() as cursor:
            cursor.execute("SET SESSION innodb_lock_wait_timeout = 1")  # seconds, the minimum
        try:
            yield
        finally:
            other.rollback()
            other.close()
            with connection.cursor() as cursor:
                cursor.execute("SET SESSION innodb_lock_wait_timeout = DEFAULT")
    else:
        pytest.skip(f"no lock set-up for {connection.vendor} (see test_sqlite_lock_error_is_a_refusal)")


@pytest.fixture
def v2():
    v1, (content,) = live_release({"title": "One"})
    v2 = services.create_release("v2", based_on=v1)
    draft = services.create_draft(content, user=None, release=v2)
    draft.title = "Two"
    draft.save()
    services.approve_release(v2)
    services.lock_release(v2)
    return v2


def test_a_deploy_that_times_out_on_a_lock_is_refused_and_changes_nothing(v2):
    with write_lock_held_elsewhere(), pytest.raises(ValidationError) as refusal:
        services.deploy_release(v2)
    assert refusal.value.code == "database_busy"
    assert "Nothing was changed" in refusal.value.messages[0]
    assert is_busy_error(refusal.value.__cause__)
    assert Release.objects.live().version == "v1"
    services.deploy_release(v2)  # once the lock is gone the deploy goes through
    assert Release.objects.live().version == "v2"


def test_the_callers_transaction_stays_usable(v2):
    with transaction.atomic():
        with write_lock_held_elsewhere(), pytest.raises(ValidationError):
            services.deploy_release(v2)
        assert LiveRelease.objects.get(pk=LIVE_POINTER_PK).release.version == "v1"
    assert Release.objects.live().version == "v1"


def test_the_command_says_what_to_do(v2):
    with write_lock_held_elsewhere(), pytest.raises(CommandError, match="try again in a moment"):
        call_command("deploy_release", release_version="v2")
    assert Release.objects.live().version == "v1"


def _demo_settings(tmp_path, monkeypatch):
    import importlib.util
    from pathlib import Path

    monkeypatch.setenv("DEMO_DATA_DIR", str(tmp_path))
    path = Path(__file__).resolve().parent.parent / "demo" / "settings.py"
    spec = importlib.util.spec_from_file_location("demo_settings_under_test", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_demo_sqlite_waits_for_a_writer_instead_of_failing(tmp_path, monkeypatch):
    """The demo's SQLite options (WAL, IMMEDIATE transactions, busy timeout): a transaction
    that reads, then writes while another process writes, waits instead of failing.

    With SQLite's default DEFERRED transactions the other writer commits in between and the
    first one's write fails at once with "database is locked" (a stale read snapshot cannot
    be upgraded; the busy timeout does not help) — what visitors' writes did to deploys.
    """
    import threading
    import time

    from django.db.backends.sqlite3.base import DatabaseWrapper

    demo = _demo_settings(tmp_path, monkeypatch)
    settings_dict = {**connection.settings_dict, **demo.DATABASES["default"]}
    settings_dict["TEST"] = {}

    def wrapper() -> DatabaseWrapper:
        database = DatabaseWrapper(settings_dict, alias="demo")
        database.ensure_connection()
        return database

    deployer = wrapper()
    assert deployer.connection.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    deployer.connection.execute("CREATE TABLE t (x)")
    errors = []

    def visitor() -> None:  # another process writing (e.g. a lazily created placeholder)
        database = wrapper()
        try:
            database._start_transaction_under_autocommit()
            database.connection.execute("INSERT INTO t VALUES ('visitor')")
            database.connection.execute("COMMIT")
        except Exception as error:  # pragma: no cover - what the test guards against
            errors.append(error)
        finally:
            database.close()

    deployer._start_transaction_under_autocommit()
    assert deployer.connection.execute("SELECT count(*) FROM t").fetchone()[0] == 0
    thread = threading.Thread(target=visitor)
    thread.start()
    time.sleep(0.3)  # the visitor writes now (DEFERRED) or waits for the deployer (IMMEDIATE)
    deployer.connection.execute("INSERT INTO t VALUES ('deployer')")
    deployer.connection.execute("COMMIT")
    thread.join(timeout=30)
    assert errors == []
    assert sorted(row[0] for row in deployer.connection.execute("SELECT x FROM t")) == ["deployer", "visitor"]
    deployer.close()


def test_demo_uses_a_cache_its_command_line_deploys_reach(tmp_path, monkeypatch):
    from djangocms_release_versioning.checks import PER_PROCESS_CACHES

    demo = _demo_settings(tmp_path, monkeypatch)
    assert demo.CACHES["default"]["BACKEND"] not in PER_PROCESS_CACHES
    assert demo.CACHES["default"]["BACKEND"] != "django.core.cache.backends.dummy.DummyCache"


def test_the_admin_shows_a_message_not_a_500(v2, client):
    from tests.test_toolbar_support import make_user, messages_of, release_url

    client.force_login(make_user("boss", superuser=True))
    with write_lock_held_elsewhere():
        response = client.post(release_url("deploy", v2), {"next": "/admin/"})
    assert response.status_code == 302
    assert any("try again in a moment" in message for message in messages_of(response))
    assert Release.objects.live().version == "v1"


# -- deadlocks --------------------------------------------------------------------------


def _deadlock() -> OperationalError:
    """What Django raises when the database broke a deadlock by rolling this transaction
    back (MySQL/MariaDB error 1213 as the driver's exception, wrapped by Django)."""
    cause = Exception(1213, "Deadlock found when trying to get lock; try restarting transaction")
    error = OperationalError(*cause.args)
    error.__cause__ = cause
    return error


@contextmanager
def deadlocks_after_switching(times: int) -> Iterator[list[int]]:
    """The deploy's first ``times`` runs write the pointer switch and Deployment, then are
    chosen as a deadlock victim; yields the list of runs."""
    real_switch = deploy_module._switch
    runs: list[int] = []

    def switch(*args, **kwargs):
        manifest = real_switch(*args, **kwargs)
        runs.append(len(runs) + 1)
        if len(runs) <= times:
            raise _deadlock()
        return manifest

    with mock.patch.object(deploy_module, "_switch", switch):
        yield runs


def test_a_deploy_chosen_as_deadlock_victim_runs_again(v2):
    with deadlocks_after_switching(1) as runs:
        manifest = services.deploy_release(v2)
    assert runs == [1, 2]
    assert Release.objects.live().version == "v2"
    assert Deployment.objects.filter(release=v2).count() == 1, "the first run was rolled back"
    assert manifest.deployment.release == v2


def test_a_deploy_that_keeps_deadlocking_is_refused_and_changes_nothing(v2):
    with deadlocks_after_switching(DEADLOCK_RETRIES + 1) as runs, pytest.raises(ValidationError) as refusal:
        services.deploy_release(v2)
    assert len(runs) == DEADLOCK_RETRIES + 1
    assert refusal.value.code == "database_busy"
    assert "Deadlock found" in refusal.value.messages[0]
    assert Release.objects.live().version == "v1"
    assert not Deployment.objects.filter(release=v2).exists()


def test_a_deadlock_inside_the_callers_transaction_is_refused_not_retried(v2):
    """The caller's transaction is the database's victim: running only the deploy again
    would leave the caller's own earlier writes lost without telling it."""
    with (
        deadlocks_after_switching(1) as runs,
        pytest.raises(ValidationError) as refusal,
        transaction.atomic(),
    ):
        services.deploy_release(v2)
    assert runs == [1]
    assert refusal.value.code == "database_busy"
    assert Release.objects.live().version == "v1"
