"""The page admins under releases.

:class:`PageContentAdminMixin` is mixed in front of django CMS' ``PageContentAdmin`` (by
:mod:`.admin_integration`): page tree indicators and their menus in a constant number of
queries, release-aware language copy and duplicate, editability checks on the small
endpoints, and delete guards. :class:`PageAdminMixin` guards deleting whole pages.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cms.admin.forms import DuplicatePageForm
from cms.models import Page, PageContent, PageUrl, Placeholder
from django.contrib import admin, messages
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import indicators
from .admin_integration import RefusalAnswersMixin, ReleaseContentAdminMixin
from .constants import (
    INDICATOR_APPROVED,
    INDICATOR_DESCRIPTIONS,
    INDICATOR_DIRTY,
    INDICATOR_DRAFT,
    INDICATOR_EMPTY,
    INDICATOR_FUTURE,
    INDICATOR_PUBLISHED,
    INDICATOR_UNPUBLISHED,
)
from .context import get_live_release_id, get_working_release
from .indicators import prefetch_indicators
from .managers import release_condition
from .models import Release, Version
from .pages import (
    blocking_versions,
    editable_content,
    iter_page_contents,
    working_content,
    working_placeholders,
)
from .permissions import has_release_permission
from .views.common import content_language, escaped_response
from .views.content import action_label

#: CSS classes of indicator menu links (see cms.pagetree.js): navigate the top frame,
#: POST in the background and reload the tree, POST in the top frame, greyed out.
OPEN = "js-cms-pagetree-page-view"
POST = "js-cms-tree-lang-trigger"
POST_AND_OPEN = f"{POST} {OPEN}"
DISABLED = "cms-pagetree-dropdown-item-disabled"

#: The release admin's endpoint for actions on one content row (args: content type id,
#: content pk, action). Entries stay greyed out while it does not exist.
ACTION_URL_NAME = "admin:djangocms_release_versioning_release_content_action"

#: Menu action -> action name of that endpoint.
ACTIONS = {
    "create_draft": "edit",
    "compare": "compare_live",
    "approve": "approve",
    "mark_future": "mark_future",
    "mark_draft": "mark_draft",
    "deactivate": "deactivate",
    "reactivate": "reactivate",
}

MenuItem = tuple[str, str, str, str]


# -- bulk state for the page tree -------------------------------------------------------


def prefetch_page_states(pages: Iterable[Page]) -> None:
    """Indicators and editability of every prefetched content of ``pages`` (page tree).

    ``prefetch_indicators`` caches both with one query; rows whose state is cached already
    are skipped, so nested tree levels cost nothing.
    """
    contents = list(iter_page_contents(pages))
    missing = [content for content in contents if getattr(content, indicators._CACHE_ATTR, None) is None]
    if missing:
        prefetch_indicators(missing)


# -- indicator menu ---------------------------------------------------------------------


def _action_url(action: str, content: PageContent) -> str | None:
    content_type_id = ContentType.objects.get_for_model(PageContent).pk
    try:
        return reverse(ACTION_URL_NAME, args=(content_type_id, content.pk, ACTIONS[action]))
    except NoReverseMatch:
        return None


def _action(
    label: str, icon: str, action: str, content: PageContent, css: str = POST, allowed: bool = True
) -> MenuItem:
    """A state-changing entry; greyed out if not ``allowed`` or while its endpoint is missing."""
    url = _action_url(action, content)
    if url is None or not allowed:
        return (label, icon, url or "#", DISABLED)
    return (label, icon, url, css)


def _link(label: str, icon: str, url: str | None) -> MenuItem:
    if url is None:
        return (label, icon, "#", DISABLED)
    return (label, icon, url, OPEN)


def _live_url(content: PageContent) -> str | None:
    return content.page.get_absolute_url(content.language, fallback=False)


def _menu_for(
    indicator: str, content: PageContent, release_editable: bool, may_approve: bool
) -> list[MenuItem]:
    """The entries that apply to a page translation in state ``indicator``.

    The page tree shows the menu only to users who may change the page.
    """
    from cms.toolbar.utils import get_object_edit_url, get_object_preview_url

    preview = _link(_("Preview"), "cms-icon-view", get_object_preview_url(content))
    view_live = _link(action_label("view_live"), "cms-icon-broadcast-on", _live_url(content))
    if not release_editable:
        return [preview, view_live]
    # one wording per action: the toolbar's labels (views.content.CONTENT_ACTIONS)
    edit = _link(action_label("edit"), "cms-icon-pencil", get_object_edit_url(content))
    new_draft = _action(action_label("edit"), "cms-icon-pencil", "create_draft", content, POST_AND_OPEN)
    approve = _action(action_label("approve"), "cms-icon-check-o", "approve", content, allowed=may_approve)
    park = _action(action_label("mark_future"), "cms-icon-archive", "mark_future", content)
    back = _action(action_label("mark_draft"), "cms-icon-undo", "mark_draft", content)
    hide = _action(action_label("deactivate"), "cms-icon-eye", "deactivate", content)
    restore = _action(action_label("reactivate"), "cms-icon-undo", "reactivate", content)
    compare = _action(action_label("compare_live"), "cms-icon-layers", "compare", content, OPEN)
    menus = {
        INDICATOR_DRAFT: [edit, approve, park, hide, preview],
        INDICATOR_DIRTY: [edit, approve, park, hide, compare, view_live],
        INDICATOR_FUTURE: [edit, back, approve, hide, preview],
        INDICATOR_APPROVED: [new_draft, hide, preview, compare, view_live],
        INDICATOR_PUBLISHED: [new_draft, hide, view_live],
        INDICATOR_UNPUBLISHED: [restore, preview],
    }
    return menus.get(indicator, [preview])


def _create_content_item(content: Any) -> MenuItem:
    from cms.utils.urlutils import admin_reverse

    url = admin_reverse("cms_pagecontent_add") + f"?cms_page={content.page.pk}&language={content.language}"
    return (_("Create content"), "cms-icon-edit-new", url, "")


# -- form -------------------------------------------------------------------------------


class ReleaseDuplicatePageForm(DuplicatePageForm):
    """Duplicate copies the working release's content of the source (also never deployed)."""

    def get_template(self) -> str:
        source = self.cleaned_data.get("source")
        content = working_content(source, self._language) if source else None
        return content.template if content is not None else super().get_template()

    def save(self, *args: Any, **kwargs: Any) -> PageContent:
        source = self.cleaned_data.get("source")
        if source is not None:
            # Core reads the source's placeholders from its *public* content.
            source.get_placeholders = lambda language, admin_manager=False: working_placeholders(
                source, language
            )
        return super().save(*args, **kwargs)


