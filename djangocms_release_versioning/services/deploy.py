"""Deploy and rollback: the live pointer switch and everything that goes with it."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from .. import guards
from ..audit import record
from ..constants import Action
from ..context import forget_live_release, resolve_release
from ..manifest import (
    ADDED,
    CHANGED,
    REMOVED,
    DeployManifest,
    changes_by_item,
    compute_manifest,
    describe_changes,
)
from ..models import LIVE_POINTER_PK, Deployment, LiveRelease, Release
from ..signals import release_deployed, release_deploying
from ._busy import refuse_when_busy
from ._common import _db_for, _error, _requires, _user

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem
    from ..manifest import Change

logger = logging.getLogger(__name__)


def ensure_live_pointer() -> None:
    """Create the live pointer row if this database has none yet (before the first deploy).

    Deploys create it inside their transaction, so that a refused or failed first deploy
    leaves the database exactly as it was; two deploys racing to be the first may then
    deadlock on InnoDB (both insert the key), which ``refuse_when_busy`` answers by running
    the victim again. Schedule runners and pruning call it before their transactions.
    """
    LiveRelease.objects.get_or_create(pk=LIVE_POINTER_PK)


def _lock_pointer() -> LiveRelease:
    """The live pointer row, locked until the transaction ends (created on first deploy)."""
    ensure_live_pointer()  # a SELECT once the row exists
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return LiveRelease.objects.select_for_update().get(pk=LIVE_POINTER_PK)


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
        details={**manifest.counts(), **guards.audit_details(manifest.findings)},
    )
    return deployment


def _run_hooks(manifest: DeployManifest) -> None:
    for item, changes in changes_by_item(manifest):
        if item.on_unpublish is not None:
            for change in changes:
                if change.kind == REMOVED and change.old is not None:
                    _call_hook(item, "on_unpublish", change.old, change)
        if item.on_publish is not None:
            for change in changes:
                if change.kind in (ADDED, CHANGED) and change.new is not None:
                    _call_hook(item, "on_publish", change.new, change)


def _call_hook(item: VersionableItem, name: str, version: Any, change: Change) -> None:
    """Call one ecosystem hook; its failure undoes the deploy as a ``hook_failed`` refusal.

    :raises ValidationError: code ``hook_failed``, naming the hook, the object and the error
        (the original exception is chained as ``__cause__`` and logged with its traceback).
    """
    hook = getattr(item, name)
    try:
        hook(version)
    except Exception as exc:
        logger.exception("Deploy hook %s of %s failed", name, item.content_model._meta.label)
        raise ValidationError(
            gettext(
                "The %(hook)s hook (%(function)s) of %(model)s failed for %(object)s: %(error)s. "
                "Nothing was deployed; fix the hook or the content and deploy again."
            )
            % {
                "hook": name,
                "function": _callable_name(hook),
                "model": item.content_model._meta.label,
                "object": _object_label(item, version, change),
                "error": f"{type(exc).__name__}: {exc}",
            },
            code="hook_failed",
        ) from exc


def _callable_name(function: Any) -> str:
    module = getattr(function, "__module__", None)
    name = getattr(function, "__qualname__", None) or repr(function)
    return f"{module}.{name}" if module else name


def _object_label(item: VersionableItem, version: Any, change: Change) -> str:
    """``"About us" (pk 7, grouping [3, "en"])`` — falls back to the ids when reading the
    content fails (the hook may have left the transaction unusable)."""
    ids = gettext("pk %(pk)s, grouping %(grouping)s") % {
        "pk": version.object_id,
        "grouping": change.grouping_key,
    }
    try:
        with transaction.atomic(using=_db_for(LiveRelease)):
            content = item.content_model._base_manager.filter(pk=version.object_id).first()
            return f'"{content}" ({ids})' if content is not None else ids
    except Exception:  # only the label is lost, the refusal still names the ids
        return ids


def _invalidate_caches_on_commit(manifest: DeployManifest) -> None:
    def invalidate() -> None:
        from cms.cache import invalidate_cms_page_cache
        from menus.menu_pool import menu_pool

        invalidate_cms_page_cache()
        menu_pool.clear(all=True)

    transaction.on_commit(invalidate, using=_db_for(LiveRelease))


@_requires("deploy")
@refuse_when_busy("deploy", using=lambda: _db_for(LiveRelease))
def deploy_release(
    release: Release | str,
    *,
    user: AbstractBaseUser | None = None,
    dry_run: bool = False,
    rollback: bool = False,
    allow_offline: bool = False,
    allow_revert: bool = False,
) -> DeployManifest:
    """Make the locked ``release`` live for the whole site, atomically.

    Inside one transaction: lock the live pointer, run the deploy guards (:mod:`.guards`),
    switch the pointer, record the Deployment, call ``on_unpublish`` / ``on_publish`` for
    every grouping whose live content changed and send :data:`~.signals.release_deployed`
    (pages rebuild their URLs); caches are cleared after commit.

    :param dry_run: run the deploy's checks, guards, pointer switch and
        :data:`~.signals.release_deploying` receivers (page URLs) in a transaction that is
        rolled back, and return the manifest: it fails where the deploy would (except for a
        failing hook: hooks are not called), and writes nothing.
    :param rollback: required to deploy a release that was live before. Rollbacks skip the
        guards: going back to a known release is the intended revert.
    :param allow_offline: confirm that live content may go offline although its row in the
        release is a draft, parked or missing (guard ``would_go_offline``); audited.
    :param allow_revert: confirm that the deploy may revert groupings the live line changed
        since the release was branched (guard ``would_revert``, see
        :mod:`~djangocms_release_versioning.lineage`); audited. Rebasing the release first
        (:func:`~djangocms_release_versioning.services.rebase_release`) makes it unnecessary.
    :returns: the change manifest (``manifest.deployment`` is the Deployment row, None for a
        dry run; ``manifest.findings`` what the guards found).
    :raises ValidationError: not locked (``not_locked``), already live (``already_live``),
        deprecated, deployed before without ``rollback`` (``rollback_required``),
        ``rollback`` to a release that was never deployed (``never_deployed``), live content
        would go offline unconfirmed (``would_go_offline``), live changes would be reverted
        unconfirmed (``would_revert``), two pages would get one URL
        (``url_collision``), an ``on_publish`` / ``on_unpublish`` hook failed
        (``hook_failed``; the hook's exception is the ``__cause__``), the database was
        too busy: a lock wait timed out (``database_busy``).
    :raises PermissionDenied: ``user`` may not deploy.

    A deploy that owns its transaction (no ``atomic`` block around the call) and is chosen
    as the victim of a database deadlock is run again, at most twice, before it is refused.
    """
    release = resolve_release(release)
    confirmations = {"allow_offline": allow_offline, "allow_revert": allow_revert}
    if dry_run:
        return _dry_run(release, user=user, rollback=rollback, confirmations=confirmations)
    with transaction.atomic(using=_db_for(LiveRelease)):
        manifest = _switch(release, user=user, rollback=rollback, confirmations=confirmations)
        _run_hooks(manifest)
        release_deployed.send(
            sender=Release, release=release, previous=manifest.previous, manifest=manifest, user=user
        )
        _invalidate_caches_on_commit(manifest)
        forget_live_release()
    return manifest


def _switch(
    release: Release, *, user: AbstractBaseUser | None, rollback: bool, confirmations: dict[str, bool]
) -> DeployManifest:
    """Every step a deploy and its dry run share: checks, guards, the pointer switch, the
    Deployment row and the :data:`~.signals.release_deploying` receivers (page URLs).

    :raises ValidationError: any check, guard or receiver refuses.
    """
    pointer = _lock_pointer()
    release = Release.objects.get(pk=release.pk)
    _check_deployable(release, pointer, rollback=rollback)
    manifest = compute_manifest(pointer.release, release)
    manifest.findings = guards.enforce(
        guards.GuardContext(guards.DEPLOY, release, pointer.release, manifest, rollback=rollback),
        **confirmations,
    )
    _switch_pointer(pointer, release)
    manifest.deployment = _record_deployment(manifest, rollback=rollback, user=user)
    release_deploying.send(sender=Release, release=release, previous=manifest.previous, manifest=manifest)
    return manifest


class _DryRunDone(Exception):
    """Raised at the end of a dry run's deploy to roll its transaction back."""

    def __init__(self, manifest: DeployManifest) -> None:
        super().__init__("dry run")
        self.manifest = manifest


def _dry_run(
    release: Release, *, user: AbstractBaseUser | None, rollback: bool, confirmations: dict[str, bool]
) -> DeployManifest:
    """The deploy's own steps (:func:`_switch`) in a transaction that is rolled back.

    Running the same code, not a copy of its checks, keeps the dry run from drifting from
    the deploy: state checks, guards, page URL collisions and every
    :data:`~.signals.release_deploying` receiver run exactly as they will. It stops before
    the ``on_publish`` / ``on_unpublish`` hooks and :data:`~.signals.release_deployed`:
    those may reach outside the database (mail, webhooks), which no rollback undoes.
    """
    try:
        with transaction.atomic(using=_db_for(LiveRelease)):
            manifest = _switch(release, user=user, rollback=rollback, confirmations=confirmations)
            arriving = describe_changes(manifest, (ADDED, CHANGED))  # URLs as after the deploy
            raise _DryRunDone(manifest)
    except _DryRunDone as done:
        manifest = done.manifest
    described = {
        (row.kind, row.model, row.grouping): row
        for row in [*arriving, *describe_changes(manifest, (REMOVED,))]
    }
    manifest.rows = [described[(c.kind, c.model_label, c.grouping_key)] for c in manifest.changes]
    manifest.release = Release.objects.get(pk=manifest.release.pk)  # undo the in-memory switch
    manifest.dry_run = True
    manifest.deployment = None
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
