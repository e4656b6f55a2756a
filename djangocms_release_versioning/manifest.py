"""What a deploy changes: the groupings whose live content differs between two releases."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.db.models import CharField, Count, Exists, Func, OuterRef, Q, Window

from . import registry
from .constants import APPROVED

if TYPE_CHECKING:
    from django.db.models import QuerySet

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


def _changes(
    keys: list[tuple[int, str]],
    old_versions: dict[tuple[int, str], Version],
    new_versions: dict[tuple[int, str], Version],
) -> list[Change]:
    """The :class:`Change` of each of ``keys`` (in that order) that differs publicly."""
    changes = []
    for key in keys:
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
    return _changes(sorted(keys), fetch_versions(previous, keys), new_versions)


def _changes_on_path(previous: Release, release: Release, path: list[int]) -> list[Change]:
    """Fast path for a rollback: the live release ``previous`` descends from ``release``
    (``path``: :func:`_path_to` from ``previous`` up to ``release``), so only the groupings
    the releases on the way changed can differ. Cost: the rows changed on the way."""
    return page_changes(previous, release, sorted(_changed_keys(path)))


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
    number of changed groupings, not with the size of the site. The same holds for the
    usual rollback, where ``previous`` descends from ``release``. Otherwise (releases
    branched from elsewhere, removals on the way) the database computes the set differences.
    """
    path = _path_to(previous, release) if previous is not None else None
    if path is not None:
        changes = _changes_since_branch(previous, release, path)
    elif previous is not None and (back := _path_to(release, previous)) is not None:
        changes = _changes_on_path(previous, release, back)
    else:
        changes = _changes_by_comparison(previous, release)
    return DeployManifest(release=release, previous=previous, changes=changes)


# -- differing groupings, counted and paginated by the database (the review page) ------------


class CodePointOrder(Func):
    """A string column compared by code points on every database, as Python sorts strings
    (PostgreSQL's and MariaDB's collations would otherwise order ``[10, "en"]`` and
    ``[1, "en"]`` by their language rules). SQLite compares bytes already."""

    template = "%(expressions)s"
    output_field = CharField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template='%(expressions)s COLLATE "C"', **extra)

    def as_mysql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, Any]:
        return self.as_sql(compiler, connection, template="CAST(%(expressions)s AS BINARY)", **extra)


@contextmanager
def _without_jit() -> Iterator[None]:
    """Run the enclosed queries with PostgreSQL's JIT compiler off (other databases: as they
    are). The planner cannot know how few rows the index of changed rows holds for one
    release, so it estimates the key queries' correlated lookups at a cost that starts the
    JIT: 250-300 ms of compiling for queries that run in a few milliseconds."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
        yield


class KeyList:
    """The ``(content type id, grouping key)`` of differing groupings, sorted as ``sorted()``
    sorts them, for :class:`django.core.paginator.Paginator`: ``count()`` and slices are
    computed by the database, so a page of keys costs the same queries whatever their number.

    :meth:`expect` names the page that will be asked for: ``count()`` then reads that page
    with the total (a window function) in one query, the work of sorting the keys done once.
    """

    def __init__(self, queryset: QuerySet | None, *, windowed: bool = True) -> None:
        self._queryset = queryset
        self._windowed = windowed
        self._count: int | None = None
        self._expected: slice | None = None
        self._cached: tuple[int, list[tuple[int, str]]] | None = None

    def expect(self, number: Any, per_page: int) -> KeyList:
        """Say which page (``number`` as the request gives it, default 1) will be read."""
        try:
            page = max(int(number), 1)
        except (TypeError, ValueError):
            page = 1
        self._expected = slice((page - 1) * per_page, page * per_page)
        return self

    def count(self) -> int:
        """The number of keys (one query, remembered; with the expected page, see :meth:`expect`)."""
        if self._count is None and self._queryset is None:
            self._count = 0
        if self._count is None and self._expected is not None and self._windowed:
            with _without_jit():
                rows = list(self._queryset.annotate(total=Window(Count("pk")))[self._expected])
            if rows:
                self._count = rows[0][-1]
                self._cached = (self._expected.start, [(row[0], row[1]) for row in rows])
        if self._count is None:
            with _without_jit():
                self._count = self._queryset.count()
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[tuple[int, str]]:
        """The keys of ``index``, a slice (one query, none for the expected page).

        :raises TypeError: ``index`` is not a slice.
        """
        if not isinstance(index, slice):
            raise TypeError("KeyList supports slices only")
        if self._queryset is None:
            return []
        if self._cached is not None and index.start == self._cached[0] and index.stop is not None:
            return self._cached[1][: index.stop - index.start]
        with _without_jit():
            return [(row[0], row[1]) for row in self._queryset[index]]

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return iter(self[0 : self.count()])


def _sorted_keys(queryset: QuerySet, *, distinct: bool = False) -> KeyList:
    keys = (
        queryset.annotate(sort_key=CodePointOrder("grouping_key"))
        .values_list("content_type_id", "grouping_key", "sort_key")
        .order_by("content_type_id", "sort_key")
    )
    # A window function counts the rows before DISTINCT removes any: no window then.
    return KeyList(keys.distinct() if distinct else keys, windowed=not distinct)


def lineage_path(first: Release, second: Release) -> tuple[Release, Release, list[int]] | None:
    """``(descendant, ancestor, path)`` when one of the two releases descends from the other
    without removals on the way (``path``: :func:`_path_to`, the releases from the
    descendant up to the ancestor, excluded), else None. Then only the groupings the
    releases of ``path`` changed (``inherited=False``) can differ between the two."""
    if first.pk == second.pk:
        return None
    path = _path_to(second, first)
    if path is not None:
        return first, second, path
    path = _path_to(first, second)
    if path is not None:
        return second, first, path
    return None


def _at_outer_key(release_id: int, *fields: str, public: bool = False) -> QuerySet:
    """The Version of ``release_id`` at the outer query's grouping, with the same ``fields``."""
    from .models import Version

    rows = Version.objects.filter(
        release_id=release_id,
        content_type_id=OuterRef("content_type_id"),
        grouping_key=OuterRef("grouping_key"),
        **{name: OuterRef(name) for name in fields},
    )
    return rows.filter(status=APPROVED, active=True) if public else rows


