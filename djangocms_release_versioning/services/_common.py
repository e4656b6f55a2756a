"""Helpers shared by the service modules: errors, permission decorator, release lookup."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import models, router
from django.utils.translation import gettext

from .. import registry
from ..context import resolve_release
from ..models import Release
from ..permissions import require_release_permission

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem


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


def _user(user: AbstractBaseUser | None) -> AbstractBaseUser | None:
    return user if user is not None and getattr(user, "is_authenticated", False) else None
