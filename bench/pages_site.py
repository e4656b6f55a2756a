"""One setup of the page rendering benchmark, run as a subprocess of ``bench/pages.py``.

``build``: create the database, migrate, generate the site, record the query plans of the
public content queries and write ``state-<label>.json`` to the work directory. Prints one
line ``PAGES_BENCH_JSON <json>``.

``serve``: answer measurement commands, one JSON line each on stdin (``{"scenario": name,
"mode": "time" | "sql" | "calls"}`` for one request, ``{"edit": page_pk, "via": "service" |
"http"}`` for the first "Edit" of a live page) with one JSON line on stdout, until stdin
closes. The parent runs one server per setup and alternates single requests between
them, so that load on the machine hits every setup alike.

Runs under the interpreter of the setup's own virtualenv; it imports nothing from
djangocms_release_versioning unless the setup is ``ours``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

MARKER = "PAGES_BENCH_JSON "
HERE = Path(__file__).resolve().parent
EDIT_PAGES = 5


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["build", "serve"])
    parser.add_argument("--setup", choices=["ours", "dv", "plain"], required=True)
    parser.add_argument("--label", help="names the database and state file (default: the setup)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--releases", type=int, default=50, help="ours: releases in the site")
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--fast-lock", action="store_true", help="ours: lock unchanged branches by copy")
    args = parser.parse_args(argv)
    args.label = args.label or args.setup
    return args


def configure(args: argparse.Namespace) -> None:
    """Point the settings at this setup's database and start Django."""
    os.environ["DJANGO_SETTINGS_MODULE"] = "pages_settings"
    os.environ["PAGES_BENCH_SETUP"] = args.setup
    os.environ["PAGES_BENCH_DB"] = args.db
    os.environ["PAGES_BENCH_SQLITE_PATH"] = str(args.workdir / f"{args.label}.sqlite3")
    os.environ.setdefault("PAGES_BENCH_PG_DB", f"pages_bench_{args.label}")
    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    import django

    django.setup()


def recreate_database(args: argparse.Namespace) -> None:
    """Start from an empty database: a new SQLite file or a new PostgreSQL database."""
    if args.db == "sqlite":
        (args.workdir / f"{args.label}.sqlite3").unlink(missing_ok=True)
        return
    import psycopg

    name = os.environ.get("PAGES_BENCH_PG_DB", f"pages_bench_{args.label}")
    with psycopg.connect(**postgres_params()) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def postgres_params() -> dict[str, Any]:
    return {
        "host": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
        "port": os.environ.get("POSTGRES_PORT", "5432"),
        "user": os.environ.get("POSTGRES_USER", "postgres"),
        "dbname": "postgres",
        "autocommit": True,
    }


# -- measuring -------------------------------------------------------------------------


def capture(call: Callable[[], Any]) -> tuple[Any, list[str], float]:
    """Run ``call`` once recording its SQL; returns (result, statements, seconds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        result = call()
        seconds = time.perf_counter() - start
    return result, [q["sql"] for q in captured.captured_queries], seconds


def check(response: Any, url: str, expect: int = 200) -> None:
    """:raises RuntimeError: the response has another status code."""
    if response.status_code != expect:
        where = response.headers.get("Location", "")
        raise RuntimeError(f"GET {url} answered {response.status_code} {where}, expected {expect}")


def explain(statements: list[str], table: str) -> list[dict[str, str]]:
    """The query plan of every statement that reads ``table`` (SQLite: no ANALYZE run)."""
    from django.db import connection

    prefix = "EXPLAIN QUERY PLAN " if connection.vendor == "sqlite" else "EXPLAIN "
    plans = []
    with connection.cursor() as cursor:
        for statement in statements:
            if table not in statement:
                continue
            cursor.execute(prefix + statement)
            rows = cursor.fetchall()
            if connection.vendor == "sqlite":
                text = "\n".join(f"{row[0]:>3} {row[1]:>3} {row[3]}" for row in rows)
            else:
                text = "\n".join(row[0] for row in rows)
            plans.append({"sql": statement, "plan": text, "median_ms": time_statement(cursor, statement)})
    return plans


def time_statement(cursor: Any, statement: str, repeat: int = 15) -> float:
    """Median wall time of running ``statement`` and fetching its rows."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        cursor.execute(statement)
        cursor.fetchall()
        times.append((time.perf_counter() - start) * 1000)
    return round(statistics.median(times), 3)


