"""The review page and the rollback manifest at N groupings (issue 11.4).

Run on demand, never as a test::

    .venv/bin/python bench/review.py [--db sqlite|postgres|mariadb] [--sizes 1000,50000]
        [--changed 10] [--repeat 3]

Per size N: a live release ``base`` of N approved groupings (half snippets, half articles;
the engine benchmark's fixture, bulk-created), a branch ``all`` of it with every grouping
pointed at an edited copy and a branch ``k`` with ``--changed`` groupings edited. Timed
(median of ``--repeat`` runs, through the test client, statements counted): the review page
of ``all`` and of ``k`` (against the live release: both lists), page 2 of ``all``, and the
rollback manifest ``compute_manifest(previous=k, release=base)`` (``k`` live, back to
``base``).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import engine  # the engine benchmark's fixtures and database handling


def _timed(fn, repeat: int) -> tuple[float, int]:
    """Median milliseconds of ``repeat`` calls of ``fn`` (after a warm-up call) and the
    statements of the last one."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    fn()
    times, statements = [], 0
    for _ in range(repeat):
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        statements = len(captured)
    return statistics.median(times) * 1000, statements


def run_size(size: int, changed: int, repeat: int) -> dict[str, tuple[float, int]]:
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django.urls import reverse

    from djangocms_release_versioning import services
    from djangocms_release_versioning.constants import APPROVED
    from djangocms_release_versioning.manifest import compute_manifest
    from djangocms_release_versioning.models import LIVE_POINTER_PK, LiveRelease, Release

    engine.flush_database()
    base = Release.objects.create(version=f"base-{size}")
    engine.bulk_versions(base, engine.bulk_snippets(size - size // 2, f"n{size}"), APPROVED)
    engine.bulk_versions(base, engine.bulk_articles(size // 2, f"n{size}"), APPROVED)
    engine.mark_locked(base)
    LiveRelease.objects.update_or_create(pk=LIVE_POINTER_PK, defaults={"release": base})
    every = services.create_release(f"all-{size}", based_on=base)
    engine.change_groupings(every, size)
    few = services.create_release(f"k-{size}", based_on=base)
    engine.change_groupings(few, changed, offset=1)
    engine.analyze()
    user = get_user_model().objects.create_superuser("bench", "bench@example.com", "x")
    client = Client()
    client.force_login(user)

    def page(release: Release, **params: str):
        def get() -> None:
            url = reverse("admin:djangocms_release_versioning_release_review", args=[release.pk])
            response = client.get(url, params)
            assert response.status_code == 200, response.status_code

        return get

    results = {
        "review all": _timed(page(every), repeat),
        "review all, page 2": _timed(page(every, page="2", live_page="2"), repeat),
        "review all against base": _timed(page(every, against="base"), repeat),
        f"review k={changed}": _timed(page(few), repeat),
    }
    engine.mark_locked(few)
    LiveRelease.objects.filter(pk=LIVE_POINTER_PK).update(release=few)
    results[f"rollback manifest, k={changed}"] = _timed(lambda: compute_manifest(few, base), repeat)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "mariadb"), default="sqlite")
    parser.add_argument("--sizes", default="1000,50000")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with engine.bench_database(args.db, keep=False) as label:
        print(label)
        print("| N | step | time | statements |")
        print("|---:|---|---:|---:|")
        for size in (int(s) for s in args.sizes.split(",")):
            for step, (millis, statements) in run_size(size, args.changed, args.repeat).items():
                print(f"| {size:,} | {step} | {millis:.0f} ms | {statements} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
