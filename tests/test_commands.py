"""Management commands: happy paths, refusals (nothing changed), output and exit codes."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT, FUTURE
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Deployment, LiveRelease, Release, Version
from tests.factories import ArticleContentFactory, SnippetContentFactory, UserFactory
from tests.testapp.models import ArticleContent, SnippetContent

ROOT = Path(__file__).resolve().parent.parent

#: command name -> (services function it must call, extra options for a valid call)
COMMANDS: dict[str, tuple[str, dict[str, Any]]] = {
    "create_release": ("create_release", {}),
    "approve_release": ("approve_release", {}),
    "lock_release": ("lock_release", {}),
    "unlock_release": ("unlock_release", {"force": True}),
    "deploy_release": ("deploy_release", {}),
    "deprecate_release": ("deprecate_release", {}),
    "verify_release": ("verify_release", {}),
}
#: commands that need an existing release (all but create_release)
EXISTING = [name for name in COMMANDS if name != "create_release"]
#: commands whose service checks the user's permission
GUARDED = [name for name in COMMANDS if name != "verify_release"]


# -- helpers ---------------------------------------------------------------------------


def run(name: str, *args: str, **options: Any) -> str:
    """Call a command and return what it wrote to stdout."""
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


def snapshot() -> dict[str, Any]:
    """Everything a release command could write, to prove a refusal changed nothing."""
    return {
        "releases": list(Release.objects.order_by("pk").values()),
        "versions": list(Version.objects.order_by("pk").values()),
        "deployments": list(Deployment.objects.order_by("pk").values()),
        "live": list(LiveRelease.objects.values()),
        "audit": AuditEntry.objects.count(),
        "articles": list(ArticleContent._base_manager.order_by("pk").values()),
        "snippets": list(SnippetContent._base_manager.order_by("pk").values()),
    }


def refused(name: str, *, match: str, **options: Any) -> CommandError:
    """Call a command that must fail with ``match`` in its message and change nothing."""
    before = snapshot()
    with pytest.raises(CommandError, match=match) as info:
        run(name, **options)
    assert snapshot() == before
    return info.value


def locked_release() -> Release:
    """Release v1 (opened automatically by the first content), approved and locked."""
    ArticleContentFactory()
    release = Release.objects.get(version="v1")
    services.approve_release(release)
    return services.lock_release(release)


def live_release() -> Release:
    release = locked_release()
    services.deploy_release(release)
    return release


class FakeTerminal(io.StringIO):
    """A stdin that claims to be a terminal, with the operator's answer typed in advance."""

    def isatty(self) -> bool:
        return True


# -- every command ---------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(COMMANDS))
def test_missing_release_version_is_refused(name):
    locked_release()
    error = refused(name, match="--release-version")
    assert name in str(error)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(COMMANDS))
def test_blank_release_version_is_refused(name):
    locked_release()
    refused(name, match="Name the release with --release-version", release_version="   ")


@pytest.mark.django_db
@pytest.mark.parametrize("name", EXISTING)
def test_unknown_release_is_refused_and_known_ones_listed(name):
    locked_release()
    services.create_release("v2", based_on="v1")
    error = refused(name, match="There is no release v9", release_version="v9", **COMMANDS[name][1])
    assert "Known releases (newest first): v2, v1." in str(error)


@pytest.mark.django_db
def test_unknown_release_on_empty_site_says_how_to_start():
    refused("lock_release", match="no releases yet; create one with create_release", release_version="v1")


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(COMMANDS))
def test_unknown_username_is_refused(name):
    locked_release()
    refused(name, match="There is no user 'ghost'", release_version="v1", username="ghost")


@pytest.mark.django_db
@pytest.mark.parametrize("name", GUARDED)
def test_user_without_permission_is_refused(name):
    locked_release()
    UserFactory(username="intern", is_superuser=False)
    error = refused(name, match="permission", release_version="v1", username="intern", **COMMANDS[name][1])
    assert "djangocms_release_versioning." in str(error)
    assert "'intern'" in str(error)


