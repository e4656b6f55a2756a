"""The only write API. Admin, toolbar, management commands and the pytest plugin call these.

Every function is atomic, checks permissions when given a user, and writes the audit trail.
Release arguments accept a :class:`~.models.Release` or its version string.

Errors: :class:`~django.core.exceptions.ValidationError` for workflow and lock violations,
:class:`~django.core.exceptions.PermissionDenied` for missing permissions.

The functions live in one module per job (``releases``, ``deploy``, ``content``, ``hotfix``,
``verify``, ``schedules``, ``pruning``, ``rebase``, ``imports``, ``adopt``); every public name
is importable as ``services.<name>``.
"""

from .adopt import AdoptionReport, adopt_existing_content, count_unversioned
from .content import TRANSITIONS, attach_new_content, create_draft, get_version, transition
from .deploy import deploy_release
from .hotfix import publish_now, unpublish_now
from .imports import ImportReport, import_djangocms_versioning
from .pruning import PruneReport, plan_prune, prune_releases
from .rebase import RebaseReport, rebase_release, take_live
from .releases import (
    approve_release,
    check_unlock,
    create_release,
    deprecate_release,
    lock_release,
    unlock_release,
)
from .schedules import (
    ScheduleRun,
    cancel_scheduled_deploy,
    pending_schedule,
    run_scheduled_deploys,
    schedule_deploy,
)
from .verify import verify_release

__all__ = [
    "TRANSITIONS",
    "AdoptionReport",
    "ImportReport",
    "PruneReport",
    "RebaseReport",
    "ScheduleRun",
    "adopt_existing_content",
    "approve_release",
    "attach_new_content",
    "cancel_scheduled_deploy",
    "check_unlock",
    "count_unversioned",
    "create_draft",
    "create_release",
    "deploy_release",
    "deprecate_release",
    "get_version",
    "import_djangocms_versioning",
    "lock_release",
    "pending_schedule",
    "plan_prune",
    "prune_releases",
    "publish_now",
    "rebase_release",
    "run_scheduled_deploys",
    "schedule_deploy",
    "take_live",
    "transition",
    "unlock_release",
    "unpublish_now",
    "verify_release",
]
