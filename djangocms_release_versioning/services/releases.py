"""Release lifecycle: create (branch), approve, lock, unlock, deprecate."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, connections, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import guards
from ..audit import record
from ..constants import APPROVED, DRAFT, Action
from ..context import resolve_release
from ..locking import lock_release_row
from ..models import AuditEntry, Release, Version
from ..signals import release_created, release_locked
from ..validators import clashing_version, validate_release_version, version_taken_error
from ._common import _db_for, _error, _fresh, _require_editable, _requires, _user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


@_requires("create")
def create_release(
    version: str,
    *,
    based_on: Release | str | None = None,
    description: str = "",
    user: AbstractBaseUser | None = None,
) -> Release:
    """Open a new release; with ``based_on`` (a locked release) branch it.

    Branching copies Version rows only, in one ``INSERT … SELECT`` statement; content rows
    are shared until edited (copy-on-write).

    :raises ValidationError: the version breaks the release name rule (codes
        ``version_required``, ``version_too_long``, ``version_invalid_character``, see
        :func:`~djangocms_release_versioning.validators.validate_release_version`) or is
        taken, ignoring case (``version_taken``); unknown or unlocked base.
    :raises PermissionDenied: ``user`` may not create releases.
    """
    version = version or ""
    validate_release_version(version)
    base = _fresh(based_on) if based_on is not None else None
    if base is not None and not base.is_locked:
        raise _error(
            "Release %(base)s is still open; only a locked release can be branched. "
            "Lock it first (lock_release --release-version %(base)s).",
            "base_not_locked",
            base=base.version,
        )
    with transaction.atomic(using=_db_for(Release)):
        existing = clashing_version(version)
        if existing is not None:
            raise version_taken_error(version, existing)
        try:
            with transaction.atomic(using=_db_for(Release)):
                release = Release.objects.create(
                    version=version,
                    description=description,
                    based_on=base,
                    created_by=_user(user),
                )
        except IntegrityError:
            # A concurrent call took the name between the check and the insert.
            raise version_taken_error(version, clashing_version(version) or version) from None
        copied = _copy_versions(base, release) if base is not None else 0
        record(
            Action.BRANCH_RELEASE if base else Action.CREATE_RELEASE,
            release=release,
            user=user,
            from_state=base.version if base else "",
            to_state="open",
            details={"versions": copied},
        )
        release_created.send(sender=Release, release=release, base=base, user=user)
    return release


def _copy_versions(base: Release, release: Release) -> int:
    """Copy every Version of ``base`` into ``release`` with one INSERT … SELECT.

    The copies are marked ``inherited`` and record no fingerprint: while a row stays
    inherited it holds exactly what the locked base holds, so locking the branch digests
    only the rows that changed (see :func:`lock_release`).
    """
    connection = connections[_db_for(Version)]
    qn = connection.ops.quote_name
    opts = Version._meta
    copied = ["content_type", "object_id", "grouping_key", "status", "active", "modified", "modified_by"]
    columns = [opts.get_field(name).column for name in copied]
    release_column = opts.get_field("release").column
    fingerprint_column = opts.get_field("fingerprint").column
    inherited_column = opts.get_field("inherited").column
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({qn(release_column)}, {qn(fingerprint_column)}, "
        f"{qn(inherited_column)}, {', '.join(qn(c) for c in columns)}) "
        f"SELECT %s, %s, %s, {', '.join(qn(c) for c in columns)} FROM {qn(opts.db_table)} "
        f"WHERE {qn(release_column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [release.pk, "", True, base.pk])
        return cursor.rowcount


@_requires("approve")
def approve_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> int:
    """Approve every active draft of ``release`` in one UPDATE; parked and hidden rows stay.

    :returns: the number of Versions approved.
    :raises ValidationError: the release is locked or deprecated.
    :raises PermissionDenied: ``user`` may not approve.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        _require_editable(release)
        count = Version.objects.filter(release=release, status=DRAFT, active=True).update(
            status=APPROVED, modified=timezone.now(), modified_by=_user(user), inherited=False
        )
        record(
            Action.APPROVE_RELEASE,
            release=release,
            user=user,
            from_state=DRAFT,
            to_state=APPROVED,
            details={"approved": count},
        )
    return count