@pytest.mark.django_db
@pytest.mark.parametrize("name", list(COMMANDS))
@pytest.mark.parametrize(
    ("exception", "message"),
    [(ValidationError("workflow says no"), "workflow says no"), (PermissionDenied("not you"), "not you")],
)
def test_service_errors_become_command_errors(monkeypatch, name, exception, message):
    """Each command delegates to its service and translates its errors."""
    service, extra = COMMANDS[name]
    calls = []

    def failing(*args, **kwargs):
        calls.append((args, kwargs))
        raise exception

    locked_release()
    monkeypatch.setattr(services, service, failing)
    refused(name, match=message, release_version="v1", **extra)
    assert len(calls) == 1


# -- create_release --------------------------------------------------------------------


@pytest.mark.django_db
def test_create_release_opens_an_empty_release():
    UserFactory(username="lead")
    out = run("create_release", release_version="v1", description="First", username="lead")
    release = Release.objects.get()
    assert (release.version, release.description, release.state) == ("v1", "First", "open")
    assert release.created_by.username == "lead"
    assert "Created release v1" in out
    assert "approve_release --release-version v1" in out


@pytest.mark.django_db
def test_create_release_based_on_a_locked_release_copies_versions():
    locked_release()
    out = run("create_release", release_version="v2", based_on="v1")
    release = Release.objects.get(version="v2")
    assert release.based_on.version == "v1"
    assert Version.objects.filter(release=release).count() == 1
    assert "based on v1: 1 version(s) copied" in out


@pytest.mark.django_db
def test_create_release_refuses_an_open_base():
    ArticleContentFactory()
    refused("create_release", match="Lock it first", release_version="v2", based_on="v1")


@pytest.mark.django_db
def test_create_release_refuses_a_missing_base():
    locked_release()
    refused(
        "create_release",
        match="There is no release nope.*Known releases",
        release_version="v2",
        based_on="nope",
    )


@pytest.mark.django_db
def test_create_release_refuses_a_taken_version():
    locked_release()
    refused("create_release", match="exists already", release_version="v1")


# -- approve_release -------------------------------------------------------------------


@pytest.mark.django_db
def test_approve_release_approves_active_drafts_only():
    user = UserFactory(username="editor")
    drafts = [ArticleContentFactory(), ArticleContentFactory()]
    parked, hidden, hidden_parked = ArticleContentFactory(), ArticleContentFactory(), ArticleContentFactory()
    services.transition(parked, "mark_future")
    services.transition(hidden, "deactivate")
    services.transition(hidden_parked, "mark_future")
    services.transition(hidden_parked, "deactivate")

    out = run("approve_release", release_version="v1", username="editor")

    statuses = {v.object_id: (v.status, v.active) for v in Version.objects.all()}
    assert {statuses[c.pk] for c in drafts} == {(APPROVED, True)}
    assert statuses[parked.pk] == (FUTURE, True)
    assert statuses[hidden.pk] == (DRAFT, False)
    assert statuses[hidden_parked.pk] == (FUTURE, False)
    assert set(Version.objects.filter(status=APPROVED).values_list("modified_by", flat=True)) == {user.pk}
    assert "Approved 2 draft(s) in release v1." in out
    assert "2 approved, 1 parked (left unchanged) and 2 hidden (left unchanged)" in out
    assert "lock_release --release-version v1" in out


@pytest.mark.django_db
def test_approve_release_with_nothing_to_approve_says_so():
    ArticleContentFactory()
    services.approve_release("v1")
    out = run("approve_release", release_version="v1")
    assert "Nothing to approve in release v1" in out


@pytest.mark.django_db
def test_approve_release_refuses_a_locked_release():
    locked_release()
    refused("approve_release", match="locked", release_version="v1")


# -- lock_release / unlock_release -----------------------------------------------------