#: Up to this many changed rows, :func:`_changed_rows` hands their pks to the database as a list.
_FEW_CHANGES = 500


def _changed_rows(release_id: int | list[int]) -> QuerySet:
    """The changed rows (``inherited=False``) of ``release_id``, found by pk through the index
    of changed rows (one query reading at most :data:`_FEW_CHANGES` + 1 pks from it).

    Asked for the grouping key directly, SQLite's planner walks every row of the release in
    the unique index, which holds the key. Given a few pks as a list, the planners know how
    few rows follow; given the index's rows as a subquery, PostgreSQL's planner estimates
    them from statistics that average the index's rows over the releases (a third of the
    table in the benchmark) and hashes the whole table.
    """
    from .models import Version

    releases = release_id if isinstance(release_id, list) else [release_id]
    ids = Version.objects.filter(release_id__in=releases, inherited=False)
    # Ordered like the index of changed rows, so that the LIMIT reads it rather than the table.
    few = list(ids.order_by("release_id", "inherited").values_list("pk", flat=True)[: _FEW_CHANGES + 1])
    if len(few) <= _FEW_CHANGES:
        return Version.objects.filter(pk__in=few)
    return Version.objects.filter(pk__in=ids.order_by().values("pk"))


_ROW = ("object_id", "status", "active")
_PUBLIC = Q(status=APPROVED, active=True)


def differing_keys(release: Release, other: Release | None) -> KeyList:
    """Every grouping whose Version (content row, status or visibility) differs between
    ``release`` and ``other`` (all of ``release``'s without ``other``), sorted; see
    :class:`KeyList`. When one release descends from the other (:func:`lineage_path`) only
    the rows changed on the way are read (index ``release_versioning_changed``), otherwise
    both releases' rows are compared in the database; nothing is loaded but the page."""
    from .models import Version

    if other is None:
        return _sorted_keys(Version.objects.filter(release=release))
    if other.pk == release.pk:
        return KeyList(None)
    related = lineage_path(release, other)
    if related is not None:
        descendant, ancestor, path = related
        if path == [descendant.pk]:
            changed = _changed_rows(descendant.pk)
            return _sorted_keys(changed.exclude(Exists(_at_outer_key(ancestor.pk, *_ROW))))
        # The descendant's row of the changed grouping has no identical row in the ancestor.
        differs = Exists(_at_outer_key(descendant.pk).exclude(Exists(_at_outer_key(ancestor.pk, *_ROW))))
        return _sorted_keys(_changed_rows(path).filter(differs), distinct=True)
    rows = Version.objects.filter(release_id__in=[release.pk, other.pk]).filter(
        (Q(release_id=release.pk) & ~Exists(_at_outer_key(other.pk, *_ROW)))
        | (Q(release_id=other.pk) & ~Exists(_at_outer_key(release.pk)))
    )
    return _sorted_keys(rows)


def _public_differs(descendant_id: int, ancestor_id: int) -> Q:
    """For the outer query's grouping: what visitors see differs between the two releases."""
    arriving = _at_outer_key(descendant_id, public=True).exclude(
        Exists(_at_outer_key(ancestor_id, "object_id", public=True))
    )
    leaving = Exists(_at_outer_key(ancestor_id, public=True)) & ~Exists(
        _at_outer_key(descendant_id, public=True)
    )
    return Q(Exists(arriving)) | Q(leaving)


def change_keys(previous: Release | None, release: Release) -> KeyList:
    """The groupings :func:`compute_manifest` ``(previous, release)`` lists as changes, in
    its order, without loading them; see :class:`KeyList`. Reads the rows changed between
    the two releases when one descends from the other (the deploy's and the rollback's fast
    paths), else compares their public rows in the database. :func:`page_changes` gives the
    :class:`Change` of a page of them."""
    from .models import Version

    if previous is None:
        return _sorted_keys(Version.objects.filter(_PUBLIC, release=release))
    if previous.pk == release.pk:
        return KeyList(None)
    related = lineage_path(release, previous)
    if related is not None:
        descendant, ancestor, path = related
        if path == [descendant.pk]:
            changed = _changed_rows(descendant.pk)
            same_public = Exists(_at_outer_key(ancestor.pk, "object_id", public=True))
            return _sorted_keys(
                changed.filter(
                    (_PUBLIC & ~same_public) | (~_PUBLIC & Exists(_at_outer_key(ancestor.pk, public=True)))
                )
            )
        return _sorted_keys(
            _changed_rows(path).filter(_public_differs(descendant.pk, ancestor.pk)), distinct=True
        )
    rows = Version.objects.filter(_PUBLIC, release_id__in=[release.pk, previous.pk]).filter(
        (Q(release_id=release.pk) & ~Exists(_at_outer_key(previous.pk, "object_id", public=True)))
        | (Q(release_id=previous.pk) & ~Exists(_at_outer_key(release.pk, public=True)))
    )
    return _sorted_keys(rows)


def page_changes(previous: Release | None, release: Release, keys: list[tuple[int, str]]) -> list[Change]:
    """The :class:`Change` of each of ``keys`` (a page of :func:`change_keys`), in order;
    one query per content model and release."""
    return _changes(keys, fetch_versions(previous, set(keys)), fetch_versions(release, set(keys)))


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
