"""Scheduled deploys in the release admin and the toolbar: schedule, cancel, show."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .. import guards, services
from ..models import Release, ScheduledDeploy
from ..permissions import has_release_permission
from .common import (
    admin_context,
    get_release,
    is_popup,
    next_url,
    refused,
    require_post,
    succeeded,
    when,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


class ScheduleDeployForm(forms.Form):
    """When to deploy. A time without an offset is read in the current time zone."""

    at = forms.DateTimeField(
        label=_("Deploy at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )

    def __init__(self, *args: Any, confirm: Sequence[guards.DeployGuard] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for guard in confirm:  # a guard refused: let the user confirm what it found
            self.fields[guard.option] = forms.BooleanField(label=guard.checkbox_label, required=False)
        self.fields["at"].help_text = gettext(
            "Time zone %(zone)s. run_scheduled_deploys (cron, a systemd timer) deploys the release at "
            "its first run after this moment."
        ) % {"zone": timezone.get_current_timezone_name()}


def schedule(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """The "Schedule deploy…" form (GET) and scheduling it (POST)."""
    release = get_release(pk)
    if not has_release_permission(request.user, "deploy"):
        raise PermissionDenied(gettext("You do not have permission to deploy releases."))
    rollback = release.is_deployed
    back = next_url(request, reverse_release(release))
    deploy_guards = guards.guards_for(guards.DEPLOY)
    confirm = [guard for guard in deploy_guards if guard.option in request.POST]
    form = ScheduleDeployForm(request.POST or None, confirm=confirm)
    if request.method == "POST" and form.is_valid():
        confirmations = guards.confirmations_from(form.cleaned_data, guards.DEPLOY)
        try:
            planned = services.schedule_deploy(
                release, at=form.cleaned_data["at"], user=request.user, rollback=rollback, **confirmations
            )
        except ValidationError as error:
            codes = {item.code for item in error.error_list}
            refused_by = [guard for guard in deploy_guards if guard.code in codes]
            if not refused_by and not is_popup(request):
                return refused(request, error, back)
            form = ScheduleDeployForm(
                request.POST, confirm=[g for g in deploy_guards if g in refused_by or g in confirm]
            )
            form.is_valid()
            form.add_error(None, error)
        else:
            message = gettext(
                "The %(kind)s release %(release)s is scheduled for %(when)s. You can cancel it until then."
            ) % {
                "kind": gettext("rollback to") if rollback else gettext("deploy of"),
                "release": release.version,
                "when": when(planned.at),
            }
            return succeeded(request, message, back)
    context = admin_context(
        request,
        model_admin,
        title=gettext("Schedule the deploy of %(release)s") % {"release": release.version},
        release=release,
        rollback=rollback,
        pending=services.pending_schedule(release),
        form=form,
        next=back,
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/schedule_form.html", context)


def cancel_schedule(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """Cancel the pending scheduled deploy of a release (POST)."""
    not_allowed = require_post(request)
    if not_allowed:
        return not_allowed
    release = get_release(pk)
    back = next_url(request, reverse_release(release))
    try:
        cancelled = services.cancel_scheduled_deploy(release, user=request.user)
    except ValidationError as error:
        return refused(request, error, back)
    message = gettext("The deploy of %(release)s scheduled for %(when)s is cancelled.") % {
        "release": release.version,
        "when": when(cancelled.at),
    }
    return succeeded(request, message, back)


def reverse_release(release: Release) -> str:
    from .releases import release_page

    return release_page(release)


def schedule_action_args(release: Release, is_live: bool) -> list[tuple[str, str, str, str, dict[str, str]]]:
    """The schedule actions of ``release`` as ``(name, label, operation, reason, options)``:
    "Cancel scheduled deploy (time)" when one is pending, else "Schedule deploy…" for a
    release that can be deployed. One query, and only for locked releases."""
    if not release.is_locked or release.is_deprecated or is_live:
        return []
    pending = ScheduledDeploy.objects.pending().filter(release=release).values_list("at", flat=True).first()
    if pending is not None:
        label = gettext("Cancel the deploy scheduled for %(when)s") % {"when": when(pending)}
        question = gettext("Cancel the deploy of %(release)s scheduled for %(when)s?") % {
            "release": release.version,
            "when": when(pending),
        }
        return [("cancel_schedule", label, "deploy", "", {"question": question})]
    label = gettext("Schedule rollback…") if release.is_deployed else gettext("Schedule deploy…")
    return [("schedule", label, "deploy", "", {"method": "confirm"})]
