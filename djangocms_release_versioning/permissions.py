"""Who may do what. Every service calls these when it is given a user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext, gettext_lazy

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models

APP_LABEL = "djangocms_release_versioning"

#: Release operation -> permission codename (see ``Release.Meta.permissions``).
RELEASE_PERMISSIONS = {
    "create": "add_release",
    "approve": "approve_release",
    "lock": "lock_release",
    "unlock": "unlock_release",
    "deploy": "deploy_release",
    "deprecate": "deprecate_release",
    "rebase": "lock_release",  # rebasing rewrites a release like locking it: same permission
    "prune": "delete_release",
}

#: Release operation -> the refusal, one whole sentence per operation so that it translates.
RELEASE_REFUSALS = {
    "create": gettext_lazy("You do not have permission to create releases."),
    "approve": gettext_lazy("You do not have permission to approve releases."),
    "lock": gettext_lazy("You do not have permission to lock releases."),
    "unlock": gettext_lazy("You do not have permission to unlock releases."),
    "deploy": gettext_lazy("You do not have permission to deploy releases."),
    "deprecate": gettext_lazy("You do not have permission to deprecate releases."),
    "rebase": gettext_lazy("You do not have permission to rebase releases."),
    "prune": gettext_lazy("You do not have permission to prune releases."),
}


def has_release_permission(user: AbstractBaseUser | None, operation: str) -> bool:
    """True if ``user`` may perform the release ``operation`` (a key of RELEASE_PERMISSIONS)."""
    if user is None:
        return True
    return user.is_active and user.has_perm(f"{APP_LABEL}.{RELEASE_PERMISSIONS[operation]}")


def require_release_permission(user: AbstractBaseUser | None, operation: str) -> None:
    """:raises PermissionDenied: ``user`` lacks the permission for ``operation``."""
    if not has_release_permission(user, operation):
        raise PermissionDenied(str(RELEASE_REFUSALS[operation]))


def can_change_content(user: AbstractBaseUser | None, content: models.Model) -> bool:
    """True if ``user`` may edit ``content`` (None means: no user, no check)."""
    if user is None:
        return True
    if not user.is_active:
        return False
    check = getattr(type(content), "has_placeholder_change_permission", None)
    # The user's own permission, not the editability the integration adds on top.
    check = getattr(check, "_release_original", check)
    if check is not None:  # PageContent: django CMS page permissions
        return bool(check(content, user))
    opts = content._meta
    return user.has_perm(f"{opts.app_label}.change_{opts.model_name}")


def require_change_permission(user: AbstractBaseUser | None, content: models.Model) -> None:
    """:raises PermissionDenied: ``user`` may not edit ``content``."""
    if not can_change_content(user, content):
        raise PermissionDenied(
            gettext("You do not have permission to change %(object)s.") % {"object": content}
        )
