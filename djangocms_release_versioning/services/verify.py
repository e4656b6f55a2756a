"""Verifying a locked release against the fingerprint recorded when it was locked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.contenttypes.models import ContentType

from ..constants import Action
from ..models import Release, Version
from ._common import _error, _fresh

if TYPE_CHECKING:
    pass


def verify_release(release: Release | str) -> list[str]:
    """Recompute the fingerprint of a locked release.

    The fingerprint covers what visitors can see change: content fields, placeholders with
    plugins, extensions (not the empty placeholders django CMS creates on first render).

    :returns: descriptions of what changed since it was locked (empty: intact).
    :raises ValidationError: the release is not locked.
    """
    from ..fingerprint import recorded_fingerprints, version_digests

    release = _fresh(release)
    if not release.is_locked:
        raise _error(
            "Release %(release)s is open; only locked releases have a fingerprint.",
            "not_locked",
            release=release.version,
        )
    versions = list(Version.objects.filter(release=release).order_by("pk"))
    digests = version_digests(release, versions)
    recorded = recorded_fingerprints(release, versions)  # inherited rows: the base's digest
    changed = [version for version in versions if recorded[version.pk] != digests[version.pk]]
    if changed:  # fingerprints recorded by earlier versions also covered empty placeholders
        legacy = version_digests(release, changed, empty_placeholders=True)
        changed = [version for version in changed if recorded[version.pk] != legacy[version.pk]]
    problems = []
    for version in changed:
        model = ContentType.objects.get_for_id(version.content_type_id).model_class()
        problems.append(
            f"{model._meta.label} {version.grouping_key} (content {version.object_id}, "
            f"version {version.pk}) changed since the release was locked."
        )
    if not problems and len(versions) != _locked_version_count(release):
        problems.append("Versions were added to or removed from the release after it was locked.")
    return problems


def _locked_version_count(release: Release) -> int:
    entry = release.audit_entries.filter(action=Action.LOCK_RELEASE).order_by("-created_at", "-pk").first()
    if entry is None:
        return Version.objects.filter(release=release).count()
    return int(entry.details.get("versions", 0))
