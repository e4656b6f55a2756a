"""Moving a djangocms-versioning site onto releases (DESIGN §9.5).

djangocms-versioning keeps one row per content row in ``djangocms_versioning_version``
(state ``draft``, ``published``, ``unpublished`` or ``archived``). The import reads that
table with plain SQL — djangocms-versioning need not be installed — and creates:

* the **imported release** (locked and deployed): per grouping its *published* content as
  approved; a grouping with no published content but unpublished or archived versions is
  present but hidden (its newest such version, ``active=False``), so editors can restore it;
* the **open release** based on it: per grouping its *draft* as a draft (other groupings
  shared with the imported release, copy-on-write as after any branch);
* **history releases** (locked, deprecated, never deployed) holding every further
  unpublished or archived version — the newest in ``<name>-history-1``, the next in
  ``-history-2`` and so on — so that every content row stays in a release and reachable in
  review and compare.

No content, placeholder, plugin or extension row is written or deleted, and
djangocms-versioning's tables are left as they are. Authors, dates, version numbers and
states are carried into the audit trail (one entry per imported version, dated when the
version was created).
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connections, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext

from .. import registry
from ..audit import record
from ..constants import APPROVED, DRAFT, Action
from ..models import AuditEntry, Release, Version
from ..permissions import require_release_permission
from ..validators import clashing_version, quote_name, validate_release_version
from ._common import _db_for, _error, _user
from .deploy import deploy_release
from .releases import create_release, deprecate_release, lock_release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem

#: djangocms-versioning's table and the columns the import reads.
DV_TABLE = "djangocms_versioning_version"
DV_COLUMNS = ("id", "created", "modified", "created_by_id", "number", "content_type_id", "object_id", "state")

PUBLISHED, DV_DRAFT = "published", "draft"
BATCH_SIZE = 1000


@dataclass(frozen=True)
class DVVersion:
    """One row of djangocms-versioning's version table."""

    pk: int
    created: Any
    modified: Any
    created_by_id: int | None
    number: str
    content_type_id: int
    object_id: int
    state: str


@dataclass
class _Grouping:
    item: VersionableItem
    key: str
    rows: list[DVVersion] = field(default_factory=list)

    def plan(self) -> tuple[DVVersion | None, bool, DVVersion | None, list[DVVersion]]:
        """(row of the imported release, is it live, draft for the open release, history)."""
        newest_first = sorted(self.rows, key=lambda row: (row.created, row.pk), reverse=True)
        published = next((row for row in newest_first if row.state == PUBLISHED), None)
        draft = next((row for row in newest_first if row.state == DV_DRAFT), None)
        rest = [row for row in newest_first if row is not published and row is not draft]
        if published is not None:
            return published, True, draft, rest
        hidden = rest[0] if rest else None
        return hidden, False, draft, rest[1:]


@dataclass
class ImportReport:
    """What the import created (or, in a dry run, would create)."""

    release: str
    open_release: str
    dry_run: bool = False
    already_imported: bool = False
    live: int = 0
    hidden: int = 0
    drafts: int = 0
    history_releases: list[str] = field(default_factory=list)
    history_versions: int = 0
    versions_read: int = 0
    per_model: dict[str, dict[str, int]] = field(default_factory=dict)
    skipped: dict[str, int] = field(default_factory=dict)

    def count(self, item: VersionableItem, what: str) -> None:
        counts = self.per_model.setdefault(item.content_model._meta.label, {})
        counts[what] = counts.get(what, 0) + 1


def import_djangocms_versioning(
    *,
    release_version: str = "imported",
    open_release_version: str | None = None,
    dry_run: bool = False,
    user: AbstractBaseUser | None = None,
    using: str | None = None,
) -> ImportReport:
    """Create releases from djangocms-versioning's version table (see the module docstring).

    Running it again after a successful import changes nothing and reports
    ``already_imported``.

    :param release_version: name of the locked, deployed release of the published content.
    :param open_release_version: name of the open release of the drafts (default
        ``<release_version>-drafts``).
    :param dry_run: compute the report, write nothing.
    :raises ValidationError: djangocms-versioning's table is missing, or this site's releases
        already hold content from elsewhere (the import only fills an empty site).
    :raises PermissionDenied: ``user`` may not create, lock or deploy releases.
    """
    for operation in ("create", "lock", "deploy"):
        require_release_permission(user, operation)
    open_release_version = open_release_version or f"{release_version}-drafts"
    report = ImportReport(release=release_version, open_release=open_release_version, dry_run=dry_run)
    database = using or _db_for(Version)
    rows = list(_read_versions(database))
    report.versions_read = len(rows)
    if _already_imported(release_version):
        report.already_imported = True
        return report
    _require_empty_site()
    groupings = _group(rows, report)
    plans = [(grouping, *grouping.plan()) for grouping in groupings]
    history_depth = max((len(history) for *_ignored, history in plans), default=0)
    report.history_releases = [f"{release_version}-history-{depth}" for depth in range(1, history_depth + 1)]
    _require_free_names([release_version, open_release_version, *report.history_releases])
    for grouping, imported, live, draft, history in plans:
        if imported is not None:
            report.live += live
            report.hidden += not live
            report.count(grouping.item, "live" if live else "hidden")
        if draft is not None:
            report.drafts += 1
            report.count(grouping.item, "drafts")
        report.history_versions += len(history)
    if dry_run:
        return report
    with transaction.atomic(using=database):
        _write(plans, report, user=user)
    return report


