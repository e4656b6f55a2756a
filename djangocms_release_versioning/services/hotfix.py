"""Publish now / take offline now: a patch release branched from live, deployed in one step."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.core.exceptions import ImproperlyConfigured
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext

from .. import conf
from ..constants import APPROVED, Action
from ..context import get_working_release
from ..manifest import DeployManifest
from ..models import AuditEntry, Release, Version
from ..permissions import require_change_permission, require_release_permission
from ._common import _db_for, _error, _require_item, _user
from .content import _delete_unreferenced
from .deploy import deploy_release
from .releases import create_release, lock_release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem


#: Key in the ``details`` of the audit entry that created a release, present when the release
#: was made by Publish now / Take offline now (``{"of": <the live release then, or None>}``).
HOTFIX_MARKER = "hotfix"


def _series_parts(template: str, base: str) -> tuple[str, str]:
    """The text before and after ``{n}`` in the names of the hotfix series of ``base``.

    :raises ImproperlyConfigured: the format has no ``{n}``.
    """
    if template.count("{n}") != 1:
        raise ImproperlyConfigured(
            f"{conf.PREFIX}HOTFIX_VERSION_FORMAT must contain {{n}} exactly once (it is {template!r})."
        )
    before, after = template.split("{n}")
    return before.format(live=base), after.format(live=base)


def _made_as_hotfix() -> Exists:
    """True for releases made by Publish now / Take offline now (their creation is marked in
    the audit trail, see :data:`HOTFIX_MARKER`)."""
    return Exists(AuditEntry.objects.filter(release=OuterRef("pk"), details__has_key=HOTFIX_MARKER))


def _described_as_hotfix(description: str, base_version: str | None) -> bool:
    """True if ``description`` is the one Publish now gave its releases before their creation
    was marked in the audit trail (``Hotfix of <base>: …``, in English or the active language)."""
    if base_version is None:
        return False
    prefixes = {
        template.split("%(object)s")[0] % {"release": base_version}
        for template in ("Hotfix of %(release)s: %(object)s", gettext("Hotfix of %(release)s: %(object)s"))
        if "%(object)s" in template
    }
    return any(description.startswith(prefix) for prefix in prefixes)


def _hotfix_version(live: Release | None) -> str:
    """The name of the next hotfix release, found with one query.

    A hotfix of a release that was itself made as a hotfix continues that release's series
    (live ``v1-hotfix-1`` → ``v1-hotfix-2``); any other live release starts a series of its
    own, even if its name happens to fit the format (``{live}.{n}``: live ``v1.2`` →
    ``v1.2.1``, not ``v1.3``); hotfixes made before their creation was marked are recognised
    by the description Publish now gave them. The first free number is taken; names are
    compared ignoring case. With nothing live the name is ``FIRST_HOTFIX_VERSION`` (or, if that is taken, the
    first free name of its series).

    :raises ImproperlyConfigured: ``HOTFIX_VERSION_FORMAT`` has no ``{n}``.
    """
    template = conf.HOTFIX_VERSION_FORMAT
    pattern = re.escape(template).replace(re.escape("{live}"), "(?P<live>.+)")
    pattern = pattern.replace(re.escape("{n}"), r"\d+")
    first = conf.FIRST_HOTFIX_VERSION
    own = live.version if live is not None else first
    match = re.fullmatch(pattern, own) if live is not None else None
    bases = [own] + ([match.group("live")] if match else [])
    wanted = Q(lower_version=own.lower())
    for base in bases:
        before, after = _series_parts(template, base)
        wanted |= Q(lower_version__startswith=before.lower(), lower_version__endswith=after.lower())
    rows = (
        Release.objects.annotate(lower_version=Lower("version"), made_as_hotfix=_made_as_hotfix())
        .filter(wanted)
        .values_list("pk", "lower_version", "made_as_hotfix", "description", "based_on__version")
    )
    taken = set()
    live_is_hotfix = False
    for pk, lower_version, made_as_hotfix, description, base_version in rows:
        taken.add(lower_version)
        if live is not None and pk == live.pk:
            live_is_hotfix = made_as_hotfix or _described_as_hotfix(description, base_version)
    if live is None and first.lower() not in taken:
        return first
    base = match.group("live") if match and live_is_hotfix else own
    number = 1
    while template.format(live=base, n=number).lower() in taken:
        number += 1
    return template.format(live=base, n=number)


def _mark_as_hotfix(release: Release, of: Release | None) -> None:
    """Note in the audit entry that created ``release`` that Publish now made it."""
    entry = (
        release.audit_entries.filter(action__in=(Action.CREATE_RELEASE, Action.BRANCH_RELEASE))
        .order_by("pk")
        .first()
    )
    entry.details = {**entry.details, HOTFIX_MARKER: {"of": of.version if of is not None else None}}
    entry.save(update_fields=["details"])


def _hotfix(content: models.Model, *, user: AbstractBaseUser | None, publish: bool) -> DeployManifest:
    """Branch the live release (or, with nothing live, open an empty one), change one
    grouping, lock and deploy — in one transaction."""
    item = _require_item(content)
    require_release_permission(user, "deploy")
    require_change_permission(user, content)
    key = item.grouping_key(content)
    working = get_working_release()
    with transaction.atomic(using=_db_for(Release)):
        live = Release.objects.live()
        if live is None and not publish:
            raise _error(
                "Nothing is live yet, so there is nothing to take offline.",
                "nothing_live",
            )
        if live is None:  # the site's first live release: just this change
            description = gettext("Published now: %(object)s") % {"object": content}
        else:
            description = gettext("Hotfix of %(release)s: %(object)s") % {
                "release": live.version,
                "object": content,
            }
        patch = create_release.unchecked(
            _hotfix_version(live), based_on=live, description=description, user=user
        )
        _mark_as_hotfix(patch, live)
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
    locks and deploys it, and points the working release at the same content. With nothing
    live yet, the patch release is the site's first live release, holding just this change
    and named by ``FIRST_HOTFIX_VERSION``. Names: see ``HOTFIX_VERSION_FORMAT``.

    Other open releases are left as they are: they show as behind live and their deploy is
    refused (``would_revert``) until they are rebased
    (:func:`~djangocms_release_versioning.services.rebase_release`) — changing them silently
    would surprise their reviewers and lock every open release inside this transaction.

    :raises ValidationError: the content is not versioned.
    :raises PermissionDenied: ``user`` may not deploy or change the content.
    :raises ImproperlyConfigured: ``HOTFIX_VERSION_FORMAT`` does not contain ``{n}`` once.
    """
    return _hotfix(content, user=user, publish=True)


def unpublish_now(content: models.Model, *, user: AbstractBaseUser | None) -> DeployManifest:
    """Hotfix: take ``content``'s grouping off the live site now (hidden in a patch release).

    :raises ValidationError: nothing is live yet (code ``nothing_live``), or the grouping is
        not live (``not_live``).
    :raises PermissionDenied: ``user`` may not deploy or change the content.
    :raises ImproperlyConfigured: ``HOTFIX_VERSION_FORMAT`` does not contain ``{n}`` once.
    """
    return _hotfix(content, user=user, publish=False)
