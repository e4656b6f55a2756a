"""``deploy_release``: make a locked release live (or show what that would change)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError, CommandParser

from djangocms_release_versioning import guards, services

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
            help="Run every check the deploy runs and list what would be added, changed and "
            "removed (title, language, URL); write nothing. Exits non-zero where the deploy "
            "would fail.",
        )
        parser.add_argument(
            "--rollback",
            action="store_true",
            help="Deploy a release that was live before (going back to it).",
        )
        for guard in guards.guards_for(guards.DEPLOY):
            parser.add_argument(guard.cli_flag, dest=guard.option, action="store_true", help=guard.cli_help)
        parser.add_argument(
            "--format",
            dest="output_format",
            choices=("text", "json"),
            default="text",
            help="text (default) or json: one JSON object on stdout, for CI (keys documented in "
            "the commands reference).",
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
                confirmations=guards.confirmations_from(options, guards.DEPLOY),
            )
        confirmations = {
            guard.option: bool(options.get(guard.option)) for guard in guards.guards_for("deploy")
        }
        self.json = options.get("output_format") == "json"
        try:
            if dry_run:
                self._dry_run(version, user, rollback, confirmations)
            else:
                manifest = services.deploy_release(version, user=user, rollback=rollback, **confirmations)
                self._report_deploy(manifest, rollback)
        except ValidationError as error:
            if self.json:
                self._write_json({"ok": False, "release": version, "dry_run": dry_run, **_errors(error)})
            raise
        return None

    def _dry_run(
        self, version: str, user: AbstractBaseUser | None, rollback: bool, confirmations: dict[str, bool]
    ) -> None:
        """Run the dry run with every guard confirmed (so it lists what they find), then
        refuse — after the report — where the caller did not confirm."""
        manifest = services.deploy_release(
            version, user=user, dry_run=True, rollback=rollback, **guards.everything_confirmed(guards.DEPLOY)
        )
        for finding in manifest.findings:
            finding.confirmed = confirmations.get(finding.option, False)
        refused = [finding for finding in manifest.findings if not finding.confirmed]
        if self.json:
            errors = [{"code": f.code, "message": f.message} for f in refused]
            self._write_json({**_report(manifest, rollback), "ok": not refused, "errors": errors})
        else:
            self._report_dry_run(manifest, rollback, refused)
        if refused:
            flags = " ".join(finding.guard.cli_flag for finding in refused)
            raise CommandError(
                " ".join(finding.message for finding in refused)
                + f" The deploy would be refused; to go ahead anyway, add {flags}."
            )

    def _report_dry_run(
        self, manifest: DeployManifest, rollback: bool, refused: list[guards.GuardFinding]
    ) -> None:
        version = manifest.release.version
        self.say(
            f"Dry run: deploying release {version} over {_live_name(manifest)} would change "
            f"{len(manifest)} grouping(s):"
        )
        self._report_counts(manifest)
        reverting = _reverting(manifest)
        for row in manifest.rows:
            where = f" {row.url}" if row.url else ""
            language = f" ({row.language})" if row.language else ""
            mark = "  [reverts a live change]" if (row.model, row.grouping) in reverting else ""
            self.say(f'  {row.kind:8} {row.model} "{row.name}"{language}{where}{mark}')
        for finding in manifest.findings:
            state = "confirmed" if finding.confirmed else f"refused without {finding.guard.cli_flag}"
            self.say(f"{finding.guard.title} ({finding.code}, {state}):")
            for row in finding.rows:
                self.say(f"  {row.describe()}")
        if refused:
            self.say("Nothing was written. Every other check of the deploy passed.")
            return
        flags = "".join(
            f" {flag}"
            for flag in (
                "--rollback" if rollback else "",
                *(finding.guard.cli_flag for finding in manifest.findings),
            )
            if flag
        )
        self.say(
            f"Nothing was written; every check of the deploy passed. Deploy it with "
            f"deploy_release --release-version {version}{flags}."
        )

    def _write_json(self, data: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(data, indent=2, sort_keys=True))

    def _report_deploy(self, manifest: DeployManifest, rollback: bool) -> None:
        if self.json:
            self._write_json({**_report(manifest, rollback), "ok": True, "errors": []})
            return
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


def _report(manifest: DeployManifest, rollback: bool) -> dict[str, Any]:
    """The JSON report of a deploy or dry run (keys documented in docs/reference/commands.rst)."""
    return {
        "release": manifest.release.version,
        "live": manifest.previous.version if manifest.previous else None,
        "dry_run": manifest.dry_run,
        "rollback": rollback,
        "counts": manifest.counts(),
        "changes": [row.as_dict() for row in manifest.rows],
        "guards": [finding.as_dict() for finding in manifest.findings],
        "deployment": getattr(manifest.deployment, "pk", None),
    }


def _errors(error: ValidationError) -> dict[str, Any]:
    items = error.error_list if hasattr(error, "error_list") else [error]
    return {"errors": [{"code": item.code or "", "message": " ".join(item.messages)} for item in items]}


def _reverting(manifest: DeployManifest) -> set[tuple[str, str]]:
    """``{(model label, grouping)}`` the ``would_revert`` guard found (marked in the dry run)."""
    from django.contrib.contenttypes.models import ContentType

    return {
        (ContentType.objects.get_for_id(row.content_type_id).model_class()._meta.label, row.grouping_key)
        for finding in manifest.findings
        if finding.code == "would_revert"
        for row in finding.rows
    }


def _live_name(manifest: DeployManifest) -> str:
    return f"live release {manifest.previous.version}" if manifest.previous else "nothing live"
