"""Engine benchmark: branch, approve and deploy at 1,000 and 10,000 groupings (DESIGN §8).

Run on demand, never as a test (see bench/README.md)::

    python bench/engine.py [--db sqlite|postgres|mariadb] [--sizes 1000,10000]

Per size N it builds a locked, approved release of N groupings (half SnippetContent, half
ArticleContent) with ``bulk_create`` and measures, in the same run:

* branch: ``services.create_release(..., based_on=locked)`` — time, SQL statements and the
  growth of the Version table with its indexes, per grouping;
* the baseline it replaces: copying every content row with ``copying.copy_content`` (what
  djangocms-versioning does per draft), timed on a sample and extrapolated to N;
* deploy of a release with k changed groupings over a live release of N groupings, its
  phases, the rollback, and the pointer switch alone;
* parallel releases (DESIGN §9.2): an open release with k changes of its own, branched from
  the live release before another release with k other changes went live — the
  ``would_revert`` check of what the live line changed (``lineage.divergence``) and
  ``rebase_release`` taking those k groupings.

Once per run: ``approve_release`` of 50,000 draft rows. The database is a file SQLite DB in
a temporary directory or the PostgreSQL / MariaDB database ``release_versioning_bench``; each
is created for the run and removed afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from django.db import models

    from djangocms_release_versioning.models import Release

ROOT = Path(__file__).resolve().parent.parent
PG_DATABASE = os.environ.get("BENCH_PG_DATABASE", "release_versioning_bench")
BATCH = 2000
PLUGINS_PER_PAGE = 3
DEPLOY_PHASES = ("compute_manifest", "_switch_pointer", "_record_deployment", "_run_hooks")

# DESIGN §8 bars.
BRANCH_SECONDS_BAR = 1.0
BYTES_PER_GROUPING_BAR = 200
COPY_RATIO_BAR = 100
APPROVE_SECONDS_BAR = 1.0

BARE_ROW = "bare row (SnippetContent, no placeholders)"
PAGE_LIKE = f"page-like row (ArticleContent, 1 placeholder, {PLUGINS_PER_PAGE} text plugins)"


# -- measuring ---------------------------------------------------------------------------


@dataclass
class Sample:
    """One timed call: wall time, the SQL it ran and what it returned."""

    seconds: float
    statements: list[str]
    result: Any = None
    #: Rows the storage engine read (MariaDB's ``Handler_read_*`` counters), else None.
    rows_read: int | None = None

    @property
    def queries(self) -> int:
        return len(self.statements)

    def writes_to(self, table: str) -> int:
        """Number of INSERT / UPDATE / DELETE statements on ``table``."""
        verbs = ("INSERT", "UPDATE", "DELETE")
        return sum(1 for sql in self.statements if sql.lstrip().upper().startswith(verbs) and table in sql)


def measure(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Sample:
    """Call ``fn`` once, timing it and capturing its SQL."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    before = handler_reads()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        result = fn(*args, **kwargs)
        elapsed = time.perf_counter() - start
    after = handler_reads()
    rows_read = None if before is None else after - before
    return Sample(elapsed, [q["sql"] for q in captured.captured_queries], result, rows_read)


def handler_reads() -> int | None:
    """MariaDB/MySQL: rows read by this session so far (sum of ``Handler_read_*``), a count
    that, unlike time, does not depend on the machine's load. None on other databases."""
    from django.db import connection

    if connection.vendor != "mysql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SHOW SESSION STATUS LIKE 'Handler_read%'")
        return sum(int(value) for _, value in cursor.fetchall())


