"""The only write API. Admin, toolbar, management commands and the pytest plugin call these.

Every function is atomic, checks permissions when given a user, and writes the audit trail.
Release arguments accept a :class:`~.models.Release` or its version string.

Errors: :class:`~django.core.exceptions.ValidationError` for workflow and lock violations,
:class:`~django.core.exceptions.PermissionDenied` for missing permissions.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connections, models, router, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from . import conf, registry
from .audit import record
from .constants import APPROVED, DRAFT, Action
from .context import forget_live_release, get_working_release, resolve_release
from .enforcement import copying
from .locking import lock_release_row, locked_release_ids
from .manifest import ADDED, CHANGED, REMOVED, DeployManifest, changes_by_item, compute_manifest
from .models import LIVE_POINTER_PK, Deployment, LiveRelease, Release, Version
from .permissions import require_change_permission, require_release_permission
from .signals import release_created, release_deployed, release_locked

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .datastructures import VersionableItem

F = TypeVar("F", bound=Callable[..., Any])


def _error(message: str, code: str, **params: object) -> ValidationError:
    return ValidationError(gettext(message) % params if params else gettext(message), code=code)


def _require_item(content: models.Model) -> VersionableItem:
    item = registry.for_content(content)
    if item is None:
        raise _error(
            "%(model)s is not registered for release versioning.",
            "not_versioned",
            model=type(content).__name__,
        )
    return item


def _require_editable(release: Release) -> None:
    if release.is_locked:
        raise _error(
            "Release %(release)s is locked: its content cannot change. Create a release "
            "based on it (create_release --based-on %(release)s) and work there.",
            "release_locked",
            release=release.version,
        )
    if release.is_deprecated:
        raise _error(
            "Release %(release)s is deprecated. Restore it (deprecate_release --undo) or "
            "work in another release.",
            "release_deprecated",
            release=release.version,
        )


def _requires(operation: str) -> Callable[[F], F]:
    """Check the release permission for ``operation`` when a user is given.

    The undecorated function stays reachable as ``.unchecked`` for services that compose
    others after checking their own permission once (``publish_now``).
    """

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, user: AbstractBaseUser | None = None, **kwargs: Any) -> Any:
            require_release_permission(user, operation)
            return func(*args, user=user, **kwargs)

        wrapper.unchecked = func
        return wrapper

    return decorator


def _fresh(release: Release | str | int) -> Release:
    """The release as it is in the database now (callers may hold a stale instance)."""
    resolved = resolve_release(release)
    return Release.objects.get(pk=resolved.pk) if isinstance(release, Release) else resolved


def _db_for(model: type[models.Model]) -> str:
    return router.db_for_write(model)


# -- releases ---------------------------------------------------------------------------


@_requires("create")
def create_release(
    version: str,
    *,
    based_on: Release | str | None = None,
    description: str = "",
    user: AbstractBaseUser | None = None,
) -> Release:
    """Open a new release; with ``based_on`` (a locked release) branch it.

    Branching copies Version rows only, in one ``INSERT … SELECT`` statement; content rows
    are shared until edited (copy-on-write).

    :raises ValidationError: empty or taken version, unknown or unlocked base.
    :raises PermissionDenied: ``user`` may not create releases.
    """
    version = (version or "").strip()
    if not version:
        raise _error("A release needs a version, e.g. v1.2.0.", "version_required")
    if len(version) > Release._meta.get_field("version").max_length:
        raise _error("The version %(version)s is too long.", "version_too_long", version=version)
    base = _fresh(based_on) if based_on is not None else None
    if base is not None and not base.is_locked:
        raise _error(
            "Release %(base)s is still open; only a locked release can be branched. "
            "Lock it first (lock_release --release-version %(base)s).",
            "base_not_locked",
            base=base.version,
        )
    with transaction.atomic(using=_db_for(Release)):
        if Release.objects.filter(version=version).exists():
            raise _error(
                "A release called %(version)s exists already; choose another version.",
                "version_taken",
                version=version,
            )
        release = Release.objects.create(
            version=version,
            description=description,
            based_on=base,
            created_by=_user(user),
        )
        copied = _copy_versions(base, release) if base is not None else 0
        record(
            Action.BRANCH_RELEASE if base else Action.CREATE_RELEASE,
            release=release,
            user=user,
            from_state=base.version if base else "",
            to_state="open",
            details={"versions": copied},
        )
        release_created.send(sender=Release, release=release, base=base, user=user)
    return release


def _copy_versions(base: Release, release: Release) -> int:
    """Copy every Version of ``base`` into ``release`` with one INSERT … SELECT."""
    connection = connections[_db_for(Version)]
    qn = connection.ops.quote_name
    opts = Version._meta
    copied = ["content_type", "object_id", "grouping_key", "status", "active", "modified", "modified_by"]
    columns = [opts.get_field(name).column for name in copied]
    release_column = opts.get_field("release").column
    fingerprint_column = opts.get_field("fingerprint").column
    inherited_column = opts.get_field("inherited").column
    sql = (
        f"INSERT INTO {qn(opts.db_table)} ({qn(release_column)}, {qn(fingerprint_column)}, "
        f"{qn(inherited_column)}, {', '.join(qn(c) for c in columns)}) "
        f"SELECT %s, %s, %s, {', '.join(qn(c) for c in columns)} FROM {qn(opts.db_table)} "
        f"WHERE {qn(release_column)} = %s"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [release.pk, "", True, base.pk])
        return cursor.rowcount


@_requires("approve")
def approve_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> int:
    """Approve every active draft of ``release`` in one UPDATE; parked and hidden rows stay.

    :returns: the number of Versions approved.
    :raises ValidationError: the release is locked or deprecated.
    :raises PermissionDenied: ``user`` may not approve.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        _require_editable(release)
        count = Version.objects.filter(release=release, status=DRAFT, active=True).update(
            status=APPROVED, modified=timezone.now(), modified_by=_user(user), inherited=False
        )
        record(
            Action.APPROVE_RELEASE,
            release=release,
            user=user,
            from_state=DRAFT,
            to_state=APPROVED,
            details={"approved": count},
        )
    return count