# -- reading ------------------------------------------------------------------------------


def has_djangocms_versioning_table(using: str | None = None) -> bool:
    """True if djangocms-versioning's version table is in the database."""
    connection = connections[using or _db_for(Version)]
    with connection.cursor() as cursor:
        return DV_TABLE in connection.introspection.table_names(cursor)


def _read_versions(using: str) -> Iterator[DVVersion]:
    if not has_djangocms_versioning_table(using):
        raise _error(
            "There is no djangocms-versioning table (%(table)s) in this database, so there is "
            "nothing to import. Run the import on the database of the djangocms-versioning site.",
            "no_djangocms_versioning",
            table=DV_TABLE,
        )
    connection = connections[using]
    qn = connection.ops.quote_name
    sql = f"SELECT {', '.join(qn(c) for c in DV_COLUMNS)} FROM {qn(DV_TABLE)} ORDER BY {qn('id')}"
    with connection.cursor() as cursor:
        cursor.execute(sql)
        for row in cursor.fetchall():
            values = dict(zip(DV_COLUMNS, row, strict=True))
            for name in ("created", "modified"):
                values[name] = _aware(values[name])
            yield DVVersion(pk=values.pop("id"), **values)


def _aware(value: Any) -> Any:
    """Datetimes from a raw cursor: SQLite returns strings, and naive values are UTC."""
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = timezone.make_aware(value, dt.UTC)
    return value


def _group(rows: Iterable[DVVersion], report: ImportReport) -> list[_Grouping]:
    """Group the rows by (content type, grouping); rows of unregistered or missing content
    are counted in ``report.skipped``."""
    by_type: dict[int, list[DVVersion]] = defaultdict(list)
    for row in rows:
        by_type[row.content_type_id].append(row)
    groupings: dict[tuple[int, str], _Grouping] = {}
    for content_type_id, typed in by_type.items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            label = _content_type_label(content_type_id)
            report.skipped[label] = report.skipped.get(label, 0) + len(typed)
            continue
        contents = _contents(item, [row.object_id for row in typed])
        for row in typed:
            content = contents.get(row.object_id)
            if content is None:
                label = f"{item.content_model._meta.label} (content row missing)"
                report.skipped[label] = report.skipped.get(label, 0) + 1
                continue
            key = item.grouping_key(content)
            grouping = groupings.setdefault((content_type_id, key), _Grouping(item, key))
            grouping.rows.append(row)
    return sorted(groupings.values(), key=lambda g: (g.item.content_type.pk, g.key))


def _contents(item: VersionableItem, ids: list[int]) -> dict[int, Any]:
    manager = item.content_model._base_manager
    found: dict[int, Any] = {}
    for start in range(0, len(ids), BATCH_SIZE):
        found.update(manager.in_bulk(ids[start : start + BATCH_SIZE]))
    return found


def _content_type_label(content_type_id: int) -> str:
    content_type = ContentType.objects.filter(pk=content_type_id).first()
    return (
        f"{content_type.app_label}.{content_type.model}"
        if content_type
        else f"content type {content_type_id}"
    )


def _already_imported(release_version: str) -> bool:
    release = Release.objects.filter(version=release_version).first()
    return release is not None and release.audit_entries.filter(action=Action.IMPORT_RELEASE).exists()


def _require_empty_site() -> None:
    holding = list(
        Release.objects.filter(versions__isnull=False)
        .distinct()
        .order_by("pk")
        .values_list("version", flat=True)[:5]
    )
    if holding:
        raise _error(
            "This site's releases already hold content (%(releases)s), so importing "
            "djangocms-versioning's versions would mix two histories. The import fills an empty "
            "site: remove this package's tables (migrate djangocms_release_versioning zero, then "
            "migrate) and run it again.",
            "releases_not_empty",
            releases=", ".join(holding),
        )


def _require_free_names(names: list[str]) -> None:
    """Every release name the import would create follows the release name rule and is free.

    :raises ValidationError: a name breaks the rule, or is taken (ignoring case).
    """
    for name in names:
        validate_release_version(name)
        taken = clashing_version(name)
        if taken is not None:
            raise _error(
                "A release called %(version)s exists already; choose other names with "
                "--release-version and --open-release-version.",
                "version_taken",
                version=quote_name(taken),
            )


