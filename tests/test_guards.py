"""Deploy guards (DESIGN §9.1.10), dry runs that run every check (issue 15.3) and failing
ecosystem hooks (issue 15.4): services and commands."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import guards, services
from djangocms_release_versioning.constants import Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Deployment, Release
from tests.dbstate import differences, snapshot
from tests.factories import ArticleContentFactory
from tests.helpers import live_release, refreshed, version_of
from tests.testapp.cms_config import HOOK_CALLS, HOOK_FAILURES
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def branch_with(change: str, *, count: int = 1, extra: int = 0) -> tuple[Release, Release, list]:
    """v1 live with ``count`` articles (plus ``extra`` untouched ones); v2 branched from it
    where each of the ``count`` articles is ``change``-d: ``edited`` (a draft copy),
    ``parked`` (a parked copy), ``hidden`` (deactivated), ``deleted`` (its draft copy deleted:
    the grouping is missing) or ``approved`` (an approved copy)."""
    v1, contents = live_release(*({"title": f"Live {n}"} for n in range(count + extra)))
    v2 = services.create_release("v2", based_on=v1)
    for content in contents[:count]:
        with use_release(v2):
            if change == "hidden":
                services.transition(content, "deactivate")
                continue
            draft = services.create_draft(content, user=None)
            if change == "parked":
                services.transition(draft, "mark_future")
            elif change == "deleted":
                draft.delete()
            elif change == "approved":
                services.transition(draft, "approve")
    return v1, v2, contents


def error_codes(error: ValidationError) -> set[str]:
    return {item.code for item in error.error_list}


# -- lock ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "reason"), [("edited", "draft, not approved"), ("parked", "parked for a later release")]
)
def test_lock_refuses_to_take_live_content_offline(change, reason):
    _v1, v2, _contents = branch_with(change)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.lock_release(v2)
    assert error_codes(error.value) == {"would_go_offline"}
    message = " ".join(error.value.messages)
    assert "Locking release v2 would take 1 live object offline" in message
    assert f'article content "Live 0 (en)" (en): {reason}' in message
    assert "--allow-offline" in message
    assert differences(before, snapshot()) == []
    assert not refreshed(v2).is_locked


def test_a_missing_grouping_counts_as_going_offline():
    """A deleted draft copy leaves the grouping without a row in the release: not a hide."""
    _v1, v2, _contents = branch_with("deleted")
    assert refreshed(v2).has_removals  # the manifest compares the whole release
    with pytest.raises(ValidationError, match='"Live 0 \\(en\\)" \\(en\\): not in the release'):
        services.lock_release(v2)


def test_hidden_approved_and_unchanged_content_is_not_listed():
    _v1, v2, contents = branch_with("hidden", count=1, extra=2)
    with use_release(v2):
        services.transition(services.create_draft(contents[1], user=None), "approve")
    services.lock_release(v2)  # hiding is the explicit way to take content offline
    manifest = services.deploy_release(v2)
    assert manifest.findings == []
    assert [change.kind for change in manifest.changes] == ["removed", "changed"]


def test_the_refusal_leaves_the_callers_transaction_usable():
    _v1, v2, _contents = branch_with("edited")
    with transaction.atomic():
        with pytest.raises(ValidationError):
            services.lock_release(v2)
        assert Release.objects.filter(pk=v2.pk, is_locked=False).exists()
        services.lock_release(v2, allow_offline=True)
    assert refreshed(v2).is_locked


def test_lock_with_allow_offline_records_the_confirmation():
    _v1, v2, contents = branch_with("edited")
    services.lock_release(v2, allow_offline=True)
    entry = AuditEntry.objects.get(action=Action.LOCK_RELEASE, release=v2)
    [row] = entry.details["confirmed"]["would_go_offline"]
    assert row["name"] == "Live 0 (en)" and row["language"] == "en" and row["reason"] == "draft"
    assert row["object_id"] == contents[0].pk  # named by the live content that goes
    assert row["model"] == "article content"


def test_lock_without_anything_live_or_going_offline_records_no_confirmation():
    release = services.create_release("v1")
    with use_release(release):
        ArticleContentFactory()
    services.lock_release(release)  # nothing is live: nothing can go offline
    entry = AuditEntry.objects.get(action=Action.LOCK_RELEASE, release=release)
    assert "confirmed" not in entry.details


# -- deploy -------------------------------------------------------------------------------


def test_deploy_refuses_then_deploys_with_allow_offline():
    v1, v2, contents = branch_with("edited")
    services.lock_release(v2, allow_offline=True)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.deploy_release(v2)
    assert error_codes(error.value) == {"would_go_offline"}
    assert "Deploying release v2 would take 1 live object offline" in " ".join(error.value.messages)
    assert differences(before, snapshot()) == []
    assert Release.objects.live() == v1

    manifest = services.deploy_release(v2, allow_offline=True)
    assert Release.objects.live() == refreshed(v2)
    assert list(ArticleContent.objects.all()) == []
    [finding] = manifest.findings
    assert finding.confirmed and finding.code == "would_go_offline"
    entry = AuditEntry.objects.get(action=Action.DEPLOY_RELEASE, release=v2)
    assert entry.details["confirmed"]["would_go_offline"][0]["object_id"] == contents[0].pk
    assert entry.details["testapp.ArticleContent"] == {"added": 0, "changed": 0, "removed": 1}


def test_a_release_not_branched_from_the_live_one_is_refused_for_what_it_lacks():
    live_release({"title": "Old"})
    other = services.create_release("other")
    with use_release(other):
        ArticleContentFactory(title="New")
    services.approve_release(other)
    with pytest.raises(ValidationError, match='"Old \\(en\\)" \\(en\\): not in the release'):
        services.lock_release(other)
    services.lock_release(other, allow_offline=True)
    with pytest.raises(ValidationError, match="not in the release"):
        services.deploy_release(other)


def test_rollback_skips_the_guard():
    """Going back to a release where today's content did not exist is the intended revert."""
    v1, _contents = live_release({"title": "First"})
    v2 = services.create_release("v2", based_on=v1)
    with use_release(v2):
        ArticleContentFactory(title="Added in v2")
    services.approve_release(v2)
    services.lock_release(v2)
    services.deploy_release(v2)
    manifest = services.deploy_release(v1, rollback=True)
    assert [change.kind for change in manifest.changes] == ["removed"]
    assert manifest.findings == []


