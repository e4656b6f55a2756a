"""``approve_release``: approve every active draft of a release in one go."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db.models import Count, Q

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, FUTURE
from djangocms_release_versioning.models import Release, Version

from ._base import ReleaseCommand

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


class Command(ReleaseCommand):
    help = (
        "Approve every active draft of release --release-version. Parked (future) and hidden "
        "content is left as it is."
    )
    operation = "approve"

    def run(self, version: str, *, user: AbstractBaseUser | None, **options: Any) -> None:
        approved = services.approve_release(version, user=user)
        counts = _status_counts(version)
        if approved:
            self.say(f"Approved {approved} draft(s) in release {version}.", success=True)
        else:
            self.say(f"Nothing to approve in release {version}: it has no active drafts.", success=True)
        self.say(
            f"It now holds {counts['approved']} approved, {counts['future']} parked (left unchanged) "
            f"and {counts['hidden']} hidden (left unchanged) version(s)."
        )
        self.say(f"Lock it with lock_release --release-version {version}.")


def _status_counts(version: str) -> dict[str, int]:
    """Approved, parked and hidden Versions of the release, in one query."""
    release = Release.objects.get(version=version)
    return Version.objects.filter(release=release).aggregate(
        approved=Count("pk", filter=Q(status=APPROVED, active=True)),
        future=Count("pk", filter=Q(status=FUTURE, active=True)),
        hidden=Count("pk", filter=Q(active=False)),
    )
