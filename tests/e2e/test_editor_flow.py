"""An editor's day in headless Chromium: log in, open a page, switch release, Edit (a draft is
created), change a text plugin, Approve, lock and deploy from the toolbar, see the change live
as a visitor, Publish now a hotfix, roll back from the admin."""

from __future__ import annotations

import re

import pytest
from cms.models import CMSPlugin, PageContent
from cms.toolbar.utils import get_object_edit_url
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.models import Release
from tests.e2e.helpers import (
    django_db,
    log_in_with_form,
    modal_button,
    modal_frame,
    open_release_menu,
    open_state_menu,
    release_menu_entry,
    replace_text_in_plugin_form,
    settle,
)
from tests.e2e.site import build_site

pytestmark = pytest.mark.browser


def text_plugin_url(content: PageContent) -> str:
    plugin = CMSPlugin.objects.get(placeholder__object_id=content.pk, plugin_type="TextPlugin")
    return reverse("admin:cms_placeholder_edit_plugin", args=[plugin.pk])


def working_content(page, release) -> PageContent:
    return PageContent.admin_manager.all_rows(release).get(page=page, language="en")


def test_editor_flow(server, new_page, shot):
    with django_db():
        site = build_site()
        about, v1 = site.pages["about"], site.releases["v1"]
        services.create_release("v2.1", based_on=v1)  # newest open release: the default
        about_url = server.url + site.url("about")
        live_row = working_content(about, v1)

    editor = new_page()
    visitor = new_page()

    # log in and open a page: the toolbar shows the default working release
    log_in_with_form(editor, server, site.user.username)
    editor.goto(about_url)
    settle(editor)
    assert "Release: v2.1 · open" in editor.locator("li.cms-release-menu > a").inner_text()
    shot(editor, "01-live-page-with-toolbar")

    # switch release (Release menu > Switch release > v2): the same page in v2
    open_release_menu(editor)
    release_menu_entry(editor, "Switch release").hover()
    shot(editor, "02-release-menu-switch")
    with editor.expect_navigation():
        release_menu_entry(editor, "v2 · open").click()
    settle(editor)
    assert "/preview/" in editor.url
    assert "Release: v2 · open" in editor.locator("li.cms-release-menu > a").inner_text()

    # Edit: a draft is created (copy-on-write) and opened in edit mode
    with editor.expect_navigation():
        editor.locator("a.cms-release-action-edit").click()
    settle(editor)
    assert "/edit/" in editor.url
    with django_db():
        v2 = Release.objects.get(version="v2")
        draft = working_content(about, v2)
        assert draft.pk != live_row.pk
        plugin_url = text_plugin_url(draft)
    assert "Changed" in editor.locator("ul.cms-release-state-menu").inner_text()
    shot(editor, "03-editing-a-draft")

    # change the text plugin in its editor
    replace_text_in_plugin_form(editor, server, plugin_url, "Hello from v2")
    with django_db():
        assert "Hello from v2" in CMSPlugin.objects.get(pk=plugin_url.split("/")[-2]).get_bound_plugin().body

    # Approve
    with django_db():
        draft_edit_url = server.url + get_object_edit_url(draft)
    editor.goto(draft_edit_url)
    settle(editor)
    open_state_menu(editor)
    shot(editor, "04-state-menu-of-a-draft")
    editor.keyboard.press("Escape")
    with editor.expect_navigation():
        editor.locator("a.cms-release-action-approve").click()
    settle(editor)
    assert "Approved, not live yet" in editor.locator("ul.cms-release-state-menu").inner_text()

    # lock from the Release menu: a confirmation in a modal (it would list live content
    # going offline with a checkbox; here everything is approved), then "Lock now"
    open_release_menu(editor)
    release_menu_entry(editor, "Lock release").click()
    frame = modal_frame(editor)
    frame.locator("input.rv-lock").wait_for(state="attached")
    assert frame.locator(".rv-guard").count() == 0
    modal_button(editor, "Lock now").wait_for()
    with editor.expect_navigation():
        modal_button(editor, "Lock now").click()
    settle(editor)
    assert "v2 · locked" in editor.locator("li.cms-release-menu > a").inner_text()
    open_release_menu(editor)
    shot(editor, "05-locked-release-menu")

    # deploy from the Release menu: the dry-run manifest in a modal, then "Deploy now"
    release_menu_entry(editor, "Deploy").click()
    frame = modal_frame(editor)
    frame.locator("input.rv-deploy").wait_for(state="attached")
    assert "1 change goes live" in frame.locator("#content-main").inner_text()
    modal_button(editor, "Deploy now").wait_for()
    shot(editor, "06-deploy-dry-run")
    with editor.expect_navigation():
        modal_button(editor, "Deploy now").click()
    settle(editor)
    with django_db():
        assert Release.objects.live().version == "v2"

    # a visitor sees the change
    visitor.goto(about_url)
    assert "Hello from v2" in visitor.inner_text("main")
    assert editor.locator(".cms-toolbar").count() == 1 and visitor.locator(".cms-toolbar").count() == 0
    shot(visitor, "07-visitor-sees-v2")

    # hotfix: branch a release from v2, edit, "Publish now"
    open_release_menu(editor)
    release_menu_entry(editor, "Branch from v2").click()
    form = modal_frame(editor)
    form.locator("input[name=version]").fill("v3")
    modal_button(editor, "Create release").wait_for()
    shot(editor, "08-branch-modal")
    with editor.expect_navigation():
        modal_button(editor, "Create release").click()
    settle(editor)
    assert "Release: v3 · open" in editor.locator("li.cms-release-menu > a").inner_text()
    editor.goto(about_url)
    with editor.expect_navigation():
        editor.locator("a.cms-release-action-edit").click()
    with django_db():
        hotfix_draft = working_content(about, Release.objects.get(version="v3"))
        hotfix_plugin_url = text_plugin_url(hotfix_draft)
    replace_text_in_plugin_form(editor, server, hotfix_plugin_url, "Hotfix text")
    with django_db():
        hotfix_edit_url = server.url + get_object_edit_url(hotfix_draft)
    editor.goto(hotfix_edit_url)
    settle(editor)
    open_state_menu(editor)
    editor.locator("ul.cms-release-state-menu a", has_text="Publish now").click()
    modal_button(editor, "Publish now").wait_for()
    shot(editor, "09-publish-now")
    with editor.expect_navigation():
        modal_button(editor, "Publish now").click()
    settle(editor)
    visitor.goto(about_url)
    assert "Hotfix text" in visitor.inner_text("main")
    with django_db():
        assert Release.objects.live().version == "v2-hotfix-1"

    # roll back to v1 from the release admin
    editor.goto(server.url + reverse("admin:djangocms_release_versioning_release_change", args=[v1.pk]))
    with editor.expect_navigation():
        editor.locator("a.rv-button-rollback").click()
    shot(editor, "10-rollback-confirm")
    with editor.expect_navigation():
        editor.locator("input.rv-deploy").click()
    assert re.search("Rolled back: release v1 is live again", editor.inner_text("body"))
    visitor.goto(about_url)
    assert "About us" in visitor.inner_text("main")
    with django_db():
        assert Release.objects.live() == v1
