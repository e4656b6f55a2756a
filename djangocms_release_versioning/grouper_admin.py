"""Grouper admins (Alias, Post, custom ``GrouperModelAdmin``\\ s) under releases.

:class:`ReleaseGrouperAdminMixin` is what ``grouper_admin_mixin="__default__"`` means: the
changelist gets a *state* column (the indicator of the working release's content with a
menu of the actions that fit it), an *author* and a *modified* column. The state of a
whole changelist page costs one query per content model (no query per row).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cms.utils.urlutils import static_with_version
from django.contrib import admin
from django.db import models
from django.http import HttpRequest
from django.middleware.csrf import get_token
from django.template.loader import render_to_string
from django.utils.http import urlencode
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .admin_integration import RefusalAnswersMixin
from .constants import INDICATOR_DESCRIPTIONS, INDICATOR_EMPTY
from .views import ContentState, content_action_url, content_actions, content_state, content_states
from .views.common import when_html

_STATE_ATTR = "_release_state"


class ReleaseGrouperAdminMixin(RefusalAnswersMixin):
    """Mixed in front of a ``GrouperModelAdmin`` whose content model is versioned."""

    class Media:
        css = {
            "all": (
                static_with_version("cms/css/cms.admin.css"),
                "djangocms_release_versioning/css/indicators.css",
                "djangocms_release_versioning/css/grouper_admin.css",
            )
        }

    def get_list_display(self, request: HttpRequest) -> tuple[Any, ...]:
        """Add the state, author and modified columns (before the action buttons)."""
        columns = list(super().get_list_display(request))
        extra: list[Any] = [self._state_column(request)]
        extra += [name for name in ("get_author", "get_modified_date") if name not in columns]
        position = len(columns)
        for index, column in enumerate(columns):
            if getattr(column, "__name__", "") == "list_actions":
                position = index
        columns[position:position] = extra
        return tuple(columns)

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """Compute the state of every row on the page at once."""
        changelist = super().get_changelist_instance(request)
        contents = [self.get_content_obj(obj) for obj in changelist.result_list]
        states = content_states(content for content in contents if content is not None)
        for content in contents:
            if content is not None:
                setattr(content, _STATE_ATTR, states.get((type(content), content.pk)))
        return changelist

    def _state(self, obj: models.Model) -> ContentState | None:
        content = self.get_content_obj(obj)
        if content is None:
            return None
        if not hasattr(content, _STATE_ATTR):
            setattr(content, _STATE_ATTR, content_state(content))
        return getattr(content, _STATE_ATTR)

    def _state_column(self, request: HttpRequest) -> Callable[[models.Model], str]:
        def release_state(obj: models.Model) -> str:
            return render_state_menu(request, self._state(obj))

        release_state.short_description = _("State")
        return release_state

    def get_content_readonly_message(self, request: HttpRequest, content_obj: models.Model | None) -> Any:
        """The reason content is read-only, and how to get an editable draft when there is one."""
        message = super().get_content_readonly_message(request, content_obj)
        if message is None or content_obj is None:
            return message
        state = content_state(content_obj)
        edit = (
            next((a for a in content_actions(state, request.user) if a.name == "edit"), None)
            if state
            else None
        )
        if edit is None or not edit.allowed:
            return message
        hint = gettext(
            "Choose “Edit” in the state menu of the list (or in the toolbar) to get a draft of it in "
            "release %(release)s."
        ) % {"release": state.working.version}
        return f"{str(message).strip()} {hint}".strip()

    @admin.display(description=_("Author"))
    def get_author(self, obj: models.Model) -> str:
        state = self._state(obj)
        user = state.version.modified_by if state is not None and state.version is not None else None
        return user.get_username() if user is not None else ""

    @admin.display(description=_("Modified"))
    def get_modified_date(self, obj: models.Model) -> str:
        """When the working release's Version changed, in the package's one date format."""
        state = self._state(obj)
        return when_html(state.version.modified) if state is not None and state.version is not None else ""


def render_state_menu(request: HttpRequest, state: ContentState | None) -> str:
    """The state dot with its label and a menu of the actions that fit the state."""
    indicator = state.indicator if state is not None else INDICATOR_EMPTY
    actions = content_actions(state, request.user) if state is not None else []
    back = urlencode({"next": request.get_full_path()})
    entries = [
        {
            "action": action,
            "url": f"{content_action_url(state, action.name)}?{back}",
        }
        for action in actions
    ]
    return render_to_string(
        "djangocms_release_versioning/grouper/state_menu.html",
        {
            "indicator": indicator,
            "label": INDICATOR_DESCRIPTIONS.get(indicator, indicator),
            "release": state.working if state is not None else None,
            "entries": entries,
            "csrf_token": get_token(request),
            "next": request.get_full_path(),
        },
    )
