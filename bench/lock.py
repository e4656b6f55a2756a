"""Lock and verify at 1,000, 10,000 and 50,000 groupings with k changed (issue 11.3).

Run on demand, never as a test::

    .venv/bin/python bench/lock.py [--db sqlite|postgres] [--sizes 1000,10000,50000] [--changed 10]

Per size N: a base release of N approved groupings (half snippets, half articles; the
engine benchmark's fixture) locked with ``lock_release`` (it records every fingerprint), a
branch with k groupings pointed at edited copies, then the timed steps: ``lock_release`` of
the branch (follows k: inherited rows keep the base's fingerprints) and ``verify_release`` of
it (recomputes everything, so it follows N). Each step's median of ``--repeat`` runs.
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


def run_size(size: int, changed: int, repeat: int) -> dict[str, float]:
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
    engine.analyze()
    locks, verifies = [], []
    for run in range(repeat):
        branch = services.create_release(f"b{run}-{size}", based_on=base)
        engine.change_groupings(branch, changed, offset=run)
        started = time.perf_counter()
        services.lock_release(branch, allow_offline=True)
        locks.append(time.perf_counter() - started)
        started = time.perf_counter()
        problems = services.verify_release(branch)
        verifies.append(time.perf_counter() - started)
        assert problems == [], problems
    return {
        "lock_all_s": full_lock,
        "lock_branch_ms": statistics.median(locks) * 1000,
        "verify_branch_ms": statistics.median(verifies) * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgres"), default="sqlite")
    parser.add_argument("--sizes", default="1000,10000,50000")
    parser.add_argument("--changed", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    with engine.bench_database(args.db, keep=False) as label:
        print(label)
        print(
            f"| N | lock of the base (all N digested) | lock of a branch, k={args.changed} | verify of it |"
        )
        print("|---:|---:|---:|---:|")
        for size in (int(s) for s in args.sizes.split(",")):
            r = run_size(size, args.changed, args.repeat)
            print(
                f"| {size:,} | {r['lock_all_s']:.2f} s | {r['lock_branch_ms']:.0f} ms | "
                f"{r['verify_branch_ms']:.0f} ms |",
                flush=True,
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
