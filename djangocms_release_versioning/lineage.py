"""Lineage of releases: fork points and what the live line changed since (DESIGN §9.1.11, §9.2).

Releases form a tree through ``based_on`` (a release is branched from a locked one).

* The **live line** of the live release ``L`` is ``L`` and its ancestors: ``L``,
  ``L.based_on``, ``L.based_on.based_on`` … Every release that went live after another one
  of the line was branched from it — the next release, a hotfix of ``publish_now`` (branched
  from the live release), a patch release.
* The **fork point** of a release ``R`` is the newest release of ``R``'s own chain (``R``,
  ``R.based_on`` …) that is on the live line: the release the two lines share. For a
  release branched from the live one it is the live release itself (nothing to do); for
  ``v3`` branched from ``v1`` while ``v2`` (also from ``v1``) went live, it is ``v1``. A
  release with no release in common with the live line (created without a base) has no
  fork point and is never behind.
* The **live line changed** a grouping since the fork point ``F`` when the live release's
  row of it differs from ``F``'s (content row, status or visibility). Groupings the live
  release has neither changed nor removed since ``F`` cannot differ, so only the rows that
  the releases of the live line between ``F`` and ``L`` changed are read: the
  ``inherited=False`` rows (partial index ``release_versioning_changed``) plus, for a release
  marked ``has_removals``, the groupings it lost. The work grows with the number of changed
  groupings, not with the size of the site.

For every grouping the live line changed, ``R``'s own row decides:

* ``R`` has the live row already → nothing to do;
* ``R`` still has the fork point's row → ``BEHIND``: a rebase takes the live row, and
  deploying ``R`` as it is would revert the grouping (``would_revert`` when what visitors
  see differs);
* ``R`` has a row of its own → ``CONFLICT``: both sides changed it; a rebase keeps ``R``'s
  row and lists it.

Used by the ``would_revert`` deploy guard (:mod:`.guards`), :func:`.services.rebase_release`
and the "behind live" notices of the release list, the release page and the toolbar.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Exists, OuterRef

from .constants import APPROVED
from .models import Release, Version

if TYPE_CHECKING:
    from django.db.models import QuerySet

Key = tuple[int, str]

BEHIND = "behind"
CONFLICT = "conflict"

_BATCH = 500


def row_value(version: Version | None) -> tuple[int, str, bool] | None:
    """What a Version says about its grouping: (content row, status, visible), or None."""
    if version is None:
        return None
    return (version.object_id, version.status, version.active)


def public_id(version: Version | None) -> int | None:
    """The content row visitors see through ``version`` (None: nothing public)."""
    if version is None or version.status != APPROVED or not version.active:
        return None
    return version.object_id


# -- the release tree -------------------------------------------------------------------


@dataclass(frozen=True)
class ReleaseTree:
    """``based_on`` of every release, read in one query (a few integers per release)."""

    parents: dict[int, int | None]
    removals: frozenset[int] = frozenset()

    @classmethod
    def load(cls) -> ReleaseTree:
        rows = Release.objects.order_by().values_list("pk", "based_on_id", "has_removals")
        parents, removals = {}, set()
        for pk, parent, has_removals in rows:
            parents[pk] = parent
            if has_removals:
                removals.add(pk)
        return cls(parents, frozenset(removals))

    def chain(self, release_id: int) -> list[int]:
        """``release_id`` and its ancestors, nearest first."""
        chain, seen = [], set()
        current: int | None = release_id
        while current is not None and current not in seen:
            chain.append(current)
            seen.add(current)
            current = self.parents.get(current)
        return chain

    def fork_point(self, release_id: int, live_id: int) -> int | None:
        """The newest release of ``release_id``'s chain that is on the live line, or None."""
        live_line = set(self.chain(live_id))
        return next((pk for pk in self.chain(release_id) if pk in live_line), None)

    def path(self, descendant: int, ancestor: int) -> list[int]:
        """The releases from ``descendant`` up to ``ancestor`` (excluded), nearest first."""
        chain = self.chain(descendant)
        return chain[: chain.index(ancestor)] if ancestor in chain else chain


def changed_keys(tree: ReleaseTree, release_ids: Iterable[int]) -> dict[int, set[Key]]:
    """``{release: groupings it changed against its base}`` — one query for all releases,
    plus one per release that lost groupings (``has_removals``)."""
    ids = sorted(set(release_ids))
    result: dict[int, set[Key]] = {pk: set() for pk in ids}
    if not ids:
        return result
    rows = (
        Version.objects.filter(release_id__in=ids, inherited=False)
        .order_by()
        .values_list("release_id", "content_type_id", "grouping_key")
    )
    for release_id, content_type_id, grouping_key in rows:
        result[release_id].add((content_type_id, grouping_key))
    for pk in ids:
        parent = tree.parents.get(pk)
        if pk in tree.removals and parent is not None:
            result[pk] |= set(_removed_keys(parent, pk).values_list("content_type_id", "grouping_key"))
    return result


def _removed_keys(base_id: int, release_id: int) -> QuerySet:
    """Groupings ``base_id`` has and ``release_id`` does not."""
    in_release = Version.objects.filter(
        release_id=release_id,
        content_type_id=OuterRef("content_type_id"),
        grouping_key=OuterRef("grouping_key"),
    )
    return Version.objects.filter(release_id=base_id).exclude(Exists(in_release)).order_by()


