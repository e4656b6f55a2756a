"""The CMS toolbar under releases.

* A **Release** menu for every staff user: the working release (name, state, lock), switching
  to another release, creating or branching one and, with the permissions, the lifecycle
  actions (approve all, lock, unlock, deploy with its dry-run manifest, deprecate).
* For every versioned toolbar object (pages, aliases, posts, custom models): its state in
  the working release (DESIGN §5) and the buttons that fit it — Edit (copy-on-write), Approve,
  Park for a later release / Back to draft, Hide / Restore in this release, View live, Compare
  with live, Publish now, Take offline now (labels: ``views.content.CONTENT_ACTIONS``, shared
  with the page tree and the grouper admins).
* Language menus built from the working release's content.

django CMS' ``PlaceholderToolbar``, ``PageToolbar`` and ``BasicToolbar`` are replaced in
``toolbar_pool.toolbars`` under their own keys, so their order (and the toolbar's
"call these first" rule, which goes by key) is kept. With ``CMS_TOOLBARS`` set, list
this module's classes instead of django CMS' ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from cms.cms_toolbars import (
    ADD_PAGE_LANGUAGE_BREAK,
    LANGUAGE_MENU_IDENTIFIER,
    BasicToolbar,
    PageToolbar,
    PlaceholderToolbar,
)
from cms.toolbar.items import (
    REFRESH_PAGE,
    AjaxItem,
    Button,
    LinkItem,
    Menu,
    ModalItem,
)
from cms.toolbar.utils import get_object_edit_url, get_object_for_language, get_object_preview_url
from cms.toolbar_base import CMSToolbar
from cms.toolbar_pool import toolbar_pool
from cms.utils import page_permissions
from cms.utils.conf import get_cms_setting
from cms.utils.i18n import get_language_dict, get_language_tuple
from cms.utils.urlutils import add_url_parameters, admin_reverse
from django.conf import settings
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from . import registry
from .context import get_live_release_id, get_working_release
from .editing import is_editable
from .lineage import behind_counts
from .models import Release
from .permissions import APP_LABEL, has_release_permission
from .views import (
    action_label,
    admin_url,
    content_action_url,
    content_actions,
    content_state,
    is_frontend_editable,
    release_actions,
)

if TYPE_CHECKING:
    from django.db import models

    from .views import ContentAction, ContentState

RELEASE_MENU_IDENTIFIER = "release-versioning-menu"
SWITCH_MENU_IDENTIFIER = "release-versioning-switch"
DEPRECATED_MENU_IDENTIFIER = "release-versioning-deprecated"
RELEASE_BUTTONS_IDENTIFIER = "release-versioning-buttons"
STATE_MENU_IDENTIFIER = "release-versioning-state"
#: How many releases the "Switch release" menu lists before "All releases…".
SWITCH_MENU_LIMIT = 15


# -- toolbar items that can say why they are disabled ------------------------------------


class _ReasonMixin:
    """Adds ``reason`` (shown under a disabled entry and as its tooltip) to an item."""

    reason = ""

    def get_context(self) -> dict[str, Any]:
        context = super().get_context()
        context["reason"] = self.reason
        return context


class ReasonLinkItem(_ReasonMixin, LinkItem):
    template = "djangocms_release_versioning/toolbar/item_link.html"


class ReasonAjaxItem(_ReasonMixin, AjaxItem):
    template = "djangocms_release_versioning/toolbar/item_ajax.html"


class ReasonModalItem(_ReasonMixin, ModalItem):
    template = "djangocms_release_versioning/toolbar/item_modal.html"


class ReasonButton(_ReasonMixin, Button):
    template = "djangocms_release_versioning/toolbar/button.html"


class ReleaseMenu(Menu):
    """The Release menu; its title shows a lock when the working release is locked."""

    template = "djangocms_release_versioning/toolbar/menu.html"
    locked = False

    def get_context(self) -> dict[str, Any]:
        context = super().get_context()
        context["locked"] = self.locked
        return context


class ReleaseStateMenu(Menu):
    """The state of the toolbar object in the working release, as a menu of its actions.

    Rendered on the right side of the toolbar inside its own navigation list, so django CMS'
    menu script drives it like any other toolbar menu.
    """

    template = "djangocms_release_versioning/toolbar/state_menu.html"
    extra_context: dict[str, Any] = {}

    def get_context(self) -> dict[str, Any]:
        return {**super().get_context(), **self.extra_context}


def _with_reason(item: Any, reason: str) -> Any:
    item.reason = reason
    return item


def current_url(toolbar: Any) -> str:
    """The URL of the page the editor is looking at."""
    if toolbar._async:
        return toolbar.request_path
    return toolbar.request.get_full_path()


def release_label(release: Release, live: Release | None) -> str:
    """``v2 · open``, ``v1 · deployed · live`` …"""
    parts = [release.version, gettext(release.state)]
    if live is not None and live.pk == release.pk:
        parts.append(gettext("live"))
    if release.is_deprecated:
        parts.append(gettext("deprecated"))
    return " · ".join(parts)


# -- the Release menu ----------------------------------------------------------------------


def _menu_releases() -> tuple[list[Release], Release | None]:
    """The newest releases for the switch menus and the live release, in one query
    (a second one only when the live release is older than all of them)."""
    live_id = get_live_release_id()
    releases = list(Release.objects.order_by("-created_at", "-pk")[: 2 * SWITCH_MENU_LIMIT])
    live = next((r for r in releases if r.pk == live_id), None)
    if live is None and live_id is not None:
        live = Release.objects.filter(pk=live_id).first()
    return releases, live


class ReleaseMenuToolbar(CMSToolbar):
    """The Release menu: working release, switching, creating and the lifecycle actions."""

    class Media:
        css = {"all": ("djangocms_release_versioning/css/toolbar.css",)}

    def populate(self) -> None:
        self.working = get_working_release()
        self.releases, self.live = _menu_releases()
        self.next = current_url(self.toolbar)
        self.may_view = self.request.user.has_module_perms(APP_LABEL)
        title = gettext("Release: %(label)s") % {
            "label": release_label(self.working, self.live) if self.working else gettext("none")
        }
        menu = self.get_release_menu(title)
        self.add_switch_menu(menu)
        menu.add_break("release-versioning-create-break")
        self.add_create_item(menu)
        if self.working is not None:
            menu.add_break("release-versioning-actions-break")
            self.add_lifecycle_items(menu)
        if not self.may_view:  # the release admin needs a permission of the app
            return
        menu.add_break("release-versioning-review-break")
        if self.working is not None:
            menu.add_sideframe_item(_("Review changes"), url=admin_url("review", self.working.pk))
        menu.add_sideframe_item(
            _("Manage releases"), url=reverse("admin:djangocms_release_versioning_release_changelist")
        )

    def get_release_menu(self, title: str) -> ReleaseMenu:
        menu = self.toolbar.get_menu(RELEASE_MENU_IDENTIFIER)
        if menu is None:
            menu = ReleaseMenu(title, self.toolbar.csrf_token, side=self.toolbar.LEFT)
            self.toolbar.menus[RELEASE_MENU_IDENTIFIER] = menu
            self.toolbar.add_item(menu)
        menu.name = title
        menu.locked = self.working is not None and self.working.is_locked
        return menu

    def _select_data(self) -> dict[str, Any]:
        data: dict[str, Any] = {"next": self.next}
        obj = self.toolbar.get_object()
        if obj is not None and registry.for_content(obj) is not None:
            data["content_type"] = registry.for_content(obj).content_type.pk
            data["object_id"] = obj.pk
        return data

    def add_switch_menu(self, menu: Any) -> None:
        switch = menu.get_or_create_menu(SWITCH_MENU_IDENTIFIER, _("Switch release"))
        releases = [r for r in self.releases if not r.is_deprecated][:SWITCH_MENU_LIMIT]
        if self.live is not None and all(r.pk != self.live.pk for r in releases):
            releases.append(self.live)
        for release in releases:
            self._add_select_item(switch, release)
        if self.may_view:
            switch.add_break("release-versioning-all-break")
            switch.add_sideframe_item(
                _("All releases"), url=reverse("admin:djangocms_release_versioning_release_changelist")
            )
        deprecated = [r for r in self.releases if r.is_deprecated][:SWITCH_MENU_LIMIT]
        if deprecated:
            hidden = menu.get_or_create_menu(DEPRECATED_MENU_IDENTIFIER, _("Show deprecated releases"))
            for release in deprecated:
                self._add_select_item(hidden, release)

    def _add_select_item(self, menu: Any, release: Release) -> None:
        menu.add_item(
            AjaxItem(
                release_label(release, self.live),
                admin_url("select", release.pk),
                self.toolbar.csrf_token,
                data=self._select_data(),
                active=self.working is not None and release.pk == self.working.pk,
                on_success="FOLLOW_REDIRECT",
            )
        )

    def add_create_item(self, menu: Any) -> None:
        base = self.working if self.working is not None and self.working.is_locked else self.live
        if base is not None and base.is_locked and self.working is not None and self.working.is_locked:
            label = gettext("Branch from %(release)s") % {"release": base.version}
        else:
            label = gettext("New release")
        url = reverse("admin:djangocms_release_versioning_release_add")
        if base is not None:
            url = add_url_parameters(url, based_on=base.pk)
        allowed = has_release_permission(self.request.user, "create")
        item = ReasonModalItem(label, url, disabled=not allowed, on_close=REFRESH_PAGE)
        menu.add_item(_with_reason(item, "" if allowed else gettext("You do not have permission for this.")))

    def add_lifecycle_items(self, menu: Any) -> None:
        # No query when the working release was branched from the live one (the usual case).
        live_id = self.live.pk if self.live is not None else None
        behind = behind_counts([self.working], live_id)[self.working.pk]
        for action in release_actions(self.working, self.request.user, self.live, behind=behind):
            reason = action.reason
            if action.method == "confirm":  # modal items add their own ellipsis
                item = ReasonModalItem(
                    action.label.rstrip("…"), action.url, disabled=not action.allowed, on_close=REFRESH_PAGE
                )
            else:
                item = ReasonAjaxItem(
                    action.label,
                    action.url,
                    self.toolbar.csrf_token,
                    data={"next": self.next},
                    disabled=not action.allowed,
                    question=action.question,
                    on_success=REFRESH_PAGE,
                )
            menu.add_item(_with_reason(item, reason))


# -- the current object: state and buttons ------------------------------------------------


class ReleasePlaceholderToolbar(PlaceholderToolbar):
    """django CMS' PlaceholderToolbar with release-aware object buttons."""

    class Media:
        css = {"all": ("djangocms_release_versioning/css/toolbar.css",)}

    def render_object_editable_buttons(self) -> None:
        obj = self.toolbar.obj
        if obj is None or registry.for_content(obj) is None:
            return super().render_object_editable_buttons()
        self.init_placeholders()
        state = content_state(obj)
        self.add_state_and_actions(state)
        if not self.toolbar.preview_mode_active and get_cms_setting("TEMPLATES"):
            self.add_working_preview_button(state)
        if self._can_add_structure_mode():
            self.add_structure_mode()
        return None

    def _editing_here(self, state: ContentState) -> bool:
        obj = self.toolbar.obj
        return (
            self.toolbar.edit_mode_active
            and obj.pk == state.working_object_id
            and bool(is_editable(obj, self.request))
        )

    def _showing(self, state: ContentState) -> str:
        """``live`` or ``other`` when the page shows content that is not the working release's."""
        obj_pk = self.toolbar.obj.pk
        if state.working_object_id is None or state.working_object_id == obj_pk:
            return ""
        return "live" if state.live_object_id == obj_pk else "other"

    def add_state_and_actions(self, state: ContentState) -> None:
        """The state (a menu of the actions that fit it) and the main action as a button."""
        actions = content_actions(state, self.request.user)
        if self._editing_here(state):
            actions = [action for action in actions if action.name != "edit"]
        primary = next((a for a in actions if a.name in ("edit", "approve")), None)
        working = state.working
        title, release_in_title = state.label, False
        if state.indicator == "published" and working is not None and working.pk != state.live_release_id:
            # live content the working release did not change: "Live v1.1.0" would read as if
            # v1.1.0 were live
            title = gettext("Unchanged in %(release)s") % {"release": working.version}
            release_in_title = True
        menu = ReleaseStateMenu(title, self.toolbar.csrf_token, side=self.toolbar.RIGHT)
        menu.extra_context = {
            "indicator": state.indicator,
            "release": working,
            "release_in_title": release_in_title,
            "read_only": working is not None and not working.is_editable,
            "showing": self._showing(state),
        }
        for action in actions:
            if action is not primary:
                menu.add_item(self._menu_item(state, action))
        self.toolbar.menus[STATE_MENU_IDENTIFIER] = menu
        self.toolbar.add_item(menu)
        if primary is not None:
            button_list = self.toolbar.add_button_list(RELEASE_BUTTONS_IDENTIFIER, side=self.toolbar.RIGHT)
            button_list.buttons.append(self._button(state, primary))

    def _action_url(self, state: ContentState, action: ContentAction) -> str:
        url = content_action_url(state, action.name)
        return f"{url}?{urlencode({'next': current_url(self.toolbar)})}"

    def _button(self, state: ContentState, action: ContentAction) -> Button:
        """The main action: a POST button (django CMS' ``cms-form-post-method``)."""
        classes = [f"cms-release-action-{action.name}", "cms-btn-action", "cms-form-post-method"]
        button = ReasonButton(
            action.label, self._action_url(state, action), disabled=not action.allowed, extra_classes=classes
        )
        return _with_reason(button, action.reason)

    def _menu_item(self, state: ContentState, action: ContentAction) -> Any:
        url = self._action_url(state, action)
        disabled = not action.allowed
        classes = [f"cms-release-action-{action.name}"]
        if action.method == "post":
            item = ReasonAjaxItem(
                action.label,
                url,
                self.toolbar.csrf_token,
                disabled=disabled,
                extra_classes=classes,
                on_success="FOLLOW_REDIRECT",
            )
        elif action.method == "confirm":
            item = ReasonModalItem(
                action.label.rstrip("…"), url, disabled=disabled, extra_classes=classes, on_close=REFRESH_PAGE
            )
        else:
            item = ReasonLinkItem(action.label, url, disabled=disabled, extra_classes=classes)
        return _with_reason(item, action.reason)

    def add_working_preview_button(self, state: ContentState) -> None:
        """Preview shows the working release's content of this grouping (not the live row)."""
        target = self.toolbar.obj
        if state.working_object_id is not None and state.working_object_id != target.pk:
            target = state.item.content_model._base_manager.filter(pk=state.working_object_id).first()
        if target is None or not is_frontend_editable(type(target)):
            return
        url = get_object_preview_url(target, language=self.toolbar.request_language)
        item = self.toolbar.add_button_list(side=self.toolbar.RIGHT)
        item.add_button(_("Preview"), url=url, extra_classes=["cms-btn", "cms-btn-switch-save"])


