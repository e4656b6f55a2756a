"""Digests of everything a release contains: content fields, plugins and extensions.

``lock_release`` stores one digest per changed Version (an inherited Version's digest is the
base release's, see :func:`recorded_fingerprints`) and one for the release, chained to the
base's (:func:`release_fingerprint`); ``verify_release`` recomputes every Version's digest
and names every Version whose content changed behind the locks' back (QuerySet
``update()`` or raw SQL, which no model code can intercept).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType

from . import registry
from .copying import extension_relations, placeholder_fields

if TYPE_CHECKING:
    from django.db import models

    from .models import Release, Version


def _digest(payload: Any) -> str:
    data = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(data.encode()).hexdigest()


def _row(obj: models.Model) -> dict[str, Any]:
    return {f.attname: getattr(obj, f.attname) for f in obj._meta.concrete_fields}


def _plugins_by_placeholder(placeholder_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    from cms.models import CMSPlugin
    from cms.utils.plugins import get_bound_plugins

    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    plugins = CMSPlugin.objects.filter(placeholder_id__in=placeholder_ids).order_by("pk")
    for plugin in get_bound_plugins(list(plugins)):
        result[plugin.placeholder_id].append(_row(plugin))
    return result


def content_payloads(
    model: type[models.Model], object_ids: list[int], *, empty_placeholders: bool = False
) -> dict[int, Any]:
    """Return ``{pk: payload}`` describing each content row with its plugins and extensions.

    A fingerprint covers what visitors can see change (DESIGN §9.1, invariant 13): the
    content's fields, its placeholders *with plugins* and its extensions. Empty
    placeholders are left out: django CMS, djangocms-alias and djangocms-stories create
    them lazily when a template declaring a new slot is first rendered, by any visitor.
    ``empty_placeholders=True`` gives the payload of fingerprints recorded by earlier
    versions of this package, which still covered them (see ``services.verify_release``).
    """
    from cms.models import Placeholder

    rows = {obj.pk: obj for obj in model._base_manager.filter(pk__in=object_ids)}
    payloads: dict[int, Any] = {pk: {"fields": _row(obj)} for pk, obj in rows.items()}
    if placeholder_fields(model):
        content_type = ContentType.objects.get_for_model(model)
        placeholders = list(
            Placeholder.objects.filter(content_type=content_type, object_id__in=list(rows)).order_by(
                "slot", "pk"
            )
        )
        plugins = _plugins_by_placeholder([p.pk for p in placeholders])
        for placeholder in placeholders:
            if not empty_placeholders and placeholder.pk not in plugins:
                continue
            payloads[placeholder.object_id].setdefault("placeholders", []).append(
                {"placeholder": _row(placeholder), "plugins": plugins.get(placeholder.pk, [])}
            )
    for rel in extension_relations(model):
        for extension in rel.related_model._base_manager.filter(extended_object_id__in=list(rows)):
            payloads[extension.extended_object_id].setdefault("extensions", []).append(
                {"model": rel.related_model._meta.label, "row": _row(extension)}
            )
    return payloads


def version_digests(
    release: Release, versions: list[Version] | None = None, *, empty_placeholders: bool = False
) -> dict[int, str]:
    """Return ``{version pk: digest}`` for the Versions of ``release``.

    ``empty_placeholders``: see :func:`content_payloads`.
    """
    from .models import Version

    if versions is None:
        versions = list(Version.objects.filter(release=release).order_by("pk"))
    by_type: dict[int, list[Version]] = defaultdict(list)
    for version in versions:
        by_type[version.content_type_id].append(version)
    digests: dict[int, str] = {}
    for content_type_id, group in by_type.items():
        item = registry.for_content_type_id(content_type_id)
        model = item.content_model if item else ContentType.objects.get_for_id(content_type_id).model_class()
        payloads = {}
        object_ids = [v.object_id for v in group]
        for start in range(0, len(object_ids), 500):
            payloads.update(
                content_payloads(
                    model, object_ids[start : start + 500], empty_placeholders=empty_placeholders
                )
            )
        for version in group:
            digests[version.pk] = _digest(
                {
                    "grouping": version.grouping_key,
                    "status": version.status,
                    "active": version.active,
                    "content": payloads.get(version.object_id),
                }
            )
    return digests


def changed_rows(release: Release) -> list[Version]:
    """The Versions of ``release`` that differ from its base (all of them without a base),
    ordered by pk.

    The cost follows the number of changes, not the size of the release: their pks are read
    from the partial index of changed rows (``release_versioning_changed``; a covering index
    scan), then the rows by pk, 500 at a time. One query on both columns lets SQLite's planner
    scan the whole table after ``ANALYZE``: its statistics average the index's rows over the
    releases, and the base release's changed rows are all of them.
    """
    from .models import Version

    ids = sorted(
        Version.objects.filter(release=release, inherited=False).order_by().values_list("pk", flat=True)
    )
    rows: list[Version] = []
    for start in range(0, len(ids), 500):
        rows.extend(Version.objects.filter(pk__in=ids[start : start + 500]).order_by("pk"))
    return rows


def release_fingerprint(
    release: Release, changed: list[Version] | None = None, digests: dict[int, str] | None = None
) -> str:
    """The fingerprint ``lock_release`` records for the whole release.

    It chains the base release's fingerprint with the digests of the rows that changed
    since the base (and the groupings removed from it), so it identifies the release's
    content while costing only the changes. ``changed`` (:func:`changed_rows`) and their
    ``digests`` may be passed when the caller has them already.
    """
    from .models import Release

    if changed is None:
        changed = changed_rows(release)
    if digests is None:
        digests = version_digests(release, changed)
    base = Release.objects.filter(pk=release.based_on_id).values_list("fingerprint", flat=True).first()
    return _digest(
        {
            "base": base or "",
            "changed": sorted((v.content_type_id, v.grouping_key, digests[v.pk]) for v in changed),
            "removed": _removed_groupings(release) if release.has_removals else [],
        }
    )


def _removed_groupings(release: Release) -> list[tuple[int, str]]:
    from .models import Version

    mine = Version.objects.filter(release=release).values_list("content_type_id", "grouping_key")
    base = Version.objects.filter(release_id=release.based_on_id).values_list(
        "content_type_id", "grouping_key"
    )
    return sorted(set(base) - set(mine))


def recorded_fingerprints(release: Release, versions: list[Version]) -> dict[int, str]:
    """``{version pk: the digest recorded when it was locked}``.

    A changed row records its own digest. An inherited row records none: it holds exactly
    what the same grouping holds in the base release, whose recorded digest is its own
    (followed up the chain of bases). This is what lets ``lock_release`` digest only the
    changed rows.
    """
    from .models import Release, Version

    result = {version.pk: version.fingerprint for version in versions}
    pending = {
        (version.content_type_id, version.grouping_key): version.pk
        for version in versions
        if version.inherited and not version.fingerprint
    }
    base_id, seen = release.based_on_id, set()
    while pending and base_id is not None and base_id not in seen:
        seen.add(base_id)
        found: dict[tuple[int, str], tuple[str, bool]] = {}
        by_type: dict[int, list[str]] = defaultdict(list)
        for content_type_id, key in pending:
            by_type[content_type_id].append(key)
        for content_type_id, keys in by_type.items():
            for start in range(0, len(keys), 500):
                rows = Version.objects.filter(
                    release_id=base_id,
                    content_type_id=content_type_id,
                    grouping_key__in=keys[start : start + 500],
                ).values_list("grouping_key", "fingerprint", "inherited")
                for key, fingerprint, inherited in rows:
                    found[(content_type_id, key)] = (fingerprint, inherited)
        still: dict[tuple[int, str], int] = {}
        for grouping, pk in pending.items():
            fingerprint, inherited = found.get(grouping, ("", False))
            if fingerprint:
                result[pk] = fingerprint
            elif inherited:
                still[grouping] = pk
        pending = still
        base_id = Release.objects.filter(pk=base_id).values_list("based_on_id", flat=True).first()
    return result
