"""What a deploy changes: the groupings whose live content differs between two releases."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType

from . import registry
from .constants import APPROVED

if TYPE_CHECKING:
    from .models import Release, Version

ADDED = "added"
CHANGED = "changed"
REMOVED = "removed"

_BATCH = 500


@dataclass
class Change:
    """One grouping whose live content changes: ``old`` leaves, ``new`` arrives."""

    kind: str
    content_type_id: int
    grouping_key: str
    old: Version | None = None
    new: Version | None = None

    @property
    def model_label(self) -> str:
        return ContentType.objects.get_for_id(self.content_type_id).model_class()._meta.label


@dataclass
class DeployManifest:
    """The changes a deploy of ``release`` over ``previous`` makes (or would make)."""

    release: Release
    previous: Release | None
    changes: list[Change] = field(default_factory=list)
    dry_run: bool = False
    deployment: object = None
    #: What the deploy guards found (:class:`~.guards.GuardFinding`, each with ``confirmed``).
    findings: list = field(default_factory=list)
    #: Dry runs only: every change described (:class:`ChangeRow`), in ``changes`` order.
    rows: list = field(default_factory=list)

    def counts(self) -> dict[str, dict[str, int]]:
        """``{model label: {"added": n, "changed": n, "removed": n}}``."""
        result: dict[str, Counter] = {}
        for change in self.changes:
            result.setdefault(change.model_label, Counter())[change.kind] += 1
        return {
            label: {kind: counter.get(kind, 0) for kind in (ADDED, CHANGED, REMOVED)}
            for label, counter in sorted(result.items())
        }

    def __len__(self) -> int:
        return len(self.changes)


def _public_rows(release: Release | None):
    from .models import Version

    if release is None:
        return Version.objects.none().values_list("content_type_id", "grouping_key", "object_id")
    return (
        Version.objects.filter(release=release, status=APPROVED, active=True)
        .order_by()
        .values_list("content_type_id", "grouping_key", "object_id")
    )


def fetch_versions(
    release: Release | None, keys: set[tuple[int, str]], *, select_related: tuple[str, ...] = ()
) -> dict[tuple[int, str], Version]:
    """``{(content type id, grouping key): Version}`` of ``release`` for ``keys`` (batched)."""
    from .models import Version

    found: dict[tuple[int, str], Version] = {}
    if release is None or not keys:
        return found
    by_type: dict[int, list[str]] = {}
    for content_type_id, grouping_key in keys:
        by_type.setdefault(content_type_id, []).append(grouping_key)
    for content_type_id, grouping_keys in by_type.items():
        for start in range(0, len(grouping_keys), _BATCH):
            for version in Version.objects.filter(
                release=release,
                content_type_id=content_type_id,
                grouping_key__in=grouping_keys[start : start + _BATCH],
            ).select_related(*select_related):
                found[(version.content_type_id, version.grouping_key)] = version
    return found


def _is_public(version: Version | None) -> bool:
    return version is not None and version.status == APPROVED and version.active


def _classify(old: Version | None, new: Version | None) -> str | None:
    """The kind of change between two Versions of one grouping, or None."""
    was, now = _is_public(old), _is_public(new)
    if was and now:
        return CHANGED if old.object_id != new.object_id else None
    if now:
        return ADDED
    return REMOVED if was else None


#: How many releases :func:`_path_to` walks up from a release to find the live one.
_MAX_HOPS = 50


def _path_to(previous: Release, release: Release) -> list[int] | None:
    """``[release, its base, …]`` up to, not including, ``previous``, when ``previous`` is
    an ancestor of ``release`` (at most :data:`_MAX_HOPS` releases up) and no release on
    the way lost a grouping (``has_removals``); otherwise None. One query per step."""
    from .models import Release as ReleaseModel

    if release.has_removals:
        return None
    path, based_on = [release.pk], release.based_on_id
    for _ in range(_MAX_HOPS):
        if based_on is None:
            return None
        if based_on == previous.pk:
            return path
        row = ReleaseModel.objects.filter(pk=based_on).values_list("based_on_id", "has_removals").first()
        if row is None or row[1]:
            return None
        path.append(based_on)
        based_on = row[0]
    return None


def _changed_keys(release_ids: list[int]) -> set[tuple[int, str]]:
    """The groupings of the changed rows (``inherited=False``) of ``release_ids``: pks from
    the index of changed rows, then the keys by pk (see ``fingerprint.changed_rows``)."""
    from .models import Version

    ids = list(
        Version.objects.filter(release_id__in=release_ids, inherited=False)
        .order_by()
        .values_list("pk", flat=True)
    )
    keys: set[tuple[int, str]] = set()
    for start in range(0, len(ids), _BATCH):
        keys.update(
            Version.objects.filter(pk__in=ids[start : start + _BATCH])
            .order_by()
            .values_list("content_type_id", "grouping_key")
        )
    return keys


def _changes_since_branch(previous: Release, release: Release, path: list[int] | None = None) -> list[Change]:
    """Fast path for a release that descends from the live one: only the groupings some
    release on the way changed can differ (a copied row keeps ``inherited=True`` only while
    it holds what its base holds; the database clears the flag otherwise, migration 0009).

    ``path``: :func:`_path_to` (default: ``release`` branched from ``previous`` directly).
    Cost: the rows changed on the way, not the size of the releases.
    """
    from .fingerprint import changed_rows

    changed = changed_rows(release)  # read through the index of changed rows, O(changes)
    new_versions = {(v.content_type_id, v.grouping_key): v for v in changed}
    keys = set(new_versions)
    if path is not None and len(path) > 1:
        earlier = _changed_keys(path[1:]) - keys
        new_versions.update(fetch_versions(release, earlier))
        keys |= earlier
    old_versions = fetch_versions(previous, keys)
    changes = []
    for key in sorted(keys):
        old, new = old_versions.get(key), new_versions.get(key)
        kind = _classify(old, new)
        if kind is not None:
            changes.append(
                Change(
                    kind,
                    key[0],
                    key[1],
                    old=old if _is_public(old) else None,
                    new=new if _is_public(new) else None,
                )
            )
    return changes


def _changes_by_comparison(previous: Release | None, release: Release) -> list[Change]:
    """General path: the database computes the two set differences of public rows."""
    new_rows, old_rows = _public_rows(release), _public_rows(previous)
    arriving = {(ct, key) for ct, key, _ in new_rows.difference(old_rows)}
    leaving = {(ct, key) for ct, key, _ in old_rows.difference(new_rows)}
    new_versions = fetch_versions(release, arriving)
    old_versions = fetch_versions(previous, leaving)
    changes = []
    for key in sorted(arriving | leaving):
        if key in arriving and key in leaving:
            kind = CHANGED
        elif key in arriving:
            kind = ADDED
        else:
            kind = REMOVED
        changes.append(Change(kind, key[0], key[1], old=old_versions.get(key), new=new_versions.get(key)))
    return changes


def compute_manifest(previous: Release | None, release: Release) -> DeployManifest:
    """Compare the public content of ``previous`` (the live release) and ``release``.

    When ``release`` descends from ``previous`` (branched from it, the usual next release
    or a hotfix, or from a release branched from it, and so on) and no release on the way
    lost a grouping, only the rows changed on the way are read, so the work grows with the
    number of changed groupings, not with the size of the site. Otherwise (rollbacks,
    releases branched from elsewhere, removals) the database computes the set differences.
    """
    path = _path_to(previous, release) if previous is not None else None
    if path is not None:
        changes = _changes_since_branch(previous, release, path)
    else:
        changes = _changes_by_comparison(previous, release)
    return DeployManifest(release=release, previous=previous, changes=changes)


def changes_by_item(manifest: DeployManifest):
    """Yield ``(VersionableItem, [Change, ...])`` per registered content model."""
    grouped: dict[int, list[Change]] = {}
    for change in manifest.changes:
        grouped.setdefault(change.content_type_id, []).append(change)
    for content_type_id, changes in grouped.items():
        item = registry.for_content_type_id(content_type_id)
        if item is not None:
            yield item, changes


@dataclass
class ChangeRow:
    """One change described for people and CI: what it is and where visitors find it.

    ``url`` is the public URL after the deploy for added and changed content, the URL it
    has now for removed content, ``""`` when the model has none.
    """

    kind: str
    model: str
    name: str
    language: str
    url: str
    grouping: str

    def as_dict(self) -> dict[str, str]:
        return {
            "kind": self.kind,
            "model": self.model,
            "name": self.name,
            "language": self.language,
            "url": self.url,
            "grouping": self.grouping,
        }


def _url_of(content: object) -> str:
    get_url = getattr(content, "get_absolute_url", None)
    if get_url is None:
        return ""
    try:
        return str(get_url() or "")
    except Exception:  # e.g. NoReverseMatch: a model whose app has no URL on this site
        return ""


def describe_changes(manifest: DeployManifest, kinds: tuple[str, ...]) -> list[ChangeRow]:
    """Describe the changes of ``kinds``: the arriving content for added / changed rows, the
    leaving content for removed ones (one query per content model, plus whatever the
    models' ``get_absolute_url`` costs)."""
    wanted = [change for change in manifest.changes if change.kind in kinds]
    by_type: dict[int, set[int]] = {}
    for change in wanted:
        version = change.old if change.kind == REMOVED else change.new
        if version is not None:
            by_type.setdefault(change.content_type_id, set()).add(version.object_id)
    contents: dict[tuple[int, int], object] = {}
    for content_type_id, ids in by_type.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        for pk, content in model._base_manager.in_bulk(ids).items():
            contents[(content_type_id, pk)] = content
    rows = []
    for change in wanted:
        version = change.old if change.kind == REMOVED else change.new
        content = contents.get((change.content_type_id, version.object_id)) if version else None
        rows.append(
            ChangeRow(
                kind=change.kind,
                model=change.model_label,
                name=str(content) if content is not None else "",
                language=str(getattr(content, "language", "") or ""),
                url=_url_of(content) if content is not None else "",
                grouping=change.grouping_key,
            )
        )
    return rows