# -- pages and languages ------------------------------------------------------------------


class ReleasePageToolbar(PageToolbar):
    """django CMS' PageToolbar whose language entries use the working release's content."""

    def change_language_menu(self) -> None:
        if not (self.toolbar.edit_mode_active and self.page):
            return
        if not page_permissions.user_can_change_page(self.request.user, self.page, self.current_site):
            return
        language_menu = self.toolbar.get_menu(LANGUAGE_MENU_IDENTIFIER)
        if not language_menu:
            return
        languages = get_language_dict(self.current_site.pk)
        contents = {code: self.page.get_admin_content(code, fallback=False) for code in languages}
        present = [code for code, content in contents.items() if content]
        missing = [code for code in languages if code not in present]
        if not (present or missing):
            return
        language_menu.add_break(ADD_PAGE_LANGUAGE_BREAK)
        if missing:
            self._add_translation_menu(language_menu, languages, missing)
        if present:
            self._delete_translation_menu(language_menu, languages, contents, present)
        current = contents.get(self.current_lang)
        sources = [code for code in present if code != self.current_lang]
        if sources and current:
            self._copy_menu(language_menu, languages, contents, sources, current)

    def _add_translation_menu(self, menu: Any, languages: dict, missing: list[str]) -> None:
        submenu = menu.get_or_create_menu(f"{LANGUAGE_MENU_IDENTIFIER}-add", _("Add Translation"))
        url = admin_reverse("cms_pagecontent_add")
        for code in missing:
            params = {"cms_page": self.page.pk, "parent_page": self.page.pk, "language": code}
            submenu.add_modal_item(languages[code], url=add_url_parameters(url, params))

    def _delete_translation_menu(
        self, menu: Any, languages: dict, contents: dict, present: list[str]
    ) -> None:
        """Only content that was never approved or shared can be deleted; the rest is hidden."""
        submenu = menu.get_or_create_menu(f"{LANGUAGE_MENU_IDENTIFIER}-del", _("Delete Translation"))
        for code in present:
            content = contents[code]
            editable = is_editable(content, self.request)
            reason = ""
            if not editable:
                hide = gettext("Use “%(action)s” instead.") % {"action": action_label("deactivate")}
                reason = f"{hide} {editable}"
            if len(present) == 1:
                reason = gettext("The only translation cannot be deleted.")
            url = add_url_parameters(
                admin_reverse("cms_pagecontent_delete", args=(content.pk,)), language=code
            )
            item = ReasonModalItem(languages[code], url, disabled=bool(reason))
            submenu.add_item(_with_reason(item, reason))

    def _copy_menu(
        self, menu: Any, languages: dict, contents: dict, sources: list[str], current: Any
    ) -> None:
        submenu = menu.get_or_create_menu(f"{LANGUAGE_MENU_IDENTIFIER}-copy", _("Copy all plugins"))
        editable = is_editable(current, self.request)
        for code in sources:
            item = ReasonAjaxItem(
                gettext("from %s") % languages[code],
                admin_reverse("cms_pagecontent_copy_language", args=(contents[code].pk,)),
                self.toolbar.csrf_token,
                data={"source_language": code, "target_language": self.current_lang},
                question=gettext("Are you sure you want to copy all plugins from %s?") % languages[code],
                on_success=self.toolbar.REFRESH_PAGE,
                disabled=not editable,
            )
            submenu.add_item(_with_reason(item, "" if editable else str(editable)))


