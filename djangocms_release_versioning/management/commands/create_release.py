"""``create_release``: open a new release, optionally branched from a locked one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import services
from djangocms_release_versioning.models import Version

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Open a new release called --release-version. With --based-on, branch it from a locked "
        "release: its versions are copied, content is shared until edited."
    )
    operation = "create"

    def add_command_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--based-on",
            dest="based_on",
            metavar="VERSION",
            help="The locked release to branch from (e.g. the live release).",
        )
        parser.add_argument("--description", default="", help="What the release is for.")

    def _release_version(self, value: str | None) -> str:
        """The name exactly as given: the service refuses spaces rather than removing them."""
        if value is None or not value.strip():
            return super()._release_version(value)
        return value

    def run(
        self,
        version: str,
        *,
        user: AbstractBaseUser | None,
        based_on: str | None = None,
        description: str = "",
        **options: Any,
    ) -> None:
        base = based_on.strip() if based_on else None
        release = services.create_release(version, based_on=base, description=description, user=user)
        if release.based_on is None:
            self.say(f"Created release {release.version}; it is open and empty.", success=True)
        else:
            copied = Version.objects.filter(release=release).count()
            self.say(
                f"Created release {release.version} based on {release.based_on.version}: "
                f"{copied} version(s) copied, content is shared until edited.",
                success=True,
            )
        self.say(
            f"Edit content in it, then approve it with approve_release --release-version {release.version}."
        )