def start_over() -> None:
    """Remove every release (not the content rows): the next scenario starts from scratch."""
    from djangocms_release_versioning.models import LiveRelease, Version

    Deployment.objects.all().delete()
    AuditEntry.objects.all().delete()
    LiveRelease.objects.all().delete()
    Version.objects.all().delete()
    Release.objects.filter(based_on__isnull=False).delete()
    Release.objects.all().delete()


def test_deploy_with_the_guard_costs_the_same_whatever_the_site_size_or_offline_rows():
    def deploy_queries(count: int, extra: int) -> int:
        _v1, v2, _contents = branch_with("edited", count=count, extra=extra)
        services.lock_release(v2, allow_offline=True)
        with CaptureQueriesContext(connection) as queries:
            manifest = services.deploy_release(v2, allow_offline=True)
        assert len(manifest.findings[0].rows) == count
        start_over()
        return len(queries)

    small = deploy_queries(1, 2)
    assert deploy_queries(1, 25) == small  # site size
    assert deploy_queries(6, 2) == small  # offline rows: batched, one query per step


def test_the_lock_guard_costs_the_same_whatever_the_site_size():
    def guard_queries(extra: int) -> int:
        v1, v2, _contents = branch_with("edited", count=1, extra=extra)
        with CaptureQueriesContext(connection) as queries:
            [finding] = guards.find(guards.lock_context(v2, v1))
        assert len(finding.rows) == 1
        start_over()
        return len(queries)

    assert guard_queries(2) == guard_queries(25)


# -- the guard list ------------------------------------------------------------------------


def test_every_guard_is_complete():
    for guard in guards.GUARDS:
        assert guard.code and guard.option and guard.stages and guard.cli_help
        assert guard.cli_flag == "--" + guard.option.replace("_", "-")
        assert str(guard.title) and str(guard.checkbox_label)


def test_unknown_confirmations_are_a_programming_error():
    v1, v2, _contents = branch_with("edited")
    with pytest.raises(TypeError, match="allow_everything"):
        guards.enforce(guards.lock_context(v2, v1), allow_everything=True)


def test_long_lists_are_cut_in_messages():
    _v1, v2, _contents = branch_with("edited", count=guards.ROWS_IN_MESSAGE + 2)
    with pytest.raises(ValidationError) as error:
        services.lock_release(v2)
    message = " ".join(error.value.messages)
    assert "would take 12 live objects offline" in message and "and 2 more" in message


# -- dry run ------------------------------------------------------------------------------


