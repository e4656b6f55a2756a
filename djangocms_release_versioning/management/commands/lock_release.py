"""``lock_release``: make a release immutable and record its fingerprint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandParser

from djangocms_release_versioning import guards, services
from djangocms_release_versioning.constants import APPROVED
from djangocms_release_versioning.models import Version

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Lock release --release-version: nothing in it can change any more. Records a "
        "fingerprint that verify_release checks."
    )
    operation = "lock"

    def add_command_arguments(self, parser: CommandParser) -> None:
        for guard in guards.guards_for(guards.LOCK):
            parser.add_argument(guard.cli_flag, dest=guard.option, action="store_true", help=guard.cli_help)

    def run(self, version: str, *, user: AbstractBaseUser | None, **options: Any) -> None:
        confirmations = {g.option: bool(options.get(g.option)) for g in guards.guards_for(guards.LOCK)}
        release = services.lock_release(version, user=user, **confirmations)
        versions = Version.objects.filter(release=release)
        total = versions.count()
        not_public = versions.exclude(status=APPROVED, active=True).count()
        self.say(
            f"Locked release {release.version}: {total} version(s), fingerprint {release.fingerprint[:12]}.",
            success=True,
        )
        if not_public:
            self.say(
                f"Note: {not_public} version(s) are not approved or are hidden; they will not be "
                f"public when {release.version} is deployed."
            )
        self.say(f"Deploy it with deploy_release --release-version {release.version}.")
