"""What an editor may do with one content grouping: states, actions and their endpoints
(toolbar, page tree and grouper admin menus)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from .. import registry, services
from ..constants import APPROVED, DRAFT, FUTURE, INDICATOR_DESCRIPTIONS, INDICATOR_PUBLISHED
from ..context import get_live_release_id, get_working_release
from ..indicators import PAIR_ATTR, prefetch_indicators
from ..models import Release, Version
from ..permissions import can_change_content, has_release_permission
from .common import (
    admin_context,
    admin_url,
    is_ajax,
    is_popup,
    next_url,
    refused,
    require_view,
    safe_url,
    succeeded,
)

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models

    from ..datastructures import VersionableItem

# -- what an editor may do with one content grouping -------------------------------------


@dataclass
class ContentState:
    """A grouping as the editor sees it: its Version in the working and in the live release."""

    content: models.Model
    item: VersionableItem
    working: Release | None
    version: Version | None
    live_version: Version | None
    indicator: str
    live_release_id: int | None = None

    @property
    def label(self) -> str:
        return str(INDICATOR_DESCRIPTIONS.get(self.indicator, self.indicator))

    @property
    def content_type_id(self) -> int:
        return self.item.content_type.pk

    @property
    def working_object_id(self) -> int | None:
        return self.version.object_id if self.version is not None else None

    @property
    def live_object_id(self) -> int | None:
        return self.live_version.object_id if self.live_version is not None else None


def content_states(contents: Iterable[models.Model]) -> dict[tuple[type, int], ContentState]:
    """The :class:`ContentState` of many content rows: one query per content model
    (none for rows whose state was fetched already in this request).

    :returns: ``{(model, pk): state}`` for every registered row.
    """
    rows = [c for c in contents if c is not None and c.pk is not None and registry.for_content(c) is not None]
    missing = [row for row in rows if getattr(row, PAIR_ATTR, None) is None]
    if missing:
        prefetch_indicators(missing)
    working = get_working_release()
    live_id = get_live_release_id()
    states: dict[tuple[type, int], ContentState] = {}
    for row in rows:
        mine, live = getattr(row, PAIR_ATTR)
        indicator = row.content_indicator()
        states[(type(row), row.pk)] = ContentState(
            row, registry.for_content(row), working, mine, live, indicator, live_id
        )
    return states


def content_state(content: models.Model) -> ContentState | None:
    """The :class:`ContentState` of one row, or None if its model is not versioned."""
    return content_states([content]).get((type(content), content.pk))


@dataclass(frozen=True)
class ContentAction:
    """One thing an editor can do with a grouping; ``allowed`` False comes with a reason.

    ``forbidden`` tells a missing permission apart from a state that does not allow it.
    """

    name: str
    label: str
    method: str  # "post": a POST button; "confirm": a confirmation page; "get": a link
    allowed: bool = True
    reason: str = ""
    icon: str = ""
    forbidden: bool = False


#: name -> (label, method, icon in django CMS' icon font). The labels are the only wording of
#: these actions: the toolbar, the page tree's indicator menu (:mod:`..page_admin`) and the
#: grouper admins' state menus all read them from here (:func:`action_label`).
CONTENT_ACTIONS: dict[str, tuple[Any, str, str]] = {
    "edit": (_("Edit"), "post", "edit"),
    "approve": (_("Approve"), "post", "publish"),
    "mark_future": (_("Park for a later release"), "post", "archive"),
    "mark_draft": (_("Back to draft"), "post", "undo"),
    "deactivate": (_("Hide in this release"), "post", "unpublish"),
    "reactivate": (_("Restore in this release"), "post", "undo"),
    "view_live": (_("View live"), "get", "view"),
    "compare_live": (_("Compare with live"), "get", "layers"),
    "publish_now": (_("Publish now…"), "confirm", "publish"),
    "unpublish_now": (_("Take offline now…"), "confirm", "unpublish"),
}


def action_label(name: str) -> str:
    """The label of content action ``name`` in the active language (e.g. "Approve").

    :raises KeyError: ``name`` is not one of :data:`CONTENT_ACTIONS`.
    """
    return str(CONTENT_ACTIONS[name][0])


TRANSITION_ACTIONS = ("approve", "mark_future", "mark_draft", "deactivate", "reactivate")


def _release_block_reason(release: Release | None) -> str:
    if release is None:
        return gettext("There is no release to work in. Create one in the Release menu.")
    if release.is_locked:
        return gettext("Release %(release)s is locked. Branch a new release from it to change content.") % {
            "release": release.version
        }
    if release.is_deprecated:
        return gettext("Release %(release)s is deprecated. Restore it or switch to another release.") % {
            "release": release.version
        }
    return ""


def _action(name: str, allowed: bool = True, reason: str = "") -> ContentAction:
    label, method, icon = CONTENT_ACTIONS[name]
    reason = "" if allowed else reason
    return ContentAction(name, str(label), method, allowed, reason, icon, reason == _permission_reason())


def _permission_reason() -> str:
    return gettext("You do not have permission for this.")


def content_actions(state: ContentState, user: AbstractBaseUser) -> list[ContentAction]:
    """The actions that fit the state of a grouping, in menu order.

    Actions that do not apply to the state are left out; actions that apply but are not
    allowed (permission, locked release) are included with ``allowed=False`` and a reason.
    """
    version, release = state.version, state.working
    blocked = _release_block_reason(release)
    may_change = can_change_content(user, state.content)
    change_reason = blocked or ("" if may_change else _permission_reason())
    actions: list[ContentAction] = []
    if version is None or version.active:
        actions.append(_action("edit", not change_reason, change_reason))
    if version is not None and version.active and version.status != APPROVED:
        may_approve = has_release_permission(user, "approve")
        actions.append(_action("approve", not blocked and may_approve, blocked or _permission_reason()))
    if version is not None and version.active and version.status == DRAFT:
        actions.append(_action("mark_future", not change_reason, change_reason))
    if version is not None and version.active and version.status == FUTURE:
        actions.append(_action("mark_draft", not change_reason, change_reason))
    if version is not None:
        name = "deactivate" if version.active else "reactivate"
        actions.append(_action(name, not change_reason, change_reason))
    if state.live_version is not None:
        actions.append(_action("view_live"))
        if version is not None and version.object_id != state.live_version.object_id:
            actions.append(_action("compare_live"))
    actions.extend(_hotfix_actions(state, user, may_change))
    return actions


def _hotfix_actions(state: ContentState, user: AbstractBaseUser, may_change: bool) -> list[ContentAction]:
    """Publish now / take offline now, for users who may deploy. Publish now is offered on a
    site where nothing is live yet too (it makes the first live release); take offline now
    only for live content."""
    if not has_release_permission(user, "deploy"):
        return []
    reason = "" if may_change else _permission_reason()
    actions = []
    version = state.version
    if version is not None and version.active and state.indicator != INDICATOR_PUBLISHED:
        actions.append(_action("publish_now", may_change, reason))
    if state.live_version is not None:
        actions.append(_action("unpublish_now", may_change, reason))
    return actions


def content_action_url(state: ContentState, name: str) -> str:
    """URL of the endpoint that performs action ``name`` on the grouping of ``state``."""
    return admin_url("content_action", state.content_type_id, state.content.pk, name)


def content_menu_items(request: HttpRequest, content: models.Model) -> list[tuple[str, str, str, str]]:
    """Menu entries for django CMS' page tree indicator menu (``get_indicator_menu``).

    Each entry is ``(label, icon css, url, link css)``: POST actions are sent by the page
    tree's AJAX handler (``js-cms-tree-lang-trigger``), Edit and the pages that need the whole
    window open in the top frame (``js-cms-pagetree-page-view``).
    """
    state = content_state(content)
    if state is None:
        return []
    items = []
    for action in content_actions(state, request.user):
        css = "js-cms-tree-lang-trigger" if action.method == "post" else ""
        if action.name in ("edit", "view_live", "compare_live") or action.method == "confirm":
            css = f"{css} js-cms-pagetree-page-view".strip()
        if not action.allowed:
            css = f"{css} cms-pagetree-dropdown-item-disabled".strip()
        items.append((action.label, f"cms-icon-{action.icon}", content_action_url(state, action.name), css))
    return items


# -- URLs of content rows -----------------------------------------------------------------


def is_frontend_editable(model: type[models.Model]) -> bool:
    """True if django CMS can render ``model`` at its edit/preview endpoints."""
    return model in apps.get_app_config("cms").cms_extension.toolbar_enabled_models


def _admin_change_url(content: models.Model) -> str | None:
    opts = content._meta
    try:
        return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[content.pk])
    except NoReverseMatch:
        return None


def edit_url(content: models.Model) -> str:
    """Where an editor edits ``content``: its edit endpoint, else its admin change form."""
    from cms.toolbar.utils import get_object_edit_url

    if is_frontend_editable(type(content)):
        return get_object_edit_url(content)
    return _admin_change_url(content) or reverse("admin:index")


def preview_url(content: models.Model, item: VersionableItem | None = None) -> str | None:
    """The preview of one content row: the VersionableItem's ``preview_url``, the CMS
    preview endpoint, or the admin change form."""
    from cms.toolbar.utils import get_object_preview_url

    item = item or registry.for_content(content)
    if item is not None and item.preview_url is not None:
        return item.preview_url(content)
    if is_frontend_editable(type(content)):
        return get_object_preview_url(content)
    return _admin_change_url(content)


def live_url(content: models.Model, request: HttpRequest | None = None) -> str | None:
    """The public URL of live content (with the domain only if on another site), else its preview."""
    from cms.toolbar.utils import get_object_live_url
    from django.contrib.sites.shortcuts import get_current_site

    try:
        url = get_object_live_url(content, site=get_current_site(request) if request else None)
    except NoReverseMatch:
        url = None
    return url or preview_url(content)


def compare_url(content_type_id: int, left_id: int, right_id: int, back: str = "") -> str:
    url = admin_url("compare", content_type_id, left_id, right_id)
    return f"{url}?{urlencode({'back': back})}" if back else url


# -- content endpoints ------------------------------------------------------------------


def _load_content(content_type_id: int, object_id: int) -> models.Model:
    """The content row (any release) or 404; only versioned models are accepted."""
    try:
        model = ContentType.objects.get_for_id(content_type_id).model_class()
    except ContentType.DoesNotExist:
        raise Http404 from None
    if model is None or registry.for_model(model) is None:
        raise Http404
    content = model._base_manager.filter(pk=object_id).first()
    if content is None:
        raise Http404
    return content


def content_action(
    request: HttpRequest, content_type_id: int, object_id: int, action: str, *, model_admin: ModelAdmin
) -> HttpResponse:
    """Perform ``action`` on the grouping of a content row in the working release."""
    if action not in CONTENT_ACTIONS:
        raise Http404
    content = _load_content(content_type_id, object_id)
    method = CONTENT_ACTIONS[action][1]
    if method == "get":
        return _content_link(request, content, action)
    if method == "post" and request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    refusal = _refuse_unavailable(request, content, action)
    if refusal is not None:
        return refusal
    if method == "confirm":
        return _hotfix(request, content, action, model_admin)
    return _content_post(request, content, action)


def _refuse_unavailable(request: HttpRequest, content: models.Model, action: str) -> HttpResponse | None:
    """Refuse what the toolbar would not offer: 403 without permission, else a message.

    The services check permission and state again when the action runs.
    """
    if action in ("publish_now", "unpublish_now") and not has_release_permission(request.user, "deploy"):
        raise PermissionDenied(gettext("You do not have permission to deploy releases."))
    state = content_state(content)
    offered = {a.name: a for a in content_actions(state, request.user)}.get(action)
    if offered is not None and offered.allowed:
        return None
    if offered is not None and offered.forbidden:
        raise PermissionDenied(offered.reason)
    reason = offered.reason if offered is not None else ""
    reason = reason or gettext(
        "“%(action)s” does not apply to %(object)s in its current state (%(state)s)."
    ) % {
        "action": str(CONTENT_ACTIONS[action][0]).rstrip("…"),
        "object": content,
        "state": state.label,
    }
    return refused(request, ValidationError(reason, code="not_available"), next_url(request))


def _content_post(request: HttpRequest, content: models.Model, action: str) -> HttpResponse:
    back = next_url(request)
    try:
        if action == "edit":
            draft = services.create_draft(content, user=request.user)
            url = edit_url(draft)
            return succeeded(request, gettext("You are editing %(object)s.") % {"object": draft}, url)
        version = services.transition(content, action, user=request.user)
    except ValidationError as error:
        return refused(request, error, back)
    message = gettext("%(object)s: %(action)s in release %(release)s.") % {
        "object": content,
        "action": str(CONTENT_ACTIONS[action][0]).lower(),
        "release": version.release.version,
    }
    return succeeded(request, message, back)


def _content_link(request: HttpRequest, content: models.Model, action: str) -> HttpResponse:
    """``view_live`` and ``compare_live``: redirects to the live page or the comparison."""
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET"])
    state = content_state(content)
    if state is None or state.live_version is None:
        messages.info(request, gettext("%(object)s is not live.") % {"object": content})
        return HttpResponseRedirect(next_url(request))
    if action == "view_live":
        live = state.item.content_model._base_manager.get(pk=state.live_object_id)
        return HttpResponseRedirect(live_url(live, request) or next_url(request))
    if state.version is None:
        raise Http404
    back = safe_url(request, request.GET.get("next")) or ""
    return HttpResponseRedirect(
        compare_url(state.content_type_id, state.live_object_id, state.working_object_id, back)
    )


def _hotfix(
    request: HttpRequest, content: models.Model, action: str, model_admin: ModelAdmin
) -> HttpResponse:
    """Publish now / take offline now: a confirmation page (GET), then the hotfix (POST)."""
    state = content_state(content)
    working = state.content if state.version is None else _working_content(state)
    context = admin_context(
        request,
        model_admin,
        title=str(CONTENT_ACTIONS[action][0]).rstrip("…"),
        content=working,
        state=state,
        action=action,
        live=Release.objects.live(),
        next=next_url(request),
    )
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if request.method == "POST":
        try:
            if action == "publish_now":
                manifest = services.publish_now(working, user=request.user)
            else:
                manifest = services.unpublish_now(working, user=request.user)
        except ValidationError as error:
            if is_ajax(request) or not is_popup(request):
                return refused(request, error, context["next"])
            context["errors"] = error.messages
        else:
            message = gettext("%(object)s is live in hotfix release %(release)s.")
            if action == "unpublish_now":
                message = gettext("%(object)s was taken offline by hotfix release %(release)s.")
            return succeeded(
                request,
                message % {"object": working, "release": manifest.release.version},
                context["next"],
            )
    return TemplateResponse(request, "djangocms_release_versioning/admin/hotfix_confirm.html", context)


def _working_content(state: ContentState) -> models.Model:
    return state.item.content_model._base_manager.get(pk=state.working_object_id)


@xframe_options_sameorigin
def compare(
    request: HttpRequest, content_type_id: int, left_id: int, right_id: int, *, model_admin: ModelAdmin
) -> HttpResponse:
    """Two versions of one object side by side: their previews in two frames."""
    require_view(request, model_admin)
    left = _load_content(content_type_id, left_id)
    right = _load_content(content_type_id, right_id)
    item = registry.for_content(left)
    if item.grouping_key(left) != item.grouping_key(right):
        raise Http404
    sides = [_compare_side(content, item) for content in (left, right)]
    context = admin_context(
        request,
        model_admin,
        title=gettext("Compare %(object)s") % {"object": right},
        sides=sides,
        back=safe_url(request, request.GET.get("back")),
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/compare.html", context)


def _compare_side(content: models.Model, item: VersionableItem) -> dict[str, Any]:
    from cms.utils.conf import get_cms_setting

    url = preview_url(content, item) or ""
    if url and is_frontend_editable(type(content)):
        off = get_cms_setting("CMS_TOOLBAR_URL__DISABLE")
        persist = get_cms_setting("CMS_TOOLBAR_URL__PERSIST")
        url = f"{url}{'&' if '?' in url else '?'}{off}&{persist}=0"
    versions = Version.objects.for_content(content).select_related("release").order_by("release__created_at")
    return {"content": content, "url": url, "versions": list(versions)}
