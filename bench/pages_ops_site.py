"""Release operations and admin pages on one built page site, run as a subprocess of
``bench/pages_ops.py`` (see bench/README-pages.md, "Release operations and admin pages").

It runs on a site that ``pages_site.py build`` made (same settings, database and state
file) under the interpreter of the setup's virtualenv, and prints one line
``PAGES_BENCH_JSON <json>`` with every figure.

``ours`` (per repeat, ``k`` changed pages each, every release named after ``--tag``):

* branch: ``create_release(based_on=live)``; ``k`` drafts are made in it (not timed, slug
  and title changed so that the deploy really moves ``k`` URLs);
* approve, lock, deploy of that release (the PageUrl rebuild of the ``k`` pages included);
* rebase of an open release branched from the old live one (it takes the ``k`` groupings);
* rollback to the previous live release;
* prune of a deprecated, locked release with ``k`` drafts of its own.

Then the admin pages over HTTP as a superuser, with their query counts: page tree (root,
one open section), release page (first page; filtered and paginated), review of a release
with ``k`` changes and of one in which *every* grouping differs from live (built with bulk
SQL, see :func:`all_changed_release`), audit trail (``size`` extra entries cloned in bulk),
and the anonymous render.

``dv`` (djangocms-versioning): publishing ``k`` drafts one by one (``Version.publish``,
drafts made with ``Version.copy`` beforehand, not timed), its version list of one page
(the changelist its "Manage versions" opens), page tree and the anonymous render.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import pstats
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
if str(HERE) not in sys.path:
    sys.path.insert(0, str(HERE))

from pages_site import MARKER, capture, check, configure  # noqa: E402

#: Admin pages slower than this (ms) are profiled once (cProfile, top functions).
PROFILE_ABOVE_MS = 1000.0
#: A page whose warm-up took longer (s) is timed once.
SLOW_S = 5.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--setup", choices=["ours", "dv"], required=True)
    parser.add_argument("--label", help="the build's label (default: the setup)")
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--workdir", type=Path, required=True)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--k", type=int, default=10, help="changed pages per operation")
    parser.add_argument("--requests", type=int, default=3, help="timed requests per admin page")
    parser.add_argument("--tag", default="ops", help="prefix of the release names this run creates")
    args = parser.parse_args(argv)
    args.label = args.label or args.setup
    return args


# -- measuring -------------------------------------------------------------------------


def op(figures: dict[str, list[dict[str, Any]]], name: str, call: Callable[[], Any]) -> Any:
    """Run ``call`` once, recording wall time and query count under ``name``."""
    result, statements, seconds = capture(call)
    figures.setdefault(name, []).append({"ms": round(seconds * 1000, 3), "queries": len(statements)})
    return result


def profile_text(call: Callable[[], Any], limit: int = 20) -> str:
    """Where ``call`` spent its time (cProfile): the package's and django CMS' functions by
    cumulative time, then every function by own time."""
    profile = cProfile.Profile()
    profile.runcall(call)
    out = io.StringIO()
    stats = pstats.Stats(profile, stream=out)
    stats.sort_stats("cumulative").print_stats("djangocms_release_versioning|/cms/|/paginator", limit)
    stats.sort_stats("tottime").print_stats(limit)
    return out.getvalue()


def page_figure(client: Any, url: str, requests: int) -> dict[str, Any]:
    """Warm-up, one request with its SQL, ``requests`` timed ones (one if the warm-up took
    over 5 s: the median of a few would not change the verdict); a profile when slow."""
    start = time.perf_counter()
    check(client.get(url), url)
    if time.perf_counter() - start > SLOW_S:
        requests = 1
    response, statements, _ = capture(lambda: client.get(url))
    check(response, url)
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - start) * 1000)
        check(response, url)
    figure: dict[str, Any] = {
        "url": url,
        "queries": len(statements),
        "ms": [round(t, 3) for t in times],
        "median_ms": round(statistics.median(times), 3),
        "bytes": len(response.content),
        "sql": statements,
    }
    if figure["median_ms"] > PROFILE_ABOVE_MS:
        figure["profile"] = profile_text(lambda: client.get(url))
    return figure


def spread_children(count: int, skip: set[int]) -> list[int]:
    """``count`` ordinary child pages (depth 2, 10 plugins) spread over the site."""
    from cms.models import Page

    pks = [pk for pk in Page.objects.filter(depth=2).order_by("pk").values_list("pk", flat=True)]
    pks = [pk for pk in pks[:-2] if pk not in skip]  # the last two are the plugin probes
    step = max(1, len(pks) // (count + 1))
    chosen = pks[step::step][:count]
    if len(chosen) < count:
        raise RuntimeError(f"the site has too few pages for {count} changed ones")
    return chosen


def rename(content: Any, suffix: str) -> None:
    """Give a draft a new slug and title, so that deploying it moves the page's URL."""
    from cms.models import PageContent

    PageContent._base_manager.filter(pk=content.pk).update(
        slug=f"{content.slug}-{suffix}", title=f"{content.title} ({suffix})"
    )


