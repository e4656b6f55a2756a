"""Publish now / take offline now: a patch release branched from live, deployed in one step."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import conf
from ..constants import APPROVED
from ..context import get_working_release
from ..manifest import DeployManifest
from ..models import Release, Version
from ..permissions import require_change_permission, require_release_permission
from ._common import _db_for, _error, _require_item, _user
from .content import _delete_unreferenced
from .deploy import deploy_release
from .releases import create_release, lock_release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem


def _hotfix_version(live: Release) -> str:
    """The next free hotfix name; a hotfix of a hotfix continues the same series."""
    template = conf.HOTFIX_VERSION_FORMAT
    pattern = (
        re.escape(template).replace(re.escape("{live}"), "(?P<live>.+)").replace(re.escape("{n}"), r"\d+")
    )
    match = re.fullmatch(pattern, live.version)
    base = match.group("live") if match else live.version
    number = 1
    while True:
        candidate = template.format(live=base, n=number)
        if not Release.objects.filter(version=candidate).exists():
            return candidate
        number += 1


def _hotfix(content: models.Model, *, user: AbstractBaseUser | None, publish: bool) -> DeployManifest:
    """Branch the live release, change one grouping, lock and deploy — in one transaction."""
    item = _require_item(content)
    require_release_permission(user, "deploy")
    require_change_permission(user, content)
    key = item.grouping_key(content)
    working = get_working_release()
    with transaction.atomic(using=_db_for(Release)):
        live = Release.objects.live()
        if live is None:
            raise _error(
                "Nothing is live yet, so there is nothing to patch. Deploy a release first.",
                "nothing_live",
            )
        patch = create_release.unchecked(
            _hotfix_version(live),
            based_on=live,
            description=gettext("Hotfix of %(release)s: %(object)s")
            % {"release": live.version, "object": content},
            user=user,
        )
        if publish:
            _point_at(patch, item, key, content, user)
        else:
            existing = Version.objects.filter(
                release=patch, content_type=item.content_type, grouping_key=key
            ).first()
            if existing is None or not existing.active or existing.status != APPROVED:
                raise _error("This content is not live, so it cannot be unpublished.", "not_live")
            existing.deactivate(user=user)
        lock_release.unchecked(patch, user=user)
        manifest = deploy_release.unchecked(patch, user=user)
        if working is not None and working.pk != patch.pk and working.is_editable:
            _follow_hotfix(item, key, working, content, publish=publish, user=user)
    return manifest


def _point_at(
    release: Release,
    item: VersionableItem,
    key: str,
    content: models.Model,
    user: AbstractBaseUser | None,
) -> int | None:
    """Make ``content`` the approved, active content of grouping ``key`` in ``release``.

    :returns: the content id the Version pointed at before (None if it was new).
    """
    version = Version.objects.filter(
        release=release, content_type=item.content_type, grouping_key=key
    ).first()
    if version is None:
        version = Version(release=release, content_type=item.content_type, grouping_key=key)
    previous = version.object_id
    version.object_id, version.status, version.active = content.pk, APPROVED, True
    version.modified, version.modified_by = timezone.now(), _user(user)
    version.save()
    return previous


def _follow_hotfix(item, key, working, content, *, publish, user) -> None:
    """The working release takes the hotfix for that grouping too."""
    if publish:
        previous = _point_at(working, item, key, content, user)
        if previous and previous != content.pk:
            _delete_unreferenced(item, previous, working, user)
        return
    version = Version.objects.filter(
        release=working, content_type=item.content_type, grouping_key=key
    ).first()
    if version is not None and version.active:
        version.deactivate(user=user)


def publish_now(content: models.Model, *, user: AbstractBaseUser | None) -> DeployManifest:
    """Hotfix: make ``content`` live now, without waiting for the working release.

    Branches a patch release from the live one containing just this change (approved),
    locks and deploys it, and points the working release at the same content.

    :raises ValidationError: nothing is live yet, or the content is not versioned.
    :raises PermissionDenied: ``user`` may not deploy or change the content.
    """
    return _hotfix(content, user=user, publish=True)


def unpublish_now(content: models.Model, *, user: AbstractBaseUser | None) -> DeployManifest:
    """Hotfix: take ``content``'s grouping off the live site now (hidden in a patch release).

    :raises ValidationError: nothing is live, or the grouping is not live.
    :raises PermissionDenied: ``user`` may not deploy or change the content.
    """
    return _hotfix(content, user=user, publish=False)