@_requires("lock")
def lock_release(
    release: Release | str, *, user: AbstractBaseUser | None = None, allow_offline: bool = False
) -> Release:
    """Make ``release`` immutable and record the fingerprint of everything it contains.

    Cost: for a release branched from a locked base it follows the number of rows changed
    since the base, not the size of the release (DESIGN §8): only the changed rows are read
    and digested, the row count of the audit entry is the base's plus the groupings added,
    and the lock guard reads the rows changed since the live release when the release
    descends from it without removals (otherwise it compares the two releases in full, see
    ``manifest.compute_manifest``).

    :param allow_offline: confirm that content live now may go offline when this release is
        deployed although its row here is a draft, parked or missing (guard
        ``would_go_offline``, see :mod:`~djangocms_release_versioning.guards`); the
        confirmed groupings are written to the audit entry.
    :raises ValidationError: already locked (``already_locked``); live content would go
        offline and ``allow_offline`` is False (``would_go_offline``, listing it).
    :raises PermissionDenied: ``user`` may not lock.
    """
    from ..fingerprint import changed_rows, release_fingerprint, version_digests

    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        if release.is_locked:
            raise _error("Release %(release)s is locked already.", "already_locked", release=release.version)
        _reconcile_inherited(release)
        findings = _lock_guards(release, allow_offline=allow_offline)
        # Only the rows that changed since the base are digested: an inherited row holds
        # what the locked base holds, and its recorded digest is the base's
        # (fingerprint.recorded_fingerprints), so the cost follows the changes.
        versions = changed_rows(release)
        digests = version_digests(release, versions)
        for version in versions:
            version.fingerprint = digests[version.pk]
        Version.objects.bulk_update(versions, ["fingerprint"], batch_size=500)
        release.is_locked = True
        release.locked_at = timezone.now()
        release.locked_by = _user(user)
        release.fingerprint = release_fingerprint(release, versions, digests)
        release.save(update_fields=["is_locked", "locked_at", "locked_by", "fingerprint"])
        record(
            Action.LOCK_RELEASE,
            release=release,
            user=user,
            from_state="open",
            to_state="locked",
            details={
                "versions": _version_count(release, versions),
                "digested": len(versions),
                "fingerprint": release.fingerprint,
                **guards.audit_details(findings),
            },
        )
        release_locked.send(sender=Release, release=release, user=user)
    return release


def _lock_guards(release: Release, **confirmations: bool) -> list[guards.GuardFinding]:
    """Run the lock guards against the live release (after ``_reconcile_inherited``, so the
    manifest's fast path sees every changed row).

    :raises ValidationError: an unconfirmed finding (e.g. ``would_go_offline``).
    """
    live = Release.objects.live()
    if live is None or live.pk == release.pk:
        return []
    return guards.enforce(guards.lock_context(release, live), **confirmations)


def check_unlock(release: Release) -> None:
    """Raise if ``release`` cannot be unlocked (used before asking for confirmation too).

    :raises ValidationError: not locked, deployed at least once, or branched from.
    """
    if not release.is_locked:
        raise _error("Release %(release)s is not locked.", "not_locked", release=release.version)
    if release.is_deployed:
        raise _error(
            "Release %(release)s has been deployed and stays locked for good. Create a "
            "release based on it (create_release --based-on %(release)s) to change content.",
            "deployed",
            release=release.version,
        )
    if release.branches.exists():
        raise _error(
            "Release %(release)s has releases branched from it (%(branches)s); they share "
            "its content, so it stays locked.",
            "has_branches",
            release=release.version,
            branches=", ".join(release.branches.values_list("version", flat=True)),
        )


#: Databases on which migration 0009 installs the trigger that clears ``inherited`` when an
#: inherited row's ``object_id``, ``status`` or ``active`` changes.
_INHERITED_TRIGGER_VENDORS = frozenset({"sqlite", "postgresql", "mysql"})


