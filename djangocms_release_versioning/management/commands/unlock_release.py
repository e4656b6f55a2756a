"""``unlock_release``: make a locked, never deployed release editable again."""

from __future__ import annotations

import sys
from typing import IO, TYPE_CHECKING, Any

from django.core.management.base import CommandError, CommandParser

from djangocms_release_versioning import services
from djangocms_release_versioning.context import resolve_release

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Unlock release --release-version (only if it was never deployed). Asks you to type the "
        "version to confirm, unless --force is given."
    )
    operation = "unlock"
    #: ``call_command(..., stdin=...)`` replaces the terminal the confirmation is read from.
    stealth_options = ("stdin",)

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--force",
            action="store_true",
            help="Unlock without asking for confirmation (needed without a terminal, e.g. in CI).",
        )

    def run(
        self,
        version: str,
        *,
        user: AbstractBaseUser | None,
        force: bool = False,
        **options: Any,
    ) -> None:
        release = resolve_release(version)
        services.check_unlock(release)  # refuse before asking for a confirmation in vain
        if not force:
            self._confirm(release.version, options.get("stdin", sys.stdin))
        services.unlock_release(release, user=user)
        self.say(
            f"Unlocked release {release.version}; it is open again and its fingerprint was dropped.",
            success=True,
        )
        self.say(f"Lock it again when it is ready with lock_release --release-version {release.version}.")

    def _confirm(self, version: str, stdin: IO[str] | None) -> None:
        """Ask the operator to type ``version``; refuse without a terminal or on a mismatch."""
        if not _is_terminal(stdin):
            raise CommandError(
                f"Unlocking {version} needs confirmation, but there is no terminal to ask on. "
                f"Re-run with --force to unlock without confirmation."
            )
        self.stdout.write(
            f"Release {version} will become editable and lose its fingerprint. "
            f"Type the version ({version}) to confirm: ",
            ending="",
        )
        self.stdout.flush()
        answer = stdin.readline().strip()
        if answer != version:
            raise CommandError(
                f"You typed {answer!r}, not {version!r}; release {version} stays locked. "
                f"Run the command again (or with --force) to unlock it."
            )


def _is_terminal(stream: IO[str] | None) -> bool:
    try:
        return stream is not None and stream.isatty()
    except (AttributeError, ValueError):  # no isatty(), or a closed stream
        return False