# -- ours ------------------------------------------------------------------------------


def ours_drafts(release: Any, pages: list[int], user: Any, suffix: str) -> list[float]:
    """A renamed draft of each page in ``release``; returns the create_draft times (ms)."""
    from cms.models import PageContent

    from djangocms_release_versioning import services

    times = []
    for page_pk in pages:
        live = PageContent.objects.get(page_id=page_pk, language="en")
        start = time.perf_counter()
        draft = services.create_draft(live, user=user, release=release)
        times.append((time.perf_counter() - start) * 1000)
        rename(draft, suffix)
    return times


def ours_operations(args: argparse.Namespace, pages: list[int], user: Any) -> dict[str, Any]:
    """Branch, approve, lock, deploy, rebase, rollback and prune, ``args.repeats`` times."""
    from djangocms_release_versioning.models import Release

    k = args.k
    figures: dict[str, list[dict[str, Any]]] = {}
    notes: dict[str, Any] = {"create_draft_ms": []}
    live = Release.objects.live()
    notes["live"] = live.version
    for repeat in range(args.repeats):
        chunk = pages[3 * k * repeat : 3 * k * (repeat + 1)]
        parts = [chunk[:k], chunk[k : 2 * k], chunk[2 * k :]]
        ours_cycle(f"{args.tag}-{repeat + 1}", live, parts, user, figures, notes)
    return {"ops": figures, "notes": notes}


def ours_cycle(
    name: str, live: Any, pages: list[list[int]], user: Any, figures: dict[str, Any], notes: dict[str, Any]
) -> None:
    """One repeat: branch, approve, lock, deploy ``k`` changed pages, rebase another branch
    on them, roll back, then prune a deprecated release with ``k`` drafts of its own.

    :raises RuntimeError: an operation did not do what it should (URLs not moved, …).
    """
    from cms.models import PageUrl

    from djangocms_release_versioning import services

    deployed, rebased, pruned = pages
    k = len(deployed)
    branch = op(figures, "branch", lambda: services.create_release(f"{name}-b", based_on=live))
    other = services.create_release(f"{name}-o", based_on=live)
    notes["create_draft_ms"] += ours_drafts(branch, deployed, user, f"{name}-b")
    ours_drafts(other, rebased, user, f"{name}-o")
    approved = op(figures, "approve", lambda: services.approve_release(branch))
    op(figures, "lock", lambda: services.lock_release(branch))
    manifest = op(figures, "deploy", lambda: services.deploy_release(branch))
    url = PageUrl.objects.get(page_id=deployed[0], language="en")
    if not url.path.endswith(f"{name}-b") or len(manifest.changes) != k or approved != k:
        raise RuntimeError(f"deploy of {branch.version}: {len(manifest.changes)} changes, url {url.path}")
    report = op(figures, "rebase", lambda: services.rebase_release(other))
    if len(report.taken) != k or report.conflicts:
        raise RuntimeError(f"rebase took {len(report.taken)}, conflicts {len(report.conflicts)}")
    op(figures, "rollback", lambda: services.deploy_release(live, rollback=True))
    doomed = services.create_release(f"{name}-p", based_on=live)
    ours_drafts(doomed, pruned, user, f"{name}-p")
    services.approve_release(doomed)
    services.lock_release(doomed)
    services.deprecate_release(doomed)
    pruning = op(figures, "prune", lambda: services.prune_releases(keep_last=1000))
    notes[f"prune {name}"] = {
        "releases": pruning.releases,
        "versions": pruning.versions,
        "content_rows": pruning.content_rows,
        "plugins": pruning.plugins,
    }