@_requires("lock")
def lock_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> Release:
    """Make ``release`` immutable and record the fingerprint of everything it contains.

    :raises ValidationError: already locked.
    :raises PermissionDenied: ``user`` may not lock.
    """
    from .fingerprint import release_digest, version_digests

    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        if release.is_locked:
            raise _error("Release %(release)s is locked already.", "already_locked", release=release.version)
        _reconcile_inherited(release)
        versions = list(Version.objects.filter(release=release).order_by("pk"))
        digests = version_digests(release, versions)
        for version in versions:
            version.fingerprint = digests[version.pk]
        Version.objects.bulk_update(versions, ["fingerprint"], batch_size=500)
        release.is_locked = True
        release.locked_at = timezone.now()
        release.locked_by = _user(user)
        release.fingerprint = release_digest(digests)
        release.save(update_fields=["is_locked", "locked_at", "locked_by", "fingerprint"])
        record(
            Action.LOCK_RELEASE,
            release=release,
            user=user,
            from_state="open",
            to_state="locked",
            details={"versions": len(versions), "fingerprint": release.fingerprint},
        )
        release_locked.send(sender=Release, release=release, user=user)
    return release


def check_unlock(release: Release) -> None:
    """Raise if ``release`` cannot be unlocked (used before asking for confirmation too).

    :raises ValidationError: not locked, deployed at least once, or branched from.
    """
    if not release.is_locked:
        raise _error("Release %(release)s is not locked.", "not_locked", release=release.version)
    if release.is_deployed:
        raise _error(
            "Release %(release)s has been deployed and stays locked for good. Create a "
            "release based on it (create_release --based-on %(release)s) to change content.",
            "deployed",
            release=release.version,
        )
    if release.branches.exists():
        raise _error(
            "Release %(release)s has releases branched from it (%(branches)s); they share "
            "its content, so it stays locked.",
            "has_branches",
            release=release.version,
            branches=", ".join(release.branches.values_list("version", flat=True)),
        )


def _reconcile_inherited(release: Release) -> int:
    """Clear ``inherited`` on rows that differ from the base release (one UPDATE).

    Services clear the flag on every change; this also catches rows changed behind their
    back (QuerySet ``update()``) before the release is locked, so the deploy fast path
    that trusts the flag never misses a change.
    """
    candidates = Version.objects.filter(release=release, inherited=True)
    if release.based_on_id is None:
        return candidates.update(inherited=False)
    same_in_base = Version.objects.filter(
        release_id=release.based_on_id,
        content_type_id=OuterRef("content_type_id"),
        grouping_key=OuterRef("grouping_key"),
        object_id=OuterRef("object_id"),
        status=OuterRef("status"),
        active=OuterRef("active"),
    )
    return candidates.exclude(Exists(same_in_base)).update(inherited=False)