def public_queryset_cost(page_pk: int, repeat: int = 300) -> dict[str, float]:
    """Microseconds to build (and to build and compile) one public PageContent queryset.

    The Python side of the version filter, without the database: what every
    ``PageContent.objects`` access of a render pays.
    """
    from cms.models import PageContent

    def build() -> Any:
        return PageContent.objects.filter(page_id=page_pk, language="en").select_related("page")

    def build_and_compile() -> Any:
        return build().query.get_compiler("default").as_sql()

    result = {}
    for name, call in (("build", build), ("build+compile", build_and_compile)):
        times = []
        for _ in range(repeat):
            start = time.perf_counter()
            call()
            times.append((time.perf_counter() - start) * 1e6)
        result[name] = round(statistics.median(times), 1)
    return result


def analyze_postgres() -> None:
    """Refresh PostgreSQL's planner statistics (a live database has them via autovacuum)."""
    from django.db import connection

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")


def staff_user() -> Any:
    from django.contrib.auth import get_user_model

    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_staff": True, "is_superuser": True, "email": "a@example.com"}
    )
    return user


def clients() -> tuple[Any, Any]:
    """An anonymous and a logged-in staff test client."""
    from django.test import Client

    anonymous, staff = Client(), Client()
    staff.force_login(staff_user())
    return anonymous, staff


# -- build -----------------------------------------------------------------------------


def build(args: argparse.Namespace) -> dict[str, Any]:
    """Generate the site, run the one-off measurements, write the state file."""
    from django.core.management import call_command
    from pages_setups import SETUPS

    timings: dict[str, float] = {}
    start = time.perf_counter()
    call_command("migrate", verbosity=0)
    timings["migrate"] = round(time.perf_counter() - start, 3)
    setup = SETUPS[args.setup]()
    user = staff_user()
    start = time.perf_counter()
    site = setup.build(args.size, user, timings)
    if args.setup == "ours" and args.releases > 1:
        setup.grow_releases(args.releases, timings, fast_lock=args.fast_lock)
    timings["site total"] = round(time.perf_counter() - start, 3)
    analyze_postgres()
    state = site_state(args, site.layout)
    result: dict[str, Any] = {"setup": args.setup, "label": args.label, "db": args.db, "size": args.size}
    anonymous, _ = clients()
    response, statements, _ = capture(lambda: anonymous.get(state["render_url"]))
    check(response, state["render_url"])
    result["anon_sql"] = statements
    if setup.version_table:
        result["plans"] = explain(statements, setup.version_table)
    state["edit_url"] = edit_url(setup.live_content(state["render_page"]))
    result["orm_us"] = public_queryset_cost(state["render_page"])
    result["timings"] = timings
    result["counts"] = row_counts(setup)
    result["state"] = state
    (args.workdir / f"state-{args.label}.json").write_text(json.dumps(state))
    return result