# -- admins -----------------------------------------------------------------------------


def _refusal_message(versions: list[Version] | models.QuerySet, what: str) -> str:
    releases = sorted({version.release.version for version in versions})
    return gettext(
        "%(what)s cannot be deleted: its content is part of release %(releases)s, which is "
        "locked or live. Hide it in an open release instead (%(action)s)."
    ) % {"what": what, "releases": ", ".join(releases), "action": action_label("deactivate")}


class PageContentAdminMixin(ReleaseContentAdminMixin):
    """Mixed in front of django CMS' PageContentAdmin."""

    duplicate_form = ReleaseDuplicatePageForm

    class Media:
        css = {"all": ("djangocms_release_versioning/css/indicators.css",)}

    # -- page tree --------------------------------------------------------------------

    @property
    def indicator_descriptions(self) -> dict[str, Any]:
        """Tooltips and legend of the page tree: one entry per release state."""
        return dict(INDICATOR_DESCRIPTIONS)

    @classmethod
    def get_indicator_menu(cls, request: HttpRequest, page_content: Any) -> tuple[str, list[MenuItem]]:
        """The page tree's per-row menu: the actions that apply to the row's state."""
        template = "admin/cms/page/tree/indicator_menu.html"
        release = get_working_release()
        release_editable = release is not None and release.is_editable
        if not page_content:
            return (template, [_create_content_item(page_content)]) if release_editable else ("", [])
        indicator = page_content.content_indicator()
        if indicator == INDICATOR_EMPTY:
            return "", []
        may_approve = has_release_permission(request.user, "approve")
        return template, _menu_for(indicator, page_content, release_editable, may_approve)

    def get_tree_rows(self, request: HttpRequest, pages: Any, language: str, *args: Any, **kwargs: Any):
        """Render tree rows with every row's state fetched up front (no query per row)."""
        pages = list(pages)
        prefetch_page_states(pages)
        return super().get_tree_rows(request, pages, language, *args, **kwargs)

    #: django CMS' page tree with a line above it naming the release it shows.
    change_list_template = "djangocms_release_versioning/admin/page_tree.html"

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None) -> HttpResponse:
        request._release_page_tree = True
        working = get_working_release()
        live_id = get_live_release_id()
        tree_release = {
            "release": working,
            "is_live": working is not None and working.pk == live_id,
            "live": Release.objects.filter(pk=live_id).first() if live_id is not None else None,
        }
        response = super().changelist_view(request, {**(extra_context or {}), "tree_release": tree_release})
        return content_language(response)

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        """All rows; the page tree itself (search) shows the working release's rows only."""
        queryset = super().get_queryset(request)
        if getattr(request, "_release_page_tree", False):
            working = get_working_release()
            queryset = queryset.filter(release_condition(PageContent, working, active_only=False))
        return queryset

    # -- small endpoints --------------------------------------------------------------

    def _not_editable(self, request: HttpRequest, object_id: str) -> HttpResponse | None:
        """A 403 naming the reason (escaped: the page tree and the toolbar insert it as HTML) if
        the content cannot be edited in place."""
        content = self.get_object(request, object_id)
        if content is None:
            return None
        editable = content.is_editable(request)
        if editable:
            return None
        return escaped_response(str(editable) or gettext("This content cannot be changed."), status=403)

    def change_innavigation(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method == "POST" and (refusal := self._not_editable(request, object_id)):
            return refusal
        return super().change_innavigation(request, object_id)

    def change_template(self, request: HttpRequest, object_id: str) -> HttpResponse:
        if request.method == "POST" and (refusal := self._not_editable(request, object_id)):
            return refusal
        return super().change_template(request, object_id)

    def copy_language(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """Copy a translation's plugins into the working release's content of another language.

        The source is the working release's content of the source language (or the given row
        if the release has none); the target becomes editable first (copy-on-write).
        """
        from cms.utils import page_permissions
        from cms.utils.i18n import get_language_list

        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        given = self.get_object(request, object_id)
        if given is None:
            raise self._get_404_exception(object_id)
        page = given.page
        if not page_permissions.user_can_change_page(request.user, page, site=page.site):
            raise PermissionDenied
        language = request.POST.get("target_language")
        if not language or language not in get_language_list(site_id=page.site_id):
            return escaped_response(gettext("Language must be set to a supported language!"))
        target = working_content(page, language)
        if target is None:
            return escaped_response(
                gettext("The page has no content in %(language)s in this release; add the translation first.")
                % {"language": language}
            )
        source = working_content(page, given.language) or given
        try:
            with transaction.atomic():
                return self._copy_plugins(request, source, target)
        except ValidationError as error:
            return escaped_response(" ".join(error.messages), status=403)

    def _copy_plugins(self, request: HttpRequest, source: PageContent, target: PageContent) -> HttpResponse:
        from cms.models import CMSPlugin
        from cms.utils.plugins import copy_plugins_to_placeholder, downcast_plugins

        target = editable_content(target, request.user)
        targets = {placeholder.slot: placeholder for placeholder in Placeholder.objects.get_for_obj(target)}
        for placeholder in Placeholder.objects.get_for_obj(source):
            source_plugins = CMSPlugin.objects.filter(placeholder=placeholder, language=source.language)
            plugins = list(downcast_plugins(source_plugins.order_by("position")))
            slot_target = targets.get(placeholder.slot)
            if slot_target is None:
                messages.warning(
                    request,
                    gettext("Placeholder '%s' does not exist in target language") % placeholder.slot,
                )
                continue
            if not slot_target.has_add_plugins_permission(request.user, plugins):
                raise PermissionDenied(gettext("You do not have permission to copy these plugins."))
            copy_plugins_to_placeholder(
                plugins, slot_target, language=target.language, plugins_are_downcast=True
            )
        return HttpResponse("ok")

    # -- delete translation -----------------------------------------------------------

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Refused (with a message) while the translation is in a locked or the live release."""
        content = self.get_object(request, object_id)
        if content is not None:
            rows = PageContent._base_manager.filter(page=content.page, language=content.language)
            blocking = list(blocking_versions(rows))
            if blocking:
                what = gettext("The %(language)s translation of this page") % {"language": content.language}
                messages.error(request, _refusal_message(blocking, what))
                return HttpResponseRedirect(reverse("admin:cms_pagecontent_changelist"))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: PageContent) -> None:
        """Delete the translation in every (open) release, its URL and its plugins."""
        from cms import operations
        from cms.operations.helpers import send_post_page_operation, send_pre_page_operation

        page, language = obj.page, obj.language
        token = send_pre_page_operation(
            request=request,
            operation=operations.DELETE_PAGE_TRANSLATION,
            obj=page,
            translation=obj,
            sender=self.model,
        )
        rows = PageContent._base_manager.filter(page=page, language=language)
        placeholders = Placeholder.objects.filter(
            content_type=ContentType.objects.get_for_model(PageContent),
            object_id__in=list(rows.values_list("pk", flat=True)),
        )
        PageUrl.objects.filter(page=page, language=language).delete()
        for row in rows:
            row.delete()
        placeholders.delete()
        page.admin_content_cache = None
        page.page_content_cache.pop(language, None)
        messages.success(
            request, gettext("The %(language)s translation was deleted.") % {"language": language}
        )
        send_post_page_operation(
            request=request,
            operation=operations.DELETE_PAGE_TRANSLATION,
            token=token,
            obj=page,
            translation=obj,
            sender=self.model,
        )


class PageAdminMixin(RefusalAnswersMixin):
    """Mixed in front of django CMS' PageAdmin: deleting a page respects releases, and the
    page endpoints answer refusals with a message or a 400/403, never a 500."""

    def refusal_url(self, request: HttpRequest) -> str:
        return reverse("admin:cms_pagecontent_changelist")

    def edit_title_fields(self, request: HttpRequest, page_id: str, language: str) -> HttpResponse:
        """The inline title edit (``edit-field``) refuses content that cannot be edited in
        place with the page content admin's 403 (the reason, escaped)."""
        if request.method == "POST" and not request.POST.get("_cancel"):
            page = self.get_object(request, page_id)
            content = page.get_admin_content(language) if page is not None else None
            content_admin = self.admin_site._registry.get(PageContent)
            refusal = (
                content_admin._not_editable(request, str(content.pk))
                if content is not None and isinstance(content_admin, PageContentAdminMixin)
                else None
            )
            if refusal is not None:
                return refusal
        try:
            return super().edit_title_fields(request, page_id, language)
        except ValidationError as error:
            return escaped_response(" ".join(error.messages), status=403)

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: dict | None = None
    ) -> HttpResponse:
        """Refused (with a message) while the page or a descendant is in a locked or live release."""
        page = self.get_object(request, object_id)
        if page is not None:
            tree = Page.get_tree(page)
            blocking = list(blocking_versions(PageContent._base_manager.filter(page__in=tree)))
            if blocking:
                messages.error(request, _refusal_message(blocking, gettext("This page")))
                return HttpResponseRedirect(reverse("admin:cms_pagecontent_changelist"))
        return super().delete_view(request, object_id, extra_context)

    def delete_model(self, request: HttpRequest, obj: Page) -> None:
        """Delete the content rows first, so their plugins go with them."""
        for content in PageContent._base_manager.filter(page__in=Page.get_tree(obj)):
            content.delete()
        super().delete_model(request, obj)


def replace_page_admin(site: admin.AdminSite | None = None) -> None:
    """Re-register the Page admin with :class:`PageAdminMixin` in front (idempotent)."""
    site = site or admin.site
    model_admin = site._registry.get(Page)
    if model_admin is None or isinstance(model_admin, PageAdminMixin):
        return
    admin_class = type(
        f"Release{type(model_admin).__name__}",
        (PageAdminMixin, type(model_admin)),
        {"__module__": __name__},
    )
    site.unregister(Page)
    site.register(Page, admin_class)
