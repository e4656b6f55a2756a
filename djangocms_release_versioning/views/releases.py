"""Release endpoints (select, create, lock, deploy …) and the release page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from .. import guards, registry, services
from ..constants import APPROVED, DRAFT, FUTURE
from ..context import get_working_release
from ..manifest import ADDED, CHANGED, REMOVED
from ..middleware import select_release
from ..models import AuditEntry, Release, Version
from ..permissions import has_release_permission
from .common import (
    URL_PREFIX,
    admin_context,
    admin_url,
    get_release,
    is_ajax,
    is_popup,
    next_url,
    refused,
    require_post,
    safe_url,
    succeeded,
)
from .content import _load_content, _permission_reason, _release_block_reason, preview_url
from .rebase import behind_context, behind_message, rebased_message
from .review import ReviewRow, _attach_contents, _manifest_rows
from .schedules import schedule_action_args

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.base_user import AbstractBaseUser


# -- release endpoints ------------------------------------------------------------------


def release_page(release: Release) -> str:
    return reverse(f"admin:{URL_PREFIX}_change", args=[release.pk])


#: action -> (service call, success message)
RELEASE_ACTIONS = {
    "approve": (
        lambda release, user: services.approve_release(release, user=user),
        None,  # counted: see _approved_message
    ),
    "lock": (
        lambda release, user: services.lock_release(release, user=user),
        _("Release %(release)s is locked. Deploy it, or branch a new release from it for further changes."),
    ),
    "unlock": (
        lambda release, user: services.unlock_release(release, user=user),
        _("Release %(release)s is open again."),
    ),
    "deprecate": (
        lambda release, user: services.deprecate_release(release, user=user),
        _("Release %(release)s is deprecated and hidden from the release lists."),
    ),
    "undeprecate": (
        lambda release, user: services.deprecate_release(release, undo=True, user=user),
        _("Release %(release)s is no longer deprecated."),
    ),
    "rebase": (
        lambda release, user: services.rebase_release(release, user=user),
        None,  # what it took and kept: see rebase.rebased_message
    ),
}


def release_action(request: HttpRequest, pk: int, action: str, *, model_admin: ModelAdmin) -> HttpResponse:
    """Approve all drafts / lock / unlock / deprecate / undeprecate a release (POST)."""
    if action == "lock":
        return lock(request, pk, model_admin=model_admin)
    not_allowed = require_post(request)
    if not_allowed:
        return not_allowed
    release = get_release(pk)
    call, message = RELEASE_ACTIONS[action]
    back = next_url(request, release_page(release))
    keep_working = action in ("lock", "unlock") and _is_working(release)
    try:
        result = call(release, request.user)
    except ValidationError as error:
        return refused(request, error, back)
    if keep_working:  # a locked release stops being the default working release: stay in it
        select_release(request, release)
    if action == "rebase":
        return succeeded(request, rebased_message(result), back)
    if message is None:
        return succeeded(request, _approved_message(release, result), back)
    return succeeded(request, str(message) % {"release": release.version}, back)


def _approved_message(release: Release, count: int) -> str:
    return ngettext(
        "%(count)s draft approved in release %(release)s. Parked content stays as it is.",
        "%(count)s drafts approved in release %(release)s. Parked content stays as it is.",
        count,
    ) % {"count": count, "release": release.version}


def select(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """Make a release the editor's working release (kept in the session).

    With ``content_type`` and ``object_id`` the editor is sent to the same object in the
    newly selected release, if it has it.
    """
    not_allowed = require_post(request)
    if not_allowed:
        return not_allowed
    release = get_release(pk)
    select_release(request, release)
    url = _same_object_in(request, release) or next_url(request)
    state = gettext("read-only") if not release.is_editable else gettext("editable")
    message = gettext("You are now working in release %(release)s (%(state)s).") % {
        "release": release.version,
        "state": state,
    }
    return succeeded(request, message, url)


def _same_object_in(request: HttpRequest, release: Release) -> str | None:
    """The preview of the requested object's grouping in ``release``, if there is one."""
    try:
        content_type_id = int(request.POST.get("content_type", ""))
        object_id = int(request.POST.get("object_id", ""))
    except ValueError:
        return None
    try:
        content = _load_content(content_type_id, object_id)
    except Http404:
        return None
    version = services.get_version(content, release)
    if version is None:
        return None
    item = registry.for_content(content)
    target = item.content_model._base_manager.filter(pk=version.object_id).first()
    return preview_url(target, item) if target is not None else None


