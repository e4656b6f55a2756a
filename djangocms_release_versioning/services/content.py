"""Content in a release: new content, copy-on-write drafts, Version transitions."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import IntegrityError, connections, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from .. import conf
from ..audit import record
from ..constants import APPROVED, DRAFT, Action
from ..context import get_working_release, resolve_release
from ..enforcement import copying
from ..locking import locked_release_ids
from ..models import Release, Version
from ..permissions import require_change_permission, require_release_permission
from ._common import _db_for, _error, _fresh, _require_editable, _require_item, _user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem


def get_version(content: models.Model, release: Release | str | None = None) -> Version | None:
    """Return the Version of ``content``'s grouping in ``release`` (default: working release).

    :raises ValidationError: ``content`` is not versioned, or no such release.
    """
    item = _require_item(content)
    release = resolve_release(release) if release is not None else get_working_release()
    if release is None:
        return None
    return (
        Version.objects.filter(
            release=release,
            content_type=item.content_type,
            grouping_key=item.grouping_key(content),
        )
        .select_related("release")
        .first()
    )


def _lock_version_row(version: Version) -> Version:
    """Return a fresh copy of ``version`` holding an exclusive lock on its row only.

    Locking the joined release row too would deadlock concurrent transitions (they all hold
    a shared lock on it). Backends without ``FOR UPDATE OF`` (MariaDB) lock the Version
    without the join and keep the release already read: its row is share-locked by the
    caller, so no one can change it meanwhile.
    """
    features = connections[_db_for(Version)].features
    if features.has_select_for_update_of or not features.has_select_for_update:  # not MariaDB
        return Version.objects.select_for_update(of=("self",)).select_related("release").get(pk=version.pk)
    release = version.release
    version = Version.objects.select_for_update().get(pk=version.pk)
    version.release = release
    return version


def _open_initial_release(user: AbstractBaseUser | None) -> Release:
    """Open the first release of a fresh site (name from INITIAL_RELEASE_VERSION)."""
    with transaction.atomic(using=_db_for(Release)):
        release, created = Release.objects.get_or_create(
            version=conf.INITIAL_RELEASE_VERSION, defaults={"created_by": _user(user)}
        )
        if created:
            record(
                Action.CREATE_RELEASE,
                release=release,
                user=user,
                to_state="open",
                details={"automatic": True},
            )
    return release


def attach_new_content(content: models.Model, *, user: AbstractBaseUser | None = None) -> Version:
    """Give new ``content`` a draft Version in the working release.

    On a site without any release, the first release is opened automatically.

    :raises ValidationError: the working release is locked or deprecated, or it already
        has content for this grouping.
    """
    item = _require_item(content)
    release = get_working_release()
    if release is None:
        if Release.objects.exists():
            raise _error(
                "There is no open release to add content to. Create one, e.g. "
                "create_release --release-version <name> --based-on <live release>.",
                "no_open_release",
            )
        release = _open_initial_release(user)
    if locked_release_ids([release.pk]):
        release.is_locked = True
    _require_editable(release)
    key = item.grouping_key(content)
    if Version.objects.filter(release=release, content_type=item.content_type, grouping_key=key).exists():
        raise _error(
            "Release %(release)s already has content of type %(model)s for %(grouping)s; "
            "edit that content instead of adding another.",
            "grouping_taken",
            release=release.version,
            model=item.content_model._meta.verbose_name,
            grouping=key,
        )
    version = Version.objects.create(
        release=release,
        content_type=item.content_type,
        object_id=content.pk,
        grouping_key=key,
        status=DRAFT,
        modified_by=_user(user),
    )
    record(Action.CREATE_CONTENT, release=release, user=user, obj=version, to_state=DRAFT)
    return version


def create_draft(
    content: models.Model,
    *,
    user: AbstractBaseUser | None,
    release: Release | str | None = None,
) -> models.Model:
    """Return the editable content row of ``content``'s grouping in ``release``.

    If the release's row is a draft or parked, active and not shared, it is returned as is;
    otherwise (approved, shared with another release, or missing) the content is copied
    with the model's ``copy_function`` and the release's Version points at the copy, as
    a draft. A row lock on the Version makes concurrent calls produce exactly one copy.

    :raises ValidationError: not versioned; the release is locked, deprecated or missing;
        the content is hidden in the release.
    :raises PermissionDenied: ``user`` may not change the content.
    """
    item = _require_item(content)
    require_change_permission(user, content)
    release = _fresh(release) if release is not None else get_working_release()
    if release is None:
        raise _error("There is no release to edit in. Create one with create_release.", "no_release")
    _require_editable(release)
    key = item.grouping_key(content)
    with transaction.atomic(using=_db_for(Version)):
        if release.pk in locked_release_ids([release.pk]):
            release.is_locked = True
            _require_editable(release)
        others = Version.objects.filter(
            content_type_id=OuterRef("content_type_id"), object_id=OuterRef("object_id")
        ).exclude(pk=OuterRef("pk"))
        version = (
            Version.objects.select_for_update()
            .filter(release=release, content_type=item.content_type, grouping_key=key)
            .annotate(shared=Exists(others))  # one query: the row lock and the sharing check
            .first()
        )
        if version is None:
            return _copy_into_release(item, content, release, user)
        if not version.active:
            raise _error(
                "This content is hidden in release %(release)s. Restore it before editing.",
                "inactive",
                release=release.version,
            )
        shared = version.shared
        # The caller's row is the release's row (the usual case): no need to read it again.
        same_row = content.pk == version.object_id and not content._state.adding
        current = content if same_row else item.content_model._base_manager.get(pk=version.object_id)
        if version.status != APPROVED and not shared:
            return current
        with copying():
            copy = item.copy_function(current)
        before = version.status
        old_object_id = version.object_id
        version.object_id = copy.pk
        version.status = DRAFT
        version.modified = timezone.now()
        version.modified_by = _user(user)
        # The shared row lock taken above guarantees the release is still open.
        version.save(update_fields=["object_id", "status", "modified", "modified_by"], check_release=False)
        if not shared:
            _delete_unreferenced(item, old_object_id, release, user)
        record(
            Action.CREATE_DRAFT,
            release=release,
            user=user,
            obj=version,
            from_state=before,
            to_state=DRAFT,
            details={"copied_from": old_object_id},
        )
        if item.on_draft_create is not None:
            item.on_draft_create(version)
        return copy


def _copy_into_release(
    item: VersionableItem, content: models.Model, release: Release, user: AbstractBaseUser | None
) -> models.Model:
    with copying():
        copy = item.copy_function(content)
    try:
        with transaction.atomic(using=_db_for(Version)):
            version = Version.objects.create(
                release=release,
                content_type=item.content_type,
                object_id=copy.pk,
                grouping_key=item.grouping_key(copy),
                status=DRAFT,
                modified_by=_user(user),
            )
    except IntegrityError:
        # A concurrent call put this grouping into the release first (the unique
        # constraint made us wait for it): drop our copy and return theirs.
        copy.delete()
        winner = Version.objects.get(
            release=release, content_type=item.content_type, grouping_key=item.grouping_key(content)
        )
        return item.content_model._base_manager.get(pk=winner.object_id)
    record(
        Action.CREATE_DRAFT,
        release=release,
        user=user,
        obj=version,
        to_state=DRAFT,
        details={"copied_from": content.pk},
    )
    if item.on_draft_create is not None:
        item.on_draft_create(version)
    return copy


def _delete_unreferenced(
    item: VersionableItem, object_id: int, release: Release, user: AbstractBaseUser | None
) -> None:
    """Delete a content row no Version references any more (keeps invariant 7)."""
    if Version.objects.filter(content_type=item.content_type, object_id=object_id).exists():
        return
    content = item.content_model._base_manager.filter(pk=object_id).first()
    if content is not None:
        record(Action.DELETE_CONTENT, release=release, user=user, obj=content)
        content.delete()


#: Version transitions a user may request on one content row, and the permission each needs.
TRANSITIONS = {
    "approve": "approve",
    "mark_future": None,
    "mark_draft": None,
    "deactivate": None,
    "reactivate": None,
}


def transition(
    content: models.Model,
    name: str,
    *,
    user: AbstractBaseUser | None = None,
    release: Release | str | None = None,
) -> Version:
    """Apply the Version transition ``name`` to ``content``'s grouping in ``release``.

    ``name`` is one of ``approve``, ``mark_future``, ``mark_draft``, ``deactivate``,
    ``reactivate``.

    :raises ValidationError: unknown transition, no Version in the release, the release
        is locked or deprecated, or the status rules forbid it.
    :raises PermissionDenied: ``user`` may not approve / change the content.
    """
    if name not in TRANSITIONS:
        raise _error("Unknown transition %(name)s.", "unknown_transition", name=name)
    if TRANSITIONS[name]:
        require_release_permission(user, TRANSITIONS[name])
    else:
        require_change_permission(user, content)
    with transaction.atomic(using=_db_for(Version)):
        version = get_version(content, release)
        if version is None:
            raise _error("This content is not part of the release.", "not_in_release")
        if version.release_id in locked_release_ids([version.release_id]):
            version.release.is_locked = True
        _require_editable(version.release)
        version = _lock_version_row(version)
        getattr(version, name)(user=user)
    return version
