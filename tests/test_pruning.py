"""Pruning old releases (DESIGN §9.4): what goes, what stays, and that what stays is intact.

Runs on SQLite and PostgreSQL (``DATABASE=postgres``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
import time_machine
from cms.models import CMSPlugin, Page, PageContent, Placeholder
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.db.models.signals import pre_delete
from django.test import Client

from djangocms_release_versioning import registry, services
from djangocms_release_versioning.constants import Action
from djangocms_release_versioning.models import AuditEntry, Deployment, Release, ScheduledDeploy, Version
from djangocms_release_versioning.services import pruning
from tests.dbstate import differences, snapshot
from tests.factories import UserFactory
from tests.pages_support import add_text, branch, content_of, edit, make_page, ship

pytestmark = pytest.mark.django_db

PATHS = ("/", "/about/", "/team/")


def html() -> dict[str, tuple[int, str]]:
    """What an anonymous visitor gets for each page of the site."""
    client = Client()
    pages = {}
    for path in PATHS:
        response = client.get(path)
        pages[path] = (response.status_code, response.content.decode())
    return pages


def retext(page: Page, user, release: Release, body: str) -> None:
    """Give ``page`` a draft in ``release`` whose text plugin says ``body``."""
    draft = edit(page, user, release)
    plugin = CMSPlugin.objects.get(placeholder__in=Placeholder.objects.get_for_obj(draft))
    bound = plugin.get_bound_plugin()
    bound.body = body
    bound.save()


@pytest.fixture
def site(admin_user):
    """The history of a site that shipped, rolled back and abandoned work:

    * ``v1``: Home, About and Team (each with a text plugin) — deployed first;
    * ``a`` (from v1): About changed, a new page Promo — deployed, then rolled back to v1;
    * ``x`` (from v1): Team changed — locked, never deployed, deprecated (abandoned);
    * ``v2`` (from v1): Team changed — deployed, live;
    * ``v3`` (from v2): About changed — open.
    """
    home = make_page("Home", admin_user)
    about = make_page("About", admin_user)
    team = make_page("Team", admin_user)
    for page, title in ((home, "Home"), (about, "About"), (team, "Team")):
        add_text(content_of(page), f"<p>{title} v1</p>")
    home.set_as_homepage(admin_user)
    v1 = ship("v1")
    a = branch("a", v1)
    retext(about, admin_user, a, "<p>About a</p>")
    with services_release(a):
        promo = make_page("Promo", admin_user)
        add_text(content_of(promo), "<p>Promo a</p>")
    a = ship(a)
    services.deploy_release(v1, rollback=True)
    x = branch("x", v1)
    retext(team, admin_user, x, "<p>Team x</p>")
    services.approve_release(x)
    services.lock_release(x)
    services.deprecate_release(x)
    v2 = branch("v2", v1)
    retext(team, admin_user, v2, "<p>Team v2</p>")
    v2 = ship(v2)
    v3 = branch("v3", v2)
    retext(about, admin_user, v3, "<p>About v3 draft</p>")
    return {"home": home, "about": about, "team": team, "promo": promo, "user": admin_user}


def services_release(release: Release):
    from djangocms_release_versioning.context import use_release

    return use_release(release)


def only_in(*versions: str) -> dict[int, set[int]]:
    """Content type id → content ids referenced by these releases and no other."""
    ids = list(Release.objects.filter(version__in=versions).values_list("pk", flat=True))
    mine = {ct: {pk for _, pk in rows} for ct, rows in _pairs(ids).items()}
    return {
        ct: {
            pk
            for pk in pks
            if not Version.objects.filter(content_type_id=ct, object_id=pk)
            .exclude(release_id__in=ids)
            .exists()
        }
        for ct, pks in mine.items()
    }


def _pairs(release_ids: list[int]) -> dict[int, list[tuple[int, int]]]:
    pairs: dict[int, list[tuple[int, int]]] = {}
    for ct, pk in Version.objects.filter(release_id__in=release_ids).values_list(
        "content_type_id", "object_id"
    ):
        pairs.setdefault(ct, []).append((ct, pk))
    return pairs


def plugins_of(content_type_id: int, ids: set[int]) -> int:
    return CMSPlugin.objects.filter(
        placeholder__content_type_id=content_type_id, placeholder__object_id__in=ids
    ).count()


def assert_every_version_resolves() -> None:
    for item in registry.items():
        ids = set(Version.objects.filter(content_type=item.content_type).values_list("object_id", flat=True))
        existing = set(item.content_model._base_manager.filter(pk__in=ids).values_list("pk", flat=True))
        assert ids == existing, f"{item.content_model.__name__} rows referenced but deleted: {ids - existing}"


def versions_of(*versions: str) -> int:
    return Version.objects.filter(release__version__in=versions).count()


# -- what goes and what stays -----------------------------------------------------------------


def test_the_plan_keeps_live_window_open_bases_and_drops_the_rest(site):
    doomed, kept = services.plan_prune(keep_last=0)
    assert [r.version for r in doomed] == ["x", "a"]
    assert kept == {"v2": "live", "v3": "open", "v1": "base of v2"}
    doomed, kept = services.plan_prune(keep_last=1)  # v1 went live after a: a is outside
    assert [r.version for r in doomed] == ["x", "a"]
    assert kept["v1"] == "rollback window"
    doomed, kept = services.plan_prune(keep_last=2)
    assert [r.version for r in doomed] == ["x"]
    assert kept["a"] == "rollback window"


def test_prune_deletes_releases_versions_and_only_unreferenced_content(site):
    user = site["user"]
    gone = only_in("a", "x")
    expected_versions = versions_of("a", "x")
    expected_plugins = sum(plugins_of(ct, ids) for ct, ids in gone.items())
    page_ct = registry.for_model(PageContent).content_type.pk
    assert len(gone[page_ct]) == 3  # About of a, Promo of a, Team of x
    fingerprints = dict(Release.objects.locked().values_list("version", "fingerprint"))
    contents_before = {
        item.content_model: item.content_model._base_manager.count() for item in registry.items()
    }

    report = services.prune_releases(keep_last=1, user=user)

    assert sorted(report.releases) == ["a", "x"]
    assert report.versions == expected_versions
    assert report.content_rows == 3
    assert report.content_by_model == {"cms.pagecontent": 3}
    assert report.plugins == expected_plugins == 3
    assert sorted(Release.objects.values_list("version", flat=True)) == ["v1", "v2", "v3"]
    assert not PageContent._base_manager.filter(pk__in=gone[page_ct]).exists()
    assert not Placeholder.objects.filter(content_type_id=page_ct, object_id__in=gone[page_ct]).exists()
    assert PageContent._base_manager.count() == contents_before[PageContent] - 3
    assert_every_version_resolves()
    for version in ("v1", "v2"):
        assert services.verify_release(version) == [], f"{version} changed"
        assert Release.objects.get(version=version).fingerprint == fingerprints[version]
    # The Deployment of a is gone; the rollback that left it no longer names it.
    assert not Deployment.objects.filter(release__version="a").exists()
    assert Deployment.objects.filter(release__version="v1", is_rollback=True).get().previous is None
    # Audited: one entry per release (its name kept) and a summary.
    pruned = AuditEntry.objects.filter(action=Action.PRUNE_RELEASE)
    assert sorted(pruned.values_list("release_version", flat=True)) == ["a", "x"]
    assert all(entry.release_id is None and entry.user == user for entry in pruned)
    summary = AuditEntry.objects.get(action=Action.PRUNE_RELEASES)
    assert summary.details["releases"] == 2 and summary.details["content_rows"] == 3


def test_kept_releases_render_exactly_as_before(site):
    live_before = html()
    services.deploy_release("v1", rollback=True)
    v1_before = html()
    services.deploy_release("v2", rollback=True)
    assert html() == live_before
    assert "Team v2" in live_before["/team/"][1] and "Team v1" in v1_before["/team/"][1]

    services.prune_releases(keep_last=0)

    assert html() == live_before
    services.deploy_release("v1", rollback=True)
    assert html() == v1_before


def test_open_release_keeps_its_drafts(site):
    services.prune_releases(keep_last=0)
    draft = content_of(site["about"], release="v3")
    texts = [
        p.get_bound_plugin().body
        for p in CMSPlugin.objects.filter(placeholder__in=Placeholder.objects.get_for_obj(draft))
    ]
    assert texts == ["<p>About v3 draft</p>"]
    services.approve_release("v3")
    services.lock_release("v3")
    services.deploy_release("v3")
    assert "About v3 draft" in html()["/about/"][1]


def test_a_second_prune_finds_nothing(site):
    services.prune_releases(keep_last=0)
    before = snapshot()
    report = services.prune_releases(keep_last=0)
    assert report.counts() == {"releases": 0, "versions": 0, "content_rows": 0, "plugins": 0}
    assert differences(before, snapshot()) == []


def test_a_pending_schedule_keeps_its_release(site):
    with time_machine.travel(datetime(2027, 3, 5, 9, 0, tzinfo=UTC), tick=False):
        services.schedule_deploy("a", at=datetime(2027, 3, 6, 9, 0, tzinfo=UTC), rollback=True)
        doomed, kept = services.plan_prune(keep_last=0)
    assert [r.version for r in doomed] == ["x"]
    assert kept["a"] == "scheduled"
    services.cancel_scheduled_deploy("a")
    report = services.prune_releases(keep_last=0)
    assert sorted(report.releases) == ["a", "x"]
    assert not ScheduledDeploy.objects.exists()  # the cancelled schedule went with its release


def test_older_than_keeps_recent_releases(site):
    start = Release.objects.get(version="v3").created_at
    with time_machine.travel(start + timedelta(days=10), tick=False):
        assert services.plan_prune(keep_last=0, older_than=30)[0] == []
        assert services.plan_prune(keep_last=0, older_than=30)[1]["a"] == "recent"
        assert [r.version for r in services.plan_prune(keep_last=0, older_than=5)[0]] == ["x", "a"]


def test_a_base_of_a_kept_release_is_kept_transitively(site):
    """A deprecated release that an open release is (indirectly) based on stays."""
    v4 = branch("v4", "v2")
    services.lock_release(v4)
    branch("v5", v4)
    services.deprecate_release(v4)
    doomed, kept = services.plan_prune(keep_last=0)
    assert "v4" not in [r.version for r in doomed]
    assert kept["v4"] == "base of v5"
    assert kept["v5"] == "open"
    assert kept["v2"] == "live"


def test_extensions_plugins_and_custom_content_of_pruned_releases_go(site):
    from cms.api import add_plugin

    from tests.factories import ArticleContentFactory
    from tests.testapp.models import ArticleContent, SeoExtension

    user = site["user"]
    live_about = content_of(site["about"], release="v2")
    y = branch("y", "v2")
    draft = edit(site["about"], user, y)
    SeoExtension.objects.create(extended_object=draft, keywords="only in y")
    with services_release(y):
        article = ArticleContentFactory(title="only in y")
    placeholder = article.placeholders.get_or_create(slot="content")[0]
    add_plugin(placeholder, "TextPlugin", "en", body="<p>article of y</p>")
    services.approve_release(y)
    services.lock_release(y)
    services.deprecate_release(y)

    report = services.prune_releases(keep_last=5)

    assert sorted(report.releases) == ["x", "y"]
    assert report.content_by_model == {"cms.pagecontent": 2, "testapp.articlecontent": 1}
    assert not SeoExtension.objects.filter(keywords="only in y").exists()
    assert not ArticleContent._base_manager.filter(pk=article.pk).exists()
    assert not Placeholder.objects.filter(pk=placeholder.pk).exists()
    assert not PageContent._base_manager.filter(pk=draft.pk).exists()
    assert PageContent._base_manager.filter(pk=live_about.pk).exists()
    assert article.article.__class__.objects.filter(pk=article.article_id).exists()  # groupers stay
    assert_every_version_resolves()


# -- dry run, batches, restarts ---------------------------------------------------------------


def test_dry_run_reports_the_same_and_writes_nothing(site):
    before = snapshot()
    dry = services.prune_releases(keep_last=1, dry_run=True)
    assert differences(before, snapshot()) == []
    real = services.prune_releases(keep_last=1)
    assert dry.dry_run and not real.dry_run
    assert sorted(dry.releases) == sorted(real.releases)
    assert dry.counts() == real.counts()
    assert dry.content_by_model == real.content_by_model


class CrashOnSecondRelease:
    """A pre_delete receiver that raises while the second release is being deleted."""

    def __init__(self) -> None:
        self.seen = 0

    def __enter__(self) -> CrashOnSecondRelease:
        pre_delete.connect(self.receiver, sender=Release, dispatch_uid="test_pruning_crash", weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        pre_delete.disconnect(sender=Release, dispatch_uid="test_pruning_crash")

    def receiver(self, instance: Release, **kwargs: object) -> None:
        self.seen += 1
        if self.seen == 2:
            raise RuntimeError(f"crash while deleting {instance.version}")


def test_a_crash_midway_leaves_a_consistent_state_and_a_rerun_finishes(site, monkeypatch):
    expected = services.prune_releases(keep_last=0, dry_run=True)
    page_ct = registry.for_model(PageContent).content_type.pk
    only_a = only_in("a")[page_ct]
    versions_x = versions_of("x")
    monkeypatch.setattr(pruning, "RELEASE_BATCH", 1)
    with CrashOnSecondRelease(), pytest.raises(RuntimeError, match="crash while deleting a"):
        services.prune_releases(keep_last=0)
    # The first batch (x) is done; the second (a) was rolled back entirely.
    assert sorted(Release.objects.values_list("version", flat=True)) == ["a", "v1", "v2", "v3"]
    assert_every_version_resolves()
    assert services.verify_release("a") == []
    assert PageContent._base_manager.filter(pk__in=only_a).count() == 2

    rest = services.prune_releases(keep_last=0)
    assert rest.releases == ["a"]
    assert sorted(Release.objects.values_list("version", flat=True)) == ["v1", "v2", "v3"]
    assert not PageContent._base_manager.filter(pk__in=only_a).exists()
    assert_every_version_resolves()
    # Together the two runs removed what the dry run announced.
    assert versions_x + rest.versions == expected.versions
    assert (rest.content_rows, rest.plugins) == (expected.content_rows - 1, expected.plugins - 1)


# -- refusals -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"keep_last": -1}, "invalid_keep_last"),
        ({"keep_last": "3"}, "invalid_keep_last"),
        ({"keep_last": True}, "invalid_keep_last"),
        ({"older_than": -1}, "invalid_older_than"),
        ({"older_than": 1.5}, "invalid_older_than"),
    ],
)
def test_bad_arguments_are_refused(site, kwargs, code):
    before = snapshot()
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            services.prune_releases(**kwargs)
        assert Release.objects.count() == 5  # the caller's transaction is still usable
    assert caught.value.code == code
    assert differences(before, snapshot()) == []


def test_pruning_needs_the_delete_permission(site):
    user = UserFactory(is_superuser=False)
    with pytest.raises(PermissionDenied):
        services.prune_releases(keep_last=0, user=user)
    assert Release.objects.count() == 5
    user.user_permissions.add(Permission.objects.get(codename="delete_release"))
    user = type(user).objects.get(pk=user.pk)
    assert len(services.prune_releases(keep_last=0, user=user).releases) == 2


# -- the command ----------------------------------------------------------------------------------


def command(*args: str) -> str:
    out = StringIO()
    call_command("prune_releases", *args, stdout=out)
    return out.getvalue()


def test_command_dry_run_then_prune(site):
    output = command("--keep-last", "1", "--dry-run", "-v", "2")
    assert "Would delete 2 release(s): x, a;" in output
    assert "3 content row(s), 3 plugin(s)" in output
    assert "kept v1: rollback window" in output
    assert "nothing was written" in output
    assert Release.objects.count() == 5
    output = command("--keep-last", "1")
    assert "Deleted 2 release(s): x, a;" in output
    assert "Nothing to prune" in command("--keep-last", "1")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--keep-last", "-1"], "keep_last must be a whole number"),
        (["--older-than", "-2"], "older_than must be a whole number"),
        (["--keep-last", "many"], "invalid int value"),
        (["--username", "nobody"], "There is no user 'nobody'"),
    ],
)
def test_command_refusals(site, args, message):
    with pytest.raises(CommandError, match=message):
        command(*args)
    assert Release.objects.count() == 5
