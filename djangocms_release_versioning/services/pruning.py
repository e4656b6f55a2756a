"""Pruning old releases (DESIGN §9.4): release rows, their Versions, and content nobody needs.

Which releases go: deprecated ones, and *superseded* ones — locked releases that are not
live and were either deployed before (outside the rollback window) or never deployed but
created before the live release last went live. Which always stay: the live release, the
``keep_last`` releases deployed most recently before it (the rollback window), every open
release, every release with a pending scheduled deploy, releases touched (created, locked or
deployed) within ``older_than`` days, and every release a kept release is based on, all the
way down (``based_on`` is a protected reference: a base is never deleted under a branch).

Work is done in batches of releases, one transaction each, newest first (branches before
their bases). Each batch deletes the releases' Versions, their Deployment rows and finished
schedules, the releases, and then every content row (with its placeholders, plugins and
extensions) that no remaining Version references. A crash rolls back the current batch
only; every batch leaves a consistent database, and running the command again finishes.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.db.models import Exists, Max, OuterRef
from django.utils import timezone

from .. import registry
from ..audit import record
from ..constants import Action
from ..enforcement import copying
from ..models import LIVE_POINTER_PK, Deployment, LiveRelease, Release, ScheduledDeploy, Version
from ._common import _db_for, _error, _requires
from .deploy import ensure_live_pointer

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

#: Releases deleted per transaction.
RELEASE_BATCH = 10
#: Content ids per query (below SQLite's variable limit).
ID_CHUNK = 500


@dataclass
class PruneReport:
    """What ``prune_releases`` removed (or, with ``dry_run``, would remove)."""

    dry_run: bool = False
    releases: list[str] = field(default_factory=list)
    versions: int = 0
    content_rows: int = 0
    plugins: int = 0
    #: Content rows per model label (``cms.pagecontent`` …).
    content_by_model: dict[str, int] = field(default_factory=dict)
    #: Kept release → why (``live``, ``rollback window``, ``open``, ``scheduled``, ``recent``,
    #: ``base of v3``, ``not deprecated or superseded``).
    kept: dict[str, str] = field(default_factory=dict)

    def counts(self) -> dict[str, int]:
        return {
            "releases": len(self.releases),
            "versions": self.versions,
            "content_rows": self.content_rows,
            "plugins": self.plugins,
        }


@dataclass(frozen=True)
class _ReleaseRow:
    pk: int
    version: str
    based_on_id: int | None
    is_locked: bool
    is_deprecated: bool
    created_at: Any
    locked_at: Any
    first_deployed_at: Any


def _validate(keep_last: Any, older_than: Any) -> None:
    if isinstance(keep_last, bool) or not isinstance(keep_last, int) or keep_last < 0:
        raise _error(
            "keep_last must be a whole number of releases, 0 or more (got %(value)s).",
            "invalid_keep_last",
            value=repr(keep_last),
        )
    if older_than is not None and (
        isinstance(older_than, bool) or not isinstance(older_than, int) or older_than < 0
    ):
        raise _error(
            "older_than must be a whole number of days, 0 or more, or None (got %(value)s).",
            "invalid_older_than",
            value=repr(older_than),
        )


def plan_prune(*, keep_last: int = 5, older_than: int | None = None) -> tuple[list[Release], dict[str, str]]:
    """Which releases pruning would delete now (newest first) and why the others stay.

    :raises ValidationError: ``keep_last`` or ``older_than`` is not a whole number ≥ 0.
    """
    _validate(keep_last, older_than)
    rows = {
        r.pk: r
        for r in (
            _ReleaseRow(**values)
            for values in Release.objects.values(
                "pk",
                "version",
                "based_on_id",
                "is_locked",
                "is_deprecated",
                "created_at",
                "locked_at",
                "first_deployed_at",
            )
        )
    }
    live_id = LiveRelease.objects.filter(pk=LIVE_POINTER_PK).values_list("release_id", flat=True).first()
    last_deployed = dict(
        Deployment.objects.values("release_id")
        .annotate(last=Max("deployed_at"))
        .values_list("release_id", "last")
    )
    scheduled = set(ScheduledDeploy.objects.pending().values_list("release_id", flat=True))
    window = sorted(
        (pk for pk in last_deployed if pk != live_id and pk in rows),
        key=lambda pk: (last_deployed[pk], pk),
        reverse=True,
    )[:keep_last]
    cutoff = timezone.now() - timedelta(days=older_than) if older_than is not None else None
    live_since = last_deployed.get(live_id) if live_id is not None else None

    reasons: dict[int, str] = {}
    for pk, row in rows.items():
        if pk == live_id:
            reasons[pk] = "live"
        elif pk in window:
            reasons[pk] = "rollback window"
        elif not row.is_locked:
            reasons[pk] = "open"
        elif pk in scheduled:
            reasons[pk] = "scheduled"
        elif cutoff is not None and _last_touched(row, last_deployed.get(pk)) >= cutoff:
            reasons[pk] = "recent"
        elif not (row.is_deprecated or _superseded(row, pk in last_deployed, live_since)):
            reasons[pk] = "not deprecated or superseded"
    # Every base of a kept release stays, transitively.
    for pk in list(reasons):
        base = rows[pk].based_on_id
        child = rows[pk].version
        while base is not None and base in rows and base not in reasons:
            reasons[base] = f"base of {child}"
            child, base = rows[base].version, rows[base].based_on_id
    depth: dict[int, int] = {}

    def depth_of(pk: int) -> int:  # branches before their bases, also after a rebase
        if pk not in depth:
            base = rows[pk].based_on_id
            depth[pk] = 0 if base is None or base not in rows else depth_of(base) + 1
        return depth[pk]

    doomed = sorted((pk for pk in rows if pk not in reasons), key=lambda pk: (depth_of(pk), pk), reverse=True)
    releases = {r.pk: r for r in Release.objects.filter(pk__in=doomed)}
    return [releases[pk] for pk in doomed], {rows[pk].version: reason for pk, reason in reasons.items()}


def _last_touched(row: _ReleaseRow, last_deployed: Any) -> Any:
    return max(t for t in (row.created_at, row.locked_at, last_deployed) if t is not None)


def _superseded(row: _ReleaseRow, deployed: bool, live_since: Any) -> bool:
    """Locked and deployed before (not live, outside the window), or locked, never deployed
    and older than the live release's last deploy."""
    if deployed or row.first_deployed_at is not None:
        return True
    return live_since is not None and row.created_at < live_since