def test_dry_run_runs_the_guards_and_writes_nothing():
    _v1, v2, _contents = branch_with("edited")
    services.lock_release(v2, allow_offline=True)
    before = snapshot()
    HOOK_CALLS.clear()
    with pytest.raises(ValidationError) as error:
        services.deploy_release(v2, dry_run=True)
    assert error_codes(error.value) == {"would_go_offline"}
    manifest = services.deploy_release(v2, dry_run=True, allow_offline=True)
    assert differences(before, snapshot()) == []
    assert manifest.dry_run and manifest.deployment is None and not refreshed(v2).is_deployed
    assert manifest.release.first_deployed_at is None
    [finding] = manifest.findings
    assert finding.rows[0].name == "Live 0 (en)"
    [row] = manifest.rows
    assert (row.kind, row.model, row.name, row.language) == (
        "removed",
        "testapp.ArticleContent",
        "Live 0 (en)",
        "en",
    )
    assert HOOK_CALLS == []  # hooks may act outside the database: never in a dry run


def test_dry_run_inside_a_transaction_leaves_it_usable():
    _v1, v2, _contents = branch_with("approved")
    services.lock_release(v2)
    with transaction.atomic():
        services.deploy_release(v2, dry_run=True)
        assert Release.objects.live().version == "v1"
        manifest = services.deploy_release(v2)
    assert manifest.deployment is not None and Release.objects.live() == refreshed(v2)


# -- failing hooks ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("hook", "change"), [("publish", "approved"), ("unpublish", "hidden")], ids=["on_publish", "on_unpublish"]
)
def test_a_failing_hook_refuses_the_deploy_naming_hook_object_and_error(hook, change):
    _v1, v2, _contents = branch_with(change)
    services.lock_release(v2)
    HOOK_FAILURES[hook] = RuntimeError("search index unreachable")
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.deploy_release(v2)
    assert error.value.code == "hook_failed"
    message = error.value.messages[0]
    assert f"The on_{hook} hook" in message and "testapp.ArticleContent" in message
    assert '"Live 0 (en)"' in message
    assert "RuntimeError: search index unreachable" in message
    assert "Nothing was deployed" in message
    assert isinstance(error.value.__cause__, RuntimeError)
    assert differences(before, snapshot()) == []


def test_a_failing_hook_inside_a_transaction_leaves_it_usable():
    _v1, v2, _contents = branch_with("approved")
    services.lock_release(v2)
    HOOK_FAILURES["publish"] = KeyError("x")
    with transaction.atomic():
        with pytest.raises(ValidationError):
            services.deploy_release(v2)
        assert Release.objects.live().version == "v1"
        HOOK_FAILURES.clear()
        services.deploy_release(v2)
    assert Release.objects.live().version == "v2"


# -- commands -----------------------------------------------------------------------------


def run(*args: str) -> str:
    from io import StringIO

    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_lock_command_refuses_and_takes_allow_offline():
    _v1, v2, _contents = branch_with("parked")
    with pytest.raises(CommandError) as error:
        run("lock_release", "--release-version", "v2")
    assert '"Live 0 (en)" (en): parked for a later release' in str(error.value)
    assert not refreshed(v2).is_locked
    assert "Locked release v2" in run("lock_release", "--release-version", "v2", "--allow-offline")


def test_deploy_command_dry_run_lists_objects_and_refuses_without_allow_offline():
    _v1, v2, _contents = branch_with("edited", extra=1)
    services.lock_release(v2, allow_offline=True)
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError) as error:
        call_command("deploy_release", "--release-version", "v2", "--dry-run", stdout=out)
    assert "--allow-offline" in str(error.value)
    text = out.getvalue()
    assert 'removed  testapp.ArticleContent "Live 0 (en)" (en)' in text
    assert "would_go_offline, refused without --allow-offline" in text
    assert "Nothing was written" in text
    text = run("deploy_release", "--release-version", "v2", "--dry-run", "--allow-offline")
    assert "every check of the deploy passed" in text
    assert "deploy_release --release-version v2 --allow-offline" in text
    assert Release.objects.live().version == "v1"