@pytest.mark.django_db
def test_lock_release_locks_and_records_a_fingerprint():
    UserFactory(username="lead")
    ArticleContentFactory()
    services.approve_release("v1")
    out = run("lock_release", release_version="v1", username="lead")
    release = Release.objects.get()
    assert release.is_locked
    assert release.locked_by.username == "lead"
    assert len(release.fingerprint) == 64
    assert release.fingerprint[:12] in out
    assert "Deploy it with deploy_release --release-version v1" in out
    assert "Note:" not in out


@pytest.mark.django_db
def test_lock_release_warns_about_content_that_will_not_be_public():
    ArticleContentFactory()
    out = run("lock_release", release_version="v1")
    assert "1 version(s) are not approved or are hidden" in out


@pytest.mark.django_db
def test_lock_release_refuses_a_locked_release():
    locked_release()
    refused("lock_release", match="locked already", release_version="v1")


@pytest.mark.django_db
def test_unlock_release_with_force():
    locked_release()
    out = run("unlock_release", release_version="v1", force=True)
    release = Release.objects.get()
    assert not release.is_locked
    assert release.fingerprint == ""
    assert "Unlocked release v1" in out


@pytest.mark.django_db
def test_unlock_release_without_terminal_asks_for_force():
    locked_release()
    refused("unlock_release", match="no terminal.*--force", release_version="v1", stdin=io.StringIO("v1\n"))


@pytest.mark.django_db
def test_unlock_release_confirmed_by_typing_the_version():
    locked_release()
    out = run("unlock_release", release_version="v1", stdin=FakeTerminal("v1\n"))
    assert "Type the version (v1) to confirm" in out
    assert not Release.objects.get().is_locked


@pytest.mark.django_db
@pytest.mark.parametrize("answer", ["v2\n", "\n", ""])
def test_unlock_release_wrong_confirmation_keeps_it_locked(answer):
    locked_release()
    refused("unlock_release", match="stays locked", release_version="v1", stdin=FakeTerminal(answer))


@pytest.mark.django_db
def test_unlock_release_refuses_a_deployed_release():
    live_release()
    refused("unlock_release", match="has been deployed", release_version="v1", force=True)


@pytest.mark.django_db
def test_unlock_release_refuses_a_deployed_release_before_asking():
    live_release()
    refused("unlock_release", match="has been deployed", release_version="v1", stdin=io.StringIO(""))


@pytest.mark.django_db
def test_unlock_release_refuses_an_open_release():
    ArticleContentFactory()
    refused("unlock_release", match="not locked", release_version="v1", force=True)


# -- deploy_release --------------------------------------------------------------------


@pytest.fixture
def two_releases() -> tuple[Release, Release, dict[str, int]]:
    """v1 live with articles a, b; v2 locked with a changed, b hidden, c and a snippet added."""
    a, b = ArticleContentFactory(), ArticleContentFactory()
    v1 = Release.objects.get()
    services.approve_release(v1)
    services.lock_release(v1)
    services.deploy_release(v1)
    v2 = services.create_release("v2", based_on=v1)
    with use_release(v2):
        draft = services.create_draft(a, user=None)
        ArticleContent._base_manager.filter(pk=draft.pk).update(title="changed")
        services.transition(b, "deactivate")
        ArticleContentFactory()
        SnippetContentFactory()
    services.approve_release(v2)
    services.lock_release(v2)
    return v1, v2, {"a": a.pk, "b": b.pk}


@pytest.mark.django_db
def test_deploy_release_dry_run_prints_counts_per_model_and_writes_nothing(two_releases):
    before = snapshot()
    out = run("deploy_release", release_version="v2", dry_run=True)
    assert snapshot() == before
    assert "Dry run: deploying release v2 over live release v1 would change 4 grouping(s):" in out
    assert "  testapp.ArticleContent: 1 added, 1 changed, 1 removed" in out
    assert "  testapp.SnippetContent: 1 added, 0 changed, 0 removed" in out
    assert "Nothing was written" in out