def site_state(args: argparse.Namespace, layout: Any) -> dict[str, Any]:
    """What the measurements need: the URLs and pages to use."""
    render_page = layout.middle_child()
    section = layout.sections[len(layout.sections) // 2]
    others = layout.edit_targets(EDIT_PAGES - 1, skip=[render_page.pk])
    edit_pages = [render_page.pk, *(p.pk for p in others)]
    return {
        "render_url": "/" + render_page.url_path + "/",
        "render_page": render_page.pk,
        "section": section.pk,
        "section_children": len(layout.children_of(section)),
        "roots": len(layout.sections) + 1,
        "edit_pages": edit_pages,
        "http_pages": [p.pk for p in layout.edit_targets(EDIT_PAGES, skip=edit_pages)],
        "probes": {str(plugins): spec.pk for plugins, spec in layout.probes.items()},
    }


def edit_url(content: Any) -> str:
    from django.contrib.contenttypes.models import ContentType
    from django.urls import reverse

    content_type = ContentType.objects.get_for_model(content)
    return reverse("admin:cms_placeholder_render_object_edit", args=[content_type.pk, content.pk])


def row_counts(setup: Any) -> dict[str, int]:
    from cms.models import CMSPlugin, Page, PageContent
    from django.db import connection

    counts = {
        "pages": Page.objects.count(),
        "page contents": PageContent._base_manager.count(),
        "plugins": CMSPlugin.objects.count(),
    }
    if setup.version_table:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT COUNT(*) FROM {setup.version_table}")
            counts["version rows"] = cursor.fetchone()[0]
    if setup.name == "ours":
        from djangocms_release_versioning.models import Release

        counts["releases"] = Release.objects.count()
    return counts


# -- serve -----------------------------------------------------------------------------


class Scenarios:
    """The read-only requests the parent times, by name."""

    def __init__(self, state: dict[str, Any], setup: Any) -> None:
        from django.urls import reverse

        self.state, self.setup, self.user = state, setup, staff_user()
        self.anonymous, self.staff = clients()
        tree = reverse("admin:cms_pagecontent_get_tree")
        section = state["section"]
        self.requests: dict[str, tuple[Any, str]] = {
            "anon_menu_cached": (self.anonymous, state["render_url"]),
            "anon": (self.anonymous, state["render_url"]),
            "staff_live": (self.staff, state["render_url"]),
            "edit_endpoint": (self.staff, state["edit_url"]),
            "tree_roots": (self.staff, f"{tree}?language=en"),
            "tree_section": (self.staff, f"{tree}?language=en&nodeId={section}&openNodes[]={section}"),
        }

    def run(self, name: str, *, mode: str = "time") -> dict[str, Any]:
        """One request of scenario ``name``.

        ``mode``: ``time`` (wall and process CPU time), ``sql`` (also the SQL it ran) or
        ``calls`` (the number of Python function calls, a load-independent work measure).
        """
        from django.conf import settings
        from django.core.cache import cache
        from django.test.utils import override_settings

        client, url = self.requests[name]
        cached = name == "anon_menu_cached"
        if not cached:
            cache.clear()  # the menu the cached scenario stored must not serve the others
        menus = 3600 if cached else settings.CMS_CACHE_DURATIONS["menus"]
        result: dict[str, Any] = {}
        with override_settings(CMS_CACHE_DURATIONS={**settings.CMS_CACHE_DURATIONS, "menus": menus}):
            if mode == "sql":
                response, statements, _ = capture(lambda: client.get(url))
                result.update(queries=len(statements), sql=statements)
            elif mode == "calls":
                response, result["calls"] = count_calls(lambda: client.get(url))
            else:
                start, cpu = time.perf_counter(), time.process_time()
                response = client.get(url)
                result["cpu_ms"] = round((time.process_time() - cpu) * 1000, 3)
                result["ms"] = round((time.perf_counter() - start) * 1000, 3)
        check(response, url)
        return result

    def edit(self, page_pk: int, via: str) -> dict[str, Any]:
        """The first "Edit" of a live page: ``via`` ``service`` or ``http``.

        The draft of the rendered page becomes the edit endpoint's target.

        :raises RuntimeError: the HTTP edit did not redirect or created no draft.
        """
        from cms.models import PageContent

        if not self.setup.has_edit:
            return {"skipped": "no Edit in this setup"}
        content = self.setup.live_content(page_pk)
        if via == "http":
            response, statements, seconds = capture(lambda: self.setup.edit_http(self.staff, content))
            if response is None:
                return {"skipped": "no Edit endpoint in this version"}
            if response.status_code != 302:
                raise RuntimeError(f"the HTTP edit answered {response.status_code}")
            if PageContent._base_manager.filter(page_id=page_pk).count() < 2:
                raise RuntimeError(f"the HTTP edit of page {page_pk} made no draft ({response['Location']})")
        else:
            draft, statements, seconds = capture(self.setup.edit(content, self.user))
            if page_pk == self.state["render_page"]:
                self.requests["edit_endpoint"] = (self.staff, edit_url(draft))
        return {"queries": len(statements), "ms": round(seconds * 1000, 3), "sql": statements}


def count_calls(call: Callable[[], Any]) -> tuple[Any, int]:
    """Run ``call`` under cProfile; returns its result and the number of function calls."""
    import cProfile
    import pstats

    profile = cProfile.Profile()
    result = profile.runcall(call)
    return result, pstats.Stats(profile).total_calls


def serve(args: argparse.Namespace) -> None:
    """Answer one JSON command per stdin line until stdin closes."""
    from pages_setups import SETUPS

    state = json.loads((args.workdir / f"state-{args.label}.json").read_text())
    scenarios = Scenarios(state, SETUPS[args.setup]())
    print(MARKER + json.dumps({"ready": args.label}), flush=True)
    for line in sys.stdin:
        command = json.loads(line)
        if "edit" in command:
            result = scenarios.edit(command["edit"], command["via"])
        else:
            result = scenarios.run(command["scenario"], mode=command.get("mode", "time"))
        print(MARKER + json.dumps(result), flush=True)


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    args.workdir.mkdir(parents=True, exist_ok=True)
    if args.action == "build":
        recreate_database(args)
    configure(args)
    if args.action == "build":
        print(MARKER + json.dumps(build(args)), flush=True)
    else:
        serve(args)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
