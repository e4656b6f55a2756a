"""``adopt_existing_content``: make content that has no Version live as it is, in one step."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import services

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Make every page, alias, post (any registered content) that belongs to no release live "
        "as it is: a new release holding it, approved, locked and deployed in one transaction, "
        "branched from the live release if there is one. Running it again changes nothing. "
        "--release-version names the release (default: INITIAL_RELEASE_VERSION, or "
        "<it>-adopted if taken)."
    )
    operation = "deploy"

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run", action="store_true", help="Say what would be adopted; change nothing."
        )

    def _release_version(self, value: str | None) -> str | None:
        """Optional here: without it the release gets the default name."""
        return value if value else None

    def run(
        self, version: str | None, *, user: AbstractBaseUser | None, dry_run: bool = False, **options: Any
    ) -> None:
        report = services.adopt_existing_content(release_version=version, dry_run=dry_run, user=user)
        for line in report.skipped:
            self.say(f"Left without a release: {line}")
        if not report.adopted:
            self.say("Nothing to adopt: every content row belongs to a release.", success=True)
            return
        counts = ", ".join(f"{count} {label}" for label, count in sorted(report.adopted.items()))
        if dry_run:
            self.say(f"Dry run: release {report.release} would make {counts} live as it is. Nothing changed.")
            return
        self.say(f"Release {report.release} is live with the existing content: {counts}.", success=True)
        if report.followed:
            self.say(f"The open release(s) {', '.join(report.followed)} hold it too.")