@_requires("unlock")
def unlock_release(release: Release | str, *, user: AbstractBaseUser | None = None) -> Release:
    """Make a locked, never deployed release editable again.

    :raises ValidationError: not locked, deployed at least once, or branched from.
    :raises PermissionDenied: ``user`` may not unlock.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        check_unlock(release)
        release.is_locked = False
        release.locked_at = None
        release.locked_by = None
        release.fingerprint = ""
        release.save(update_fields=["is_locked", "locked_at", "locked_by", "fingerprint"])
        Version.objects.filter(release=release).update(fingerprint="")
        record(Action.UNLOCK_RELEASE, release=release, user=user, from_state="locked", to_state="open")
    return release


@_requires("deprecate")
def deprecate_release(
    release: Release | str, *, undo: bool = False, user: AbstractBaseUser | None = None
) -> Release:
    """Soft-hide ``release`` (or, with ``undo``, show it again). Its data is kept.

    :raises ValidationError: the release is live, or already in the requested state.
    :raises PermissionDenied: ``user`` may not deprecate.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(Release)):
        release = lock_release_row(release)
        if undo:
            if not release.is_deprecated:
                raise _error(
                    "Release %(release)s is not deprecated.", "not_deprecated", release=release.version
                )
        else:
            if release.is_deprecated:
                raise _error(
                    "Release %(release)s is deprecated already.",
                    "already_deprecated",
                    release=release.version,
                )
            if release.is_live():
                raise _error(
                    "Release %(release)s is live and cannot be deprecated. Deploy another release first.",
                    "live",
                    release=release.version,
                )
        release.is_deprecated = not undo
        release.save(update_fields=["is_deprecated"])
        record(
            Action.UNDEPRECATE_RELEASE if undo else Action.DEPRECATE_RELEASE,
            release=release,
            user=user,
            from_state="deprecated" if undo else release.state,
            to_state=release.state if undo else "deprecated",
        )
    return release


# -- deploy -----------------------------------------------------------------------------


def _lock_pointer() -> LiveRelease:
    """The live pointer row, locked until the transaction ends (created on first deploy)."""
    LiveRelease.objects.get_or_create(pk=LIVE_POINTER_PK)
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return LiveRelease.objects.select_for_update().get(pk=LIVE_POINTER_PK)


def _read_pointer() -> LiveRelease:
    """The live pointer as it is, without creating or locking it (dry runs write nothing)."""
    pointer = LiveRelease.objects.filter(pk=LIVE_POINTER_PK).first()
    return pointer if pointer is not None else LiveRelease(pk=LIVE_POINTER_PK)


def _switch_pointer(pointer: LiveRelease, release: Release) -> None:
    pointer.release = release
    pointer.changed_at = timezone.now()
    pointer.save(update_fields=["release", "changed_at"])
    if release.first_deployed_at is None:
        release.first_deployed_at = pointer.changed_at
        Release.objects.filter(pk=release.pk).update(first_deployed_at=pointer.changed_at)


def _record_deployment(
    manifest: DeployManifest, *, rollback: bool, user: AbstractBaseUser | None
) -> Deployment:
    deployment = Deployment.objects.create(
        release=manifest.release,
        previous=manifest.previous,
        is_rollback=rollback,
        deployed_by=_user(user),
        summary=manifest.counts(),
    )
    record(
        Action.ROLLBACK_RELEASE if rollback else Action.DEPLOY_RELEASE,
        release=manifest.release,
        user=user,
        from_state=manifest.previous.version if manifest.previous else "",
        to_state=manifest.release.version,
        details=manifest.counts(),
    )
    return deployment


def _run_hooks(manifest: DeployManifest) -> None:
    for item, changes in changes_by_item(manifest):
        if item.on_unpublish is not None:
            for change in changes:
                if change.kind == REMOVED and change.old is not None:
                    item.on_unpublish(change.old)
        if item.on_publish is not None:
            for change in changes:
                if change.kind in (ADDED, CHANGED) and change.new is not None:
                    item.on_publish(change.new)


