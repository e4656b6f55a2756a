"""Row locks that make content edits and release locking exclude each other.

Edits take a *shared* lock on the rows of the releases they write into; locking a release
takes an *exclusive* lock on its row. So an edit either commits before the lock is taken
(and is part of the locked release's fingerprint) or sees the release as locked and is
refused. SQLite serialises writers itself and needs no row locks.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import connections, router

from .models import Release

_SHARE_CLAUSE = {"postgresql": "FOR SHARE", "mysql": "LOCK IN SHARE MODE"}


def locked_release_ids(release_ids: Iterable[int]) -> set[int]:
    """Return which of ``release_ids`` are locked, holding a shared row lock on them.

    Outside a transaction no lock can be held; the read is then a plain one.
    """
    ids = sorted(set(release_ids))
    if not ids:
        return set()
    using = router.db_for_write(Release)
    connection = connections[using]
    clause = _SHARE_CLAUSE.get(connection.vendor)
    if clause is None or not connection.in_atomic_block:
        return set(
            Release.objects.using(using).filter(pk__in=ids, is_locked=True).values_list("pk", flat=True)
        )
    qn = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(ids))
    sql = (
        f"SELECT {qn('id')}, {qn('is_locked')} FROM {qn(Release._meta.db_table)} "
        f"WHERE {qn('id')} IN ({placeholders}) ORDER BY {qn('id')} {clause}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, ids)
        return {pk for pk, is_locked in cursor.fetchall() if is_locked}


def lock_release_row(release: Release) -> Release:
    """Return a fresh copy of ``release`` holding an exclusive row lock (inside atomic)."""
    return Release.objects.select_for_update().get(pk=release.pk)
