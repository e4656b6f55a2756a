"""How long ``import_djangocms_versioning`` takes on a djangocms-versioning site of N pages.

For each size and database: ``bench/pages_site.py build --setup dv`` generates the page
benchmark's site (N pages with 10 text plugins each, one published djangocms-versioning
Version per content row) in the djangocms-versioning virtualenv of tests/dv_site/venv.py;
then this virtualenv migrates the same database with this package instead of
djangocms-versioning and times the dry run and the import (one transaction), in a fresh
process each. Run on demand (never in the test suite)::

    .venv/bin/python bench/import_dv.py                       # 1,000 and 10,000 pages, SQLite and PostgreSQL
    .venv/bin/python bench/import_dv.py --sizes 1000 --dbs sqlite
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
MARKER = "IMPORT_BENCH_JSON "


def environment(db: str, label: str, workdir: Path, setup: str) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": f"{HERE}{os.pathsep}{ROOT}",
        "DJANGO_SETTINGS_MODULE": "pages_settings",
        "PAGES_BENCH_SETUP": setup,
        "PAGES_BENCH_DB": db,
        "PAGES_BENCH_SQLITE_PATH": str(workdir / f"{label}.sqlite3"),
        "PAGES_BENCH_PG_DB": f"pages_bench_{label}",
    }


def measure() -> None:
    """In the ``ours`` process: migrate, then time the dry run and the import."""
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from djangocms_release_versioning import services
    from djangocms_release_versioning.models import Version

    call_command("migrate", verbosity=0, interactive=False)
    with connection.cursor() as cursor:
        cursor.execute("SELECT COUNT(*) FROM djangocms_versioning_version")
        dv_rows = cursor.fetchone()[0]
    started = time.perf_counter()
    services.import_djangocms_versioning(dry_run=True)
    dry = time.perf_counter() - started
    started = time.perf_counter()
    report = services.import_djangocms_versioning()
    real = time.perf_counter() - started
    print(
        MARKER
        + json.dumps(
            {
                "dv_versions": dv_rows,
                "live": report.live,
                "versions_created": Version.objects.count(),
                "dry_run_s": round(dry, 2),
                "import_s": round(real, 2),
            }
        ),
        flush=True,
    )


def run(sizes: list[int], dbs: list[str]) -> list[dict]:
    sys.path.insert(0, str(ROOT))
    from tests.dv_site.venv import ensure_venv

    dv_python = ensure_venv()
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        for db in dbs:
            for size in sizes:
                label = f"dvimport_{size}"
                build = [str(dv_python), str(HERE / "pages_site.py"), "build", "--setup", "dv"]
                build += ["--label", label, "--db", db, "--size", str(size), "--workdir", str(workdir)]
                started = time.perf_counter()
                subprocess.run(
                    build, env=environment(db, label, workdir, "dv"), check=True, capture_output=True
                )
                built = time.perf_counter() - started
                done = subprocess.run(
                    [sys.executable, __file__, "measure"],
                    env=environment(db, label, workdir, "ours"),
                    check=True,
                    capture_output=True,
                    text=True,
                )
                line = next(x for x in done.stdout.splitlines() if x.startswith(MARKER))
                result = {
                    "db": db,
                    "pages": size,
                    "build_s": round(built, 1),
                    **json.loads(line[len(MARKER) :]),
                }
                print(json.dumps(result), flush=True)
                results.append(result)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", nargs="?", default="run", choices=["run", "measure"])
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--dbs", default="sqlite,postgres")
    args = parser.parse_args(argv)
    if args.action == "measure":
        measure()
        return 0
    results = run([int(s) for s in args.sizes.split(",")], args.dbs.split(","))
    print("\n| database | pages | djangocms-versioning versions | dry run | import |")
    print("|---|---:|---:|---:|---:|")
    for r in results:
        print(
            f"| {r['db']} | {r['pages']:,} | {r['dv_versions']:,} | {r['dry_run_s']} s | {r['import_s']} s |"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