def all_changed_release(name: str, live: Any) -> tuple[Any, dict[str, Any]]:
    """An open release in which every grouping differs from ``live``, built in bulk.

    Branched with ``services.create_release`` (so its rows are what a branch makes), then:
    one new PageContent per live content (a copy of the row, title and slug changed, no
    placeholders: the review reads Version and content rows only) cloned with
    ``executemany``, and one UPDATE pointing every Version of the release at its copy
    (``object_id + offset``). Status stays approved, so every page also "goes live".
    """
    from cms.models import PageContent
    from django.db import transaction
    from django.db.models import F
    from pages_build import clone_rows, next_pk, reset_sequences

    from djangocms_release_versioning import services
    from djangocms_release_versioning.models import Version

    timings = {}
    start = time.perf_counter()
    release = services.create_release(name, based_on=live)
    timings["branch"] = time.perf_counter() - start
    start = time.perf_counter()
    ids = list(Version.objects.filter(release=release).values_list("object_id", flat=True))
    offset = next_pk(PageContent)
    rows = PageContent._base_manager.filter(pk__in=ids) if len(ids) < 900 else PageContent._base_manager.all()
    rows = list(rows.values("pk", "page_id", "language", "title", "slug"))
    wanted = set(ids)
    template = PageContent._base_manager.get(pk=ids[0])
    with transaction.atomic():  # one transaction: SQLite would commit (and sync) every row
        clone_rows(
            PageContent,
            template,
            (
                {
                    "id": row["pk"] + offset,
                    "page_id": row["page_id"],
                    "language": row["language"],
                    "title": f"{row['title']} (all)",
                    "slug": f"{row['slug']}-all",
                }
                for row in rows
                if row["pk"] in wanted
            ),
        )
        reset_sequences([PageContent])
        changed = Version.objects.filter(release=release).update(object_id=F("object_id") + offset)
    timings["bulk copy"] = time.perf_counter() - start
    return release, {"versions changed": changed, **{k: round(v, 3) for k, v in timings.items()}}


def clone_audit_entries(count: int) -> int:
    """``count`` more audit entries (copies of the newest, one per page), as a site whose
    editors made a draft of every page has; returns the total."""
    from django.db import transaction
    from pages_build import clone_rows, next_pk, reset_sequences

    from djangocms_release_versioning.models import AuditEntry

    template = AuditEntry.objects.filter(action="create_draft").order_by("-pk").first()
    base = next_pk(AuditEntry)
    with transaction.atomic():
        clone_rows(
            AuditEntry,
            template,
            ({"id": base + n, "object_repr": f"Page {n + 1} (en)"} for n in range(count)),
        )
        reset_sequences([AuditEntry])
    return AuditEntry.objects.count()


