"""Editor endpoints behind the toolbar, the release admin and the grouper admin menus.

Every endpoint is served by :class:`~.admin.ReleaseAdmin` (``get_urls``), so it requires a
staff login and CSRF protection. Writes go through :mod:`.services` only, which check the
permission and the release state again; an endpoint never trusts what the toolbar showed.

Responses: a jQuery (AJAX) request gets JSON ``{"url": …, "message": …}`` or a ``400`` with
the reason as text (the toolbar shows it); a request from a CMS modal (``_popup``) gets the
frame that closes the modal; any other request gets a message and a redirect to a safe
``next`` URL. Missing permissions are always a ``403``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.apps import apps
from django.contrib import messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.clickjacking import xframe_options_sameorigin

from . import registry, services
from .constants import APPROVED, DRAFT, FUTURE, INDICATOR_DESCRIPTIONS, INDICATOR_PUBLISHED
from .context import get_live_release_id, get_working_release
from .indicators import PAIR_ATTR, prefetch_indicators
from .manifest import ADDED, CHANGED, REMOVED, compute_manifest, fetch_versions
from .middleware import select_release
from .models import AuditEntry, Release, Version
from .permissions import can_change_content, has_release_permission

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin
    from django.contrib.auth.base_user import AbstractBaseUser
    from django.db import models

    from .datastructures import VersionableItem

URL_PREFIX = "djangocms_release_versioning_release"


def admin_url(name: str, *args: Any) -> str:
    """Reverse one of the release admin's URLs, e.g. ``admin_url("lock", release.pk)``."""
    return reverse(f"admin:{URL_PREFIX}_{name}", args=args)


# -- responses --------------------------------------------------------------------------


def is_ajax(request: HttpRequest) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def is_popup(request: HttpRequest) -> bool:
    return "_popup" in request.GET or "_popup" in request.POST


def safe_url(request: HttpRequest, url: str | None) -> str | None:
    """``url`` if it points to this site, else None (no open redirects)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def next_url(request: HttpRequest, default: str | None = None) -> str:
    """The ``next`` parameter, the referring page or ``default`` — whichever is safe first."""
    for candidate in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.META.get("HTTP_REFERER"),
    ):
        url = safe_url(request, candidate)
        if url:
            return url
    return default or reverse("admin:index")


def close_frame(request: HttpRequest) -> HttpResponse:
    """The page that tells a CMS modal it is done (the toolbar then reloads the page)."""
    return TemplateResponse(request, "admin/cms/page/close_frame.html", {})


def succeeded(request: HttpRequest, message: str, url: str) -> HttpResponse:
    """Report success in the form the caller understands (the message is also shown on the
    next page the editor sees, e.g. by the toolbar after it reloads)."""
    messages.success(request, message)
    if is_ajax(request):
        return JsonResponse({"url": url, "message": message})
    if is_popup(request):
        return close_frame(request)
    return HttpResponseRedirect(url)


def refused(request: HttpRequest, error: ValidationError, url: str) -> HttpResponse:
    """Report a refused operation (wrong state, locked release …); nothing was changed."""
    text = " ".join(error.messages)
    if is_ajax(request):
        return HttpResponseBadRequest(text, content_type="text/plain; charset=utf-8")
    messages.error(request, text)
    return HttpResponseRedirect(url)


def require_post(request: HttpRequest) -> HttpResponse | None:
    """A 405 response for anything but POST, else None."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def admin_context(request: HttpRequest, model_admin: ModelAdmin, **extra: Any) -> dict[str, Any]:
    """The context every admin page needs (site header, permissions, ``opts``)."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "is_popup": is_popup(request),
        **extra,
    }


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


#: name -> (label, method, icon in django CMS' icon font)
CONTENT_ACTIONS: dict[str, tuple[Any, str, str]] = {
    "edit": (_("Edit"), "post", "edit"),
    "approve": (_("Approve"), "post", "publish"),
    "mark_future": (_("Park for later"), "post", "archive"),
    "mark_draft": (_("Back to draft"), "post", "undo"),
    "deactivate": (_("Hide in this release"), "post", "unpublish"),
    "reactivate": (_("Restore in this release"), "post", "undo"),
    "view_live": (_("View live"), "get", "view"),
    "compare_live": (_("Compare with live"), "get", "layers"),
    "publish_now": (_("Publish now…"), "confirm", "publish"),
    "unpublish_now": (_("Take offline now…"), "confirm", "unpublish"),
}

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
    """Publish now / take offline now: for users who may deploy, once something is live."""
    if not has_release_permission(user, "deploy") or state.live_release_id is None:
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
    _require_view(request, model_admin)
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


# -- release endpoints ------------------------------------------------------------------


def _require_view(request: HttpRequest, model_admin: ModelAdmin) -> None:
    """:raises PermissionDenied: the user may not see releases."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied(gettext("You do not have permission to view releases."))


