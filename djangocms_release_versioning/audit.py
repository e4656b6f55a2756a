"""Writing the audit trail: one row per operation (who, when, what, from → to)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models

    from .models import AuditEntry, Release, Version


def _user_or_none(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None


def _version_repr(version: Version) -> str:
    """The name of the version's content as editors know it, e.g. "About us (en)"; the model
    and grouping key when the content row is gone (no grouping keys like ``[2, "en"]`` otherwise)."""
    content_type = ContentType.objects.get_for_id(version.content_type_id)
    field = type(version)._meta.get_field("content")
    content = field.get_cached_value(version) if field.is_cached(version) else None
    model = content_type.model_class()
    if content is None and model is not None:
        content = model._base_manager.filter(pk=version.object_id).first()
    if content is None:
        return f"{content_type.model} {version.grouping_key}"[:255]
    return str(content)[:255]


def record(
    action: str,
    *,
    release: Release | None = None,
    user: AbstractBaseUser | None = None,
    obj: models.Model | None = None,
    from_state: str = "",
    to_state: str = "",
    details: dict[str, Any] | None = None,
) -> AuditEntry:
    """Append one audit entry. ``obj`` may be a Version (its content is recorded) or any row."""
    from .models import AuditEntry, Version

    content_type_id = object_id = None
    object_repr = ""
    if isinstance(obj, Version):
        content_type_id, object_id = obj.content_type_id, obj.object_id
        object_repr = _version_repr(obj)
    elif obj is not None and obj.pk is not None:
        content_type_id = ContentType.objects.get_for_model(obj).pk
        object_id, object_repr = obj.pk, str(obj)[:255]
    return AuditEntry.objects.create(
        action=action,
        release=release,
        release_version=release.version if release is not None else "",
        user=_user_or_none(user),
        content_type_id=content_type_id,
        object_id=object_id,
        object_repr=object_repr,
        from_state=from_state,
        to_state=to_state,
        details=details or {},
    )
