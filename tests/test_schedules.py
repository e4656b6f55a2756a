"""Scheduled deploys (DESIGN §9.3): schedule, cancel, run the due ones exactly once.

Every test runs under a frozen clock (time-machine); nothing depends on today's date.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from io import StringIO
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import IntegrityError, OperationalError, transaction

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import (
    AuditEntry,
    Deployment,
    Release,
    ScheduledDeploy,
    ScheduleStatus,
)
from djangocms_release_versioning.signals import release_deployed
from tests.factories import ArticleContentFactory, UserFactory
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db

#: The frozen "now" of these tests: a one-digit day, far from any real date.
NOW = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)


@pytest.fixture
def clock():
    with time_machine.travel(NOW, tick=False) as traveller:
        yield traveller


def locked(version: str, based_on: Release | None = None, *, allow_offline: bool = False) -> Release:
    """A locked release (branched from ``based_on``) adding one approved article titled after it."""
    release = services.create_release(version, based_on=based_on)
    with use_release(release):
        ArticleContentFactory(title=f"article of {version}")
    services.approve_release(release)
    return services.lock_release(release, allow_offline=allow_offline)


def live_titles() -> list[str]:
    return sorted(ArticleContent.objects.values_list("title", flat=True))


def state() -> tuple:
    """Everything a schedule run may write."""
    return (
        Release.objects.live(),
        Deployment.objects.count(),
        list(ScheduledDeploy.objects.order_by("pk").values_list("status", "failure_code", "deployment_id")),
        AuditEntry.objects.count(),
    )


# -- scheduling ---------------------------------------------------------------------------


def test_a_schedule_runs_once_when_due(clock):
    release = locked("v1")
    schedule = services.schedule_deploy(release, at=NOW + timedelta(hours=2))
    assert schedule.status == ScheduleStatus.PENDING
    assert services.pending_schedule("v1") == schedule
    assert services.run_scheduled_deploys() == []
    assert Release.objects.live() is None

    clock.move_to(NOW + timedelta(hours=2))  # exactly at the time: due
    run = services.run_scheduled_deploys()
    assert [d.release for d in run] == [release]
    assert Release.objects.live() == release
    assert live_titles() == ["article of v1"]
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.DONE
    assert schedule.deployment == run[0]
    assert schedule.finished_at == NOW + timedelta(hours=2)
    assert services.pending_schedule("v1") is None

    clock.move_to(NOW + timedelta(hours=3))
    assert services.run_scheduled_deploys() == []
    assert Deployment.objects.count() == 1


def test_due_schedules_run_oldest_first(clock):
    first = locked("v1")
    second = locked("v2", based_on=first)
    services.schedule_deploy(second, at=NOW + timedelta(minutes=20))
    services.schedule_deploy(first, at=NOW + timedelta(minutes=10))
    clock.move_to(NOW + timedelta(hours=1))  # the runner was down: both are due
    run = services.run_scheduled_deploys()
    assert [d.release.version for d in run] == ["v1", "v2"]
    assert run[1].previous == first
    assert Release.objects.live() == second


def test_an_explicit_now_runs_only_what_is_due_then(clock):
    release = locked("v1")
    services.schedule_deploy(release, at=NOW + timedelta(days=1))
    assert services.run_scheduled_deploys(now=NOW + timedelta(hours=23)) == []
    assert len(services.run_scheduled_deploys(now=NOW + timedelta(days=1, seconds=1))) == 1


def test_a_scheduled_rollback(clock):
    v1 = locked("v1")
    v2 = locked("v2", based_on=v1)
    services.deploy_release(v1)
    services.deploy_release(v2)
    services.schedule_deploy(v1, at=NOW + timedelta(minutes=5), rollback=True)
    clock.move_to(NOW + timedelta(minutes=5))
    (deployment,) = services.run_scheduled_deploys()
    assert deployment.is_rollback
    assert Release.objects.live() == v1


def test_the_scheduler_is_the_deployer_and_everything_is_audited(clock, admin_user):
    release = locked("v1")
    services.schedule_deploy(release, at=NOW + timedelta(minutes=1), user=admin_user)
    clock.move_to(NOW + timedelta(minutes=1))
    (deployment,) = services.run_scheduled_deploys()
    assert deployment.deployed_by == admin_user
    actions = list(AuditEntry.objects.filter(release=release).order_by("pk").values_list("action", "user"))
    assert (Action.SCHEDULE_DEPLOY, admin_user.pk) in actions
    assert actions[-1] == (Action.DEPLOY_RELEASE, admin_user.pk)


@pytest.mark.parametrize("zone", ["UTC", "Pacific/Kiritimati", "America/Adak"])
def test_aware_times_in_any_zone(clock, zone):
    release = locked("v1")
    at = (NOW + timedelta(minutes=30)).astimezone(ZoneInfo(zone))
    schedule = services.schedule_deploy(release, at=at)
    assert schedule.at == NOW + timedelta(minutes=30)


# -- refusals: clear error, nothing written, the caller's transaction usable ------------------


def _refusal(call) -> ValidationError:
    before = state()
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            call()
        assert Release.objects.count() >= 0  # the transaction is still usable
    assert state() == before
    return caught.value


@pytest.mark.parametrize(
    ("at", "code"),
    [
        (NOW.replace(tzinfo=None) + timedelta(hours=1), "invalid_time"),
        (NOW, "invalid_time"),
        (NOW - timedelta(seconds=1), "invalid_time"),
        ("2027-03-06T10:00+00:00", "invalid_time"),
    ],
    ids=["naive", "now", "past", "a string"],
)
def test_a_time_that_is_not_an_aware_future_datetime_is_refused(clock, at, code):
    locked("v1")
    assert _refusal(lambda: services.schedule_deploy("v1", at=at)).code == code


def test_a_release_that_cannot_be_deployed_is_refused(clock):
    services.create_release("open")
    v1 = locked("v1")
    services.deploy_release(v1)
    locked("v2", based_on=v1)
    later = NOW + timedelta(hours=1)
    assert _refusal(lambda: services.schedule_deploy("open", at=later)).code == "not_locked"
    assert _refusal(lambda: services.schedule_deploy("v1", at=later)).code == "already_live"
    assert _refusal(lambda: services.schedule_deploy("v2", at=later, rollback=True)).code == "never_deployed"
    services.deprecate_release("v2")
    assert _refusal(lambda: services.schedule_deploy("v2", at=later)).code == "release_deprecated"
    assert _refusal(lambda: services.schedule_deploy("nope", at=later)).code == "unknown_release"


def test_one_pending_schedule_per_release(clock):
    locked("v1")
    services.schedule_deploy("v1", at=NOW + timedelta(hours=1))
    error = _refusal(lambda: services.schedule_deploy("v1", at=NOW + timedelta(hours=2)))
    assert error.code == "already_scheduled"
    assert "--cancel-schedule" in error.messages[0]


def test_the_database_allows_one_pending_schedule_per_release(clock):
    release = locked("v1")
    ScheduledDeploy.objects.create(release=release, at=NOW + timedelta(hours=1))
    ScheduledDeploy.objects.create(release=release, at=NOW, status=ScheduleStatus.FAILED)
    with pytest.raises(IntegrityError), transaction.atomic():
        ScheduledDeploy.objects.create(release=release, at=NOW + timedelta(hours=2))


def test_scheduling_and_cancelling_need_the_deploy_permission(clock):
    locked("v1")
    editor = UserFactory(is_staff=True, is_superuser=False)
    with pytest.raises(PermissionDenied):
        services.schedule_deploy("v1", at=NOW + timedelta(hours=1), user=editor)
    assert not ScheduledDeploy.objects.exists()
    services.schedule_deploy("v1", at=NOW + timedelta(hours=1))
    with pytest.raises(PermissionDenied):
        services.cancel_scheduled_deploy("v1", user=editor)
    editor.user_permissions.add(Permission.objects.get(codename="deploy_release"))
    editor = type(editor).objects.get(pk=editor.pk)
    assert services.cancel_scheduled_deploy("v1", user=editor).cancelled_by == editor


# -- cancelling -------------------------------------------------------------------------------


def test_a_cancelled_schedule_never_runs(clock, admin_user):
    release = locked("v1")
    services.schedule_deploy(release, at=NOW + timedelta(minutes=5))
    schedule = services.cancel_scheduled_deploy("v1", user=admin_user)
    assert schedule.status == ScheduleStatus.CANCELLED
    assert schedule.finished_at == NOW
    assert AuditEntry.objects.filter(action=Action.CANCEL_SCHEDULE, release=release, user=admin_user).exists()
    clock.move_to(NOW + timedelta(hours=1))
    assert services.run_scheduled_deploys() == []
    assert Release.objects.live() is None
    # A new schedule can be made after cancelling.
    assert services.schedule_deploy(release, at=NOW + timedelta(hours=2)).status == ScheduleStatus.PENDING


def test_cancelling_without_a_pending_schedule_is_refused(clock):
    locked("v1")
    assert _refusal(lambda: services.cancel_scheduled_deploy("v1")).code == "not_scheduled"


# -- schedules that can no longer run ---------------------------------------------------------


def _unlock(release: Release) -> None:
    services.unlock_release(release)


def _deprecate(release: Release) -> None:
    services.deprecate_release(release)


def _deploy_it_now(release: Release) -> None:
    services.deploy_release(release)


BREAKERS = {
    "unlocked": (_unlock, "not_locked"),
    "deprecated": (_deprecate, "release_deprecated"),
    "deployed by hand meanwhile": (_deploy_it_now, "already_live"),
}


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_a_schedule_that_can_no_longer_run_is_marked_failed(clock, breaker):
    release = locked("v1")
    schedule = services.schedule_deploy(release, at=NOW + timedelta(minutes=5))
    change, code = BREAKERS[breaker]
    change(release)
    live_before, deployments_before = Release.objects.live(), Deployment.objects.count()
    clock.move_to(NOW + timedelta(minutes=5))
    run = services.run_scheduled_deploys()
    assert list(run) == []
    assert run.failed == [schedule]
    schedule.refresh_from_db()
    assert schedule.status == ScheduleStatus.FAILED
    assert schedule.failure_code == code
    assert "v1" in schedule.failure_reason
    assert (Release.objects.live(), Deployment.objects.count()) == (live_before, deployments_before)
    entry = AuditEntry.objects.get(action=Action.SCHEDULE_FAILED)
    assert entry.details["code"] == code
    assert entry.details["reason"] == schedule.failure_reason
    assert services.run_scheduled_deploys(now=NOW + timedelta(days=1)) == []


def test_a_scheduler_who_lost_the_permission_fails_the_schedule(clock):
    locked("v1")
    deployer = UserFactory(is_staff=True, is_superuser=False)
    deployer.user_permissions.add(Permission.objects.get(codename="deploy_release"))
    deployer = type(deployer).objects.get(pk=deployer.pk)
    schedule = services.schedule_deploy("v1", at=NOW + timedelta(minutes=5), user=deployer)
    deployer.user_permissions.clear()
    clock.move_to(NOW + timedelta(minutes=5))
    assert services.run_scheduled_deploys() == []
    schedule.refresh_from_db()
    assert (schedule.status, schedule.failure_code) == (ScheduleStatus.FAILED, "permission_denied")
    assert Release.objects.live() is None


def test_a_failed_schedule_does_not_stop_the_others(clock):
    v1 = locked("v1")
    v2 = locked("v2", based_on=v1)
    services.schedule_deploy(v1, at=NOW + timedelta(minutes=1))
    services.schedule_deploy(v2, at=NOW + timedelta(minutes=2))
    services.deprecate_release(v1)
    clock.move_to(NOW + timedelta(minutes=3))
    run = services.run_scheduled_deploys()
    assert [d.release for d in run] == [v2]
    assert [s.release for s in run.failed] == [v1]


# -- errors while deploying -------------------------------------------------------------------


class Failing:
    """A release_deployed receiver raising ``error`` (at the end of the deploy's work)."""

    def __init__(self, error: Exception) -> None:
        self.error = error

    def __enter__(self) -> Failing:
        release_deployed.connect(self.receiver, dispatch_uid="test_schedules_failing", weak=False)
        return self

    def __exit__(self, *exc: object) -> None:
        release_deployed.disconnect(dispatch_uid="test_schedules_failing")

    def receiver(self, **kwargs: object) -> None:
        raise self.error


def test_a_transient_database_error_is_retried_by_the_next_run(clock):
    release = locked("v1")
    schedule = services.schedule_deploy(release, at=NOW + timedelta(minutes=5))
    clock.move_to(NOW + timedelta(minutes=5))
    before = state()
    with Failing(OperationalError("could not obtain lock")):
        run = services.run_scheduled_deploys()
    assert list(run) == [] and run.failed == []
    assert [(s.pk, error) for s, error in run.retry] == [(schedule.pk, "could not obtain lock")]
    assert state() == before, "the failed attempt left something behind"
    schedule.refresh_from_db()
    assert (schedule.status, schedule.finished_at) == (ScheduleStatus.PENDING, None)

    (deployment,) = services.run_scheduled_deploys()
    assert deployment.release == release
    assert live_titles() == ["article of v1"]


def test_an_unexpected_error_fails_the_schedule_and_rolls_the_deploy_back(clock):
    v0 = locked("v0")
    services.deploy_release(v0)
    release = locked("v1", based_on=v0)
    schedule = services.schedule_deploy(release, at=NOW + timedelta(minutes=5))
    clock.move_to(NOW + timedelta(minutes=5))
    with Failing(RuntimeError("hook broke")):
        run = services.run_scheduled_deploys()
    assert run.failed == [schedule]
    schedule.refresh_from_db()
    assert schedule.failure_code == "deploy_error"
    assert "hook broke" in schedule.failure_reason
    assert Release.objects.live() == v0
    assert Deployment.objects.count() == 1
    assert live_titles() == ["article of v0"]
    assert AuditEntry.objects.filter(action=Action.SCHEDULE_FAILED).count() == 1


# -- commands ---------------------------------------------------------------------------------


def command(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_deploy_release_at_schedules_and_run_scheduled_deploys_deploys(clock, settings):
    settings.TIME_ZONE = "Pacific/Kiritimati"  # +14: a naive --at is read in this zone
    locked("v1")
    output = command("deploy_release", "--release-version", "v1", "--at", "2027-03-06T01:00")
    assert "Scheduled the deploy of release v1 for 2027-03-06T01:00+14:00" in output
    schedule = ScheduledDeploy.objects.get()
    assert schedule.at == datetime(2027, 3, 5, 11, 0, tzinfo=UTC)
    assert Release.objects.live() is None
    assert "No scheduled deploy is due." in command("run_scheduled_deploys")
    assert command("run_scheduled_deploys", "--quiet-when-idle") == ""
    clock.move_to(datetime(2027, 3, 5, 11, 0, 30, tzinfo=UTC))
    assert "Deployed release v1 as scheduled" in command("run_scheduled_deploys")
    assert Release.objects.live().version == "v1"


def test_deploy_release_cancel_schedule(clock):
    v1 = locked("v1")
    services.deploy_release(v1)
    services.deploy_release(locked("v2", based_on=v1))
    command("deploy_release", "--release-version", "v1", "--at", "2027-03-05T12:00+00:00", "--rollback")
    assert ScheduledDeploy.objects.get().rollback
    assert "Cancelled the deploy of release v1" in command(
        "deploy_release", "--release-version", "v1", "--cancel-schedule"
    )
    assert ScheduledDeploy.objects.get().status == ScheduleStatus.CANCELLED


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--at", "tomorrow"], "not an ISO-8601 date and time"),
        (["--at", ""], "not an ISO-8601 date and time"),
        (["--at", "2027-03-05T08:00+00:00"], "must be in the future"),
        (["--at", "2027-03-05T12:00+00:00", "--cancel-schedule"], "not both"),
        (["--at", "2027-03-05T12:00+00:00", "--dry-run"], "--dry-run cannot be combined"),
        (["--cancel-schedule"], "no pending scheduled deploy"),
    ],
)
def test_deploy_release_schedule_refusals(clock, args, message):
    locked("v1")
    before = state()
    with pytest.raises(CommandError, match=message):
        command("deploy_release", "--release-version", "v1", *args)
    assert state() == before


