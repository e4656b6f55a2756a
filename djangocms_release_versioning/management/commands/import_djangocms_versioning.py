"""``import_djangocms_versioning``: move a djangocms-versioning site onto releases."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import services
from djangocms_release_versioning.services.imports import report_as_json

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from djangocms_release_versioning.services.imports import ImportReport


class Command(ReleaseCommand):
    help = (
        "Create releases from djangocms-versioning's version table: a locked, deployed release "
        "(--release-version, default 'imported') with the published content, an open release "
        "based on it with the drafts, and deprecated history releases with older versions. "
        "Nothing is deleted; djangocms-versioning's tables stay as they are."
    )
    operation = "deploy"

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--open-release-version",
            metavar="VERSION",
            help="Name of the open release holding the drafts (default: <release-version>-drafts).",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Print what would be created; write nothing."
        )
        parser.add_argument("--format", choices=["text", "json"], default="text", help="Output format.")

    def _release_version(self, value: str | None) -> str:
        return (value or "").strip() or "imported"

    def run(
        self,
        version: str,
        *,
        user: AbstractBaseUser | None,
        open_release_version: str | None = None,
        dry_run: bool = False,
        format: str = "text",
        **options: Any,
    ) -> None:
        report = services.import_djangocms_versioning(
            release_version=version, open_release_version=open_release_version, dry_run=dry_run, user=user
        )
        if format == "json":
            self.stdout.write(report_as_json(report))
            return
        for line in self._lines(report):
            self.say(line, success=line.startswith(("Imported", "Already")))

    def _lines(self, report: ImportReport) -> list[str]:
        if report.already_imported:
            return [
                f"Already imported: release {report.release} holds the import; nothing was changed.",
            ]
        verb = "Would create" if report.dry_run else "Imported"
        lines = [
            f"{verb} from {report.versions_read} djangocms-versioning version(s):",
            f"  {report.release} (locked, live): {report.live} published grouping(s), "
            f"{report.hidden} present but hidden (only unpublished or archived versions)",
            f"  {report.open_release} (open, based on {report.release}): {report.drafts} draft(s)",
        ]
        if report.history_releases:
            lines.append(
                f"  {len(report.history_releases)} history release(s) (locked, deprecated) with "
                f"{report.history_versions} older version(s): {', '.join(report.history_releases[:3])}"
                + (" …" if len(report.history_releases) > 3 else "")
            )
        for label, counts in sorted(report.per_model.items()):
            lines.append("  " + label + ": " + ", ".join(f"{n} {what}" for what, n in sorted(counts.items())))
        for label, count in sorted(report.skipped.items()):
            lines.append(f"  skipped {count} version(s) of {label} (not registered for release versioning)")
        if report.dry_run:
            lines.append("Nothing was written. Run the command without --dry-run to import.")
        else:
            lines.append(
                f"Editors continue in {report.open_release}. Check the site, then verify the live "
                f"release with verify_release --release-version {report.release}."
            )
        return lines