@_requires("prune")
def prune_releases(
    *,
    keep_last: int = 5,
    older_than: int | None = None,
    dry_run: bool = False,
    user: AbstractBaseUser | None = None,
) -> PruneReport:
    """Delete deprecated and superseded releases and the content only they referenced.

    :param keep_last: how many releases deployed before the live one stay (rollback window).
    :param older_than: only releases untouched (created, locked, deployed) for this many
        days are deleted; None: no age limit.
    :param dry_run: count what would be removed; write nothing.
    :returns: the report (releases, Versions, content rows and plugins removed).
    :raises ValidationError: ``keep_last`` / ``older_than`` not a whole number ≥ 0.
    :raises PermissionDenied: ``user`` may not delete releases.
    """
    _validate(keep_last, older_than)
    report = PruneReport(dry_run=dry_run)
    if dry_run:
        doomed, report.kept = plan_prune(keep_last=keep_last, older_than=older_than)
        _count_dry_run(report, doomed)
        return report
    ensure_live_pointer()
    while True:
        with transaction.atomic(using=_db_for(Release)):
            # Holding the live pointer keeps deploys out while a batch is checked and deleted.
            LiveRelease.objects.select_for_update().get(pk=LIVE_POINTER_PK)
            doomed, report.kept = plan_prune(keep_last=keep_last, older_than=older_than)
            if not doomed:
                break
            _delete_batch(report, doomed[:RELEASE_BATCH], user)
    if report.releases:
        record(
            Action.PRUNE_RELEASES,
            user=user,
            details={**report.counts(), "release_versions": report.releases, "keep_last": keep_last},
        )
    return report


