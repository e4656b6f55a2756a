"""Helpers shared by the toolbar, release admin, grouper admin and permission tests
(this module holds no tests)."""

from __future__ import annotations

import re
from typing import Any

from cms.api import add_plugin, create_page
from cms.models import CMSPlugin, Page, PageContent, Placeholder
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version

PASSWORD = "pw-tests-1"

#: Every release permission (``permissions.RELEASE_PERMISSIONS``).
RELEASE_PERMS = (
    "add_release",
    "approve_release",
    "lock_release",
    "unlock_release",
    "deploy_release",
    "deprecate_release",
)
#: What an editor of pages and articles needs, without any release permission.
EDITOR_PERMS = (
    "cms.change_page",
    "cms.view_page",
    "cms.use_structure",
    "testapp.change_articlecontent",
    "testapp.change_article",
    "testapp.view_article",
    "djangocms_release_versioning.view_release",
)


def make_user(username: str, *perms: str, superuser: bool = False, staff: bool = True) -> Any:
    """A user with ``perms`` (``app.codename`` or a bare release codename)."""
    user = get_user_model().objects.create_user(
        username, f"{username}@example.com", PASSWORD, is_staff=staff, is_superuser=superuser
    )
    for perm in perms:
        app_label, codename = perm.split(".") if "." in perm else ("djangocms_release_versioning", perm)
        user.user_permissions.add(
            Permission.objects.get(content_type__app_label=app_label, codename=codename)
        )
    return get_user_model().objects.get(pk=user.pk)  # drop the permission cache


def make_page(title: str, user: Any, text: str | None = None, **kwargs: Any) -> Page:
    """A page with English content (a draft in the working release) and one text plugin."""
    kwargs.setdefault("in_navigation", True)
    page = create_page(title, "page.html", "en", created_by=user, **kwargs)
    add_text(page.get_admin_content("en"), text or f"{title} text")
    return page


def add_text(content: PageContent, text: str) -> CMSPlugin:
    placeholder = content.get_placeholders().get(slot="content")
    return add_plugin(placeholder, "TextPlugin", content.language, body=f"<p>{text}</p>")


def texts(content: PageContent) -> list[str]:
    placeholders = Placeholder.objects.get_for_obj(content)
    plugins = CMSPlugin.objects.filter(placeholder__in=placeholders, language=content.language)
    return [plugin.get_bound_plugin().body for plugin in plugins.order_by("position")]


def ship(release: Release | str) -> Release:
    """Approve, lock and deploy ``release``; return it fresh."""
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)
    return Release.objects.get(version=str(release))


def content_in(page: Page, release: Release | str, language: str = "en") -> PageContent:
    """The content of ``page`` in ``release``."""
    return PageContent.admin_manager.all_rows(release).get(page=page, language=language)


def version_in(content: Any, release: Release | str) -> Version:
    return services.get_version(content, release)


def live_site(user: Any) -> tuple[Page, Release, Release]:
    """Page "About" live in v1; v2 branched from v1 (the working release), nothing edited."""
    v1 = services.create_release("v1")
    with use_release(v1):
        page = make_page("About", user, "About us")
    v1 = ship(v1)
    v2 = services.create_release("v2", based_on=v1)
    return page, v1, v2


def action_url(content: Any, action: str, **params: str) -> str:
    content_type = ContentType.objects.get_for_model(content)
    url = reverse(
        "admin:djangocms_release_versioning_release_content_action",
        args=[content_type.pk, content.pk, action],
    )
    if params:
        from django.utils.http import urlencode

        url = f"{url}?{urlencode(params)}"
    return url


def release_url(name: str, release: Release) -> str:
    return reverse(f"admin:djangocms_release_versioning_release_{name}", args=[release.pk])


def edit_url(content: Any) -> str:
    return get_object_edit_url(content)


def preview_url(content: Any) -> str:
    return get_object_preview_url(content)


def ajax(client: Any, url: str, data: dict | None = None) -> Any:
    """A POST as the toolbar's menus send it (jQuery marks it as XMLHttpRequest)."""
    return client.post(url, data or {}, headers={"x-requested-with": "XMLHttpRequest"})


def element(html: str, css_class: str, tag: str | None = None) -> str:
    """The outer HTML of the first element whose class attribute contains ``css_class``.

    :raises AssertionError: there is no such element.
    """
    match = re.search(rf'<([a-z]+)\b[^>]*\bclass="[^"]*\b{re.escape(css_class)}\b[^"]*"', html)
    assert match, f"no element with class {css_class}"
    name = tag or match.group(1)
    depth, position = 0, match.start()
    for found in re.finditer(rf"<(/?){name}\b[^>]*>", html[match.start() :]):
        depth += -1 if found.group(1) else 1
        if depth == 0:
            return html[match.start() : match.start() + found.end()]
    raise AssertionError(f"unclosed <{name}> at {position}")


def item_of(menu_html: str, url: str) -> str:
    """The ``<li>`` of a toolbar menu entry pointing to ``url``."""
    end = menu_html.index(url)
    start = menu_html.rindex("<li", 0, end)
    return menu_html[start : menu_html.index("</li>", end)]


#: Tables a request may write to without changing any content or release state.
IGNORED_TABLES = {"django_session", "cms_usersettings", "django_admin_log"}


def state_snapshot() -> dict:
    """Every row of every table except sessions, user settings and their clipboards."""
    from tests.dbstate import snapshot

    state = {table: rows for table, rows in snapshot().items() if table not in IGNORED_TABLES}
    state["cms_placeholder"] = {
        pk: row for pk, row in state.get("cms_placeholder", {}).items() if row["slot"] != "clipboard"
    }
    return state


def changes_since(before: dict) -> list[str]:
    """What changed in the database since ``before`` (empty: nothing)."""
    from tests.dbstate import differences

    return differences(before, state_snapshot())


def messages_of(response: Any) -> list[str]:
    return [str(message) for message in response.wsgi_request._messages]