def _reconcile_inherited(release: Release) -> int:
    """Clear ``inherited`` on rows that cannot be equal to the base release.

    Services clear the flag on every change; rows changed behind their back (QuerySet
    ``update()``, raw SQL) lose it in the database itself (the trigger of migration 0009), so
    on SQLite, PostgreSQL and MariaDB/MySQL only a release without a base is left to handle
    (all its rows count as changed). On other databases every inherited row is compared with
    the base in one UPDATE (cost follows the size of the release).

    :returns: the number of rows whose flag was cleared.
    """
    candidates = Version.objects.filter(release=release, inherited=True)
    if release.based_on_id is None:
        return candidates.update(inherited=False)
    if connections[_db_for(Version)].vendor in _INHERITED_TRIGGER_VENDORS:
        return 0
    same_in_base = Version.objects.filter(
        release_id=release.based_on_id,
        content_type_id=OuterRef("content_type_id"),
        grouping_key=OuterRef("grouping_key"),
        object_id=OuterRef("object_id"),
        status=OuterRef("status"),
        active=OuterRef("active"),
    )
    return candidates.exclude(Exists(same_in_base)).update(inherited=False)


def _version_count(release: Release, changed: list[Version]) -> int:
    """How many Versions ``release`` holds, given its ``changed`` rows (``inherited=False``).

    Without removals every grouping of the base is in the release (inherited or changed), so
    the count is the base's (from the base's lock entry, index ``release_versioning_audit_act``)
    plus the changed rows whose grouping the base does not have: one query per content type
    of the changed rows. A release without a base, with removals, or whose base has no lock
    entry is counted in full.
    """
    full = Version.objects.filter(release=release)
    if release.based_on_id is None or release.has_removals:
        return full.count()
    entry = (
        AuditEntry.objects.filter(release_id=release.based_on_id, action=Action.LOCK_RELEASE)
        .order_by("-created_at", "-pk")
        .values_list("details", flat=True)
        .first()
    )
    if not isinstance(entry, dict) or not isinstance(entry.get("versions"), int):
        return full.count()
    keys: dict[int, list[str]] = {}
    for version in changed:
        keys.setdefault(version.content_type_id, []).append(version.grouping_key)
    in_base = 0
    for content_type_id, grouping_keys in keys.items():
        for start in range(0, len(grouping_keys), 500):
            in_base += Version.objects.filter(
                release_id=release.based_on_id,
                content_type_id=content_type_id,
                grouping_key__in=grouping_keys[start : start + 500],
            ).count()
    return entry["versions"] + len(changed) - in_base


@_requires("unlock")
def unlock_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> Release:
    """Make a locked, never deployed release editable again.

    :raises ValidationError: not locked, deployed at least once, or branched from.
    :raises PermissionDenied: ``user`` may not unlock.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        check_unlock(release)
        release.is_locked = False
        release.locked_at = None
        release.locked_by = None
        release.fingerprint = ""
        release.save(update_fields=["is_locked", "locked_at", "locked_by", "fingerprint"])
        Version.objects.filter(release=release, inherited=False).update(fingerprint="")
        record(Action.UNLOCK_RELEASE, release=release, user=user, from_state="locked", to_state="open")
    return release


@_requires("deprecate")
def deprecate_release(
    release: Release | str, *, undo: bool = False, user: AbstractBaseUser | None = None
) -> Release:
    """Soft-hide ``release`` (or, with ``undo``, show it again). Its data is kept.

    :raises ValidationError: the release is live, or already in the requested state.
    :raises PermissionDenied: ``user`` may not deprecate.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        if undo:
            if not release.is_deprecated:
                raise _error(
                    "Release %(release)s is not deprecated.", "not_deprecated", release=release.version
                )
        else:
            if release.is_deprecated:
                raise _error(
                    "Release %(release)s is deprecated already.",
                    "already_deprecated",
                    release=release.version,
                )
            if release.is_live():
                raise _error(
                    "Release %(release)s is live and cannot be deprecated. Deploy another release first.",
                    "live",
                    release=release.version,
                )
        release.is_deprecated = not undo
        release.save(update_fields=["is_deprecated"])
        record(
            Action.UNDEPRECATE_RELEASE if undo else Action.DEPRECATE_RELEASE,
            release=release,
            user=user,
            from_state="deprecated" if undo else release.state,
            to_state=release.state if undo else "deprecated",
        )
    return release