def deploy(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """Deploy or roll back to a locked release: the dry-run manifest (GET), then deploy (POST)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    release = get_release(pk)
    rollback = release.is_deployed
    back = next_url(request, release_page(release))
    errors: list[str] = []
    if request.method == "POST":
        confirmations = guards.confirmations_from(request.POST, guards.DEPLOY)
        try:
            manifest = services.deploy_release(release, user=request.user, rollback=rollback, **confirmations)
        except ValidationError as error:
            if not (is_popup(request) or _is_guard_refusal(error)):
                return refused(request, error, back)
            errors = error.messages
        else:
            return succeeded(request, _deployed_message(manifest, rollback), back)
    elif not has_release_permission(request.user, "deploy"):
        raise PermissionDenied(gettext("You do not have permission to deploy releases."))
    try:  # every guard confirmed: the page lists what each finds, with its checkbox
        manifest = services.deploy_release(
            release,
            user=request.user,
            dry_run=True,
            rollback=rollback,
            **guards.everything_confirmed(guards.DEPLOY),
        )
    except ValidationError as error:
        manifest, errors = None, errors or error.messages
    else:
        for finding in manifest.findings:
            finding.confirmed = bool(request.POST.get(finding.option))
    context = admin_context(
        request,
        model_admin,
        title=gettext("Roll back to %(release)s") if rollback else gettext("Deploy %(release)s"),
        release=release,
        rollback=rollback,
        live=Release.objects.live(),
        manifest=manifest,
        rows=_manifest_rows(manifest) if manifest is not None else [],
        errors=errors,
        next=back,
    )
    context["title"] = context["title"] % {"release": release.version}
    return TemplateResponse(request, "djangocms_release_versioning/admin/deploy_confirm.html", context)


def lock(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """Lock a release: a confirmation page (GET) listing what the lock guards find, with a
    checkbox per guard, then the lock (POST, also from AJAX callers)."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    release = get_release(pk)
    back = next_url(request, release_page(release))
    errors: list[str] = []
    if request.method == "POST":
        keep_working = _is_working(release)
        confirmations = guards.confirmations_from(request.POST, guards.LOCK)
        try:
            services.lock_release(release, user=request.user, **confirmations)
        except ValidationError as error:
            if is_ajax(request) or not (is_popup(request) or _is_guard_refusal(error)):
                return refused(request, error, back)
            errors = error.messages
        else:
            if keep_working:  # a locked release stops being the default working release: stay in it
                select_release(request, release)
            message = gettext(
                "Release %(release)s is locked. Deploy it, or branch a new release from it for "
                "further changes."
            ) % {"release": release.version}
            return succeeded(request, message, back)
    elif not has_release_permission(request.user, "lock"):
        raise PermissionDenied(gettext("You do not have permission to lock releases."))
    release = get_release(pk)
    findings = guards.preview_lock(release) if not release.is_locked else []
    for finding in findings:
        finding.confirmed = bool(request.POST.get(finding.option))
    if release.is_locked and not errors:
        errors = [gettext("Release %(release)s is locked already.") % {"release": release.version}]
    context = admin_context(
        request,
        model_admin,
        title=gettext("Lock %(release)s") % {"release": release.version},
        release=release,
        findings=findings,
        errors=errors,
        next=back,
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/lock_confirm.html", context)


def _is_guard_refusal(error: ValidationError) -> bool:
    """True when a guard refused (the confirmation page is shown again with its checkbox)."""
    codes = {guard.code for guard in guards.GUARDS}
    return any(item.code in codes for item in getattr(error, "error_list", [error]))


def _deployed_message(manifest: Any, rollback: bool) -> str:
    counts = {ADDED: 0, CHANGED: 0, REMOVED: 0}
    for change in manifest.changes:
        counts[change.kind] += 1
    message = (
        gettext("Rolled back: release %(release)s is live again.")
        if rollback
        else gettext("Release %(release)s is live.")
    )
    summary = gettext("%(added)s added, %(changed)s changed, %(removed)s removed.") % {
        "added": counts[ADDED],
        "changed": counts[CHANGED],
        "removed": counts[REMOVED],
    }
    return f"{message % {'release': manifest.release.version}} {summary}"


def create(request: HttpRequest, *, model_admin: ModelAdmin) -> HttpResponse:
    """Open a release, or branch one from a locked release (the admin add view and the toolbar)."""
    from ..forms import ReleaseForm

    if not has_release_permission(request.user, "create"):
        raise PermissionDenied(gettext("You do not have permission to create releases."))
    form = ReleaseForm(request.POST or None, initial=_create_initial(request))
    if request.method == "POST" and form.is_valid():
        try:
            release = services.create_release(
                form.cleaned_data["version"],
                based_on=form.cleaned_data["based_on"],
                description=form.cleaned_data["description"],
                user=request.user,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            if form.cleaned_data["switch"]:
                select_release(request, release)
            message = gettext("Release %(release)s is open.") % {"release": release.version}
            return succeeded(request, message, release_page(release))
    context = admin_context(
        request,
        model_admin,
        title=gettext("New release"),
        form=form,
        next=safe_url(request, request.GET.get("next")) or "",
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/release_form.html", context)


def _create_initial(request: HttpRequest) -> dict[str, Any]:
    based_on = Release.objects.locked().filter(pk=request.GET.get("based_on") or None).first()
    if based_on is None and "based_on" not in request.GET:
        based_on = Release.objects.live()
    return {"based_on": based_on, "switch": True}


# -- the release page (admin change view) -----------------------------------------------


@dataclass(frozen=True)
class ReleaseAction:
    """One lifecycle button of a release; ``allowed`` False comes with a reason."""

    name: str
    label: str
    url: str
    method: str  # "post" or "confirm" (a confirmation page)
    allowed: bool
    reason: str = ""
    question: str = ""


def _reason(permission: bool, state_reason: str) -> str:
    if state_reason:
        return state_reason
    return "" if permission else _permission_reason()


def release_actions(
    release: Release, user: AbstractBaseUser, live: Release | None, *, behind: int = 0
) -> list[ReleaseAction]:
    """The lifecycle actions of ``release`` for ``user``, with the reason when not allowed.

    ``behind``: how many changes the live line made that the release lacks
    (:func:`~djangocms_release_versioning.lineage.behind_counts`); an open release that is
    behind gets a Rebase action first.
    """
    is_live = live is not None and live.pk == release.pk
    version = release.version
    actions = []

    def add(name: str, label: str, operation: str, state_reason: str, *, method="post", question="") -> None:
        reason = _reason(has_release_permission(user, operation), state_reason)
        url = admin_url("deploy" if name in ("deploy", "rollback") else name, release.pk)
        actions.append(ReleaseAction(name, label, url, method, not reason, reason, question))

    open_reason = _release_block_reason(release)
    if behind:
        rebase_reason = open_reason
        if release.is_locked:
            rebase_reason = gettext(
                "A locked release cannot be rebased: branch a new release from the live one."
            )
        add(
            "rebase",
            behind_message(behind, locked=release.is_locked),
            "rebase",
            rebase_reason,
            question=gettext(
                "Rebase release %(release)s onto the live release %(live)s? Content the live "
                "release changed and this release did not is taken from it; conflicts keep "
                "this release's content."
            )
            % {"release": version, "live": live.version if live else ""},
        )
    add(
        "approve",
        gettext("Approve all drafts"),
        "approve",
        open_reason,
        question=gettext("Approve every draft in release %(release)s? Parked content is not approved.")
        % {"release": version},
    )
    if release.is_locked:
        unlock_reason = (
            gettext("A deployed release stays locked. Branch a new release instead.")
            if release.is_deployed
            else ""
        )
        add(
            "unlock",
            gettext("Unlock release"),
            "unlock",
            unlock_reason,
            question=gettext("Unlock release %(release)s? Its content can then change again.")
            % {"release": version},
        )
    else:
        add(
            "lock",
            gettext("Lock release"),
            "lock",
            gettext("Release %(release)s is deprecated.") % {"release": version}
            if release.is_deprecated
            else "",
            method="confirm",  # a page that lists what would go offline (guards)
        )
    if release.is_deployed:
        deploy_label, name = gettext("Roll back to this release…"), "rollback"
    else:
        deploy_label, name = gettext("Deploy…"), "deploy"
    deploy_reason = ""
    if not release.is_locked:
        deploy_reason = gettext("Lock the release before deploying it.")
    elif is_live:
        deploy_reason = gettext("This release is live.")
    elif release.is_deprecated:
        deploy_reason = gettext("Restore the release before deploying it.")
    add(name, deploy_label, "deploy", deploy_reason, method="confirm")
    for schedule_name, label, operation, reason, options in schedule_action_args(release, is_live):
        add(schedule_name, label, operation, reason, **options)
    if release.is_deprecated:
        add("undeprecate", gettext("Restore release"), "deprecate", "")
    else:
        add(
            "deprecate",
            gettext("Deprecate release"),
            "deprecate",
            gettext("The live release cannot be deprecated.") if is_live else "",
            question=gettext(
                "Deprecate release %(release)s? It is hidden from the lists; nothing is deleted."
            )
            % {"release": version},
        )
    return actions


def release_contents(request: HttpRequest, release: Release) -> tuple[Any, dict[str, Any]]:
    """The Versions of ``release`` filtered by model, status and language, one page of them."""
    versions = (
        Version.objects.filter(release=release)
        .select_related("modified_by")
        .order_by("content_type_id", "grouping_key")
    )
    filters = {
        "model": request.GET.get("model", ""),
        "status": request.GET.get("status", ""),
        "language": request.GET.get("language", ""),
    }
    if filters["model"].isdigit():
        versions = versions.filter(content_type_id=int(filters["model"]))
    if filters["status"] in (DRAFT, FUTURE, APPROVED):
        versions = versions.filter(status=filters["status"], active=True)
    elif filters["status"] == "hidden":
        versions = versions.filter(active=False)
    if filters["language"]:
        versions = versions.filter(_language_condition(filters["language"]))
    page = Paginator(versions, 50).get_page(request.GET.get("page"))
    rows = [ReviewRow("", "", v.grouping_key, v, None) for v in page.object_list]
    for row in rows:
        row.item = registry.for_content_type_id(row.mine.content_type_id)
        row.model_label = str(row.item.content_model._meta.verbose_name) if row.item else ""
    _attach_contents(rows)
    return page, {"rows": rows, "filters": filters}


def _language_condition(language: str) -> Q:
    """Versions whose content has ``language`` (models with a ``language`` grouping field)."""
    condition = Q(pk__in=[])
    for item in registry.items():
        if "language" in item.extra_grouping_fields:
            ids = item.content_model._base_manager.filter(language=language).values("pk")
            condition |= Q(content_type=item.content_type, object_id__in=ids)
    return condition


def release_detail(request: HttpRequest, release: Release, *, model_admin: ModelAdmin) -> HttpResponse:
    """The release page: state, lifecycle actions, contents, deployments and audit trail."""
    live = Release.objects.live()
    page, contents = release_contents(request, release)
    behind = behind_context(release, live)
    from django.conf import settings

    context = admin_context(
        request,
        model_admin,
        title=gettext("Release %(release)s") % {"release": release.version},
        original=release,
        release=release,
        live=live,
        is_live=live is not None and live.pk == release.pk,
        is_working=_is_working(release),
        actions=release_actions(release, request.user, live, behind=behind["behind_count"]),
        **behind,
        page=page,
        contents=contents["rows"],
        filters=contents["filters"],
        models=[(item.content_type.pk, item.content_model._meta.verbose_name) for item in registry.items()],
        statuses=[
            (DRAFT, _("Draft")),
            (FUTURE, _("Parked")),
            (APPROVED, _("Approved")),
            ("hidden", _("Hidden")),
        ],
        languages=settings.LANGUAGES,
        deployments=release.deployments.select_related("previous", "deployed_by")[:20],
        schedules=list(release.scheduled_deploys.select_related("created_by", "cancelled_by")[:20]),
        audit=AuditEntry.objects.filter(release=release).select_related("user")[:50],
        branches=release.branches.all(),
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/release_detail.html", context)


def _is_working(release: Release) -> bool:
    working = get_working_release()
    return working is not None and working.pk == release.pk