def ours_pages(args: argparse.Namespace, pages: list[int], user: Any, scenarios: Any) -> dict[str, Any]:
    """The admin pages (and the anonymous render) over HTTP."""
    from django.urls import reverse

    from djangocms_release_versioning import services
    from djangocms_release_versioning.models import Release, Version
    from djangocms_release_versioning.views.common import URL_PREFIX

    live = Release.objects.live()
    reviewed = services.create_release(f"{args.tag}-rk", based_on=live)
    ours_drafts(reviewed, pages[: args.k], user, "rk")
    services.approve_release(reviewed)
    everything, built = all_changed_release(f"{args.tag}-ra", live)
    notes: dict[str, Any] = {"all changed release": built}
    notes["audit entries"] = clone_audit_entries(args.size)
    notes["working release"] = Release.objects.filter(is_locked=False).order_by("-created_at").first().version
    notes["live versions"] = Version.objects.filter(release=live).count()
    release_url = reverse(f"admin:{URL_PREFIX}_change", args=[live.pk])
    audit_url = reverse("admin:djangocms_release_versioning_auditentry_changelist")
    review = f"admin:{URL_PREFIX}_review"
    deep = max(1, args.size // 100 // 2)  # a page in the middle of the 100-row review pages
    middle = max(1, args.size // 50 // 2)  # the same for the release page's 50-row pages
    urls = {
        "release_page": release_url,
        "release_page_filtered": f"{release_url}?status=approved&language=en&page={middle}",
        "review_k": reverse(review, args=[reviewed.pk]),
        "review_all": reverse(review, args=[everything.pk]),
        "review_all_deep": f"{reverse(review, args=[everything.pk])}?page={deep}&live_page={deep}",
        "audit": audit_url,
        "audit_filtered": f"{audit_url}?action__exact=create_draft&o=-1&p=2",
    }
    figures = {}
    for name in ("tree_roots", "tree_section"):
        figures[name] = scenario_figure(scenarios, name, args.requests)
    for name, url in urls.items():
        figures[name] = page_figure(scenarios.staff, url, args.requests)
    for name in ("anon", "anon_menu_cached"):
        figures[name] = scenario_figure(scenarios, name, args.requests * 3)
    return {"pages": figures, "notes": notes}


def scenario_figure(scenarios: Any, name: str, requests: int) -> dict[str, Any]:
    """A scenario of ``pages_site.Scenarios``: warm-up, SQL once, ``requests`` timed."""
    scenarios.run(name)
    first = scenarios.run(name, mode="sql")
    times = [scenarios.run(name)["ms"] for _ in range(requests)]
    return {
        "url": scenarios.requests[name][1],
        "queries": first["queries"],
        "ms": times,
        "median_ms": round(statistics.median(times), 3),
        "sql": first["sql"],
    }


def run_ours(args: argparse.Namespace, state: dict[str, Any]) -> dict[str, Any]:
    from pages_setups import SETUPS
    from pages_site import Scenarios, staff_user

    user = staff_user()
    skip = {state["render_page"], *state["edit_pages"], *state["http_pages"]}
    pages = spread_children(3 * args.k * args.repeats + args.k, skip)
    scenarios = Scenarios(state, SETUPS["ours"]())
    result = ours_operations(args, pages[args.k :], user)
    measured = ours_pages(args, pages[: args.k], user, scenarios)
    result["pages"] = measured["pages"]
    result["notes"].update(measured["notes"])
    return result


# -- dv --------------------------------------------------------------------------------


def run_dv(args: argparse.Namespace, state: dict[str, Any]) -> dict[str, Any]:
    """Publishing ``k`` drafts one by one, the version list of a page, tree and render."""
    from cms.models import PageContent
    from django.urls import reverse
    from djangocms_versioning.models import Version
    from pages_setups import SETUPS
    from pages_site import Scenarios, staff_user

    user = staff_user()
    skip = {state["render_page"], *state["edit_pages"], *state["http_pages"]}
    pages = spread_children(args.k * args.repeats, skip)
    figures: dict[str, list[dict[str, Any]]] = {}
    notes: dict[str, Any] = {"copy_ms": []}
    for repeat in range(args.repeats):
        drafts = []
        for page_pk in pages[args.k * repeat : args.k * (repeat + 1)]:
            version = Version.objects.get_for_content(PageContent.objects.get(page_id=page_pk, language="en"))
            start = time.perf_counter()
            draft = version.copy(user)
            notes["copy_ms"].append((time.perf_counter() - start) * 1000)
            rename(draft.content, f"d{repeat + 1}")
            drafts.append(Version.objects.get(pk=draft.pk))
        total = {"ms": 0.0, "queries": 0}
        for draft in drafts:
            _, statements, seconds = capture(lambda draft=draft: draft.publish(user))
            total["ms"] += seconds * 1000
            total["queries"] += len(statements)
        figures.setdefault("publish_k", []).append({"ms": round(total["ms"], 3), "queries": total["queries"]})
    scenarios = Scenarios(state, SETUPS["dv"]())
    content = PageContent.admin_manager.filter(page_id=state["render_page"], language="en").first()
    versions_url = reverse("admin:djangocms_versioning_pagecontentversion_changelist")
    measured = {
        "tree_roots": scenario_figure(scenarios, "tree_roots", args.requests),
        "tree_section": scenario_figure(scenarios, "tree_section", args.requests),
        "version_list": page_figure(
            scenarios.staff, f"{versions_url}?page={content.page_id}&language=en", args.requests
        ),
        "anon": scenario_figure(scenarios, "anon", args.requests * 3),
        "anon_menu_cached": scenario_figure(scenarios, "anon_menu_cached", args.requests * 3),
    }
    return {"ops": figures, "pages": measured, "notes": notes}


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    configure(args)
    state = json.loads((args.workdir / f"state-{args.label}.json").read_text())
    runner = run_ours if args.setup == "ours" else run_dv
    result = runner(args, state)
    result.update(setup=args.setup, db=args.db, size=args.size, k=args.k, repeats=args.repeats)
    print(MARKER + json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