def _invalidate_caches_on_commit(manifest: DeployManifest) -> None:
    def invalidate() -> None:
        from cms.cache import invalidate_cms_page_cache
        from menus.menu_pool import menu_pool

        invalidate_cms_page_cache()
        menu_pool.clear(all=True)

    transaction.on_commit(invalidate, using=_db_for(LiveRelease))


@_requires("deploy")
def deploy_release(
    release: Release | str,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    rollback: bool = False,
) -> DeployManifest:
    """Make the locked ``release`` live for the whole site, atomically.

    Inside one transaction: lock the live pointer, switch it, record the Deployment, call
    ``on_unpublish`` / ``on_publish`` for every grouping whose live content changed and
    send :data:`~.signals.release_deployed`; caches are cleared after commit.

    :param dry_run: compute and return the manifest, write nothing.
    :param rollback: required to deploy a release that was live before.
    :returns: the change manifest (``manifest.deployment`` is the Deployment row).
    :raises ValidationError: not locked, already live, deployed before without
        ``rollback``, or ``rollback`` to a release that was never deployed.
    :raises PermissionDenied: ``user`` may not deploy.
    """
    release = resolve_release(release)
    with transaction.atomic(using=_db_for(LiveRelease)):
        pointer = _read_pointer() if dry_run else _lock_pointer()
        release = Release.objects.get(pk=release.pk)
        _check_deployable(release, pointer, rollback=rollback)
        manifest = compute_manifest(pointer.release, release)
        if dry_run:
            manifest.dry_run = True
            return manifest
        _switch_pointer(pointer, release)
        manifest.deployment = _record_deployment(manifest, rollback=rollback, user=user)
        _run_hooks(manifest)
        release_deployed.send(
            sender=Release, release=release, previous=manifest.previous, manifest=manifest, user=user
        )
        _invalidate_caches_on_commit(manifest)
        forget_live_release()
    return manifest


def _check_deployable(release: Release, pointer: LiveRelease, *, rollback: bool) -> None:
    if not release.is_locked:
        raise _error(
            "Release %(release)s is open; only locked releases can be deployed. Lock it "
            "first (lock_release --release-version %(release)s).",
            "not_locked",
            release=release.version,
        )
    if pointer.release_id == release.pk:
        raise _error("Release %(release)s is live already.", "already_live", release=release.version)
    if release.is_deprecated:
        raise _error(
            "Release %(release)s is deprecated; restore it (deprecate_release --undo) before deploying it.",
            "release_deprecated",
            release=release.version,
        )
    if rollback and not release.is_deployed:
        raise _error(
            "Release %(release)s was never deployed, so there is nothing to roll back to. "
            "Deploy it without --rollback.",
            "never_deployed",
            release=release.version,
        )
    if release.is_deployed and not rollback:
        raise _error(
            "Release %(release)s was live before. Deploying it again is a rollback: use "
            "--rollback (rollback=True).",
            "rollback_required",
            release=release.version,
        )


# -- content ----------------------------------------------------------------------------


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
        # of=self: locking the joined release row too would deadlock concurrent transitions
        # (they all hold a shared lock on it).
        version = Version.objects.select_for_update(of=("self",)).select_related("release").get(pk=version.pk)
        getattr(version, name)(user=user)
    return version


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


def verify_release(release: Release | str) -> list[str]:
    """Recompute the fingerprint of a locked release.

    :returns: descriptions of what changed since it was locked (empty: intact).
    :raises ValidationError: the release is not locked.
    """
    from .fingerprint import version_digests

    release = _fresh(release)
    if not release.is_locked:
        raise _error(
            "Release %(release)s is open; only locked releases have a fingerprint.",
            "not_locked",
            release=release.version,
        )
    versions = list(Version.objects.filter(release=release).order_by("pk"))
    digests = version_digests(release, versions)
    problems = []
    for version in versions:
        if version.fingerprint != digests[version.pk]:
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


def _user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


__all__ = [
    "approve_release",
    "attach_new_content",
    "check_unlock",
    "create_draft",
    "create_release",
    "deploy_release",
    "deprecate_release",
    "get_version",
    "lock_release",
    "publish_now",
    "transition",
    "unlock_release",
    "unpublish_now",
    "verify_release",
]
