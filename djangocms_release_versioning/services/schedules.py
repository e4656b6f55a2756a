"""Scheduled deploys (DESIGN §9.3): plan a deploy, cancel it, run the due ones exactly once.

``run_scheduled_deploys`` is meant to run every minute on every app server (cron, a systemd
timer, Celery beat). Each due schedule is claimed and deployed in one transaction:

* PostgreSQL (and MariaDB ≥ 10.6 / MySQL 8): the claim is ``SELECT … FOR UPDATE SKIP
  LOCKED``, so concurrent runners each take a different schedule and never wait for each
  other.
* Every database: the claim is also a conditional ``UPDATE … WHERE status = 'pending'`` as
  the transaction's first write. A runner that read a schedule as pending after another
  runner claimed it updates no row (SQLite serialises writers; MySQL and PostgreSQL re-read
  the row after waiting for its lock) and leaves it alone.

The deploy itself is ``services.deploy_release`` with every guard it has. A refusal
(``ValidationError`` / ``PermissionDenied``: the release was unlocked, deprecated, is live
already, a guard refused it …) marks the schedule failed with the reason, audited. A transient
database error (``OperationalError``: a lock timeout, a lost connection, SQLite busy) rolls
the whole attempt back; the schedule stays pending and the next run tries again.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, OperationalError, connections, transaction
from django.utils import timezone

from ..audit import record
from ..constants import Action
from ..context import resolve_release
from ..locking import lock_release_row
from ..models import Deployment, Release, ScheduledDeploy, ScheduleStatus
from ._common import _db_for, _error, _requires, _user
from .deploy import deploy_release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger("djangocms_release_versioning.schedules")


class ScheduleRun(list):
    """What one ``run_scheduled_deploys`` call did: a list of the Deployments it made.

    ``failed`` holds the schedules it marked failed, ``retry`` the schedules a transient
    database error left pending (with the error text), to be tried again by the next run.
    """

    def __init__(self) -> None:
        super().__init__()
        self.failed: list[ScheduledDeploy] = []
        self.retry: list[tuple[ScheduledDeploy, str]] = []


def pending_schedule(release: Release | str) -> ScheduledDeploy | None:
    """The pending schedule of ``release``, or None."""
    release = resolve_release(release)
    return ScheduledDeploy.objects.pending().filter(release=release).first()


@_requires("deploy")
def schedule_deploy(
    release: Release | str,
    *,
    at: datetime,
    user: AbstractBaseUser | None = None,
    rollback: bool = False,
) -> ScheduledDeploy:
    """Plan the deploy (or, with ``rollback``, the rollback) of ``release`` at ``at``.

    The release must be deployable now (locked, not live, not deprecated, ``rollback``
    matching whether it was deployed before, accepted by every deploy guard): the checks
    of ``deploy_release(dry_run=True)``. They are made again when the schedule runs.

    :raises ValidationError: ``at`` is naive or not in the future (``invalid_time``), the
        release has a pending schedule already (``already_scheduled``), or it cannot be
        deployed (the deploy's own codes: ``not_locked``, ``already_live`` …).
    :raises PermissionDenied: ``user`` may not deploy.
    """
    if not isinstance(at, datetime) or timezone.is_naive(at):
        raise _error(
            "The time of a scheduled deploy needs a time zone, e.g. 2027-01-31T18:00+01:00.", "invalid_time"
        )
    if at <= timezone.now():
        raise _error(
            "The time of a scheduled deploy must be in the future; to deploy now, deploy the release.",
            "invalid_time",
        )
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(ScheduledDeploy)):
        release = lock_release_row(release)  # serialises scheduling the same release
        _refuse_if_pending(release)
        deploy_release.unchecked(release, user=user, dry_run=True, rollback=rollback)
        try:
            with transaction.atomic(using=_db_for(ScheduledDeploy)):
                schedule = ScheduledDeploy.objects.create(
                    release=release, at=at, rollback=rollback, created_by=_user(user)
                )
        except IntegrityError:  # the partial unique constraint, where the database has one
            raise _already_scheduled(release) from None
        record(
            Action.SCHEDULE_DEPLOY,
            release=release,
            user=user,
            to_state="rollback" if rollback else "deploy",
            details={"at": at.isoformat(), "schedule": schedule.pk},
        )
    return schedule


def _refuse_if_pending(release: Release) -> None:
    if ScheduledDeploy.objects.pending().filter(release=release).exists():
        raise _already_scheduled(release)


def _already_scheduled(release: Release) -> ValidationError:
    return _error(
        "Release %(release)s has a scheduled deploy already. Cancel it first "
        "(deploy_release --release-version %(release)s --cancel-schedule).",
        "already_scheduled",
        release=release.version,
    )


@_requires("deploy")
def cancel_scheduled_deploy(
    release: Release | str, *, user: AbstractBaseUser | None = None
) -> ScheduledDeploy:
    """Cancel the pending schedule of ``release``.

    A schedule that a runner is deploying right now is waited for; it is then no longer
    pending and the cancel is refused.

    :returns: the cancelled schedule.
    :raises ValidationError: the release has no pending schedule (``not_scheduled``).
    :raises PermissionDenied: ``user`` may not deploy.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(ScheduledDeploy)):
        schedule = ScheduledDeploy.objects.select_for_update().pending().filter(release=release).first()
        if schedule is None:
            raise _error(
                "Release %(release)s has no pending scheduled deploy.",
                "not_scheduled",
                release=release.version,
            )
        schedule.status = ScheduleStatus.CANCELLED
        schedule.finished_at = timezone.now()
        schedule.cancelled_by = _user(user)
        schedule.save(update_fields=["status", "finished_at", "cancelled_by"])
        record(
            Action.CANCEL_SCHEDULE,
            release=release,
            user=user,
            from_state=ScheduleStatus.PENDING,
            to_state=ScheduleStatus.CANCELLED,
            details={"at": schedule.at.isoformat(), "schedule": schedule.pk},
        )
    return schedule