def median_sample(samples: list[Sample]) -> Sample:
    """The sample with the median time (the upper one for an even count)."""
    return sorted(samples, key=lambda s: s.seconds)[len(samples) // 2]


@contextlib.contextmanager
def deploy_phase_timers() -> Iterator[dict[str, float]]:
    """Time the internal steps of ``deploy_release`` by wrapping them for the duration."""
    from djangocms_release_versioning.services import deploy as services  # where deploy looks them up

    timings: dict[str, float] = {}
    originals = {name: getattr(services, name) for name in DEPLOY_PHASES}

    def wrap(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                timings[name] = timings.get(name, 0.0) + time.perf_counter() - start

        return timed

    for name, fn in originals.items():
        setattr(services, name, wrap(name, fn))
    try:
        yield timings
    finally:
        for name, fn in originals.items():
            setattr(services, name, fn)


def version_storage() -> tuple[dict[str, int], str]:
    """Bytes used by the Version table and each of its indexes, and how they were measured."""
    from django.db import OperationalError, connection

    from djangocms_release_versioning.models import Version

    table = Version._meta.db_table
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT %s, pg_table_size(%s::regclass) UNION ALL "
                "SELECT indexrelid::regclass::text, pg_relation_size(indexrelid) "
                "FROM pg_index WHERE indrelid = %s::regclass",
                [table, table, table],
            )
            return dict(cursor.fetchall()), "pg_total_relation_size = pg_table_size + indexes"
        if connection.vendor == "mysql":
            cursor.execute(f"ANALYZE TABLE {connection.ops.quote_name(table)}")
            cursor.fetchall()
            cursor.execute(
                "SELECT index_name, stat_value * @@innodb_page_size FROM mysql.innodb_index_stats "
                "WHERE database_name = DATABASE() AND table_name = %s AND stat_name = 'size'",
                [table],
            )
            return dict(cursor.fetchall()), "InnoDB pages per index (clustered PRIMARY = table)"
        try:
            cursor.execute(
                "SELECT name, SUM(pgsize) FROM dbstat "
                "WHERE name IN (SELECT name FROM sqlite_master WHERE tbl_name = %s) GROUP BY name",
                [table],
            )
            return dict(cursor.fetchall()), "dbstat pages"
        except OperationalError:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            return {"whole file": pages * cursor.fetchone()[0]}, "page_count*page_size"


def growth_per_grouping(before: dict[str, int], after: dict[str, int], size: int) -> dict[str, float]:
    """Bytes added per grouping, per relation (table and indexes)."""
    return {name: (after[name] - before.get(name, 0)) / size for name in after}


def analyze() -> None:
    """Bring the database to a steady state after bulk loads, as autovacuum would on a site.

    PostgreSQL: ``VACUUM ANALYZE`` (statistics, visibility map, no pending autovacuum work
    racing the next measurement); MariaDB: ``ANALYZE TABLE`` of every table; SQLite: ``ANALYZE``.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "mysql":
            tables = ", ".join(connection.ops.quote_name(t) for t in connection.introspection.table_names())
            cursor.execute(f"ANALYZE TABLE {tables}")
            cursor.fetchall()
            return
        cursor.execute("VACUUM ANALYZE" if connection.vendor == "postgresql" else "ANALYZE")


# -- fixture (bulk, not the API) -----------------------------------------------------------


def bulk_snippets(count: int, prefix: str) -> list[models.Model]:
    """``count`` Snippet groupers, each with one SnippetContent row."""
    from tests.testapp.models import Snippet, SnippetContent

    groupers = Snippet.objects.bulk_create(
        [Snippet(name=f"{prefix}-s{i}") for i in range(count)], batch_size=BATCH
    )
    return SnippetContent._original_manager.bulk_create(
        [SnippetContent(snippet=g, text=f"snippet {i}") for i, g in enumerate(groupers)], batch_size=BATCH
    )


def bulk_articles(count: int, prefix: str) -> list[models.Model]:
    """``count`` Article groupers, each with one English ArticleContent row."""
    from tests.testapp.models import Article, ArticleContent

    groupers = Article.objects.bulk_create(
        [Article(slug=f"{prefix}-a{i}") for i in range(count)], batch_size=BATCH
    )
    return ArticleContent._original_manager.bulk_create(
        [
            ArticleContent(article=g, language="en", title=f"Article {i}", body="body " * 20)
            for i, g in enumerate(groupers)
        ],
        batch_size=BATCH,
    )


def add_page_plugins(contents: list[models.Model]) -> None:
    """Give each content row a placeholder with a few text plugins, like a small page."""
    from cms.api import add_plugin
    from cms.models import Placeholder

    for content in contents:
        placeholder = Placeholder.objects.create(slot="content", source=content)
        for position in range(PLUGINS_PER_PAGE):
            add_plugin(placeholder, "TextPlugin", "en", body=f"<p>Paragraph {position} " + "text " * 30)


def bulk_versions(release: Release, contents: list[models.Model], status: str, active: bool = True) -> None:
    """One Version of ``release`` per content row, written with ``bulk_create``."""
    from djangocms_release_versioning import registry
    from djangocms_release_versioning.models import Version

    item = registry.for_content(contents[0])
    Version.objects.bulk_create(
        [
            Version(
                release=release,
                content_type=item.content_type,
                object_id=content.pk,
                grouping_key=item.grouping_key(content),
                status=status,
                active=active,
            )
            for content in contents
        ],
        batch_size=BATCH,
    )


def mark_locked(release: Release) -> None:
    """Lock ``release`` directly (the fixture skips the fingerprinting of lock_release)."""
    from django.utils import timezone

    from djangocms_release_versioning.models import Release

    Release.objects.filter(pk=release.pk).update(is_locked=True, locked_at=timezone.now())
    release.refresh_from_db()


@dataclass
class Fixture:
    """A locked release of N approved groupings and the content samples to copy."""

    release: Release
    bare_sample: list[models.Model]
    page_sample: list[models.Model]


def build_fixture(size: int, sample: int) -> Fixture:
    """A locked release ``base-N``: N/2 snippets, N/2 articles, ``sample`` articles with plugins."""
    from djangocms_release_versioning.constants import APPROVED
    from djangocms_release_versioning.models import Release

    release = Release.objects.create(version=f"base-{size}")
    snippets = bulk_snippets(size - size // 2, f"n{size}")
    articles = bulk_articles(size // 2, f"n{size}")
    page_sample = articles[:sample]
    add_page_plugins(page_sample)
    bulk_versions(release, snippets, APPROVED)
    bulk_versions(release, articles, APPROVED)
    mark_locked(release)
    analyze()
    model = type(articles[0])
    fresh_pages = list(model._original_manager.filter(pk__in=[c.pk for c in page_sample]).order_by("pk"))
    return Fixture(release, snippets[:sample], fresh_pages)


def change_groupings(release: Release, count: int, offset: int = 0) -> None:
    """Point ``count`` Versions of ``release`` (spread over both models) at edited copies;
    ``offset`` shifts the pick so that two releases change different groupings."""
    from djangocms_release_versioning.models import Version

    versions = list(Version.objects.filter(release=release).order_by("pk"))
    step = max(1, len(versions) // count)
    picked = versions[offset::step][:count]
    by_type: dict[int, list[Any]] = {}
    for version in picked:
        by_type.setdefault(version.content_type_id, []).append(version)
    for group in by_type.values():
        model = group[0].content_type.model_class()
        originals = model._original_manager.in_bulk([v.object_id for v in group])
        copies = [_edited_clone(originals[v.object_id]) for v in group]
        model._original_manager.bulk_create(copies, batch_size=BATCH)
        for version, copy in zip(group, copies, strict=True):
            version.object_id = copy.pk
            version.inherited = False  # what Version.save() does for every change
        Version.objects.bulk_update(group, ["object_id", "inherited"], batch_size=500)


def _edited_clone(content: models.Model) -> models.Model:
    content.pk = None
    content._state.adding = True
    for name in ("text", "title"):
        if hasattr(content, name):
            setattr(content, name, f"{getattr(content, name)} (edited)")
    return content


def flush_database() -> None:
    """Empty every table so that each size starts from a freshly migrated state."""
    from django.contrib.contenttypes.models import ContentType
    from django.core.management import call_command

    with contextlib.redirect_stdout(io.StringIO()):
        call_command("flush", interactive=False, verbosity=0)
    ContentType.objects.clear_cache()


# -- benchmarks ------------------------------------------------------------------------------


@dataclass
class BranchResult:
    seconds: float
    queries: int
    version_writes: int
    growth: dict[str, float]
    storage_method: str
    runs: list[float] = field(default_factory=list)

    @property
    def bytes_per_grouping(self) -> float:
        return sum(self.growth.values())


def bench_branch(base: Release, size: int, repeat: int) -> BranchResult:
    """Branch ``base`` ``repeat`` times; median time and storage growth per grouping."""
    from djangocms_release_versioning import services
    from djangocms_release_versioning.models import Version

    samples, growths = [], []
    method = ""
    for run in range(repeat):
        before, method = version_storage()
        sample = measure(services.create_release, f"branch-{size}-{run}", based_on=base)
        after, _ = version_storage()
        copied = Version.objects.filter(release=sample.result).count()
        if copied != size:
            raise RuntimeError(f"branch copied {copied} Versions, expected {size}")
        samples.append(sample)
        growths.append(growth_per_grouping(before, after, size))
    middle = median_sample(samples)
    return BranchResult(
        seconds=middle.seconds,
        queries=middle.queries,
        version_writes=middle.writes_to(Version._meta.db_table),
        growth={name: statistics.median(g[name] for g in growths) for name in growths[-1]},
        storage_method=method,
        runs=[s.seconds for s in samples],
    )


@dataclass
class CopyResult:
    label: str
    seconds_per_row: float
    queries_per_row: float
    rows: int


def bench_copy(label: str, contents: list[models.Model]) -> CopyResult:
    """Copy each row with ``copy_content`` inside one transaction that is rolled back.

    One transaction for all copies and no Version rows: a conservative (cheap) baseline.
    The per-row figure is the median, so a stall of the machine does not inflate it.
    """
    from django.db import transaction

    from djangocms_release_versioning.copying import copy_content

    with transaction.atomic():
        counted = measure(copy_content, contents[0])
        times = []
        for content in contents[1:]:
            start = time.perf_counter()
            copy_content(content)
            times.append(time.perf_counter() - start)
        transaction.set_rollback(True)
    return CopyResult(label, statistics.median(times), counted.queries, len(times))


def probe_pointer_lock() -> str | None:
    """Check that ``services.deploy._lock_pointer`` runs here; if not, stand in for it and say why.

    The stand-in takes the same row lock on the pointer with ``select_for_update(of=("self",))``
    so that the deploy figures can still be measured. Returns the error, or None.
    """
    from django.db import NotSupportedError, transaction

    from djangocms_release_versioning.services import deploy as deploy_service

    try:
        with transaction.atomic():
            deploy_service._lock_pointer()
            transaction.set_rollback(True)
    except NotSupportedError as exc:
        deploy_service._lock_pointer = _lock_pointer_of_self
        return str(exc).strip()
    return None


def _lock_pointer_of_self() -> Any:
    from djangocms_release_versioning.models import LIVE_POINTER_PK, LiveRelease

    LiveRelease.objects.get_or_create(pk=LIVE_POINTER_PK)
    return (
        LiveRelease.objects.select_for_update(of=("self",)).select_related("release").get(pk=LIVE_POINTER_PK)
    )


@dataclass
class DeployResult:
    size: int
    changed: int
    label: str
    deploy: Sample
    phases: dict[str, float]
    rollback: Sample | None = None


def bench_deploy(live: Release, size: int, ks: list[int], repeat: int) -> list[DeployResult]:
    """Deploy ``live`` (everything added), then releases with k changed groupings over it."""
    from djangocms_release_versioning import services

    with deploy_phase_timers() as phases:
        first = measure(services.deploy_release, live)
    results = [DeployResult(size, size, "first deploy, all added", first, phases)]
    for k in (k for k in ks if k <= size):
        target = services.create_release(f"deploy-{size}-k{k}", based_on=live)
        change_groupings(target, k)
        mark_locked(target)
        analyze()
        results.append(_deploy_and_roll_back(live, target, size, k, repeat))
    return results


def _deploy_and_roll_back(live: Release, target: Release, size: int, k: int, repeat: int) -> DeployResult:
    from djangocms_release_versioning import services

    runs = []
    for run in range(repeat):
        with deploy_phase_timers() as phases:
            deploy = measure(services.deploy_release, target, rollback=run > 0)
        changed = sum(sum(c.values()) for c in deploy.result.counts().values())
        if changed != k:
            raise RuntimeError(f"deploy changed {changed} groupings, expected {k}")
        rollback = measure(services.deploy_release, live, rollback=True)
        runs.append(DeployResult(size, k, f"{k} changed", deploy, phases, rollback))
    runs.sort(key=lambda r: r.deploy.seconds)
    middle = runs[len(runs) // 2]
    middle.rollback = median_sample([r.rollback for r in runs if r.rollback is not None])
    return middle


def bench_pointer_switch(release: Release, repeat: int) -> Sample:
    """The live pointer switch alone, inside a transaction that is rolled back."""
    from django.db import transaction

    from djangocms_release_versioning.models import Release
    from djangocms_release_versioning.services import deploy as deploy_service

    samples = []
    for _ in range(repeat):
        with transaction.atomic():
            pointer = deploy_service._lock_pointer()
            target = Release.objects.get(pk=release.pk)
            samples.append(measure(deploy_service._switch_pointer, pointer, target))
            transaction.set_rollback(True)
    return median_sample(samples)


@dataclass
class RebaseResult:
    size: int
    changed: int
    check: Sample  # lineage.divergence: what the would_revert guard reads
    rebase: Sample
    runs: list[float] = field(default_factory=list)


def bench_rebase(base: Release, size: int, ks: list[int], repeat: int) -> list[RebaseResult]:
    """Per k: ``newer`` (k changes, branched from ``base``) goes live; an open release branched
    from ``base`` with k changes of its own (other groupings) is checked and rebased."""
    from djangocms_release_versioning import services
    from djangocms_release_versioning.lineage import divergence

    results = []
    for k in (k for k in ks if 2 * k <= size):
        newer = services.create_release(f"rebase-{size}-k{k}-live", based_on=base)
        change_groupings(newer, k)
        mark_locked(newer)
        services.deploy_release(newer)
        checks, rebases = [], []
        for run in range(repeat):
            stale = services.create_release(f"rebase-{size}-k{k}-{run}", based_on=base)
            change_groupings(stale, k, offset=1)
            analyze()
            checks.append(measure(divergence, stale, newer.pk))
            if len(checks[-1].result) != k:
                raise RuntimeError(f"{len(checks[-1].result)} groupings behind, expected {k}")
            rebases.append(measure(services.rebase_release, stale))
            report = rebases[-1].result
            if (len(report.taken), len(report.conflicts)) != (k, 0):
                raise RuntimeError(f"rebase took {len(report.taken)}, kept {len(report.conflicts)}")
        services.deploy_release(base, rollback=True)
        middle = median_sample(rebases)
        results.append(
            RebaseResult(size, k, median_sample(checks), middle, runs=[r.seconds for r in rebases])
        )
    return results


def print_rebases(results: list[RebaseResult]) -> None:
    for r in results:
        runs = ", ".join(ms(s) for s in r.runs)
        print(
            f"rebase, {r.changed:,} changed on each side: would_revert check {ms(r.check.seconds)} "
            f"({r.check.queries} st); rebase_release median {ms(r.rebase.seconds)} [{runs}] "
            f"({r.rebase.queries} st)"
        )


@dataclass
class ApproveResult:
    rows: int
    seconds: float
    queries: int
    version_updates: int
    untouched: int
    runs: list[float] = field(default_factory=list)


def bench_approve(rows: int, repeat: int) -> ApproveResult:
    """``approve_release`` of ``rows`` drafts, next to parked and hidden rows it must skip."""
    from djangocms_release_versioning import services
    from djangocms_release_versioning.constants import APPROVED, DRAFT, FUTURE
    from djangocms_release_versioning.models import Release, Version

    extra = max(1, rows // 100)
    release = Release.objects.create(version=f"approve-{rows}")
    contents = bulk_snippets(rows + 2 * extra, "approve")
    bulk_versions(release, contents[:rows], DRAFT)
    bulk_versions(release, contents[rows : rows + extra], FUTURE)
    bulk_versions(release, contents[rows + extra :], DRAFT, active=False)
    analyze()
    samples = []
    for _ in range(repeat):
        Version.objects.filter(release=release, status=APPROVED).update(status=DRAFT)
        analyze()
        sample = measure(services.approve_release, release)
        if sample.result != rows:
            raise RuntimeError(f"approve_release approved {sample.result} rows, expected {rows}")
        samples.append(sample)
    untouched = Version.objects.filter(release=release).exclude(status=APPROVED).count()
    if untouched != 2 * extra:
        raise RuntimeError(f"{untouched} parked/hidden rows left, expected {2 * extra}")
    middle = median_sample(samples)
    return ApproveResult(
        rows=rows,
        seconds=middle.seconds,
        queries=middle.queries,
        version_updates=middle.writes_to(Version._meta.db_table),
        untouched=untouched,
        runs=[s.seconds for s in samples],
    )


# -- reporting -------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:,.1f} ms"


def print_header(backend_label: str) -> None:
    import django

    print(f"# djangocms-release-versioning engine benchmark — {backend_label}")
    print(
        f"date {datetime.now(UTC):%Y-%m-%d %H:%M} UTC · {platform.platform()} · "
        f"{_cpu_model()} x {os.cpu_count()} cores · Python {platform.python_version()} · "
        f"Django {django.get_version()} · load average {os.getloadavg()[0]:.2f} at start"
    )


def _cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown CPU"


def print_branch(size: int, branch: BranchResult, copies: list[CopyResult]) -> None:
    print(f"\n## N = {size:,} groupings")
    runs = ", ".join(ms(s) for s in branch.runs)
    print(
        f"branch (create_release based_on)  median {ms(branch.seconds)} [{runs}]  "
        f"{branch.queries} statements ({branch.version_writes} write to the Version table)  "
        f"{branch.seconds / size * 1e6:.1f} µs/grouping  "
        f"+{branch.bytes_per_grouping:.0f} B/grouping"
    )
    parts = ", ".join(f"{_short(name)} {growth:.0f}" for name, growth in sorted(branch.growth.items()))
    print(f"  storage growth per grouping, B ({branch.storage_method}): {parts}")
    for copy in copies:
        total = copy.seconds_per_row * size
        print(
            f"baseline copy_content, {copy.label}: {ms(copy.seconds_per_row)}/row median "
            f"({copy.queries_per_row:.0f} statements/row, sample {copy.rows}) → {size:,} rows ≈ "
            f"{total:,.2f} s → branch is {total / branch.seconds:,.0f}x faster"
        )


def _short(relation: str) -> str:
    """``djangocms_release_versioning_version_pkey`` → ``pkey``; the table itself → ``table``."""
    from djangocms_release_versioning.models import Version

    table = Version._meta.db_table
    return "table" if relation == table else relation.removeprefix(f"{table}_")


def print_deploys(results: list[DeployResult], pointer: Sample) -> None:
    head = f"{'deploy':<26}{'time':>12}{'stmts':>7}{'per changed':>14}"
    head += "".join(f"{name.strip('_'):>20}" for name in DEPLOY_PHASES)
    head += f"{'rest, commit':>14}{'rollback':>12}"
    print(head)
    for r in results:
        line = f"{r.label:<26}{ms(r.deploy.seconds):>12}{r.deploy.queries:>7}"
        line += f"{ms(r.deploy.seconds / r.changed):>14}"
        line += "".join(f"{ms(r.phases.get(name, 0.0)):>20}" for name in DEPLOY_PHASES)
        line += f"{ms(r.deploy.seconds - sum(r.phases.values())):>14}"
        line += f"{ms(r.rollback.seconds) if r.rollback else '—':>12}"
        print(line)
    print(
        f"pointer switch alone (_switch_pointer): {pointer.seconds * 1e6:,.0f} µs, "
        f"{pointer.queries} statement(s)"
    )


def print_approve(result: ApproveResult) -> None:
    runs = ", ".join(ms(s) for s in result.runs)
    print(
        f"\n## approve_release of {result.rows:,} drafts: median {ms(result.seconds)} [{runs}]  "
        f"{result.queries} statements, {result.version_updates} UPDATE of the Version table; "
        f"{result.untouched:,} parked/hidden rows untouched"
    )


# -- database lifecycle ------------------------------------------------------------------------


def _pg_admin(sql: str) -> None:
    import psycopg

    with psycopg.connect(
        dbname="postgres",
        user=os.environ.get("POSTGRES_USER", "postgres"),
        host=os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        port=os.environ.get("POSTGRES_PORT", "5432"),
        autocommit=True,
    ) as conn:
        conn.execute(sql)


def _mysql_admin(sql: str) -> None:
    import MySQLdb

    conn = MySQLdb.connect(
        user=os.environ.get("MYSQL_USER", "root"),
        password=os.environ.get("MYSQL_PASSWORD", ""),
        host=os.environ.get("MYSQL_HOST", "127.0.0.1"),
        port=int(os.environ.get("MYSQL_PORT", "3306")),
    )
    try:
        conn.cursor().execute(sql)
    finally:
        conn.close()


@contextlib.contextmanager
def bench_database(backend: str, keep: bool) -> Iterator[str]:
    """Create the benchmark database, set up Django on it, migrate; remove it afterwards."""
    os.environ["BENCH_DB"] = backend
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    tmpdir = None
    if backend == "postgres":
        os.environ["BENCH_POSTGRES_DB"] = PG_DATABASE
        _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        _pg_admin(f"CREATE DATABASE {PG_DATABASE}")
    elif backend == "mariadb":
        os.environ["BENCH_MYSQL_DB"] = PG_DATABASE
        _mysql_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        _mysql_admin(f"CREATE DATABASE {PG_DATABASE} CHARACTER SET utf8mb4")
    else:
        tmpdir = tempfile.mkdtemp(prefix="release-versioning-bench-")
        os.environ["BENCH_SQLITE_PATH"] = os.path.join(tmpdir, "bench.sqlite3")
    try:
        _setup_django()
        yield _backend_label(backend)
    finally:
        from django.db import connections

        connections.close_all()
        if keep:
            print(f"\n(kept the database: {tmpdir or PG_DATABASE})")
        elif backend == "postgres":
            _pg_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE} WITH (FORCE)")
        elif backend == "mariadb":
            _mysql_admin(f"DROP DATABASE IF EXISTS {PG_DATABASE}")
        elif tmpdir:
            shutil.rmtree(tmpdir, ignore_errors=True)


def _setup_django() -> None:
    import django
    from django.core.management import call_command

    # djangocms-text's ready() reads the Site table (third-party, harmless here).
    warnings.filterwarnings("ignore", message="Accessing the database during app initialization")
    django.setup()
    with contextlib.redirect_stdout(io.StringIO()):
        call_command("migrate", interactive=False, verbosity=0)


def _backend_label(backend: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if backend == "postgres":
            cursor.execute("SHOW server_version")
            return f"PostgreSQL {cursor.fetchone()[0]} (database {PG_DATABASE})"
        if backend == "mariadb":
            cursor.execute("SELECT VERSION(), @@innodb_buffer_pool_size")
            version, pool = cursor.fetchone()
            return f"MariaDB {version} (database {PG_DATABASE}, innodb_buffer_pool_size={pool // 2**20} MiB)"
        cursor.execute("SELECT sqlite_version()")
        version = cursor.fetchone()[0]
        cursor.execute("PRAGMA journal_mode")
        journal = cursor.fetchone()[0]
        cursor.execute("PRAGMA synchronous")
        synchronous = cursor.fetchone()[0]
        return f"SQLite {version} (file database, journal_mode={journal}, synchronous={synchronous})"


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "mariadb"), default="sqlite")
    parser.add_argument("--sizes", default="1000,10000", help="comma-separated numbers of groupings")
    parser.add_argument("--changed", default="10,100,1000", help="k values for the deploy benchmark")
    parser.add_argument("--approve-rows", type=int, default=50_000)
    parser.add_argument("--sample", type=int, default=100, help="rows copied for the copy baseline")
    parser.add_argument("--repeat", type=int, default=5, help="runs per measurement (median kept)")
    parser.add_argument("--keep", action="store_true", help="keep the benchmark database afterwards")
    args = parser.parse_args(argv)
    args.sizes = _int_list(parser, "--sizes", args.sizes)
    args.changed = _int_list(parser, "--changed", args.changed)
    if min(args.sizes) < 4:
        parser.error("--sizes: each site needs at least 4 groupings (2 per content model)")
    if args.sample < 2 or args.repeat < 1 or args.approve_rows < 1:
        parser.error("--sample must be ≥ 2, --repeat and --approve-rows ≥ 1")
    return args


def _int_list(parser: argparse.ArgumentParser, option: str, value: str) -> list[int]:
    try:
        numbers = [int(part.replace("_", "")) for part in value.split(",") if part.strip()]
    except ValueError:
        parser.error(f"{option} takes comma-separated integers, got {value!r}")
    if not numbers or min(numbers) < 1:
        parser.error(f"{option} takes positive integers, got {value!r}")
    return numbers


@dataclass
class Bar:
    """One line of the summary: a DESIGN bar (``ok`` True/False) or a figure (``ok`` None)."""

    name: str
    measured: str
    bar: str
    ok: bool | None = None

    def __str__(self) -> str:
        verdict = "info" if self.ok is None else ("PASS" if self.ok else "FAIL")
        return f"{verdict:<5} {self.name:<52} {self.measured:>24}   {self.bar}"


@dataclass
class SizeResult:
    size: int
    branch: BranchResult
    copies: list[CopyResult]
    deploys: list[DeployResult]
    pointer: Sample
    rebases: list[RebaseResult] = field(default_factory=list)


def run_size(size: int, args: argparse.Namespace) -> SizeResult:
    """All per-size benchmarks on a freshly flushed database."""
    flush_database()
    fixture = build_fixture(size, min(args.sample + 1, size // 2))
    branch = bench_branch(fixture.release, size, args.repeat)
    copies = [
        bench_copy(BARE_ROW, fixture.bare_sample),
        bench_copy(PAGE_LIKE, fixture.page_sample),
    ]
    print_branch(size, branch, copies)
    deploys = bench_deploy(fixture.release, size, args.changed, args.repeat)
    switched_to = deploys[1] if len(deploys) > 1 else deploys[0]
    pointer = bench_pointer_switch(switched_to.deploy.result.release, max(11, args.repeat))
    print_deploys(deploys, pointer)
    rebases = bench_rebase(fixture.release, size, args.changed, max(1, min(args.repeat, 3)))
    print_rebases(rebases)
    return SizeResult(size, branch, copies, deploys, pointer, rebases)


def size_bars(result: SizeResult) -> list[Bar]:
    """Branch bars of one size: time, storage, and the ratio to copying (page-like is the bar)."""
    size, branch = result.size, result.branch
    bars = [
        Bar(f"branch N={size:,}: time", ms(branch.seconds), "bar < 1 s", branch.seconds < BRANCH_SECONDS_BAR),
        Bar(
            f"branch N={size:,}: Version table growth",
            f"{branch.bytes_per_grouping:.0f} B/grouping",
            f"bar <= {BYTES_PER_GROUPING_BAR} B",
            branch.bytes_per_grouping <= BYTES_PER_GROUPING_BAR,
        ),
    ]
    for copy in result.copies:
        ratio = copy.seconds_per_row * size / branch.seconds
        is_bar = copy.label == PAGE_LIKE
        bars.append(
            Bar(
                f"branch N={size:,} vs copying every {copy.label.split(' (')[0]}",
                f"{ratio:,.0f}x",
                f"bar >= {COPY_RATIO_BAR}x" if is_bar else "(lower bound, no bar)",
                ratio >= COPY_RATIO_BAR if is_bar else None,
            )
        )
    return bars


def scaling_bars(results: list[SizeResult]) -> list[Bar]:
    """Deploy time and statements per k across sizes: should follow k, not N."""
    bars = []
    by_k: dict[int, list[tuple[int, DeployResult]]] = {}
    for result in results:
        for deploy in result.deploys[1:]:
            by_k.setdefault(deploy.changed, []).append((result.size, deploy))
    for k, runs in sorted(by_k.items()):
        figures = " / ".join(
            f"{ms(d.deploy.seconds)} ({d.deploy.queries} st{_rows(d.deploy)})" for _, d in runs
        )
        sizes = " / ".join(f"{size:,}" for size, _ in runs)
        bars.append(Bar(f"deploy k={k:,} at N = {sizes}", figures, "(should follow k, not N)"))
    by_k_rebase: dict[int, list[tuple[int, RebaseResult]]] = {}
    for result in results:
        for rebase in result.rebases:
            by_k_rebase.setdefault(rebase.changed, []).append((result.size, rebase))
    for k, runs in sorted(by_k_rebase.items()):
        sizes = " / ".join(f"{size:,}" for size, _ in runs)
        figures = " / ".join(f"{ms(r.rebase.seconds)} ({r.rebase.queries} st)" for _, r in runs)
        bars.append(Bar(f"rebase k={k:,} at N = {sizes}", figures, "(should follow k, not N)"))
        figures = " / ".join(f"{ms(r.check.seconds)} ({r.check.queries} st)" for _, r in runs)
        bars.append(Bar(f"would_revert check k={k:,} at N = {sizes}", figures, "(should follow k, not N)"))
    switches = " / ".join(f"{r.pointer.seconds * 1e6:,.0f} us ({r.pointer.queries} st)" for r in results)
    bars.append(
        Bar("pointer switch at N = " + " / ".join(f"{r.size:,}" for r in results), switches, "(O(1))")
    )
    return bars


def _rows(sample: Sample) -> str:
    return "" if sample.rows_read is None else f", {sample.rows_read:,} rows read"


def approve_bar(approve: ApproveResult) -> Bar:
    return Bar(
        f"approve_release of {approve.rows:,} rows",
        f"{ms(approve.seconds)}, {approve.version_updates} UPDATE",
        "bar < 1 s, one statement",
        approve.seconds < APPROVE_SECONDS_BAR and approve.version_updates == 1,
    )


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    sys.path.insert(0, str(ROOT))
    with bench_database(args.db, args.keep) as label:
        print_header(label)
        pointer_error = probe_pointer_lock()
        if pointer_error:
            print(
                f"WARNING: deploy_service._lock_pointer fails on this database ({pointer_error}); "
                "deploy figures below use the same lock taken with select_for_update(of=('self',))."
            )
        results = [run_size(size, args) for size in args.sizes]
        flush_database()
        approve = bench_approve(args.approve_rows, args.repeat)
        print_approve(approve)
    bars = [bar for result in results for bar in size_bars(result)]
    bars += [*scaling_bars(results), approve_bar(approve)]
    if pointer_error:
        bars.append(Bar("deploy_release runs unpatched", "NotSupportedError", "_lock_pointer", False))
    print("\n## Summary (DESIGN §8)")
    for bar in bars:
        print(bar)
    return 0 if all(bar.ok is not False for bar in bars) else 1


if __name__ == "__main__":
    sys.exit(main())
