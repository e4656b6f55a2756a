"""Lock and verify at 1,000, 10,000 and 50,000 groupings with k changed (issue 11.3).

Run on demand, never as a test::

    .venv/bin/python bench/lock.py [--db sqlite|postgres|mariadb] [--sizes 1000,10000,50000]
        [--changed 10] [--repeat 3] [--no-live]

Per size N: a base release of N approved groupings (half snippets, half articles; the
engine benchmark's fixture) locked with ``lock_release`` (it records every fingerprint) and
deployed (so the lock guard ``would_go_offline`` runs against it, as on a site; ``--no-live``
skips the deploy and with it the guard), a branch with k groupings pointed at edited copies,
then the timed steps: ``lock_release`` of the branch (follows k: inherited rows keep the
base's fingerprints, the database clears ``inherited`` of rows changed behind the services'
back) and ``verify_release`` of it (recomputes everything, so it follows N). Each step's
median of ``--repeat`` runs; the statements of the branch lock are counted too.
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


def run_size(size: int, changed: int, repeat: int, live: bool) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from djangocms_release_versioning import services
    from djangocms_release_versioning.constants import APPROVED
    from djangocms_release_versioning.models import Release

    engine.flush_database()
    base = Release.objects.create(version=f"base-{size}")
    engine.bulk_versions(base, engine.bulk_snippets(size - size // 2, f"n{size}"), APPROVED)
    engine.bulk_versions(base, engine.bulk_articles(size // 2, f"n{size}"), APPROVED)
    started = time.perf_counter()
    services.lock_release(base)
    full_lock = time.perf_counter() - started
    if live:
        services.deploy_release(base, allow_offline=True)
    engine.analyze()
    locks, verifies, statements = [], [], 0
    for run in range(repeat):
        branch = services.create_release(f"b{run}-{size}", based_on=base)
        engine.change_groupings(branch, changed, offset=run)
        with CaptureQueriesContext(connection) as captured:
            started = time.perf_counter()
            services.lock_release(branch, allow_offline=True)
            locks.append(time.perf_counter() - started)
        statements = len(captured)
        started = time.perf_counter()
        problems = services.verify_release(branch)
        verifies.append(time.perf_counter() - started)
        assert problems == [], problems
    return {
        "lock_all_s": full_lock,
        "lock_branch_ms": statistics.median(locks) * 1000,
        "verify_branch_ms": statistics.median(verifies) * 1000,
        "statements": statements,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres", "mariadb"), default="sqlite")
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--no-live", dest="live", action="store_false", help="do not deploy the base")
    args = parser.parse_args(argv)
    with engine.bench_database(args.db, keep=False) as label:
        print(label, "(base live)" if args.live else "(nothing live)")
        print(
            f"| N | lock of the base (all N digested) | lock of a branch, k={args.changed} "
            "| its statements | verify of it |"
        )
        print("|---:|---:|---:|---:|---:|")
        for size in (int(s) for s in args.sizes.split(",")):
            r = run_size(size, args.changed, args.repeat, args.live)
            print(
                f"| {size:,} | {r['lock_all_s']:.2f} s | {r['lock_branch_ms']:.0f} ms | "
                f"{r['statements']} | {r['verify_branch_ms']:.0f} ms |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