def fetch_rows(release_ids: Iterable[int], keys: Iterable[Key]) -> dict[tuple[int, int, str], Version]:
    """``{(release, content type, grouping): Version}`` for ``keys`` in ``release_ids``
    (one query per content type and 500 groupings)."""
    ids = sorted(set(release_ids))
    by_type: dict[int, list[str]] = {}
    for content_type_id, grouping_key in set(keys):
        by_type.setdefault(content_type_id, []).append(grouping_key)
    found: dict[tuple[int, int, str], Version] = {}
    if not ids:
        return found
    for content_type_id, grouping_keys in by_type.items():
        grouping_keys.sort()
        for start in range(0, len(grouping_keys), _BATCH):
            for version in Version.objects.filter(
                release_id__in=ids,
                content_type_id=content_type_id,
                grouping_key__in=grouping_keys[start : start + _BATCH],
            ):
                found[(version.release_id, version.content_type_id, version.grouping_key)] = version
    return found


# -- divergence -------------------------------------------------------------------------


@dataclass
class DivergedRow:
    """One grouping the live line changed since the fork point that the release lacks."""

    kind: str  # BEHIND or CONFLICT
    content_type_id: int
    grouping_key: str
    fork: Version | None  # the fork point's row
    live: Version | None  # the live release's row
    mine: Version | None  # the release's row
    changed_by: int | None = None  # the release of the live line that last changed it

    @property
    def key(self) -> Key:
        return (self.content_type_id, self.grouping_key)

    @property
    def reverts(self) -> bool:
        """Deploying the release as it is would put back what visitors saw at the fork point."""
        return self.kind == BEHIND and public_id(self.mine) != public_id(self.live)


@dataclass
class Divergence:
    """How a release stands against the live line (see the module docstring)."""

    release_id: int
    live_id: int | None = None
    fork_id: int | None = None
    rows: list[DivergedRow] = field(default_factory=list)
    #: Releases of the release's own line between it and the fork point (itself first).
    own_path: list[int] = field(default_factory=list)
    #: Releases of the live line between the fork point and the live release (live first).
    live_path: list[int] = field(default_factory=list)

    @property
    def has_moved(self) -> bool:
        """The live line moved on since the fork point (a rebase would change the base)."""
        return self.fork_id is not None and self.fork_id != self.live_id

    @property
    def behind(self) -> list[DivergedRow]:
        return [row for row in self.rows if row.kind == BEHIND]

    @property
    def conflicts(self) -> list[DivergedRow]:
        return [row for row in self.rows if row.kind == CONFLICT]

    @property
    def reverting(self) -> list[DivergedRow]:
        return [row for row in self.rows if row.reverts]

    def __len__(self) -> int:
        return len(self.rows)


def divergences(releases: Iterable[Release], live_id: int | None) -> dict[int, Divergence]:
    """How each of ``releases`` stands against the live release ``live_id``.

    A constant number of queries however many releases are given: none when every release
    was branched from the live one; else one for the release tree, one for the changed rows
    of the live line and one per content type (and 500 groupings) for the rows compared.
    """
    releases = list(releases)
    result = {release.pk: Divergence(release.pk, live_id) for release in releases}
    if live_id is None:
        return result
    pending = [r for r in releases if r.pk != live_id and r.based_on_id != live_id]
    for release in releases:
        if release.based_on_id == live_id:
            result[release.pk].fork_id = live_id
    if not pending:
        return result
    tree = ReleaseTree.load()
    for release in pending:
        divergence = result[release.pk]
        divergence.fork_id = tree.fork_point(release.pk, live_id)
        if divergence.has_moved:
            divergence.live_path = tree.path(live_id, divergence.fork_id)
            divergence.own_path = tree.path(release.pk, divergence.fork_id)
    moved = [result[r.pk] for r in pending if result[r.pk].has_moved]
    if not moved:
        return result
    changed = changed_keys(tree, {pk for d in moved for pk in d.live_path})
    candidates: dict[int, dict[Key, int]] = {}
    for divergence in moved:
        keys: dict[Key, int] = {}
        for pk in reversed(divergence.live_path):  # oldest first: the newest change wins
            for key in changed[pk]:
                keys[key] = pk
        candidates[divergence.release_id] = keys
    rows = fetch_rows(
        {live_id} | {d.fork_id for d in moved} | {d.release_id for d in moved},
        {key for keys in candidates.values() for key in keys},
    )
    for divergence in moved:
        divergence.rows = _classify(divergence, candidates[divergence.release_id], rows)
    return result


def _classify(
    divergence: Divergence, candidates: dict[Key, int], rows: dict[tuple[int, int, str], Version]
) -> list[DivergedRow]:
    found = []
    for key in sorted(candidates):
        fork = rows.get((divergence.fork_id, *key))
        live = rows.get((divergence.live_id, *key))
        mine = rows.get((divergence.release_id, *key))
        fork_value, live_value, mine_value = row_value(fork), row_value(live), row_value(mine)
        if fork_value == live_value or mine_value == live_value:
            continue
        kind = BEHIND if mine_value == fork_value else CONFLICT
        found.append(DivergedRow(kind, key[0], key[1], fork, live, mine, changed_by=candidates[key]))
    return found


def divergence(release: Release, live_id: int | None) -> Divergence:
    """How ``release`` stands against the live release ``live_id`` (see :func:`divergences`)."""
    return divergences([release], live_id)[release.pk]


def behind_counts(releases: Iterable[Release], live_id: int | None) -> dict[int, int]:
    """``{release: groupings the live line changed that it lacks}`` for the not yet deployed
    releases among ``releases`` (0 for the others); constant queries, see :func:`divergences`."""
    releases = list(releases)
    candidates = [r for r in releases if r.first_deployed_at is None and r.pk != live_id]
    found = divergences(candidates, live_id)
    return {r.pk: len(found[r.pk]) if r.pk in found else 0 for r in releases}