@pytest.mark.django_db
def test_deploy_release_dry_run_of_a_first_deploy_writes_nothing():
    """Nothing live yet: the dry run must not create the live pointer row either."""
    locked_release()
    before = snapshot()
    out = run("deploy_release", release_version="v1", dry_run=True)
    assert "over nothing live would change 1 grouping(s)" in out
    assert snapshot() == before


@pytest.mark.django_db
def test_deploy_release_makes_the_release_live(two_releases):
    v1, v2, pks = two_releases
    UserFactory(username="ops")
    out = run("deploy_release", release_version="v2", username="ops")
    assert Release.objects.live() == v2
    deployment = Deployment.objects.latest()
    assert (deployment.release, deployment.previous, deployment.is_rollback) == (v2, v1, False)
    assert deployment.deployed_by.username == "ops"
    live_pks = set(ArticleContent.objects.values_list("pk", flat=True))
    assert "changed" in set(ArticleContent.objects.values_list("title", flat=True))
    assert pks["a"] not in live_pks
    assert pks["b"] not in live_pks
    assert len(live_pks) == 2
    assert "Deployed release v2; it is live now (before: live release v1)" in out
    assert "testapp.ArticleContent: 1 added, 1 changed, 1 removed" in out
    assert "deploy_release --release-version v1 --rollback" in out


@pytest.mark.django_db
def test_deploy_release_first_deploy_on_a_site_with_nothing_live():
    locked_release()
    out = run("deploy_release", release_version="v1")
    assert Release.objects.live().version == "v1"
    assert "before: nothing live" in out
    assert "--rollback" not in out


@pytest.mark.django_db
def test_deploy_release_rollback(two_releases):
    v1, v2, _ = two_releases
    services.deploy_release(v2)
    out = run("deploy_release", release_version="v1", rollback=True)
    assert Release.objects.live() == v1
    assert Deployment.objects.latest().is_rollback
    assert "Rolled back to release v1" in out


@pytest.mark.django_db
def test_deploy_release_dry_run_of_a_rollback_writes_nothing(two_releases):
    services.deploy_release("v2")
    before = snapshot()
    out = run("deploy_release", release_version="v1", rollback=True, dry_run=True)
    assert snapshot() == before
    assert "deploy_release --release-version v1 --rollback." in out


@pytest.mark.django_db
def test_deploy_release_refuses_an_open_release():
    ArticleContentFactory()
    refused("deploy_release", match="Lock it first", release_version="v1")
    refused("deploy_release", match="Lock it first", release_version="v1", dry_run=True)


@pytest.mark.django_db
def test_deploy_release_refuses_the_live_release():
    live_release()
    refused("deploy_release", match="live already", release_version="v1")


@pytest.mark.django_db
def test_deploy_release_redeploy_needs_rollback(two_releases):
    services.deploy_release("v2")
    refused("deploy_release", match="--rollback", release_version="v1")


@pytest.mark.django_db
def test_deploy_release_rollback_to_a_never_deployed_release_is_refused(two_releases):
    refused("deploy_release", match="never deployed", release_version="v2", rollback=True)


# -- deprecate_release -----------------------------------------------------------------


@pytest.mark.django_db
def test_deprecate_release_and_undo(two_releases):
    out = run("deprecate_release", release_version="v2")
    assert Release.objects.get(version="v2").is_deprecated
    assert "deprecate_release --release-version v2 --undo" in out
    out = run("deprecate_release", release_version="v2", undo=True)
    assert not Release.objects.get(version="v2").is_deprecated
    assert "Restored release v2; it is locked again." in out


@pytest.mark.django_db
def test_deprecate_release_refuses_the_live_release():
    live_release()
    refused("deprecate_release", match="is live", release_version="v1")


