"""Scheduled deploys on PostgreSQL with concurrent runners: each due schedule runs exactly once.

Real threads, each with its own connection (the helpers of ``tests/test_concurrency``);
real processes are in ``tests/test_schedules_processes``.
"""

from __future__ import annotations

import threading
import time
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Deployment, Release, ScheduledDeploy, ScheduleStatus
from djangocms_release_versioning.signals import release_deployed
from tests.factories import ArticleContentFactory
from tests.test_concurrency import TIMEOUT, run_together, start, waits_for_lock

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="needs PostgreSQL: row locks and concurrent connections"
    ),
    pytest.mark.django_db(transaction=True),
]


def _chain(count: int) -> list[Release]:
    """``count`` locked releases, each branched from the one before, each adding an article."""
    releases: list[Release] = []
    for n in range(count):
        release = services.create_release(f"v{n + 1}", based_on=releases[-1] if releases else None)
        with use_release(release):
            ArticleContentFactory(title=f"article of v{n + 1}")
        services.approve_release(release)
        releases.append(services.lock_release(release))
    return releases


def _due_schedules(releases: list[Release]) -> list[ScheduledDeploy]:
    """One schedule per release, a minute apart, all due now (scheduled from the past)."""
    start_at = timezone.now()
    schedules = []
    with time_machine.travel(start_at - timedelta(hours=1), tick=False):
        for n, release in enumerate(releases):
            schedules.append(services.schedule_deploy(release, at=start_at - timedelta(minutes=30 - n)))
    return schedules


def _assert_exactly_once(releases: list[Release], deployments: list[Deployment]) -> None:
    assert sorted(d.pk for d in deployments) == sorted(Deployment.objects.values_list("pk", flat=True))
    assert sorted(d.release_id for d in deployments) == sorted(r.pk for r in releases)
    for schedule in ScheduledDeploy.objects.select_related("deployment"):
        assert schedule.status == ScheduleStatus.DONE
        assert schedule.deployment.release_id == schedule.release_id
    assert Release.objects.live() == releases[-1]


@pytest.mark.parametrize("runners", [2, 4])
def test_concurrent_runners_deploy_each_schedule_once(runners: int) -> None:
    releases = _chain(3)
    _due_schedules(releases)
    with slow_deploys():
        workers = run_together(*[services.run_scheduled_deploys] * runners)
    assert [w.error for w in workers] == [None] * runners
    made = [deployment for worker in workers for deployment in worker.result]
    assert all(worker.result.failed == [] for worker in workers), "a runner saw a schedule as failed"
    _assert_exactly_once(releases, made)


def test_a_runner_skips_the_schedule_another_runner_holds() -> None:
    """SKIP LOCKED: the second runner does not wait for the first one's deploy."""
    (release,) = _chain(1)
    _due_schedules([release])
    holding, proceed = threading.Event(), threading.Event()

    def hold(**kwargs: Any) -> None:
        holding.set()
        assert proceed.wait(TIMEOUT), "never told to finish the deploy"

    release_deployed.connect(hold, dispatch_uid="test_schedules_hold", weak=False)
    try:
        first = start(services.run_scheduled_deploys, "first")
        assert holding.wait(TIMEOUT), first.error
        second = start(services.run_scheduled_deploys, "second")
        second.finish()
        assert first.is_alive(), "the first runner finished before it was told to"
    finally:
        proceed.set()
        release_deployed.disconnect(dispatch_uid="test_schedules_hold")
    first.finish()
    assert (first.error, second.error) == (None, None)
    assert list(second.result) == [] and second.result.retry == []
    assert [d.release for d in first.result] == [release]
    assert second.finished_at < first.finished_at, "the second runner waited for the first"
    _assert_exactly_once([release], list(first.result))


def test_cancel_waits_for_a_running_schedule_then_finds_nothing_to_cancel() -> None:
    (release,) = _chain(1)
    _due_schedules([release])
    holding, proceed = threading.Event(), threading.Event()

    def hold(**kwargs: Any) -> None:
        holding.set()
        assert proceed.wait(TIMEOUT), "never told to finish the deploy"

    release_deployed.connect(hold, dispatch_uid="test_schedules_hold", weak=False)
    try:
        runner = start(services.run_scheduled_deploys, "runner")
        assert holding.wait(TIMEOUT), runner.error
        canceller = start(lambda: services.cancel_scheduled_deploy(release.version), "canceller")
        waited = waits_for_lock(canceller)
    finally:
        proceed.set()
        release_deployed.disconnect(dispatch_uid="test_schedules_hold")
    runner.finish()
    canceller.finish()
    assert waited, "cancel did not wait for the running schedule"
    assert isinstance(canceller.error, ValidationError)
    assert canceller.error.code == "not_scheduled"
    assert ScheduledDeploy.objects.get().status == ScheduleStatus.DONE


class slow_deploys:
    """Every deploy sleeps a little before committing: the runners' work overlaps."""

    def __enter__(self) -> None:
        release_deployed.connect(self.sleep, dispatch_uid="test_schedules_slow", weak=False)

    def __exit__(self, *exc: object) -> None:
        release_deployed.disconnect(dispatch_uid="test_schedules_slow")

    @staticmethod
    def sleep(**kwargs: Any) -> None:
        time.sleep(0.2)
