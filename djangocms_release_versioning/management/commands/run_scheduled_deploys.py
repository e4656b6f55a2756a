"""``run_scheduled_deploys``: carry out every scheduled deploy whose time has come.

Meant for cron or a systemd timer, every minute, on every app server: each due schedule runs
exactly once however many servers run the command at the same moment.
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from djangocms_release_versioning import services


class Command(BaseCommand):
    help = (
        "Deploy every release whose scheduled deploy is due (deploy_release --at). Safe to run "
        "every minute on every app server; exits non-zero if a schedule failed or must be retried."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quiet-when-idle",
            action="store_true",
            help="Print nothing when no schedule was due (keeps cron mail and logs quiet).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        run = services.run_scheduled_deploys()
        verbose = options["verbosity"] >= 1
        for deployment in run:
            if verbose:
                kind = "Rolled back to" if deployment.is_rollback else "Deployed"
                self.stdout.write(
                    self.style.SUCCESS(
                        f"{kind} release {deployment.release.version} as scheduled "
                        f"({timezone.localtime(deployment.deployed_at).isoformat(timespec='seconds')})."
                    )
                )
        problems = [
            f"Scheduled deploy of {s.release.version} failed: {s.failure_reason} "
            f"Fix the release and schedule it again (deploy_release --at)."
            for s in run.failed
        ] + [
            f"Scheduled deploy{f' of {s.release.version}' if s else 's'} stopped by a database error; "
            f"pending schedules stay pending and the next run tries again: {error}"
            for s, error in run.retry
        ]
        if problems:
            raise CommandError("\n".join(problems))
        if verbose and not run and not options["quiet_when_idle"]:
            self.stdout.write("No scheduled deploy is due.")