def _release(pk: int) -> Release:
    release = Release.objects.filter(pk=pk).first()
    if release is None:
        raise Http404
    return release


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
}


def release_action(request: HttpRequest, pk: int, action: str, *, model_admin: ModelAdmin) -> HttpResponse:
    """Approve all drafts / lock / unlock / deprecate / undeprecate a release (POST)."""
    not_allowed = require_post(request)
    if not_allowed:
        return not_allowed
    release = _release(pk)
    call, message = RELEASE_ACTIONS[action]
    back = next_url(request, release_page(release))
    keep_working = action in ("lock", "unlock") and _is_working(release)
    try:
        result = call(release, request.user)
    except ValidationError as error:
        return refused(request, error, back)
    if keep_working:  # a locked release stops being the default working release: stay in it
        select_release(request, release)
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
    release = _release(pk)
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
    release = _release(pk)
    rollback = release.is_deployed
    back = next_url(request, release_page(release))
    errors: list[str] = []
    if request.method == "POST":
        try:
            manifest = services.deploy_release(release, user=request.user, rollback=rollback)
        except ValidationError as error:
            if not is_popup(request):
                return refused(request, error, back)
            errors = error.messages
        else:
            return succeeded(request, _deployed_message(manifest, rollback), back)
    elif not has_release_permission(request.user, "deploy"):
        raise PermissionDenied(gettext("You do not have permission to deploy releases."))
    try:
        manifest = services.deploy_release(release, user=request.user, dry_run=True, rollback=rollback)
    except ValidationError as error:
        manifest, errors = None, errors or error.messages
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
    from .forms import ReleaseForm

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


# -- release page and review ----------------------------------------------------------


@dataclass
class ReviewRow:
    """One grouping that differs between a release and the release it is compared with."""

    kind: str
    model_label: str
    grouping_key: str
    mine: Version | None
    theirs: Version | None
    mine_content: Any = None
    theirs_content: Any = None
    item: Any = None

    @property
    def kind_label(self) -> str:
        return str(REVIEW_KINDS.get(self.kind, self.kind))

    @property
    def content(self) -> Any:
        return self.mine_content if self.mine_content is not None else self.theirs_content

    @property
    def mine_url(self) -> str | None:
        return preview_url(self.mine_content, self.item) if self.mine_content is not None else None

    @property
    def theirs_url(self) -> str | None:
        return preview_url(self.theirs_content, self.item) if self.theirs_content is not None else None

    @property
    def compare_url(self) -> str | None:
        if self.mine is None or self.theirs is None or self.mine.object_id == self.theirs.object_id:
            return None
        return compare_url(self.mine.content_type_id, self.theirs.object_id, self.mine.object_id)


REVIEW_KINDS = {
    f"live_{ADDED}": _("Goes live"),
    f"live_{CHANGED}": _("Changes"),
    f"live_{REMOVED}": _("Goes offline"),
    ADDED: _("Added"),
    CHANGED: _("Changed"),
    REMOVED: _("Removed"),
    "hidden": _("Hidden"),
    "restored": _("Restored"),
    "status": _("Status changed"),
}

_ROW_FIELDS = ("content_type_id", "grouping_key", "object_id", "status", "active")


def _rows(release: Release | None):
    if release is None:
        return Version.objects.none().values_list(*_ROW_FIELDS)
    return Version.objects.filter(release=release).order_by().values_list(*_ROW_FIELDS)


def _review_kind(mine: Version | None, theirs: Version | None) -> str:
    if theirs is None:
        return ADDED
    if mine is None:
        return REMOVED
    if mine.object_id != theirs.object_id:
        return CHANGED
    if mine.active != theirs.active:
        return "restored" if mine.active else "hidden"
    return "status"


