"""Deploy and rollback: the live pointer switch and everything that goes with it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone

from ..audit import record
from ..constants import Action
from ..context import forget_live_release, resolve_release
from ..manifest import ADDED, CHANGED, REMOVED, DeployManifest, changes_by_item, compute_manifest
from ..models import LIVE_POINTER_PK, Deployment, LiveRelease, Release
from ..signals import release_deployed
from ._common import _db_for, _error, _requires, _user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser


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
    pointer.generation += 1  # names the deployment in every public cache key (the row is locked)
    pointer.save(update_fields=["release", "changed_at", "generation"])
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