@pytest.mark.django_db
def test_deprecate_release_undo_refuses_a_release_that_is_not_deprecated():
    locked_release()
    refused("deprecate_release", match="not deprecated", release_version="v1", undo=True)


# -- verify_release --------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_release_intact():
    locked_release()
    out = run("verify_release", release_version="v1")
    assert "Release v1 is intact: its 1 version(s) match" in out


@pytest.mark.django_db
def test_verify_release_names_content_changed_behind_the_lock():
    locked_release()
    content = ArticleContent._base_manager.get()
    ArticleContent._base_manager.filter(pk=content.pk).update(title="x")
    version = Version.objects.get()
    error = refused("verify_release", match="no longer matches", release_version="v1")
    assert f"testapp.ArticleContent {version.grouping_key} (content {content.pk}," in str(error)


@pytest.mark.django_db
def test_verify_release_refuses_an_open_release():
    ArticleContentFactory()
    refused("verify_release", match="only locked releases have a fingerprint", release_version="v1")


# -- verbosity -------------------------------------------------------------------------


@pytest.mark.django_db
def test_verbosity_zero_is_silent_on_success():
    ArticleContentFactory()
    steps = [
        ("approve_release", {"release_version": "v1"}),
        ("lock_release", {"release_version": "v1"}),
        ("verify_release", {"release_version": "v1"}),
        ("deploy_release", {"release_version": "v1", "dry_run": True}),
        ("deploy_release", {"release_version": "v1"}),
        ("create_release", {"release_version": "v2", "based_on": "v1"}),
        ("lock_release", {"release_version": "v2"}),
        ("unlock_release", {"release_version": "v2", "force": True}),
        ("deprecate_release", {"release_version": "v2"}),
        ("deprecate_release", {"release_version": "v2", "undo": True}),
    ]
    for name, options in steps:
        assert run(name, verbosity=0, **options) == "", name
    assert Release.objects.live().version == "v1"


# -- real process: exit codes ----------------------------------------------------------


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> dict[str, str]:
    """Environment for ``python -m django`` against a migrated, file-based SQLite database."""
    directory = tmp_path_factory.mktemp("site")
    database = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(directory / "db.sqlite3")}
    (directory / "command_settings.py").write_text(
        f"from test_settings import *  # noqa: F403\n\nDATABASES = {{'default': {database!r}}}\n"
    )
    env = {key: value for key, value in os.environ.items() if key != "DATABASE"}
    env["DJANGO_SETTINGS_MODULE"] = "command_settings"
    env["PYTHONPATH"] = os.pathsep.join([str(directory), str(ROOT)])
    manage(env, "migrate", "--verbosity", "0", check=True)
    return env


def manage(env: dict[str, str], *args: str, check: bool = False) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "django", *args],
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=check,
    )


def test_process_exit_codes(site):
    missing = manage(site, "lock_release")
    assert missing.returncode != 0
    assert "--release-version" in missing.stderr

    unknown = manage(site, "lock_release", "--release-version", "nope")
    assert unknown.returncode != 0
    assert "There is no release nope" in unknown.stderr

    created = manage(site, "create_release", "--release-version", "v1")
    assert created.returncode == 0, created.stderr
    assert "Created release v1" in created.stdout

    taken = manage(site, "create_release", "--release-version", "v1")
    assert taken.returncode != 0
    assert "exists already" in taken.stderr

    locked = manage(site, "lock_release", "--release-version", "v1", "--verbosity", "0")
    assert (locked.returncode, locked.stdout) == (0, "")

    verified = manage(site, "verify_release", "--release-version", "v1")
    assert verified.returncode == 0, verified.stderr

    no_terminal = manage(site, "unlock_release", "--release-version", "v1")
    assert no_terminal.returncode != 0
    assert "--force" in no_terminal.stderr

    still_locked = manage(site, "deploy_release", "--release-version", "v1", "--dry-run")
    assert still_locked.returncode == 0, still_locked.stderr