def review_rows(release: Release, other: Release | None) -> list[ReviewRow]:
    """Every grouping whose Version differs between ``release`` and ``other``.

    The database computes the differences (work grows with what changed, not with the
    size of the site); content rows are then loaded in one query per model.
    """
    mine_rows, their_rows = _rows(release), _rows(other)
    keys = {(ct, key) for ct, key, *_ in mine_rows.difference(their_rows)}
    keys |= {(ct, key) for ct, key, *_ in their_rows.difference(mine_rows)}
    related = ("modified_by",)
    mine = fetch_versions(release, keys, select_related=related)
    theirs = fetch_versions(other, keys, select_related=related)
    rows = []
    for key in sorted(keys):
        item = registry.for_content_type_id(key[0])
        label = str(item.content_model._meta.verbose_name) if item else str(key[0])
        rows.append(
            ReviewRow(
                _review_kind(mine.get(key), theirs.get(key)), label, key[1], mine.get(key), theirs.get(key)
            )
        )
        rows[-1].item = item
    _attach_contents(rows)
    return rows


def _attach_contents(rows: list[ReviewRow]) -> None:
    """Load the content rows of the review in one query per model."""
    wanted: dict[int, set[int]] = {}
    for row in rows:
        for version in (row.mine, row.theirs):
            if version is not None:
                wanted.setdefault(version.content_type_id, set()).add(version.object_id)
    loaded: dict[tuple[int, int], Any] = {}
    for content_type_id, ids in wanted.items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            continue
        for obj in item.content_model._base_manager.filter(pk__in=ids):
            loaded[(content_type_id, obj.pk)] = obj
    for row in rows:
        if row.mine is not None:
            row.mine_content = loaded.get((row.mine.content_type_id, row.mine.object_id))
        if row.theirs is not None:
            row.theirs_content = loaded.get((row.theirs.content_type_id, row.theirs.object_id))


def _manifest_rows(manifest: Any) -> list[ReviewRow]:
    """The changes of a deploy manifest as review rows (what goes live)."""
    rows = []
    for change in manifest.changes:
        item = registry.for_content_type_id(change.content_type_id)
        label = str(item.content_model._meta.verbose_name) if item else change.model_label
        row = ReviewRow(f"live_{change.kind}", label, change.grouping_key, change.new, change.old)
        row.item = item
        rows.append(row)
    _attach_contents(rows)
    return rows


@xframe_options_sameorigin
def review(request: HttpRequest, pk: int, *, model_admin: ModelAdmin) -> HttpResponse:
    """What a release changes: what goes live against the live release, and every
    difference against the live release or its base (``?against=live|base|<pk>``)."""
    _require_view(request, model_admin)
    release = _release(pk)
    live = Release.objects.live()
    against_param = request.GET.get("against") or ("live" if live and live.pk != release.pk else "base")
    if against_param == "live":
        other = live
    elif against_param == "base":
        other = release.based_on
    else:
        other = Release.objects.filter(pk=against_param if against_param.isdigit() else None).first()
    manifest = compute_manifest(live, release) if live is None or live.pk != release.pk else None
    rows = review_rows(release, other) if other is None or other.pk != release.pk else []
    context = admin_context(
        request,
        model_admin,
        title=gettext("Review release %(release)s") % {"release": release.version},
        release=release,
        live=live,
        other=other,
        against=against_param,
        goes_live=_manifest_rows(manifest) if manifest is not None else [],
        rows=rows,
        choices=Release.objects.exclude(pk=release.pk).not_deprecated(),
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/review.html", context)


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


def release_actions(release: Release, user: AbstractBaseUser, live: Release | None) -> list[ReleaseAction]:
    """The lifecycle actions of ``release`` for ``user``, with the reason when not allowed."""
    is_live = live is not None and live.pk == release.pk
    version = release.version
    actions = []

    def add(name: str, label: str, operation: str, state_reason: str, *, method="post", question="") -> None:
        reason = _reason(has_release_permission(user, operation), state_reason)
        url = admin_url("deploy" if name in ("deploy", "rollback") else name, release.pk)
        actions.append(ReleaseAction(name, label, url, method, not reason, reason, question))

    open_reason = _release_block_reason(release)
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
            question=gettext("Lock release %(release)s? Nothing in it can change afterwards.")
            % {"release": version},
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
        actions=release_actions(release, request.user, live),
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
        audit=AuditEntry.objects.filter(release=release).select_related("user")[:50],
        branches=release.branches.all(),
    )
    return TemplateResponse(request, "djangocms_release_versioning/admin/release_detail.html", context)


def _is_working(release: Release) -> bool:
    working = get_working_release()
    return working is not None and working.pk == release.pk


__all__ = [
    "ContentAction",
    "ContentState",
    "content_actions",
    "content_menu_items",
    "content_state",
    "content_states",
    "release_actions",
    "review_rows",
]