class ReleaseBasicToolbar(BasicToolbar):
    """django CMS' BasicToolbar whose language links open the working release's content."""

    def add_language_menu(self) -> None:
        obj = self.toolbar.get_object()
        in_endpoint = self.toolbar.edit_mode_active or self.toolbar.preview_mode_active
        if obj is None or not in_endpoint or registry.for_content(obj) is None:
            return super().add_language_menu()
        if not settings.USE_I18N or self._language_menu:
            return None
        languages = get_language_tuple(self.current_site.pk)
        if len(languages) < 2:
            self._language_menu = True
            return None
        self._language_menu = self.toolbar.get_or_create_menu(
            LANGUAGE_MENU_IDENTIFIER, _("Language"), position=-1
        )
        for code, name in languages:
            url = self._language_url(obj, code)
            if url:
                self._language_menu.add_link_item(name, url=url, active=self.current_lang == code)
        return None

    def _language_url(self, obj: models.Model, code: str) -> str | None:
        target = get_object_for_language(obj, code, latest=True)
        if not target:
            return None
        if self.toolbar.edit_mode_active:
            return get_object_edit_url(target, language=code)
        return get_object_preview_url(target, language=code)


# -- registration ----------------------------------------------------------------------


REPLACEMENTS = (
    (PlaceholderToolbar, ReleasePlaceholderToolbar),
    (PageToolbar, ReleasePageToolbar),
    (BasicToolbar, ReleaseBasicToolbar),
)


def replace_core_toolbars(toolbars: dict[str, type] | None = None) -> None:
    """Put the release-aware toolbars in place of django CMS' ones, under the same keys."""
    toolbars = toolbar_pool.toolbars if toolbars is None else toolbars
    for original, replacement in REPLACEMENTS:
        key = f"{original.__module__}.{original.__name__}"
        if toolbars.get(key) is original:
            toolbars[key] = replacement


replace_core_toolbars()
toolbar_pool.register(ReleaseMenuToolbar)

__all__ = [
    "RELEASE_MENU_IDENTIFIER",
    "ReleaseBasicToolbar",
    "ReleaseMenuToolbar",
    "ReleasePageToolbar",
    "ReleasePlaceholderToolbar",
    "replace_core_toolbars",
]
