"""Signal receivers that refuse writes to locked, approved or shared content (DESIGN §3.3).

Connected per sender by :mod:`.integration`: registered content models, their groupers,
every plugin model and every content extension model.

A refusal must leave the caller's transaction usable (DESIGN §9.1.9). ``pre_save`` is sent
before Django opens any transaction block, so a refused save is clean. ``pre_delete`` is
sent *inside* the deletion collector's ``atomic(savepoint=False)`` block, where raising
marks the caller's transaction as broken; so every delete guard is also registered with
:func:`register_delete_guard`, and :func:`check_deletion` runs them on everything a
collector is about to delete *before* that block opens (see
``integration.install_deletion_guard``). The receivers then skip what was checked.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext

from . import registry
from .editing import write_refusal
from .locking import locked_release_ids
from .models import LIVE_POINTER_PK, Version


def _versions(content_type_id: int, object_id: int) -> list[Version]:
    versions = list(
        Version.objects.filter(content_type_id=content_type_id, object_id=object_id)
        .select_related("release")
        .order_by("pk")
    )
    if versions:
        # A shared row lock: a concurrent lock_release waits for this write (or this
        # write sees the lock and is refused).
        locked = locked_release_ids(v.release_id for v in versions)
        for version in versions:
            version.release.is_locked = version.release_id in locked
    return versions


def guard_content(content: models.Model, *, deleting: bool = False) -> None:
    """:raises ValidationError: ``content`` is in a locked release, shared, or (for saves)
    approved."""
    if content.pk is None:
        return
    item = registry.for_content(content)
    if item is None:
        return
    refusal = write_refusal(_versions(item.content_type.pk, content.pk), deleting=deleting)
    if refusal is not None:
        raise refusal


def content_pre_save(sender: type, instance: models.Model, raw: bool = False, **kwargs: Any) -> None:
    """pre_save of a registered content model."""
    if not raw:
        guard_content(instance)


def content_pre_delete(sender: type, instance: models.Model, **kwargs: Any) -> None:
    """pre_delete of a registered content model."""
    if not _checked(instance):
        guard_content(instance, deleting=True)


def content_post_delete(sender: type, instance: models.Model, **kwargs: Any) -> None:
    """Drop the Versions of a deleted content row (only drafts of open releases get here).

    Their releases are marked ``has_removals`` so deploys compare them in full.
    """
    from .models import Release

    item = registry.for_content(instance)
    if item is not None:
        versions = Version.objects.filter(content_type=item.content_type, object_id=instance.pk)
        Release.objects.filter(pk__in=versions.values("release_id")).update(has_removals=True)
        versions.delete()


_writable_placeholders: ContextVar[set[int] | None] = ContextVar(
    "release_versioning_writable_placeholders", default=None
)


@contextmanager
def copying() -> Iterator[None]:
    """While a service copies content, check each target placeholder once, not per plugin.

    Inside the block a placeholder found writable stays writable: the copy's Versions are
    attached only after the copy function returns. Saves "Edit" two queries per plugin.
    """
    token = _writable_placeholders.set(set())
    try:
        yield
    finally:
        _writable_placeholders.reset(token)


def guard_placeholder(placeholder: Any) -> None:
    """:raises ValidationError: ``placeholder``'s content may not change (its plugins may
    not be added, moved or deleted)."""
    if placeholder is None or placeholder.pk is None:
        return
    writable = _writable_placeholders.get()
    if writable is not None and placeholder.pk in writable:
        return
    content_type_id, object_id = placeholder.content_type_id, placeholder.object_id
    if content_type_id is None or registry.for_content_type_id(content_type_id) is None:
        return
    refusal = write_refusal(_versions(content_type_id, object_id))
    if refusal is not None:
        raise refusal


@contextmanager
def plugin_tree_write(*placeholders: Any) -> Iterator[None]:
    """Check ``placeholders`` before a plugin-tree operation writes anything.

    django CMS' ``Placeholder.add_plugin`` / ``move_plugin`` shift positions with
    ``QuerySet.update()`` (no signal) before or instead of saving a plugin; the check runs
    first, so a refusal changes nothing. Inside the block the plugin receivers skip these
    placeholders (checked once, not per plugin).

    :raises ValidationError: one of ``placeholders`` may not change.
    """
    for placeholder in placeholders:
        guard_placeholder(placeholder)
    writable = set(_writable_placeholders.get() or ())
    writable.update(placeholder.pk for placeholder in placeholders if placeholder is not None)
    token = _writable_placeholders.set(writable)
    try:
        yield
    finally:
        _writable_placeholders.reset(token)


def plugin_pre_write(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """pre_save / pre_delete of a plugin: its placeholder's content must be writable.

    Deleting plugins together with their (approved, unlocked) content is allowed.
    """
    cascading = _cascading(kwargs)
    if raw or not instance.placeholder_id or _checked(instance):
        return
    writable = _writable_placeholders.get()
    if writable is not None and instance.placeholder_id in writable:
        return
    from cms.models import Placeholder

    placeholder = instance._state.fields_cache.get("placeholder")
    if placeholder is None:
        placeholder = (
            Placeholder.objects.filter(pk=instance.placeholder_id)
            .values("content_type_id", "object_id")
            .first()
        )
        if placeholder is None:
            return
        content_type_id, object_id = placeholder["content_type_id"], placeholder["object_id"]
    else:
        content_type_id, object_id = placeholder.content_type_id, placeholder.object_id
    if content_type_id is None or registry.for_content_type_id(content_type_id) is None:
        return
    refusal = write_refusal(_versions(content_type_id, object_id), deleting=cascading)
    if refusal is not None:
        raise refusal
    if writable is not None:
        writable.add(instance.placeholder_id)


def _cascading(signal_kwargs: dict[str, Any]) -> bool:
    """True if this pre_delete is part of deleting a content row or grouper (not the plugin)."""
    from cms.models import CMSPlugin, Placeholder

    origin = signal_kwargs.get("origin")
    if origin is None:
        return False
    model = origin.model if isinstance(origin, models.QuerySet) else type(origin)
    return not issubclass(model, (CMSPlugin, Placeholder))


def extension_pre_write(sender: type, instance: Any, raw: bool = False, **kwargs: Any) -> None:
    """pre_save / pre_delete of a content extension: the extended content must be writable."""
    if raw or not getattr(instance, "extended_object_id", None) or _checked(instance):
        return
    model = instance._meta.get_field("extended_object").remote_field.model
    item = registry.for_model(model)
    if item is None:
        return
    refusal = write_refusal(
        _versions(item.content_type.pk, instance.extended_object_id), deleting=_cascading(kwargs)
    )
    if refusal is not None:
        raise refusal


def grouper_pre_delete(sender: type, instance: models.Model, **kwargs: Any) -> None:
    """Refuse deleting a grouper whose content is in a locked or the live release."""
    if _checked(instance):
        return
    for item in registry.for_grouper_model(sender):
        content_ids = item.content_model._base_manager.filter(**{item.grouper_field_name: instance}).values(
            "pk"
        )
        blocking = (
            Version.objects.filter(content_type=item.content_type, object_id__in=content_ids)
            .filter(Q(release__is_locked=True) | Q(release__live_pointer__pk=LIVE_POINTER_PK))
            .select_related("release")
            .first()
        )
        if blocking is not None:
            raise ValidationError(
                gettext(
                    "%(object)s cannot be deleted: its content is part of release %(release)s, "
                    "which is locked or live. Hide the content in an open release instead "
                    "(deactivate)."
                )
                % {"object": instance, "release": blocking.release.version},
                code="grouper_in_release",
            )


# -- deletes: check before the collector's transaction block ---------------------------

DeleteGuard = Callable[..., None]

#: concrete model -> the pre_delete receivers of this module connected to it.
_delete_guards: dict[type[models.Model], list[DeleteGuard]] = {}

#: ids of the instances :func:`check_deletion` has checked for the delete running now.
_checked_ids: ContextVar[frozenset[int]] = ContextVar(
    "release_versioning_checked_deletes", default=frozenset()
)


def register_delete_guard(model: type[models.Model], guard: DeleteGuard) -> None:
    """Run ``guard`` (a pre_delete receiver) before any delete of ``model`` (idempotent)."""
    guards = _delete_guards.setdefault(model._meta.concrete_model, [])
    if guard not in guards:
        guards.append(guard)


def guards_deletion(collector: Any) -> bool:
    """True if ``collector`` (a Django ``Collector``) is about to delete a guarded model."""
    return any(model._meta.concrete_model in _delete_guards for model in collector.data)


def check_deletion(collector: Any) -> frozenset[int]:
    """Run the delete guards on every object ``collector`` is about to delete.

    Called before the collector opens its transaction block, so a refusal leaves the
    caller's transaction usable. Returns the ids of the checked instances.

    :raises ValidationError: one of the objects may not be deleted (nothing was written).
    """
    checked: set[int] = set()
    for model, instance in collector.instances_with_model():
        concrete = model._meta.concrete_model
        for guard in _delete_guards.get(concrete, ()):
            guard(sender=concrete, instance=instance, using=collector.using, origin=collector.origin)
        checked.add(id(instance))
    return frozenset(checked)


def check_deletable(obj: models.Model) -> None:
    """Would deleting ``obj`` (with everything it cascades to) be refused? Writes nothing.

    For confirmation pages: the admin refuses before it asks "Are you sure?".

    :raises ValidationError: the delete would be refused (the refusal it would raise).
    """
    from django.db import router
    from django.db.models.deletion import Collector

    collector = Collector(using=router.db_for_write(type(obj), instance=obj), origin=obj)
    collector.collect([obj])
    if guards_deletion(collector):
        check_deletion(collector)


@contextmanager
def checked_deletion(checked: frozenset[int]) -> Iterator[None]:
    """While the collector deletes, the receivers skip the instances checked already."""
    token = _checked_ids.set(checked)
    try:
        yield
    finally:
        _checked_ids.reset(token)


def _checked(instance: Any) -> bool:
    return id(instance) in _checked_ids.get()