def test_deploy_command_json_report():
    _v1, v2, _contents = branch_with("edited")
    services.lock_release(v2, allow_offline=True)
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError):
        call_command("deploy_release", "--release-version", "v2", "--dry-run", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert sorted(report) == [
        "changes",
        "counts",
        "deployment",
        "dry_run",
        "errors",
        "guards",
        "live",
        "ok",
        "release",
        "rollback",
    ]
    assert report["ok"] is False and report["dry_run"] is True and report["live"] == "v1"
    assert report["errors"][0]["code"] == "would_go_offline"
    assert report["changes"] == [
        {
            "kind": "removed",
            "model": "testapp.ArticleContent",
            "name": "Live 0 (en)",
            "language": "en",
            "url": "",
            "grouping": version_of(_contents[0], "v1").grouping_key,
        }
    ]
    [guard] = report["guards"]
    assert guard["code"] == "would_go_offline" and guard["confirmed"] is False
    assert guard["rows"][0]["reason"] == "draft"

    report = json.loads(
        run("deploy_release", "--release-version", "v2", "--allow-offline", "--format", "json")
    )
    assert report["ok"] is True and report["dry_run"] is False and report["deployment"] is not None
    assert report["guards"][0]["confirmed"] is True


def test_deploy_command_json_reports_other_refusals():
    release = services.create_release("v1")
    from io import StringIO

    out = StringIO()
    with pytest.raises(CommandError, match="only locked releases can be deployed"):
        call_command("deploy_release", "--release-version", "v1", "--dry-run", "--format", "json", stdout=out)
    report = json.loads(out.getvalue())
    assert report["ok"] is False and report["errors"][0]["code"] == "not_locked"
    assert not refreshed(release).is_locked


def test_deploy_command_turns_a_failing_hook_into_a_command_error():
    _v1, v2, _contents = branch_with("approved")
    services.lock_release(v2)
    HOOK_FAILURES["publish"] = RuntimeError("search index unreachable")
    with pytest.raises(CommandError) as error:
        run("deploy_release", "--release-version", "v2")
    message = str(error.value)
    assert "on_publish hook" in message and '"Live 0 (en)"' in message
    assert "RuntimeError: search index unreachable" in message
    assert Release.objects.live().version == "v1"


# -- dry runs of pages: URL collisions and URLs ---------------------------------------------


@pytest.fixture
def pages_site(admin_user):
    from tests.pages_support import make_page, ship

    about = make_page("About", admin_user)
    shop = make_page("Shop", admin_user)
    ship("v1")
    return {"about": about, "shop": shop}


def test_dry_run_fails_on_a_url_collision_like_the_deploy(pages_site, admin_user):
    from tests.pages_support import branch, edit

    v2 = branch("v2", "v1")
    edit(pages_site["shop"], admin_user, v2, slug="about")
    services.approve_release(v2)
    services.lock_release(v2)
    before = snapshot()
    with pytest.raises(ValidationError) as error:
        services.deploy_release(v2, dry_run=True)
    assert error.value.code == "url_collision"
    with pytest.raises(CommandError, match='would give two pages the URL "/about"'):
        run("deploy_release", "--release-version", "v2", "--dry-run")
    assert differences(before, snapshot()) == []


def test_dry_run_rows_show_the_urls_after_the_deploy(pages_site, admin_user):
    from tests.pages_support import branch, content_of, edit, make_page

    v2 = branch("v2", "v1")
    edit(pages_site["shop"], admin_user, v2, slug="store", title="Store")
    with use_release(v2):
        make_page("Careers", admin_user)
        services.transition(content_of(pages_site["about"], "en", v2), "deactivate")
    services.approve_release(v2)
    services.lock_release(v2)
    text = run("deploy_release", "--release-version", "v2", "--dry-run")
    assert 'added    cms.PageContent "Careers (en)" (en) /careers/' in text
    assert 'changed  cms.PageContent "Store (en)" (en) /store/' in text  # the URL it will have
    assert 'removed  cms.PageContent "About (en)" (en) /about/' in text  # the URL it has now
    assert "Live content that would go offline" not in text  # About was hidden on purpose
    from cms.models import PageUrl

    assert PageUrl.objects.get(page=pages_site["shop"], language="en").path == "shop"


def test_a_hook_whose_query_fails_is_refused_cleanly():
    """A database error in a hook (on PostgreSQL it aborts the transaction) still gives a
    ``hook_failed`` refusal naming the object by its ids, and the caller's transaction works."""
    from django.db import DatabaseError

    def failing_query(version):
        with connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_in_this_database")

    _v1, v2, _contents = branch_with("approved")
    services.lock_release(v2)
    HOOK_FAILURES["publish"] = failing_query
    with transaction.atomic():
        with pytest.raises(ValidationError) as error:
            services.deploy_release(v2)
        assert error.value.code == "hook_failed"
        assert isinstance(error.value.__cause__, DatabaseError)
        assert "no_such_table_in_this_database" in error.value.messages[0]
        assert "pk " in error.value.messages[0]
        assert Release.objects.live().version == "v1"  # the transaction is still usable
