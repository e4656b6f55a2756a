"""Editor endpoints behind the toolbar, the release admin and the grouper admin menus.

Split by audience: :mod:`.content` (one content grouping: states, actions, the toolbar and
page-tree endpoints, compare), :mod:`.releases` (release endpoints and the release page),
:mod:`.review` (a release against another), :mod:`.rebase` (behind live: notice, rows, take
live), :mod:`.common` (responses shared by all).

Every endpoint is served by :class:`~djangocms_release_versioning.admin.ReleaseAdmin`
(``get_urls``), so it requires a staff login and CSRF protection. Writes go through
:mod:`~djangocms_release_versioning.services` only, which check the permission and the release
state again; an endpoint never trusts what the toolbar showed.

Responses: a jQuery (AJAX) request gets JSON ``{"url": …, "message": …}`` or a ``400`` with
the reason as escaped text (the toolbar inserts it as HTML); a request from a CMS modal
(``_popup``) gets the frame that closes the modal; any other request gets a message and a
redirect to a safe ``next`` URL. Missing permissions are always a ``403``.
"""

from .common import URL_PREFIX, admin_url
from .content import (
    ContentAction,
    ContentState,
    action_label,
    compare,
    content_action,
    content_action_url,
    content_actions,
    content_menu_items,
    content_state,
    content_states,
    is_frontend_editable,
)
from .rebase import behind_message, take_live
from .releases import RELEASE_ACTIONS, create, deploy, release_action, release_actions, release_detail, select
from .review import review, review_rows

__all__ = [
    "RELEASE_ACTIONS",
    "URL_PREFIX",
    "ContentAction",
    "ContentState",
    "action_label",
    "admin_url",
    "behind_message",
    "compare",
    "content_action",
    "content_action_url",
    "content_actions",
    "content_menu_items",
    "content_state",
    "content_states",
    "create",
    "deploy",
    "is_frontend_editable",
    "release_action",
    "release_actions",
    "release_detail",
    "review",
    "review_rows",
    "select",
    "take_live",
]
