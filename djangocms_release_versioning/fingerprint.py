"""Digests of everything a release contains: content fields, plugins and extensions.

``lock_release`` stores one digest per Version and one for the release; ``verify_release``
recomputes them and names every Version whose content changed behind the locks' back
(QuerySet ``update()`` or raw SQL, which no model code can intercept).
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


def release_digest(digests: dict[int, str]) -> str:
    """One digest for the whole release, from its per-Version digests."""
    return _digest(sorted(digests.items()))
