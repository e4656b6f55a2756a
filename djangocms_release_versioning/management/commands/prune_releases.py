"""``prune_releases``: delete old releases and the content only they referenced."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangocms_release_versioning import services
from djangocms_release_versioning.management.commands._base import natural_order, user_named
from djangocms_release_versioning.services.pruning import PruneReport


class Command(BaseCommand):
    help = (
        "Delete deprecated and superseded releases with their versions, and every content row "
        "(placeholders, plugins, extensions) no remaining release references. Keeps the live "
        "release, the last --keep-last deployed ones, open releases, scheduled ones and every "
        "base of a kept release. Restartable; --dry-run writes nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--keep-last",
            dest="keep_last",
            type=int,
            default=5,
            metavar="N",
            help="Releases deployed before the live one that stay, to roll back to (default 5).",
        )
        parser.add_argument(
            "--older-than",
            dest="older_than",
            type=int,
            default=None,
            metavar="DAYS",
            help="Only delete releases not created, locked or deployed in the last DAYS days.",
        )
        parser.add_argument(
            "--dry-run", dest="dry_run", action="store_true", help="Report what would go; write nothing."
        )
        parser.add_argument(
            "--username",
            metavar="USERNAME",
            help="Act as this user (needs the delete_release permission; recorded in the audit trail).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user = user_named(options.get("username"))
        try:
            report = services.prune_releases(
                keep_last=options["keep_last"],
                older_than=options["older_than"],
                dry_run=options["dry_run"],
                user=user,
            )
        except ValidationError as error:
            raise CommandError(
                " ".join(error.messages) + " Pass --keep-last N and --older-than DAYS as numbers ≥ 0."
            ) from error
        except PermissionDenied as error:
            raise CommandError(
                f"{error} The user needs the permission djangocms_release_versioning.delete_release; "
                f"grant it or run the command with another --username."
            ) from error
        self._report(report, options["verbosity"])

    def _report(self, report: PruneReport, verbosity: int) -> None:
        if verbosity < 1:
            return
        if not report.releases:
            self.stdout.write("Nothing to prune: every release is kept.")
        else:
            verb = "Would delete" if report.dry_run else "Deleted"
            self.stdout.write(
                (self.style.SUCCESS if not report.dry_run else str)(
                    f"{verb} {len(report.releases)} release(s): {', '.join(report.releases)}; "
                    f"{report.versions} version(s), {report.content_rows} content row(s), "
                    f"{report.plugins} plugin(s)."
                )
            )
            for label, count in sorted(report.content_by_model.items()):
                self.stdout.write(f"  {label}: {count} content row(s)")
        if verbosity >= 2:
            for version in sorted(report.kept, key=natural_order):
                reason = report.kept[version]
                self.stdout.write(f"  kept {version}: {reason}")
        if report.dry_run:
            self.stdout.write("Dry run: nothing was written. Run without --dry-run to prune.")