def test_run_scheduled_deploys_fails_loudly_for_a_failed_schedule(clock):
    locked("v1")
    services.schedule_deploy("v1", at=NOW + timedelta(minutes=1))
    services.deprecate_release("v1")
    clock.move_to(NOW + timedelta(minutes=1))
    with pytest.raises(CommandError, match="Scheduled deploy of v1 failed: Release v1 is deprecated"):
        command("run_scheduled_deploys")
    assert ScheduledDeploy.objects.get().status == ScheduleStatus.FAILED


def test_run_scheduled_deploys_refuses_a_naive_now(clock):
    with pytest.raises(ValidationError) as caught:
        services.run_scheduled_deploys(now=NOW.replace(tzinfo=None))
    assert caught.value.code == "invalid_time"


# -- deploy guards: confirmed when scheduling, or the schedule fails ----------------------------


def test_a_guard_refuses_scheduling_unless_confirmed_and_the_confirmation_is_kept(clock):
    v1 = locked("v1")
    services.deploy_release(v1)
    v2 = locked("v2", allow_offline=True)  # not branched from v1: takes v1's article offline
    error = _refusal(lambda: services.schedule_deploy(v2, at=NOW + timedelta(minutes=5)))
    assert [e.code for e in error.error_list] == ["would_go_offline"]
    schedule = services.schedule_deploy(v2, at=NOW + timedelta(minutes=5), allow_offline=True)
    assert schedule.confirmations == {"allow_offline": True}
    entry = AuditEntry.objects.get(action=Action.SCHEDULE_DEPLOY)
    assert entry.details["confirmed"] == ["allow_offline"]
    clock.move_to(NOW + timedelta(minutes=5))
    (deployment,) = services.run_scheduled_deploys()
    assert deployment.release == v2
    assert live_titles() == ["article of v2"]


