"""State indicators (DESIGN §5): the working release's Version against the live one."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from . import registry
from .constants import (
    APPROVED,
    DRAFT,
    FUTURE,
    INDICATOR_APPROVED,
    INDICATOR_DIRTY,
    INDICATOR_DRAFT,
    INDICATOR_EMPTY,
    INDICATOR_FUTURE,
    INDICATOR_PUBLISHED,
    INDICATOR_UNPUBLISHED,
)
from .context import get_live_release_id, get_working_release
from .models import Version

if TYPE_CHECKING:
    from django.db import models

_CACHE_ATTR = "_release_indicator"


def indicator_for(working: Version | None, live: Version | None) -> str:
    """The indicator for a grouping, given its Version in the working and the live release.

    ``live`` must be the live release's Version only if it is public (approved, active).
    """
    if working is None:
        return INDICATOR_EMPTY
    if not working.active:
        return INDICATOR_UNPUBLISHED
    if working.status == FUTURE:
        return INDICATOR_FUTURE
    if working.status == DRAFT:
        return INDICATOR_DIRTY if live is not None else INDICATOR_DRAFT
    if live is not None and live.object_id == working.object_id:
        return INDICATOR_PUBLISHED
    return INDICATOR_APPROVED


PAIR_ATTR = "_release_versions"


def prefetch_indicators(contents: Iterable[models.Model]) -> None:
    """Compute and cache the state of many content rows with one query per model.

    One query fetches the working and live Versions of each grouping and every Version
    referencing one of the rows; it caches on each row its indicator, its editability
    (``is_editable()``) and the ``(working, live)`` Version pair (``PAIR_ATTR``), so the
    toolbar, the page tree and the admins ask nothing again.
    """
    from .editing import editable_with_versions

    contents = [c for c in contents if c is not None and c.pk is not None]
    working = get_working_release()
    live_id = get_live_release_id()
    by_model: dict[type, list[models.Model]] = {}
    for content in contents:
        if registry.for_content(content) is not None:
            by_model.setdefault(type(content), []).append(content)
    release_ids = [r for r in (working.pk if working else None, live_id) if r is not None]
    for model, rows in by_model.items():
        item = registry.for_model(model)
        keys = {row.pk: item.grouping_key(row) for row in rows}
        found: dict[tuple[int, str], Version] = {}
        referencing: dict[int, list[Version]] = {}
        unique_keys = sorted(set(keys.values()))
        versions = Version.objects.filter(content_type=item.content_type).select_related(
            "release", "modified_by"
        )
        for start in range(0, len(unique_keys), 500):
            # A UNION of two index lookups: the working and live Versions by (release,
            # grouping), every Version referencing the rows by (content type, object id).
            # One WHERE with an OR made SQLite scan every Version of the content type,
            # a cost that grew with pages times releases.
            chunk = unique_keys[start : start + 500]
            in_chunk = set(chunk)
            pairs = versions.filter(release_id__in=release_ids, grouping_key__in=chunk)
            referencing_rows = versions.filter(
                object_id__in=[pk for pk, key in keys.items() if key in in_chunk]
            )
            for version in pairs.union(referencing_rows).order_by("pk"):
                if version.release_id in release_ids:
                    found[(version.release_id, version.grouping_key)] = version
                referencing.setdefault(version.object_id, []).append(version)
        for row in rows:
            key = keys[row.pk]
            mine = found.get((working.pk, key)) if working else None
            live = found.get((live_id, key)) if live_id else None
            if live is not None and not (live.status == APPROVED and live.active):
                live = None
            setattr(row, _CACHE_ATTR, indicator_for(mine, live))
            setattr(row, PAIR_ATTR, (mine, live))
            row._release_editable = editable_with_versions(referencing.get(row.pk, []))


def content_indicator(content: models.Model) -> str:
    """``content_indicator()`` as django CMS calls it (no arguments), cached on the row."""
    cached = getattr(content, _CACHE_ATTR, None)
    if cached is None:
        prefetch_indicators([content])
        cached = getattr(content, _CACHE_ATTR, INDICATOR_EMPTY)
    return cached