def run_scheduled_deploys(*, now: datetime | None = None) -> ScheduleRun:
    """Deploy every schedule due at ``now`` (default: the current time), oldest first.

    Safe to call from many processes at once: each due schedule runs exactly once. Each
    schedule is one transaction: claimed, deployed with ``deploy_release`` (acting as the
    user who scheduled it), marked done or failed and audited, or — on a transient database
    error — rolled back and left pending for the next run.

    :returns: the Deployments made (a :class:`ScheduleRun`, whose ``failed`` and ``retry``
        list what else happened).
    :raises ValidationError: ``now`` is naive.
    """
    now = timezone.now() if now is None else now
    if timezone.is_naive(now):
        raise _error("run_scheduled_deploys needs an aware datetime.", "invalid_time")
    run = ScheduleRun()
    seen: set[int] = set()
    while True:
        candidate = ScheduledDeploy.objects.due(now).exclude(pk__in=seen).values_list("pk", flat=True).first()
        if candidate is None:
            return run
        seen.add(candidate)
        try:
            outcome = _run_one(candidate, now)
        except OperationalError as error:
            schedule = ScheduledDeploy.objects.filter(pk=candidate).select_related("release").first()
            logger.warning("Scheduled deploy %s left pending after a database error: %s", candidate, error)
            if schedule is not None:
                run.retry.append((schedule, str(error)))
            continue
        except Exception as error:  # a bug in a deploy hook: rolled back, never retried blindly
            logger.exception("Scheduled deploy %s raised; marking it failed", candidate)
            outcome = _fail_after_error(candidate, error, now)
        if isinstance(outcome, Deployment):
            run.append(outcome)
        elif outcome is not None:
            run.failed.append(outcome)


def _claim(pk: int, now: datetime) -> ScheduledDeploy | None:
    """Inside the transaction: the schedule ``pk`` if this runner gets it, else None."""
    using = _db_for(ScheduledDeploy)
    due = ScheduledDeploy.objects.due(now).filter(pk=pk)
    # Where the database can, a runner skips a row another runner holds instead of waiting.
    skip_locked = connections[using].features.has_select_for_update_skip_locked
    if skip_locked and not list(due.select_for_update(skip_locked=True).values_list("pk", flat=True)):
        return None
    # The first write of the transaction; a runner that lost the race updates nothing.
    if not due.update(finished_at=now):
        return None
    return ScheduledDeploy.objects.select_related("release", "created_by").get(pk=pk)


def _run_one(pk: int, now: datetime) -> Deployment | ScheduledDeploy | None:
    """Run schedule ``pk``: its Deployment, the schedule if it failed, None if not ours.

    :raises OperationalError: a transient database error; nothing was written.
    """
    with transaction.atomic(using=_db_for(ScheduledDeploy)):
        schedule = _claim(pk, now)
        if schedule is None:
            return None
        user = schedule.created_by
        try:
            with transaction.atomic(using=_db_for(ScheduledDeploy)):
                manifest = deploy_release(schedule.release, user=user, rollback=schedule.rollback)
        except (ValidationError, PermissionDenied) as error:
            _mark_failed(schedule, error, now)
            return schedule
        schedule.status = ScheduleStatus.DONE
        schedule.finished_at = timezone.now()
        schedule.deployment = manifest.deployment
        schedule.save(update_fields=["status", "finished_at", "deployment"])
        return manifest.deployment


def _fail_after_error(pk: int, error: Exception, now: datetime) -> ScheduledDeploy | None:
    """Mark schedule ``pk`` failed after its deploy raised an unexpected error (rolled back)."""
    with transaction.atomic(using=_db_for(ScheduledDeploy)):
        schedule = _claim(pk, now)
        if schedule is not None:
            message = f"The deploy raised {type(error).__name__}: {error}"
            _mark_failed(schedule, ValidationError(message, code="deploy_error"), now)
        return schedule


def _mark_failed(schedule: ScheduledDeploy, error: ValidationError | PermissionDenied, now: datetime) -> None:
    if isinstance(error, ValidationError):
        reason = " ".join(error.messages)
        code = next((e.code for e in getattr(error, "error_list", [error]) if e.code), "") or "refused"
    else:
        reason, code = str(error) or "Permission denied.", "permission_denied"
    schedule.status = ScheduleStatus.FAILED
    schedule.finished_at = timezone.now()
    schedule.failure_code = code[:64]
    schedule.failure_reason = reason
    schedule.save(update_fields=["status", "finished_at", "failure_code", "failure_reason"])
    record(
        Action.SCHEDULE_FAILED,
        release=schedule.release,
        user=None,
        from_state=ScheduleStatus.PENDING,
        to_state=ScheduleStatus.FAILED,
        details={"at": schedule.at.isoformat(), "schedule": schedule.pk, "code": code, "reason": reason},
    )
    logger.warning("Scheduled deploy of %s failed: %s", schedule.release.version, reason)
