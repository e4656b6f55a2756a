"""``verify_release``: check that a locked release still matches its fingerprint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.management.base import CommandError

from djangocms_release_versioning import services
from djangocms_release_versioning.models import Version

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Recompute the fingerprint of the locked release --release-version and exit non-zero, "
        "naming the changed content, if anything changed since it was locked."
    )
    # Read-only: --username is checked to exist but nothing is recorded.
    operation = None

    def run(self, version: str, *, user: AbstractBaseUser | None, **options: Any) -> None:
        problems = services.verify_release(version)
        if problems:
            details = "\n".join(f"  - {problem}" for problem in problems)
            raise CommandError(
                f"Release {version} no longer matches the fingerprint recorded when it was locked:\n"
                f"{details}\n"
                f"Something wrote to it behind the locks (QuerySet update() or raw SQL). Find what "
                f"did, and restore the content from a backup."
            )
        total = Version.objects.filter(release__version=version).count()
        self.say(
            f"Release {version} is intact: its {total} version(s) match the fingerprint recorded "
            f"when it was locked.",
            success=True,
        )
