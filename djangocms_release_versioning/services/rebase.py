"""Rebase: bring an open release up to date with the live release (DESIGN §9.2)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from .. import registry
from ..audit import record
from ..constants import Action
from ..context import resolve_release
from ..lineage import DivergedRow, Key, ReleaseTree, changed_keys, divergence, row_value
from ..locking import lock_release_row
from ..models import LIVE_POINTER_PK, LiveRelease, Release, Version
from ._common import _db_for, _error, _requires, _user
from .content import _delete_unreferenced

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

_BATCH = 500


@dataclass
class RebaseReport:
    """What :func:`rebase_release` did.

    ``taken``: groupings the live line changed and the release had not touched — the release
    now has the live release's row (shared, no content copied). ``conflicts``: groupings
    both sides changed — the release kept its own row. Each is a
    :class:`~djangocms_release_versioning.lineage.DivergedRow` (``fork``, ``live`` and
    ``mine`` Versions, as they were before the rebase).
    """

    release: Release
    previous_base: Release | None = None
    base: Release | None = None
    taken: list[DivergedRow] = field(default_factory=list)
    conflicts: list[DivergedRow] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """False when the release was up to date already (nothing was written)."""
        return self.base is not None

    def as_dict(self) -> dict[str, object]:
        """JSON-ready summary (the audit entry's details)."""
        return {
            "previous_base": self.previous_base.version if self.previous_base else None,
            "base": self.base.version if self.base else None,
            "taken": [[row.content_type_id, row.grouping_key] for row in self.taken],
            "conflicts": [[row.content_type_id, row.grouping_key] for row in self.conflicts],
        }


def _lock_live() -> Release | None:
    """The live release, holding the live pointer's row lock: deploys wait for us and we
    for them (the pointer is always locked before any release row)."""
    pointer = LiveRelease.objects.select_for_update().filter(pk=LIVE_POINTER_PK).first()
    if pointer is None or pointer.release_id is None:
        return None
    return Release.objects.get(pk=pointer.release_id)


def _require_open(release: Release, verb: str) -> None:
    if release.is_locked and verb == "rebased":  # one sentence per verb, so that it translates
        raise _error(
            "Release %(release)s is locked, so it cannot be rebased: a locked release never "
            "changes. Branch a new release from the live one instead "
            "(create_release --based-on <live release>).",
            "release_locked",
            release=release.version,
        )
    if release.is_locked:
        raise _error(
            "Release %(release)s is locked, so it cannot be changed: a locked release never "
            "changes. Branch a new release from the live one instead "
            "(create_release --based-on <live release>).",
            "release_locked",
            release=release.version,
        )
    if release.is_deprecated:
        raise _error(
            "Release %(release)s is deprecated. Restore it (deprecate_release --undo) first.",
            "release_deprecated",
            release=release.version,
        )


@_requires("rebase")
def rebase_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> RebaseReport:
    """Bring the open ``release`` up to date with the live release.

    Every grouping the live line changed since the release's fork point (see
    :mod:`~djangocms_release_versioning.lineage`) and the release did not touch takes the
    live release's row — Version rows only, the content row is shared with the live
    release, nothing is copied. Groupings both sides changed are conflicts: the release
    keeps its own row. The release's base becomes the live release. Serialised with deploys
    (live pointer lock), edits and locking (release row lock). Rebasing a release that is up
    to date changes nothing and records nothing.

    Cost: O(groupings changed on either side since the fork point).

    :returns: the :class:`RebaseReport` (``taken``, ``conflicts``).
    :raises ValidationError: the release is locked or deprecated (``release_locked``,
        ``release_deprecated``), nothing is live (``nothing_live``), the release shares no
        release with the live line (``no_fork_point``).
    :raises PermissionDenied: ``user`` may not rebase (the lock permission).
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        live = _lock_live()
        release = lock_release_row(release)
        _require_open(release, "rebased")
        if live is None:
            raise _error("Nothing is live yet, so there is nothing to rebase onto.", "nothing_live")
        report = RebaseReport(release=release, previous_base=release.based_on)
        found = divergence(release, live.pk)
        if found.fork_id is None:
            raise _error(
                "Release %(release)s shares no release with the live line of %(live)s (it was "
                "not branched from one of them), so it cannot be rebased. Compare it with the "
                "live release and branch a new release from %(live)s instead.",
                "no_fork_point",
                release=release.version,
                live=live.version,
            )
        if not found.has_moved:
            return report  # up to date: nothing to do
        report.taken, report.conflicts = found.behind, found.conflicts
        _take(release, live, report.taken)
        _fix_flags(release, found.own_path, found.fork_id, report)
        release.based_on = live
        release.save(update_fields=["based_on", "has_removals"])
        report.base = live
        record(
            Action.REBASE_RELEASE,
            release=release,
            user=user,
            from_state=report.previous_base.version if report.previous_base else "",
            to_state=live.version,
            details=report.as_dict(),
        )
    return report


def _take(release: Release, live: Release, rows: list[DivergedRow]) -> None:
    """Point the release's rows of ``rows`` at the live release's rows (no content copied):
    one UPDATE per content type (and 500 groupings) copying the live row's values in the
    database, plus the rows to add or drop."""
    create, delete, update = [], [], {}
    for row in rows:
        if row.live is None:
            delete.append(row.mine.pk)
        elif row.mine is None:
            live_row = row.live
            create.append(
                Version(
                    release=release,
                    content_type_id=row.content_type_id,
                    grouping_key=row.grouping_key,
                    object_id=live_row.object_id,
                    status=live_row.status,
                    active=live_row.active,
                    modified=live_row.modified,
                    modified_by_id=live_row.modified_by_id,
                    inherited=True,
                )
            )
        else:
            update.setdefault(row.content_type_id, []).append(row.grouping_key)
    Version.objects.filter(pk__in=delete).delete()
    Version.objects.bulk_create(create, batch_size=_BATCH)
    in_live = Version.objects.filter(
        release=live, content_type_id=OuterRef("content_type_id"), grouping_key=OuterRef("grouping_key")
    )
    values = {
        name: Subquery(in_live.values(name)[:1])
        for name in ("object_id", "status", "active", "modified", "modified_by")
    }
    for content_type_id, grouping_keys in update.items():
        for start in range(0, len(grouping_keys), _BATCH):
            batch = Version.objects.filter(
                release=release,
                content_type_id=content_type_id,
                grouping_key__in=grouping_keys[start : start + _BATCH],
            )
            # Two statements: the database clears ``inherited`` when an inherited row's
            # content changes (migration 0009), so the flag is set after the change.
            batch.update(**values, fingerprint="")
            batch.update(inherited=True)


def _fix_flags(release: Release, own_path: list[int], fork_id: int, report: RebaseReport) -> None:
    """Keep ``inherited`` true only for rows equal to the new base (the live release).

    Rows outside the changed groupings of both lines equal the fork point's and the live
    release's rows alike; the rows the release's own line changed (its ancestors up to the
    fork point) and the conflicts now differ from the base, so they count as changed.
    """
    tree = ReleaseTree.load()
    ancestors = [pk for pk in own_path if pk != release.pk]
    keys: set[Key] = {row.key for row in report.conflicts}
    for changed in changed_keys(tree, ancestors).values():
        keys |= changed
    keys -= {row.key for row in report.taken}
    by_type: dict[int, list[str]] = {}
    for content_type_id, grouping_key in keys:
        by_type.setdefault(content_type_id, []).append(grouping_key)
    for content_type_id, grouping_keys in by_type.items():
        for start in range(0, len(grouping_keys), _BATCH):
            Version.objects.filter(
                release=release,
                content_type_id=content_type_id,
                grouping_key__in=grouping_keys[start : start + _BATCH],
                inherited=True,
            ).update(inherited=False)
    if any(pk in tree.removals for pk in ancestors):
        release.has_removals = True  # a grouping it lost may be in the new base: compare in full


@_requires("rebase")
def take_live(
    release: Release | str,
    content_type_id: int,
    grouping_key: str,
    *,
    user: AbstractBaseUser | None = None,
) -> Version | None:
    """Resolve a conflict by taking the live release's row of one grouping into ``release``.

    The release's own row is replaced by the live one (shared, no content copied); its
    content row is deleted if no release references it any more.

    :returns: the release's Version now (None when the grouping is not in the live release).
    :raises ValidationError: the release is locked or deprecated, nothing is live, or the
        release has the live row already (``already_live``).
    :raises PermissionDenied: ``user`` may not rebase (the lock permission).
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        live = _lock_live()
        release = lock_release_row(release)
        _require_open(release, "changed")
        if live is None:
            raise _error("Nothing is live yet, so there is no live content to take.", "nothing_live")
        rows = {
            v.release_id: v
            for v in Version.objects.filter(
                release_id__in=[live.pk, release.pk],
                content_type_id=content_type_id,
                grouping_key=grouping_key,
            )
        }
        mine, theirs = rows.get(release.pk), rows.get(live.pk)
        if row_value(mine) == row_value(theirs):
            raise _error(
                "Release %(release)s has the live content of this grouping already.",
                "already_live",
                release=release.version,
            )
        before = mine.object_id if mine is not None else None
        if theirs is None:
            Version.objects.filter(pk=mine.pk).delete()
            release.has_removals = True
            release.save(update_fields=["has_removals"])
            result = None
        else:
            result = mine or Version(
                release=release, content_type_id=content_type_id, grouping_key=grouping_key
            )
            result.object_id, result.status, result.active = theirs.object_id, theirs.status, theirs.active
            result.modified, result.modified_by = timezone.now(), _user(user)
            result.save(check_release=False)
            if release.based_on_id == live.pk:  # equal to the base again
                Version.objects.filter(pk=result.pk).update(inherited=True)
                result.inherited = True
        item = registry.for_content_type_id(content_type_id)
        record(
            Action.TAKE_LIVE,
            release=release,
            user=user,
            obj=result if result is not None else mine,
            from_state=str(before) if before is not None else "",
            to_state=str(theirs.object_id) if theirs is not None else "",
            details={"live": live.version, "grouping": grouping_key},
        )
        if before is not None and item is not None and (theirs is None or before != theirs.object_id):
            _delete_unreferenced(item, before, release, user)
    return result
