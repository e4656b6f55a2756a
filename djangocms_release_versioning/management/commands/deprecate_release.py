"""``deprecate_release``: soft-hide a release (its data is kept), or restore it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import services

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Deprecate release --release-version: hide it from release pickers and refuse edits; "
        "its data is kept. The live release cannot be deprecated. --undo restores it."
    )
    operation = "deprecate"

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--undo", action="store_true", help="Restore a deprecated release.")

    def run(
        self,
        version: str,
        *,
        user: AbstractBaseUser | None,
        undo: bool = False,
        **options: Any,
    ) -> None:
        release = services.deprecate_release(version, undo=undo, user=user)
        if undo:
            self.say(f"Restored release {release.version}; it is {release.state} again.", success=True)
            return
        self.say(f"Deprecated release {release.version}; its data is kept.", success=True)
        self.say(f"Restore it with deprecate_release --release-version {release.version} --undo.")
