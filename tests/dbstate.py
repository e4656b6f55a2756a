"""Whole-database snapshots: every row of every table, to prove an operation changed nothing."""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.db import DEFAULT_DB_ALIAS, connections, models

#: ``{table: {primary key: {column: value}}}``
Snapshot = dict[str, dict[Any, dict[str, Any]]]


def _snapshot_models(using: str) -> list[type[models.Model]]:
    """Every concrete model with a table, including auto-created many-to-many tables."""
    with connections[using].cursor() as cursor:
        existing = set(connections[using].introspection.table_names(cursor))
    return [
        model
        for model in apps.get_models(include_auto_created=True)
        if not model._meta.proxy and model._meta.db_table in existing
    ]


def snapshot(using: str = DEFAULT_DB_ALIAS) -> Snapshot:
    """Return every row of every table, keyed by table and primary key."""
    state: Snapshot = {}
    for model in _snapshot_models(using):
        pk = model._meta.pk.attname
        rows = model._base_manager.using(using).order_by("pk").values()
        state[model._meta.db_table] = {row[pk]: row for row in rows}
    return state


def differences(before: Snapshot, after: Snapshot) -> list[str]:
    """Describe every table whose rows differ between two snapshots (empty: identical)."""
    problems = []
    for table in sorted(set(before) | set(after)):
        old, new = before.get(table, {}), after.get(table, {})
        if old == new:
            continue
        added = sorted(set(new) - set(old), key=str)
        removed = sorted(set(old) - set(new), key=str)
        changed = sorted((pk for pk in set(old) & set(new) if old[pk] != new[pk]), key=str)
        problems.append(f"{table}: added {added}, removed {removed}, changed {changed}")
    return problems


def row_count(state: Snapshot) -> int:
    """Total number of rows in a snapshot (to check a snapshot is not trivially empty)."""
    return sum(len(rows) for rows in state.values())