def _delete_batch(report: PruneReport, batch: list[Release], user: AbstractBaseUser | None) -> None:
    ids = [r.pk for r in Release.objects.select_for_update().filter(pk__in=[r.pk for r in batch])]
    batch = [r for r in batch if r.pk in ids]
    candidates = _orphans(ids)
    for release in batch:
        versions = Version.objects.filter(release=release).count()
        record(
            Action.PRUNE_RELEASE,
            release=release,
            user=user,
            to_state="deleted",
            details={"versions": versions},
        )
    report.versions += Version.objects.filter(release_id__in=ids).delete()[0]
    Deployment.objects.filter(previous_id__in=ids).exclude(release_id__in=ids).update(previous=None)
    Deployment.objects.filter(release_id__in=ids).delete()
    ScheduledDeploy.objects.filter(release_id__in=ids).delete()
    # In plan order: branches first, a base only once nothing references it.
    for release in batch:
        Release.objects.filter(pk=release.pk).delete()
        report.releases.append(release.version)
    _delete_unreferenced(report, candidates)


def _orphans(release_ids: list[int]) -> dict[int, set[int]]:
    """Content type id → ids of the content rows that only Versions of ``release_ids``
    reference (one query: the shared rows, usually most of them, never leave the database)."""
    elsewhere = Version.objects.filter(
        content_type_id=OuterRef("content_type_id"), object_id=OuterRef("object_id")
    ).exclude(release_id__in=release_ids)
    rows = (
        Version.objects.filter(release_id__in=release_ids)
        .exclude(Exists(elsewhere))
        .values_list("content_type_id", "object_id")
        .distinct()
    )
    orphans: dict[int, set[int]] = defaultdict(set)
    for content_type_id, object_id in rows:
        orphans[content_type_id].add(object_id)
    return orphans


def _still_referenced(content_type_id: int, ids: list[int]) -> set[int]:
    versions = Version.objects.filter(content_type_id=content_type_id, object_id__in=ids)
    return set(versions.values_list("object_id", flat=True))


def _chunks(ids: Iterable[int]) -> Iterable[list[int]]:
    ordered = sorted(ids)
    for start in range(0, len(ordered), ID_CHUNK):
        yield ordered[start : start + ID_CHUNK]


def _plugin_count(content_type_id: int, ids: list[int]) -> int:
    from cms.models import CMSPlugin

    return CMSPlugin.objects.filter(
        placeholder__content_type_id=content_type_id, placeholder__object_id__in=ids
    ).count()


def _delete_unreferenced(report: PruneReport, candidates: dict[int, set[int]]) -> None:
    """Delete the content rows among ``candidates`` that no Version references any more."""
    from cms.models import Placeholder

    for content_type_id, object_ids in candidates.items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            continue
        model = item.content_model
        for chunk in _chunks(object_ids):
            orphans = sorted(set(chunk) - _still_referenced(content_type_id, chunk))
            if not orphans:
                continue
            report.plugins += _plugin_count(content_type_id, orphans)
            with copying():
                Placeholder.objects.filter(content_type_id=content_type_id, object_id__in=orphans).delete()
                deleted = model._base_manager.filter(pk__in=orphans).delete()[1].get(model._meta.label, 0)
            report.content_rows += deleted
            label = model._meta.label_lower
            report.content_by_model[label] = report.content_by_model.get(label, 0) + deleted


def _count_dry_run(report: PruneReport, doomed: list[Release]) -> None:
    ids = [r.pk for r in doomed]
    report.releases = [r.version for r in doomed]
    report.versions = Version.objects.filter(release_id__in=ids).count()
    for content_type_id, object_ids in _orphans(ids).items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            continue
        label = item.content_model._meta.label_lower
        for orphans in _chunks(object_ids):
            rows = item.content_model._base_manager.filter(pk__in=orphans).count()
            report.content_rows += rows
            report.content_by_model[label] = report.content_by_model.get(label, 0) + rows
            report.plugins += _plugin_count(content_type_id, orphans)
