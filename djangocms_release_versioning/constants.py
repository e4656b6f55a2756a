"""Status values and content indicators shared by models, services and the UI."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

DRAFT = "draft"
FUTURE = "future"
APPROVED = "approved"


class Status(models.TextChoices):
    """Readiness of one Version inside its release."""

    DRAFT = DRAFT, _("Draft")
    FUTURE = FUTURE, _("Parked for a later release")
    APPROVED = APPROVED, _("Approved")


# Content indicators (DESIGN §5). The first five are styled by django CMS itself.
INDICATOR_EMPTY = "empty"
INDICATOR_UNPUBLISHED = "unpublished"
INDICATOR_DRAFT = "draft"
INDICATOR_DIRTY = "dirty"
INDICATOR_PUBLISHED = "published"
INDICATOR_FUTURE = "future"
INDICATOR_APPROVED = "approved"

INDICATOR_DESCRIPTIONS = {
    INDICATOR_EMPTY: _("Empty"),
    INDICATOR_UNPUBLISHED: _("Hidden in this release"),
    INDICATOR_DRAFT: _("Draft"),
    INDICATOR_DIRTY: _("Changed"),
    INDICATOR_FUTURE: _("Parked for a later release"),
    INDICATOR_APPROVED: _("Approved, not live yet"),
    INDICATOR_PUBLISHED: _("Live"),
}


class Action(models.TextChoices):
    """Operations recorded in the audit trail."""

    CREATE_RELEASE = "create_release", _("Release created")
    BRANCH_RELEASE = "branch_release", _("Release branched")
    APPROVE_RELEASE = "approve_release", _("Release approved")
    LOCK_RELEASE = "lock_release", _("Release locked")
    UNLOCK_RELEASE = "unlock_release", _("Release unlocked")
    DEPLOY_RELEASE = "deploy_release", _("Release deployed")
    ROLLBACK_RELEASE = "rollback_release", _("Release rolled back to")
    DEPRECATE_RELEASE = "deprecate_release", _("Release deprecated")
    UNDEPRECATE_RELEASE = "undeprecate_release", _("Release restored")
    CREATE_CONTENT = "create_content", _("Content created")
    CREATE_DRAFT = "create_draft", _("Draft created")
    DELETE_CONTENT = "delete_content", _("Unreferenced content deleted")
    STATUS_CHANGE = "status_change", _("Status changed")
    DEACTIVATE = "deactivate", _("Hidden in release")
    REACTIVATE = "reactivate", _("Restored in release")
    SCHEDULE_DEPLOY = "schedule_deploy", _("Deploy scheduled")
    CANCEL_SCHEDULE = "cancel_schedule", _("Scheduled deploy cancelled")
    SCHEDULE_FAILED = "schedule_failed", _("Scheduled deploy failed")
    PRUNE_RELEASE = "prune_release", _("Release pruned")
    PRUNE_RELEASES = "prune_releases", _("Releases pruned")
    REBASE_RELEASE = "rebase_release", _("Release rebased")
    TAKE_LIVE = "take_live", _("Live content taken")
    IMPORT_RELEASE = "import_release", _("Release imported from djangocms-versioning")
    IMPORT_VERSION = "import_version", _("Version imported from djangocms-versioning")