def test_a_guard_that_appears_after_scheduling_fails_the_schedule(clock):
    v1 = locked("v1")
    services.deploy_release(v1)
    v2 = locked("v2", based_on=v1)
    schedule = services.schedule_deploy(v2, at=NOW + timedelta(hours=1))
    # A hotfix ships meanwhile: v2 (branched before it) would revert it.
    hotfix = services.create_release("v1-fix", based_on=v1)
    article = ArticleContent._base_manager.get(title="article of v1")
    draft = services.create_draft(article, user=None, release=hotfix)
    draft.title = "article of v1, fixed"
    draft.save()
    services.approve_release(hotfix)
    services.lock_release(hotfix)
    services.deploy_release(hotfix)
    clock.move_to(NOW + timedelta(hours=1))
    run = services.run_scheduled_deploys()
    assert list(run) == [] and run.failed == [schedule]
    schedule.refresh_from_db()
    assert schedule.failure_code == "would_revert"
    assert "v1, fixed" in schedule.failure_reason
    assert Release.objects.live() == hotfix


def test_deploy_release_at_passes_the_confirmations(clock):
    services.deploy_release(locked("v1"))
    locked("v2", allow_offline=True)
    with pytest.raises(CommandError, match="would take 1 live object offline"):
        command("deploy_release", "--release-version", "v2", "--at", "2027-03-05T12:00+00:00")
    output = command(
        "deploy_release", "--release-version", "v2", "--at", "2027-03-05T12:00+00:00", "--allow-offline"
    )
    assert "(confirmed: --allow-offline)" in output
    assert ScheduledDeploy.objects.get().confirmations == {"allow_offline": True}
    with pytest.raises(CommandError, match="--cancel-schedule takes no"):
        command("deploy_release", "--release-version", "v2", "--cancel-schedule", "--allow-offline")


def test_an_idle_run_costs_one_query(clock, django_assert_num_queries):
    services.schedule_deploy(locked("v1"), at=NOW + timedelta(hours=1))
    with django_assert_num_queries(1):
        assert services.run_scheduled_deploys() == []
