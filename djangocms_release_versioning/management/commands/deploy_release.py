"""``deploy_release``: make a locked release live (or show what that would change)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import services

from ._base import ReleaseCommand
from ._schedule import add_schedule_arguments, run_schedule_option

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from djangocms_release_versioning.manifest import DeployManifest


class Command(ReleaseCommand):
    help = (
        "Deploy the locked release --release-version: it becomes live for the whole site in one "
        "transaction. --dry-run shows what would change; --rollback redeploys an earlier release."
    )
    operation = "deploy"

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--dry-run",
            dest="dry_run",
            action="store_true",
            help="Print what would be added, changed and removed per model; write nothing.",
        )
        parser.add_argument(
            "--rollback",
            action="store_true",
            help="Deploy a release that was live before (going back to it).",
        )
        add_schedule_arguments(parser)

    def run(
        self,
        version: str,
        *,
        user: AbstractBaseUser | None,
        dry_run: bool = False,
        rollback: bool = False,
        **options: Any,
    ) -> None:
        if options.get("at") is not None or options.get("cancel_schedule"):
            return run_schedule_option(
                self,
                version,
                user=user,
                at=options.get("at"),
                cancel=options.get("cancel_schedule", False),
                rollback=rollback,
                dry_run=dry_run,
            )
        manifest = services.deploy_release(version, user=user, dry_run=dry_run, rollback=rollback)
        if dry_run:
            self._report_dry_run(manifest, rollback)
        else:
            self._report_deploy(manifest, rollback)

    def _report_dry_run(self, manifest: DeployManifest, rollback: bool) -> None:
        version = manifest.release.version
        self.say(
            f"Dry run: deploying release {version} over {_live_name(manifest)} would change "
            f"{len(manifest)} grouping(s):"
        )
        self._report_counts(manifest)
        flag = " --rollback" if rollback else ""
        self.say(f"Nothing was written. Deploy it with deploy_release --release-version {version}{flag}.")

    def _report_deploy(self, manifest: DeployManifest, rollback: bool) -> None:
        version = manifest.release.version
        verb = "Rolled back to" if rollback else "Deployed"
        self.say(
            f"{verb} release {version}; it is live now (before: {_live_name(manifest)}). "
            f"{len(manifest)} grouping(s) changed:",
            success=True,
        )
        self._report_counts(manifest)
        if manifest.previous is not None:
            self.say(
                f"To go back, run deploy_release --release-version {manifest.previous.version} --rollback."
            )
        self.say(f"Start the next release with create_release --release-version V --based-on {version}.")

    def _report_counts(self, manifest: DeployManifest) -> None:
        counts = manifest.counts()
        if not counts:
            self.say("  no public content changes.")
        for label, kinds in counts.items():
            self.say(
                f"  {label}: {kinds['added']} added, {kinds['changed']} changed, {kinds['removed']} removed"
            )


def _live_name(manifest: DeployManifest) -> str:
    return f"live release {manifest.previous.version}" if manifest.previous else "nothing live"
