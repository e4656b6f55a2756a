"""Release operations and admin pages on a generated page site, side by side with
djangocms-versioning where it has an equivalent (project issue 11, items 4 and 5).

Run on demand, never as a test (see bench/README-pages.md)::

    python bench/pages_ops.py [--sizes 1000,50000] [--dbs sqlite,postgres] [--k 10] [--repeats 3]

For every database and size it builds the page site of ``bench/pages.py`` once per setup
(``pages_site.py build``: ``ours`` with three releases — v1 and v2 deployed, v3 open —
and ``dv``), then runs ``pages_ops_site.py`` on each build: the release operations with
``k`` changed pages (median of ``--repeats``), the admin pages over HTTP as a superuser
with their query counts, and the anonymous render. Figures are printed in one table per
database with the growth from the smallest to the largest size (which should follow ``k``,
not the number of pages) and the ratio ours/dv; the raw figures with the captured SQL
(and a cProfile of every admin page slower than 1 s) go to ``bench/results/pages-ops-<date>.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pages import DV_VENV, MARKER, Run, drop_postgres, ensure_dv_venv, git_state, package_versions

HERE = Path(__file__).resolve().parent
OPS_SCRIPT = HERE / "pages_ops_site.py"
ADMIN_BAR_MS = 1000.0

#: (key, label, dv equivalent) of the release operations, in table order.
OPERATIONS = [
    ("branch", "branch (create_release based on live)", None),
    ("approve", "approve_release, k drafts", None),
    ("lock", "lock_release, k changed", None),
    ("deploy", "deploy_release, k changed (PageUrls)", "publish_k"),
    ("rebase", "rebase_release, k taken from live", None),
    ("rollback", "rollback (deploy previous, k changed)", None),
    ("prune", "prune_releases (1 release, k contents)", None),
]
#: (key, label, dv equivalent) of the pages measured over HTTP.
PAGES = [
    ("tree_roots", "page tree: root level", "tree_roots"),
    ("tree_section", "page tree: one open section", "tree_section"),
    ("release_page", "release page (live release, page 1)", "version_list"),
    ("release_page_filtered", "release page: status+language, mid page", None),
    ("review_k", "review: release with k changes", None),
    ("review_all", "review: every grouping changed", None),
    ("review_all_deep", "review: every grouping, mid page", None),
    ("audit", "audit trail (N extra entries)", None),
    ("audit_filtered", "audit trail: action filter, sorted, p2", None),
    ("anon", "anonymous render, menu rebuilt", "anon"),
    ("anon_menu_cached", "anonymous render, menu cache warm", "anon_menu_cached"),
]
DV_LABELS = {
    "publish_k": "k x Version.publish",
    "version_list": "version list of a page",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,50000", help="comma-separated page counts")
    parser.add_argument("--dbs", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--k", type=int, default=10, help="changed pages per operation")
    parser.add_argument("--repeats", type=int, default=3, help="repeats of every operation")
    parser.add_argument("--requests", type=int, default=3, help="timed requests per admin page")
    parser.add_argument("--setups", default="ours,dv", help="ours, dv or both")
    parser.add_argument("--dv-venv", type=Path, default=DV_VENV, help="virtualenv of djangocms-versioning")
    parser.add_argument(
        "--workdir",
        type=Path,
        help="keep the builds here and reuse the ones already there (default: a temporary directory)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the PostgreSQL databases")
    parser.add_argument("--out", type=Path, help="where to write the raw JSON (default bench/results/)")
    args = parser.parse_args(argv)
    args.releases = 3  # ours: v1 and v2 deployed (v2 live, v1 for the rollback window), v3 open
    args.fast_lock = "auto"
    return args


class OpsRun(Run):
    """A :class:`pages.Run` with its own PostgreSQL database names."""

    def pg_name(self, label: str) -> str:
        return f"pages_ops_{label.replace('-', '_')}_{self.size}"

    def build_or_reuse(self, label: str) -> float:
        """Build ``label`` unless the work directory holds its build; returns seconds spent."""
        saved = self.workdir / f"build-{label}.json"
        if saved.exists():
            self.builds[label] = json.loads(saved.read_text())
            return 0.0
        start = time.perf_counter()
        self.build(label)
        saved.write_text(json.dumps(self.builds[label]))
        return time.perf_counter() - start

    def measure(self, label: str, tag: str) -> dict[str, Any]:
        """Run ``pages_ops_site.py`` on the build of ``label``.

        :raises RuntimeError: it failed or printed no result.
        """
        command, env = self.command("build", label)
        setup = command[command.index("--setup") + 1]
        command = [
            command[0],
            str(OPS_SCRIPT),
            *("--setup", setup, "--label", label, "--db", self.db, "--size", str(self.size)),
            *("--workdir", str(self.workdir), "--k", str(self.args.k), "--tag", tag),
            *("--repeats", str(self.args.repeats), "--requests", str(self.args.requests)),
        ]
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=HERE.parent)
        for line in completed.stdout.splitlines():
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER) :])
        raise RuntimeError(
            f"measuring {label} ({self.db}, {self.size}) failed with exit code {completed.returncode}:\n"
            f"{completed.stderr[-4000:]}"
        )


def load() -> str:
    return " ".join(f"{value:.2f}" for value in os.getloadavg())


# -- the table -------------------------------------------------------------------------


def op_median(result: dict[str, Any] | None, key: str | None) -> tuple[float, str] | None:
    """(median ms, query counts) of an operation, or None if not measured."""
    if result is None or key is None or key not in result["ops"]:
        return None
    samples = result["ops"][key]
    queries = "/".join(str(q) for q in sorted({s["queries"] for s in samples}))
    return statistics.median(s["ms"] for s in samples), queries


def page_median(result: dict[str, Any] | None, key: str | None) -> tuple[float, str] | None:
    if result is None or key is None or key not in result["pages"]:
        return None
    figure = result["pages"][key]
    return figure["median_ms"], str(figure["queries"])


def cell(value: tuple[float, str] | None) -> str:
    return f"{value[0]:9.1f} {value[1]:>6}" if value else f"{'-':>9} {'':>6}"


def ratio(a: tuple[float, str] | None, b: tuple[float, str] | None) -> str:
    return f"{a[0] / b[0]:.2f}" if a and b and b[0] else "-"


def print_table(db: str, sizes: list[int], results: dict[tuple[str, int, str], dict[str, Any]]) -> None:
    small, large = sizes[0], sizes[-1]
    k = results_k(results)
    print(f"\n=== {db}: ms (median) and queries, sizes {small:,} and {large:,} pages, k = {k} ===")
    header = (
        f"{'':<41} {'ours ' + str(small):>16} {'ours ' + str(large):>16} {'x N':>5}   "
        f"{'dv ' + str(small):>16} {'dv ' + str(large):>16} {'ours/dv':>7}  dv equivalent"
    )
    print(header)
    print("-" * len(header))
    rows = [(key, label, dv, op_median) for key, label, dv in OPERATIONS]
    rows += [(key, label, dv, page_median) for key, label, dv in PAGES]
    for key, label, dv_key, pick in rows:
        ours = [pick(results.get((db, size, "ours")), key) for size in (small, large)]
        dv = [pick(results.get((db, size, "dv")), dv_key) for size in (small, large)]
        flag = ""
        if pick is page_median and ours[1]:
            if ours[0] and ours[1][1] != ours[0][1]:
                flag += f"  QUERIES {ours[0][1]}->{ours[1][1]}"
            if ours[1][0] > ADMIN_BAR_MS and not key.startswith("anon"):
                flag += "  OVER 1 s"
        print(
            f"{label:<41} {cell(ours[0])} {cell(ours[1])} {ratio(ours[1], ours[0]):>5}   "
            f"{cell(dv[0])} {cell(dv[1])} {ratio(ours[1], dv[1]):>7}  "
            f"{DV_LABELS.get(dv_key, dv_key) if dv_key else ''}{flag}"
        )


def results_k(results: dict[tuple[str, int, str], dict[str, Any]]) -> int:
    return next(iter(results.values()))["k"] if results else 0


def print_notes(results: dict[tuple[str, int, str], dict[str, Any]]) -> None:
    for (db, size, setup), result in sorted(results.items()):
        notes = {k: v for k, v in result["notes"].items() if not k.endswith("_ms")}
        drafts = result["notes"].get("create_draft_ms") or result["notes"].get("copy_ms") or []
        edit = f", first Edit median {statistics.median(drafts):.0f} ms" if drafts else ""
        print(f"  {db} {size} {setup}: load {result['load']}{edit}; {json.dumps(notes)[:600]}")


# -- main ------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = sorted(int(s) for s in args.sizes.split(",") if s)
    dbs = [d for d in args.dbs.split(",") if d]
    setups = [s for s in args.setups.split(",") if s]
    dv_python = ensure_dv_venv(args.dv_venv) if "dv" in setups else Path(sys.executable)
    pythons = {"ours": Path(sys.executable), "dv": dv_python}
    started = datetime.now(UTC)
    tag = f"ops{started:%H%M%S}"
    print(
        f"Release operations benchmark, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}, "
        f"{os.cpu_count()} cores, load {load()}"
    )
    print(f"  ours: {package_versions(pythons['ours'])}")
    if "dv" in setups:
        print(f"  dv:   {package_versions(dv_python)}")
    print(f"  djangocms-release-versioning at {git_state()}")
    workroot = args.workdir or Path(tempfile.mkdtemp(prefix="pages-ops-"))
    results: dict[tuple[str, int, str], dict[str, Any]] = {}
    raw: dict[str, Any] = {
        "started": started.isoformat(),
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "git": git_state(),
        "k": args.k,
        "runs": [],
    }
    try:
        for db in dbs:
            for size in sizes:
                run = OpsRun(size=size, db=db, workdir=workroot / f"{db}-{size}", args=args, pythons=pythons)
                run.workdir.mkdir(parents=True, exist_ok=True)
                for setup in setups:
                    seconds = run.build_or_reuse(setup)
                    built = f"built in {seconds:.0f} s" if seconds else "reused"
                    print(f"{db} {size:>6} {setup:<4}: {built}; load {load()}", flush=True)
                    before = load()
                    start = time.perf_counter()
                    result = run.measure(setup, tag)
                    result["load"] = f"{before} -> {load()}"
                    result["build"] = run.builds[setup]
                    results[(db, size, setup)] = result
                    raw["runs"].append(result)
                    print(f"  measured in {time.perf_counter() - start:.0f} s; load {load()}", flush=True)
                if db == "postgres" and not args.keep and args.workdir is None:
                    drop_postgres([run.pg_name(setup) for setup in setups])
    finally:
        if args.workdir is None:
            shutil.rmtree(workroot, ignore_errors=True)
        out = args.out or HERE / "results" / f"pages-ops-{started:%Y%m%d-%H%M%S}.json"
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(json.dumps(raw, indent=1))
    for db in dbs:
        print_table(db, sizes, results)
    print("\nNotes (load average before -> after each measurement):")
    print_notes(results)
    print(f"\nRaw figures, captured SQL and profiles: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
