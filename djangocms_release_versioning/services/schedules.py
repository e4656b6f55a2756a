"""Scheduled deploys (DESIGN §9.3): plan a deploy, cancel it, run the due ones exactly once.

``run_scheduled_deploys`` is meant to run every minute on every app server (cron, a systemd
timer, Celery beat). Each due schedule is claimed and deployed in one transaction, oldest
first:

* Where the database has row locks (PostgreSQL, MySQL/MariaDB) the runner first locks the
  live pointer row — every deploy needs it anyway — so due schedules go live in the order of
  their time, never two at once. With ``SKIP LOCKED`` (PostgreSQL, MySQL 8, MariaDB 10.6)
  a runner that finds the pointer held leaves the work to the runner holding it instead of
  waiting, and skips a schedule row that a cancel holds.
* On every database the claim is a conditional ``UPDATE … WHERE status = 'pending'``: a
  runner that read a schedule as pending after another runner claimed it updates no row
  (SQLite serialises writers; MySQL and PostgreSQL re-read the row after waiting for its
  lock) and leaves it alone.

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
from ..models import LIVE_POINTER_PK, Deployment, LiveRelease, Release, ScheduledDeploy, ScheduleStatus
from ._common import _db_for, _error, _requires, _user
from .deploy import deploy_release, ensure_live_pointer

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

logger = logging.getLogger("djangocms_release_versioning.schedules")


class ScheduleRun(list):
    """What one ``run_scheduled_deploys`` call did: a list of the Deployments it made.

    ``failed`` holds the schedules it marked failed; ``retry`` the (schedule, error text)
    pairs a transient database error left pending for the next run (schedule None: the
    error came before any schedule was claimed).
    """

    def __init__(self) -> None:
        super().__init__()
        self.failed: list[ScheduledDeploy] = []
        self.retry: list[tuple[ScheduledDeploy | None, str]] = []


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
    allow_offline: bool = False,
    allow_revert: bool = False,
) -> ScheduledDeploy:
    """Plan the deploy (or, with ``rollback``, the rollback) of ``release`` at ``at``.

    The release must be deployable now (locked, not live, not deprecated, ``rollback``
    matching whether it was deployed before, accepted by every deploy guard): the checks
    of ``deploy_release(dry_run=True)``. They are made again when the schedule runs, with
    the confirmations given here (``allow_offline``, ``allow_revert``, as for
    ``deploy_release``; stored on the schedule and audited).

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
        given = {"allow_offline": allow_offline, "allow_revert": allow_revert}
        confirmations = {option: True for option, confirmed in given.items() if confirmed}
        deploy_release.unchecked(release, user=user, dry_run=True, rollback=rollback, **confirmations)
        try:
            with transaction.atomic(using=_db_for(ScheduledDeploy)):
                schedule = ScheduledDeploy.objects.create(
                    release=release,
                    at=at,
                    rollback=rollback,
                    confirmations=confirmations,
                    created_by=_user(user),
                )
        except IntegrityError:  # the partial unique constraint, where the database has one
            raise _already_scheduled(release) from None
        record(
            Action.SCHEDULE_DEPLOY,
            release=release,
            user=user,
            to_state="rollback" if rollback else "deploy",
            details={"at": at.isoformat(), "schedule": schedule.pk, "confirmed": sorted(confirmations)},
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

    Safe to call from many processes at once: each due schedule runs exactly once, and due
    schedules run in the order of their time (a runner holds the live pointer while it
    claims and deploys one; where the database has ``SKIP LOCKED`` a runner that finds the
    pointer held leaves the work to the runner holding it). Each schedule is one
    transaction: claimed, deployed with ``deploy_release`` (acting as the user who
    scheduled it), marked done or failed and audited — or, on a transient database error,
    rolled back and left pending for the next run.

    :returns: the Deployments made (a :class:`ScheduleRun`, whose ``failed`` and ``retry``
        list what else happened).
    :raises ValidationError: ``now`` is naive.
    """
    now = timezone.now() if now is None else now
    if timezone.is_naive(now):
        raise _error("run_scheduled_deploys needs an aware datetime.", "invalid_time")
    run = ScheduleRun()
    if not ScheduledDeploy.objects.due(now).exists():
        return run  # the common case, every minute: one query
    ensure_live_pointer()
    seen: set[int] = set()
    while True:
        attempt: list[int] = []
        try:
            outcome = _run_next(now, seen, attempt)
        except OperationalError as error:
            logger.warning("Scheduled deploys stopped by a database error, retried next run: %s", error)
            schedule = ScheduledDeploy.objects.filter(pk__in=attempt).select_related("release").first()
            run.retry.append((schedule, str(error)))
            if schedule is None:
                return run  # nothing claimed yet (e.g. the live pointer): try again next run
            continue
        except Exception as error:  # a bug in a deploy receiver: rolled back, not retried blindly
            if not attempt:
                raise
            logger.exception("Scheduled deploy %s raised; marking it failed", attempt[0])
            outcome = _fail_after_error(attempt[0], error, now)
        if outcome is _DONE:
            return run
        if isinstance(outcome, Deployment):
            run.append(outcome)
        elif isinstance(outcome, ScheduledDeploy):
            run.failed.append(outcome)


#: ``_run_next``: nothing (more) for this runner to do.
_DONE = object()
#: ``_run_next``: another runner claimed the schedule first; look for the next one.
_LOST = object()


def _run_next(now: datetime, seen: set[int], attempt: list[int]) -> object:
    """Claim and run the oldest due schedule not in ``seen`` (its pk goes into ``seen`` and
    ``attempt``).

    :returns: its Deployment, the schedule if it failed, ``_LOST`` or ``_DONE``.
    :raises OperationalError: a transient database error; nothing was written.
    """
    using = _db_for(ScheduledDeploy)
    features = connections[using].features
    skip_locked = features.has_select_for_update_skip_locked
    with transaction.atomic(using=using):
        if features.has_select_for_update:
            pointer = LiveRelease.objects.filter(pk=LIVE_POINTER_PK).select_for_update(
                skip_locked=skip_locked
            )
            if not list(pointer.values_list("pk", flat=True)):
                return _DONE  # another runner (or a deploy) holds the pointer and does the work
        due = ScheduledDeploy.objects.due(now).exclude(pk__in=seen)
        if skip_locked:  # a schedule being cancelled right now is skipped, not waited for
            due = due.select_for_update(skip_locked=True)
        pk = next(iter(due.values_list("pk", flat=True)[:1]), None)
        if pk is None:
            return _DONE
        seen.add(pk)
        attempt.append(pk)
        # The claim: a conditional UPDATE, on SQLite the transaction's first write. A runner
        # that read the schedule as pending after another one claimed it updates nothing.
        if not ScheduledDeploy.objects.due(now).filter(pk=pk).update(finished_at=now):
            return _LOST
        schedule = ScheduledDeploy.objects.select_related("release", "created_by").get(pk=pk)
        try:
            with transaction.atomic(using=using):
                manifest = deploy_release(
                    schedule.release,
                    user=schedule.created_by,
                    rollback=schedule.rollback,
                    **_confirmations(schedule),
                )
        except (ValidationError, PermissionDenied) as error:
            _mark_failed(schedule, error, now)
            return schedule
        schedule.status = ScheduleStatus.DONE
        schedule.finished_at = timezone.now()
        schedule.deployment = manifest.deployment
        schedule.save(update_fields=["status", "finished_at", "deployment"])
        return manifest.deployment


def _confirmations(schedule: ScheduledDeploy) -> dict[str, bool]:
    """The confirmations stored on ``schedule``, as ``deploy_release`` keywords."""
    return {option: bool(schedule.confirmations.get(option)) for option in ("allow_offline", "allow_revert")}


def _fail_after_error(pk: int, error: Exception, now: datetime) -> ScheduledDeploy | None:
    """Mark schedule ``pk`` failed after its deploy raised an unexpected error (rolled back)."""
    with transaction.atomic(using=_db_for(ScheduledDeploy)):
        if not ScheduledDeploy.objects.due(now).filter(pk=pk).update(finished_at=now):
            return None
        schedule = ScheduledDeploy.objects.select_related("release").get(pk=pk)
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
