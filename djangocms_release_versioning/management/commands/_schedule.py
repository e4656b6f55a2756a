"""``deploy_release --at`` / ``--cancel-schedule``: scheduled deploys from the command line."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from django.core.management.base import CommandError, CommandParser
from django.utils import timezone

from djangocms_release_versioning import services

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ._base import ReleaseCommand


def add_schedule_arguments(parser: CommandParser) -> None:
    parser.add_argument(
        "--at",
        metavar="ISO-8601",
        help="Do not deploy now: schedule the deploy for this moment, e.g. 2027-01-31T18:00+01:00 "
        "(a time without an offset is read in TIME_ZONE). run_scheduled_deploys (cron, a systemd "
        "timer) carries it out.",
    )
    parser.add_argument(
        "--cancel-schedule",
        dest="cancel_schedule",
        action="store_true",
        help="Cancel the pending scheduled deploy of the release.",
    )


def parse_at(value: str) -> datetime:
    """An aware datetime from an ISO-8601 string (naive: the current time zone).

    :raises CommandError: not an ISO-8601 date and time.
    """
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise CommandError(
            f"--at {value!r} is not an ISO-8601 date and time; write e.g. --at 2027-01-31T18:00+01:00."
        ) from None
    if timezone.is_naive(when):
        when = timezone.make_aware(when)
    return when


def run_schedule_option(
    command: ReleaseCommand,
    version: str,
    *,
    user: AbstractBaseUser | None,
    at: str | None,
    cancel: bool,
    rollback: bool,
    dry_run: bool,
    confirmations: dict[str, bool],
) -> None:
    """Schedule or cancel the deploy of ``version`` (``ValidationError`` propagates).

    ``confirmations`` (``{"allow_offline": True}`` …) are stored on the schedule: the deploy
    guards they confirm do not refuse it when it runs.
    """
    if at is not None and cancel:
        raise CommandError("Use either --at (schedule a deploy) or --cancel-schedule, not both.")
    if dry_run:
        raise CommandError(
            "--dry-run cannot be combined with --at or --cancel-schedule; run the dry run on its own."
        )
    if cancel:
        if rollback or any(confirmations.values()):
            raise CommandError(
                "--cancel-schedule takes no --rollback or --allow-… option: it cancels whatever is scheduled."
            )
        schedule = services.cancel_scheduled_deploy(version, user=user)
        command.say(
            f"Cancelled the deploy of release {version} scheduled for {_local(schedule.at)}. "
            f"Nothing else changed.",
            success=True,
        )
        return
    confirmed = {option: True for option, given in confirmations.items() if given}
    schedule = services.schedule_deploy(version, at=parse_at(at), user=user, rollback=rollback, **confirmed)
    kind = "rollback to" if rollback else "deploy of"
    flags = "".join(f" --{option.replace('_', '-')}" for option in sorted(confirmed))
    command.say(
        f"Scheduled the {kind} release {version}{f' (confirmed:{flags})' if flags else ''} for "
        f"{_local(schedule.at)}. It happens when "
        f"run_scheduled_deploys runs after that time (cron or a systemd timer, every minute). "
        f"Cancel it with deploy_release --release-version {version} --cancel-schedule.",
        success=True,
    )


def _local(when: datetime) -> str:
    return timezone.localtime(when).isoformat(timespec="minutes")