# -- writing ------------------------------------------------------------------------------


def _write(plans: list[tuple], report: ImportReport, *, user: AbstractBaseUser | None) -> None:
    description = gettext("Imported from djangocms-versioning: the published content.")
    imported = Release.objects.create(version=report.release, description=description, created_by=_user(user))
    record(
        Action.IMPORT_RELEASE,
        release=imported,
        user=user,
        to_state="open",
        details={"source": "djangocms-versioning", "versions_read": report.versions_read},
    )
    _bulk_versions(
        imported,
        [
            (grouping, row, APPROVED if live else DRAFT, live)
            for grouping, row, live, _draft, _history in plans
            if row is not None
        ],
    )
    _audit_versions(imported, [(g.item, row) for g, row, *_rest in plans if row is not None])
    lock_release.unchecked(imported, user=user)
    deploy_release.unchecked(imported, user=user)
    _write_open_release(plans, report, imported, user=user)
    _write_history(plans, report, user=user)


def _write_open_release(plans: list[tuple], report: ImportReport, imported: Release, *, user) -> None:
    open_release = create_release.unchecked(
        report.open_release,
        based_on=imported,
        description=gettext("Imported from djangocms-versioning: the drafts."),
        user=user,
    )
    drafts = [(grouping, draft) for grouping, _row, _live, draft, _history in plans if draft is not None]
    existing = {
        (version.content_type_id, version.grouping_key): version
        for version in Version.objects.filter(release=open_release)
    }
    changed, new = [], []
    for grouping, draft in drafts:
        version = existing.get((grouping.item.content_type.pk, grouping.key))
        if version is None:
            new.append((grouping, draft, DRAFT, True))
            continue
        version.object_id, version.status, version.active, version.inherited = (
            draft.object_id,
            DRAFT,
            True,
            False,
        )
        version.modified, version.modified_by_id = draft.modified or timezone.now(), draft.created_by_id
        changed.append(version)
    Version.objects.bulk_update(
        changed, ["object_id", "status", "active", "inherited", "modified", "modified_by"], batch_size=500
    )
    _bulk_versions(open_release, new)
    _audit_versions(open_release, [(grouping.item, draft) for grouping, draft in drafts])


def _write_history(plans: list[tuple], report: ImportReport, *, user) -> None:
    for depth, version in enumerate(report.history_releases, start=1):
        history = Release.objects.create(
            version=version,
            description=gettext(
                "Imported from djangocms-versioning: older unpublished and archived versions "
                "(%(depth)s before the newest). Kept for review and comparison; not meant to be "
                "deployed."
            )
            % {"depth": depth},
            created_by=_user(user),
        )
        record(Action.IMPORT_RELEASE, release=history, user=user, to_state="open", details={"history": depth})
        rows = [
            (grouping, entries[depth - 1], APPROVED, True)
            for grouping, _row, _live, _draft, entries in plans
            if len(entries) >= depth
        ]
        _bulk_versions(history, rows)
        _audit_versions(history, [(grouping.item, row) for grouping, row, _status, _active in rows])
        # History releases leave out live groupings on purpose: they are never deployed.
        lock_release.unchecked(history, user=user, allow_offline=True)
        deprecate_release.unchecked(history, user=user)


def _bulk_versions(release: Release, rows: list[tuple]) -> None:
    Version.objects.bulk_create(
        [
            Version(
                release=release,
                content_type_id=grouping.item.content_type.pk,
                object_id=row.object_id,
                grouping_key=grouping.key,
                status=status,
                active=active,
                inherited=False,
                modified=row.modified or timezone.now(),
                modified_by_id=row.created_by_id,
            )
            for grouping, row, status, active in rows
        ],
        batch_size=BATCH_SIZE,
    )


def _audit_versions(release: Release, rows: list[tuple[VersionableItem, DVVersion]]) -> None:
    """One audit entry per imported version, dated and signed as djangocms-versioning had it."""
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                action=Action.IMPORT_VERSION,
                release=release,
                release_version=release.version,
                user_id=row.created_by_id,
                created_at=row.created or timezone.now(),
                content_type_id=item.content_type.pk,
                object_id=row.object_id,
                object_repr=f"{item.content_model._meta.label} {row.object_id}"[:255],
                from_state=row.state,
                to_state=release.version,
                details={
                    "djangocms_versioning": {
                        "version_id": row.pk,
                        "number": row.number,
                        "state": row.state,
                        "created": row.created.isoformat() if row.created else None,
                        "modified": row.modified.isoformat() if row.modified else None,
                    }
                },
            )
            for item, row in rows
        ],
        batch_size=BATCH_SIZE,
    )


def report_as_json(report: ImportReport) -> str:
    """The report as JSON (for CI logs)."""
    return json.dumps(report.__dict__, indent=2, sort_keys=True, default=str)
