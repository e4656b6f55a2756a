"""Page rendering benchmark: release versioning vs djangocms-versioning vs plain django CMS.

Run on demand, never as a test (see bench/README-pages.md)::

    python bench/pages.py [--sizes 1000[,5000]] [--dbs sqlite,postgres] [--requests 15]

For every size and database it builds the same generated site for each setup, every one in
its own subprocess with its own settings and database:

* ``ours``   — djangocms-release-versioning (this repository's virtualenv), 50 releases;
* ``ours-1`` — the same with a single release, for the flatness check;
* ``dv``     — djangocms-versioning 2.8.0 in its own virtualenv (``bench/.venvs/dv``,
  created on first use with pinned versions);
* ``plain``  — django CMS without versioning (the dv virtualenv, dv not in INSTALLED_APPS).

Each build subprocess generates the site and records the query plans. Then one server
subprocess per setup answers single requests, and the parent asks them round-robin (and
ours and dv alternately for the first "Edit" on live content), so that load drift on the
(shared, 2-core) machine hits all setups alike. The parent prints every table with the
ratios and writes the raw figures with the captured SQL to ``bench/results/pages-<date>.json``.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SITE_SCRIPT = HERE / "pages_site.py"
MARKER = "PAGES_BENCH_JSON "
SETUPS = ("plain", "dv", "ours")
DV_VENV = HERE / ".venvs" / "dv"
DV_REQUIREMENTS = [
    "django-cms==5.1.3",
    "djangocms-versioning==2.8.0",
    "djangocms-text==1.0.2",
    "djangocms-admin-style==3.3.1",
    "psycopg[binary]",
]
FAST_LOCK_ABOVE = 2000

# Goals of project issue 3 / DESIGN §8.
ANON_QUERY_BAR = 8
ANON_TIME_RATIO_BAR = 1.05

SCENARIOS = {
    "anon_menu_cached": "anonymous render, menu cache warm",
    "anon": "anonymous render, menu rebuilt",
    "staff_live": "staff on the live URL",
    "edit_endpoint": "edit endpoint (render_object_edit)",
    "tree_roots": "page tree: root level",
    "tree_section": "page tree: one open section",
}


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000", help="comma-separated page counts (default 1000)")
    parser.add_argument("--dbs", default="sqlite,postgres", help="sqlite, postgres or both")
    parser.add_argument("--requests", type=int, default=15, help="timed requests per scenario and setup")
    parser.add_argument("--releases", type=int, default=50, help="releases for ours' flatness check")
    parser.add_argument("--dv-venv", type=Path, default=DV_VENV, help="virtualenv of djangocms-versioning")
    parser.add_argument(
        "--fast-lock",
        choices=["auto", "yes", "no"],
        default="auto",
        help=f"ours: lock unchanged branches by copying fingerprints (auto: above {FAST_LOCK_ABOVE} pages)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the databases and the work directory")
    parser.add_argument("--out", type=Path, help="where to write the raw JSON (default bench/results/)")
    return parser.parse_args(argv)


# -- environment -------------------------------------------------------------------------


def ensure_dv_venv(venv: Path) -> Path:
    """Return the dv interpreter, creating the virtualenv with pinned packages if missing."""
    python = venv / "bin" / "python"
    if python.exists():
        return python
    print(f"Creating {venv} (djangocms-versioning 2.8.0, django CMS 5.1.3) …", flush=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    django = f"Django=={installed_version('Django')}"
    subprocess.run([str(python), "-m", "pip", "install", "-q", django, *DV_REQUIREMENTS], check=True)
    return python


def git_state() -> str:
    """HEAD of this repository, and whether the package has uncommitted changes."""

    def git(*args: str) -> str:
        completed = subprocess.run(["git", *args], capture_output=True, text=True, cwd=HERE.parent)
        return completed.stdout.strip()

    dirty = git("status", "--porcelain", "--", "djangocms_release_versioning")
    return git("rev-parse", "--short", "HEAD") + (" + uncommitted package changes" if dirty else "")


def package_versions(python: Path) -> dict[str, str]:
    names = ["Django", "django-cms", "djangocms-versioning", "djangocms-text", "djangocms-release-versioning"]
    code = (
        "import json, importlib.metadata as m\n"
        "out = {}\n"
        f"for n in {names!r}:\n"
        "    try: out[n] = m.version(n)\n"
        "    except m.PackageNotFoundError: pass\n"
        "print(json.dumps(out))"
    )
    completed = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd="/")
    return json.loads(completed.stdout)


def drop_postgres(names: list[str]) -> None:
    import psycopg

    params = {
        "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "port": os.environ.get("POSTGRES_PORT", "5432"),
        "user": os.environ.get("POSTGRES_USER", "postgres"),
        "dbname": "postgres",
        "autocommit": True,
    }
    with psycopg.connect(**params) as conn:
        for name in names:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# -- running subprocesses ----------------------------------------------------------------

#: label -> (setup, releases): "ours" is measured with many releases, "ours-1" with one.
LABELS = {"plain": ("plain", 1), "dv": ("dv", 1), "ours": ("ours", None), "ours-1": ("ours", 1)}
#: The scenarios measured for each label.
LABEL_SCENARIOS = {
    "plain": list(SCENARIOS),
    "dv": list(SCENARIOS),
    "ours": list(SCENARIOS),
    "ours-1": ["anon_menu_cached", "anon", "staff_live"],
}
#: Timed requests per scenario, as a multiple of --requests (cheap ones get more samples).
WEIGHTS = {"anon_menu_cached": 2.0, "tree_roots": 2.0, "tree_section": 0.25}


@dataclass
class Run:
    """Where and how the subprocesses of one (size, database) pair run, and what they said."""

    size: int
    db: str
    workdir: Path
    args: argparse.Namespace
    pythons: dict[str, Path]
    builds: dict[str, dict[str, Any]] = field(default_factory=dict)
    samples: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    queries: dict[str, dict[str, list[int]]] = field(default_factory=dict)
    sql: dict[str, dict[str, list[str]]] = field(default_factory=dict)
    cpu: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    edits: dict[str, dict[str, Any]] = field(default_factory=dict)
    calls: dict[str, dict[str, int]] = field(default_factory=dict)

    def pg_name(self, label: str) -> str:
        return f"pages_bench_{label.replace('-', '_')}_{self.size}"

    def command(self, action: str, label: str) -> tuple[list[str], dict[str, str]]:
        setup, releases = LABELS[label]
        releases = releases or self.args.releases
        command = [
            str(self.pythons[setup]),
            str(SITE_SCRIPT),
            action,
            "--setup",
            setup,
            "--label",
            label,
            "--db",
            self.db,
            "--size",
            str(self.size),
            "--workdir",
            str(self.workdir),
            "--releases",
            str(releases),
        ]
        if setup == "ours" and fast_lock(self.args, self.size):
            command.append("--fast-lock")
        env = {**os.environ, "PAGES_BENCH_PG_DB": self.pg_name(label), "PYTHONDONTWRITEBYTECODE": "1"}
        return command, env

    def build(self, label: str) -> None:
        """Run the build subprocess of ``label``.

        :raises RuntimeError: it failed or printed no result.
        """
        command, env = self.command("build", label)
        completed = subprocess.run(command, capture_output=True, text=True, env=env, cwd=HERE.parent)
        for line in completed.stdout.splitlines():
            if line.startswith(MARKER):
                self.builds[label] = json.loads(line[len(MARKER) :])
                return
        raise RuntimeError(
            f"building {label} ({self.db}, {self.size}) failed with exit code {completed.returncode}:\n"
            f"{completed.stderr[-4000:]}"
        )


class Server:
    """A ``pages_site.py serve`` subprocess answering one request per command."""

    def __init__(self, run: Run, label: str) -> None:
        command, env = run.command("serve", label)
        self.label = label
        self.log = (run.workdir / f"serve-{label}.log").open("w")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
            env=env,
            cwd=HERE.parent,
        )
        self.read()

    def read(self) -> dict[str, Any]:
        """The next result line.

        :raises RuntimeError: the server died.
        """
        while True:
            line = self.process.stdout.readline()
            if not line:
                self.log.flush()
                log = Path(self.log.name).read_text()[-4000:]
                raise RuntimeError(f"server {self.label} stopped:\n{log}")
            if line.startswith(MARKER):
                return json.loads(line[len(MARKER) :])

    def edit(self, page_pk: int, via: str) -> dict[str, Any]:
        self.process.stdin.write(json.dumps({"edit": page_pk, "via": via}) + "\n")
        self.process.stdin.flush()
        return self.read()

    def ask(self, scenario: str, mode: str = "time") -> dict[str, Any]:
        self.process.stdin.write(json.dumps({"scenario": scenario, "mode": mode}) + "\n")
        self.process.stdin.flush()
        return self.read()

    def close(self) -> None:
        self.process.stdin.close()
        self.process.wait(timeout=60)
        self.log.close()


def requests_for(args: argparse.Namespace, scenario: str) -> int:
    return max(3, round(args.requests * WEIGHTS.get(scenario, 1.0)))


def fast_lock(args: argparse.Namespace, size: int) -> bool:
    return args.fast_lock == "yes" or (args.fast_lock == "auto" and size > FAST_LOCK_ABOVE)


def run_pair(run: Run) -> None:
    """Build the sites, then time single requests alternating between the setups."""
    for label in LABELS:
        start = time.perf_counter()
        run.build(label)
        print(f"  built {label:<6} in {time.perf_counter() - start:6.1f} s", flush=True)
    servers = {label: Server(run, label) for label in LABELS}
    try:
        start = time.perf_counter()
        measure_edits(run, servers)
        print(f"  measured {'first Edit':<17} in {time.perf_counter() - start:6.1f} s", flush=True)
        for scenario in SCENARIOS:
            start = time.perf_counter()
            measure_scenario(run, servers, scenario)
            print(f"  measured {scenario:<17} in {time.perf_counter() - start:6.1f} s", flush=True)
    finally:
        for server in servers.values():
            server.close()


EDIT_LABELS = ("ours", "dv")


def measure_edits(run: Run, servers: dict[str, Server]) -> None:
    """The first "Edit" of live pages, alternating between ours and dv.

    The first page is the rendered one: its draft is what the edit endpoint then shows.
    """
    state = run.builds["ours"]["state"]
    jobs = [(page, "service", "service") for page in state["edit_pages"]]
    jobs += [(page, "service", f"probe {plugins}") for plugins, page in sorted(state["probes"].items())]
    jobs += [(page, "http", "http") for page in state["http_pages"]]
    for number, (page, via, kind) in enumerate(jobs):
        order = EDIT_LABELS if number % 2 == 0 else EDIT_LABELS[::-1]
        for label in order:
            result = servers[label].edit(page, via)
            if "skipped" in result:
                continue
            edits = run.edits.setdefault(label, {})
            if page == state["render_page"] and via == "service":
                edits["sql"] = result["sql"]
            edits.setdefault(kind, []).append(
                {"page": page, "queries": result["queries"], "ms": result["ms"]}
            )


def measure_scenario(run: Run, servers: dict[str, Server], scenario: str) -> None:
    """Warm up and capture the SQL, then time requests round-robin, then check the SQL again."""
    labels = [label for label in LABELS if scenario in LABEL_SCENARIOS[label]]
    for label in labels:
        servers[label].ask(scenario)  # warm-up: caches, menu cache keys, lazy imports
        first = servers[label].ask(scenario, "sql")
        run.sql.setdefault(label, {})[scenario] = first["sql"]
        run.queries.setdefault(label, {})[scenario] = [first["queries"]]
        run.calls.setdefault(label, {})[scenario] = servers[label].ask(scenario, "calls")["calls"]
    count = requests_for(run.args, scenario)
    for number in range(count):
        shift = number % len(labels)
        for label in labels[shift:] + labels[:shift]:
            sample = servers[label].ask(scenario)
            run.samples.setdefault(label, {}).setdefault(scenario, []).append(sample["ms"])
            run.cpu.setdefault(label, {}).setdefault(scenario, []).append(sample["cpu_ms"])
    for label in labels:
        run.queries[label][scenario].append(servers[label].ask(scenario, "sql")["queries"])


# -- aggregating -------------------------------------------------------------------------


@dataclass
class Figure:
    """One scenario of one setup: median time and the query counts seen."""

    median_ms: float
    p25_ms: float
    queries: list[int]

    @property
    def query_text(self) -> str:
        return "/".join(str(q) for q in self.queries)

    @property
    def max_queries(self) -> int:
        return max(self.queries)


def figure(run: Run, label: str, scenario: str) -> Figure:
    samples = run.samples[label][scenario]
    return Figure(
        median_ms=statistics.median(samples),
        p25_ms=statistics.quantiles(samples, n=4)[0],
        queries=sorted(set(run.queries[label][scenario])),
    )


def ratio(numerator: float, denominator: float) -> str:
    return f"{numerator / denominator:.2f}" if denominator else "-"


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


# -- printing ----------------------------------------------------------------------------


def print_render_table(run: Run) -> list[str]:
    """The main side-by-side table; returns the scenarios where ours missed a goal."""
    missed = []
    header = (
        f"{'scenario':<38} {'plain q':>7} {'ms':>8} {'dv q':>6} {'ms':>8} {'ours q':>6} {'ms':>8} "
        f"{'ours/dv t':>9} {'(p25)':>6} {'ours/plain t':>12}  goal"
    )
    print(header)
    print("-" * len(header))
    for scenario, label in SCENARIOS.items():
        figures = {setup: figure(run, setup, scenario) for setup in SETUPS}
        ours, dv, plain = figures["ours"], figures["dv"], figures["plain"]
        ok, goal = scenario_goal(scenario, ours, dv)
        if not ok:
            missed.append(scenario)
        columns = (
            f"{plain.query_text:>7} {plain.median_ms:8.1f} {dv.query_text:>6} {dv.median_ms:8.1f} "
            f"{ours.query_text:>6} {ours.median_ms:8.1f}"
        )
        ratios = (
            f"{ratio(ours.median_ms, dv.median_ms):>9} {ratio(ours.p25_ms, dv.p25_ms):>6} "
            f"{ratio(ours.median_ms, plain.median_ms):>12}"
        )
        print(f"{label:<38} {columns} {ratios}  {goal}: {verdict(ok)}")
    return missed


def print_work_table(run: Run) -> None:
    """Load-independent view: process CPU time and Python function calls per request."""
    print(
        "\nWork per request, less sensitive to machine load: median process CPU time (the PostgreSQL"
        "\nserver's time not included) and Python function calls of one request (cProfile):"
    )
    header = (
        f"{'scenario':<38} {'plain cpu':>9} {'dv cpu':>8} {'ours cpu':>8} {'ours/dv':>7}   "
        f"{'plain calls':>11} {'dv calls':>9} {'ours calls':>10} {'ours/dv':>7}"
    )
    print(header)
    print("-" * len(header))
    for scenario, label in SCENARIOS.items():
        cpu = {setup: statistics.median(run.cpu[setup][scenario]) for setup in SETUPS}
        calls = {setup: run.calls[setup][scenario] for setup in SETUPS}
        print(
            f"{label:<38} {cpu['plain']:9.1f} {cpu['dv']:8.1f} {cpu['ours']:8.1f} "
            f"{ratio(cpu['ours'], cpu['dv']):>7}   {calls['plain']:>11} {calls['dv']:>9} "
            f"{calls['ours']:>10} {ratio(calls['ours'], calls['dv']):>7}"
        )


def scenario_goal(scenario: str, ours: Figure, dv: Figure) -> tuple[bool, str]:
    """Whether ours meets the goal of ``scenario``, and the goal in words."""
    queries_ok = ours.max_queries <= dv.max_queries
    if scenario.startswith("anon"):
        time_ok = ours.median_ms <= ANON_TIME_RATIO_BAR * dv.median_ms
        if scenario == "anon_menu_cached":
            queries_ok = queries_ok and ours.max_queries <= ANON_QUERY_BAR
            return time_ok and queries_ok, f"q<=min({ANON_QUERY_BAR},dv), t<={ANON_TIME_RATIO_BAR}x dv"
        return time_ok and queries_ok, f"q<=dv, t<={ANON_TIME_RATIO_BAR}x dv"
    return queries_ok, "q<=dv"


def print_tree_constancy(run: Run) -> None:
    state = run.builds["ours"]["state"]
    print(
        f"\nPage tree: the root level has {state['roots']} rows, the open section "
        f"{state['section_children']} children."
    )
    for setup in SETUPS:
        roots = figure(run, setup, "tree_roots")
        section = figure(run, setup, "tree_section")
        growth = section.max_queries - roots.max_queries
        print(
            f"  {setup:<5} {roots.query_text:>4} queries (roots) vs {section.query_text:>4} (section): "
            f"{growth:+d} for {state['section_children'] - state['roots']:+d} rows"
        )


def print_edit_table(run: Run) -> bool:
    """First "Edit" on live content; returns whether ours met its goal."""
    ours, dv = run.edits["ours"], run.edits["dv"]
    print('\nFirst "Edit" on live content (creates the draft; median of 5 pages with 10 plugins each,')
    print("ours and dv alternating):")
    rows = [
        ("ours services.create_draft", ours.get("service")),
        ("dv   Version.copy", dv.get("service")),
        ("ours content action edit (POST)", ours.get("http")),
        ("dv   edit_redirect (POST)", dv.get("http")),
    ]
    for name, samples in rows:
        if samples:
            print(f"  {name:<33} {_edit_text(samples)}")
    print("  queries by plugin count on the page (1 / 10 / 30 plugins):")
    for name, edits in (("ours", ours), ("dv", dv)):
        counts = [edits["probe 1"][0]["queries"], max(s["queries"] for s in edits["service"])]
        counts.append(edits["probe 30"][0]["queries"])
        print(
            f"    {name:<5} {' / '.join(str(c) for c in counts)}   "
            f"({(counts[2] - counts[0]) / 29:.1f} queries per extra plugin)"
        )
    ours_queries = max(s["queries"] for s in ours["service"])
    ok = ours_queries <= max(s["queries"] for s in dv["service"])
    ratio_text = ratio(_median_ms(ours["service"]), _median_ms(dv["service"]))
    print(f"  ours/dv time {ratio_text}; goal queries <= dv: {verdict(ok)}")
    return ok


def _median_ms(samples: list[dict[str, Any]]) -> float:
    return statistics.median(s["ms"] for s in samples)


def _edit_text(samples: list[dict[str, Any]]) -> str:
    queries = "/".join(str(q) for q in sorted({s["queries"] for s in samples}))
    return f"{queries:>7} queries {_median_ms(samples):8.1f} ms"


def print_release_flatness(run: Run) -> bool:
    """Ours with 1 release and with many, timed alternately: returns whether it stayed flat."""
    many, one = run.builds["ours"]["counts"]["releases"], run.builds["ours-1"]["counts"]["releases"]
    print(f"\nOurs with {one} vs {many} releases (two databases, requests alternating with the others):")
    flat = True
    for scenario in LABEL_SCENARIOS["ours-1"]:
        a, b = figure(run, "ours-1", scenario), figure(run, "ours", scenario)
        if scenario.startswith("anon"):
            flat = flat and a.queries == b.queries and b.median_ms <= ANON_TIME_RATIO_BAR * a.median_ms
        print(
            f"  {SCENARIOS[scenario]:<38} {a.query_text:>3} q {a.median_ms:8.1f} ms  ->  "
            f"{b.query_text:>3} q {b.median_ms:8.1f} ms  (x{ratio(b.median_ms, a.median_ms)})"
        )
    print(f"  anonymous render flat (same queries, time within {ANON_TIME_RATIO_BAR}x): {verdict(flat)}")
    print_query_times(run)
    return flat


def print_query_times(run: Run) -> None:
    """DB time of the public content queries of the render (run alone, median of 15)."""
    names = ["page content of the URL", "xframe options (ancestors)", "menu: all page contents"]
    plans = {label: run.builds[label].get("plans", []) for label in ("ours-1", "ours", "dv")}
    print("  public content queries alone (ms):      ours-1      ours        dv")
    for number, name in enumerate(names):
        cells = [
            f"{plans[label][number]['median_ms']:9.2f}" if number < len(plans[label]) else f"{'-':>9}"
            for label in plans
        ]
        print(f"    [{number + 1}] {name:<34} {' '.join(cells)}")
    costs = {label: run.builds[label].get("orm_us", {}) for label in ("plain", "dv", "ours-1", "ours")}
    print("  one public PageContent queryset, Python side only (µs, median of 300):")
    print(f"    {'':<26} {'plain':>8} {'dv':>8} {'ours-1':>8} {'ours':>8}")
    for step in ("build", "build+compile"):
        cells = " ".join(f"{costs[label].get(step, float('nan')):8.0f}" for label in costs)
        print(f"    {step:<26} {cells}")


def print_plans(run: Run) -> None:
    kind = "EXPLAIN QUERY PLAN, no ANALYZE" if run.db == "sqlite" else "EXPLAIN, after ANALYZE"
    for label in ("ours-1", "ours", "dv"):
        build = run.builds[label]
        releases = (
            f"{build['counts']['releases']} release(s)" if "releases" in build["counts"] else "reference"
        )
        print(f"\nQuery plans of {label}'s public content queries in the render, {releases} ({kind}):")
        for number, plan in enumerate(build.get("plans", []), 1):
            print(f"  [{number}] {plan['median_ms']:.2f} ms  {_shorten(plan['sql'], 140)}")
            for line in plan["plan"].splitlines():
                print(f"      {line}")


def print_missed_queries(run: Run, missed: list[str]) -> None:
    """The SQL of ours and dv for every scenario where ours missed its goal."""
    for scenario in missed:
        for setup in ("ours", "dv"):
            statements = run.sql[setup][scenario]
            print(f"\nSQL of {setup} for '{SCENARIOS[scenario]}' ({len(statements)} queries):")
            for number, statement in enumerate(statements, 1):
                print(f"  {number:>3}. {_shorten(statement, 170)}")


def _shorten(sql: str, width: int) -> str:
    flat = " ".join(sql.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


def print_build(run: Run) -> None:
    for label, build in run.builds.items():
        timings = ", ".join(f"{k} {v:.1f}s" for k, v in build["timings"].items())
        counts = ", ".join(f"{v} {k}" for k, v in build["counts"].items())
        print(f"  {label:<6} {counts}\n         {timings}")


def report(run: Run) -> dict[str, Any]:
    print(f"\n=== {run.size} pages, {run.db} ===  (render URL {run.builds['ours']['state']['render_url']})")
    print_build(run)
    counts = ", ".join(f"{requests_for(run.args, s)} {s}" for s in SCENARIOS)
    print(
        f"\nMedian wall time of single requests sent round-robin to the setups ({counts}); "
        "q = SQL queries per request, (p25) = ratio of the 25th percentiles:"
    )
    missed = print_render_table(run)
    print_work_table(run)
    print_tree_constancy(run)
    edit_ok = print_edit_table(run)
    flat = print_release_flatness(run)
    print_plans(run)
    print_missed_queries(run, missed)
    return {"missed": missed, "edit_ok": edit_ok, "flat": flat}


# -- main --------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s]
    dbs = [d for d in args.dbs.split(",") if d]
    dv_python = ensure_dv_venv(args.dv_venv)
    pythons = {"ours": Path(sys.executable), "dv": dv_python, "plain": dv_python}
    started = datetime.now(UTC)
    print(
        f"Page rendering benchmark, {started:%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} cores"
    )
    print(f"  ours/plain+dv: {package_versions(pythons['ours'])} / {package_versions(dv_python)}")
    print(f"  djangocms-release-versioning at {git_state()}")
    workroot = Path(tempfile.mkdtemp(prefix="pages-bench-"))
    results: dict[str, Any] = {
        "started": started.isoformat(),
        "machine": platform.platform(),
        "cores": os.cpu_count(),
        "git": git_state(),
        "runs": [],
    }
    runs = []
    try:
        for size in sizes:
            for db in dbs:
                run = Run(size=size, db=db, workdir=workroot / f"{db}-{size}", args=args, pythons=pythons)
                print(f"\n{size} pages on {db}:", flush=True)
                start = time.perf_counter()
                run_pair(run)
                print(f"  {time.perf_counter() - start:.0f} s", flush=True)
                runs.append(run)
                if db == "postgres" and not args.keep:
                    drop_postgres([run.pg_name(label) for label in LABELS])
        for run in runs:
            verdicts = report(run)
            results["runs"].append(
                {
                    "size": run.size,
                    "db": run.db,
                    "builds": run.builds,
                    "samples": run.samples,
                    "queries": run.queries,
                    "sql": run.sql,
                    "cpu": run.cpu,
                    "calls": run.calls,
                    "edits": run.edits,
                    **verdicts,
                }
            )
    finally:
        if not args.keep:
            shutil.rmtree(workroot, ignore_errors=True)
    out = args.out or HERE / "results" / f"pages-{started:%Y%m%d-%H%M%S}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"\nRaw figures and captured SQL: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
