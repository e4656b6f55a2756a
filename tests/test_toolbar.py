"""The toolbar: replacement of django CMS' toolbars, the Release menu, the object's state
and the buttons that fit it, language menus."""

from __future__ import annotations

import re
from collections import OrderedDict

import pytest
from cms.cms_toolbars import BasicToolbar, PageToolbar, PlaceholderToolbar
from cms.toolbar_pool import toolbar_pool
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.cms_toolbars import (
    ReleaseBasicToolbar,
    ReleaseMenuToolbar,
    ReleasePageToolbar,
    ReleasePlaceholderToolbar,
    replace_core_toolbars,
)
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.test_toolbar_support import (
    EDITOR_PERMS,
    action_url,
    content_in,
    edit_url,
    element,
    item_of,
    live_site,
    make_page,
    make_user,
    preview_url,
    release_url,
    ship,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_user():
    return make_user("boss", superuser=True)


def html_of(client, url):
    response = client.get(url)
    assert response.status_code == 200, url
    return response.content.decode()


def release_menu(html: str) -> str:
    """The HTML of the Release menu."""
    return element(html, "cms-release-menu")


def state_menu(html: str) -> str:
    """The HTML of the object's state menu."""
    return element(html, "cms-release-state-menu")


# -- the pool --------------------------------------------------------------------------


def test_core_toolbars_are_replaced_in_place_keeping_their_order():
    toolbars = toolbar_pool.get_toolbars()
    keys = list(toolbars)
    for original, replacement in (
        (PlaceholderToolbar, ReleasePlaceholderToolbar),
        (PageToolbar, ReleasePageToolbar),
        (BasicToolbar, ReleaseBasicToolbar),
    ):
        key = f"cms.cms_toolbars.{original.__name__}"
        assert toolbars[key] is replacement
    # django CMS' own order is kept: the three keys appear where cms registered them
    core = [key for key in keys if key.startswith("cms.cms_toolbars.")]
    assert core.index("cms.cms_toolbars.PlaceholderToolbar") < core.index("cms.cms_toolbars.BasicToolbar")
    assert core.index("cms.cms_toolbars.BasicToolbar") < core.index("cms.cms_toolbars.PageToolbar")
    assert ReleaseMenuToolbar in toolbars.values()


def test_replacement_keeps_positions_and_leaves_foreign_toolbars_alone():
    class Other(PlaceholderToolbar):
        pass

    toolbars = OrderedDict(
        [
            ("a.First", object),
            ("cms.cms_toolbars.PlaceholderToolbar", PlaceholderToolbar),
            ("cms.cms_toolbars.PageToolbar", Other),  # someone else replaced it already
            ("cms.cms_toolbars.BasicToolbar", BasicToolbar),
        ]
    )
    replace_core_toolbars(toolbars)
    replace_core_toolbars(toolbars)  # idempotent
    assert list(toolbars.values()) == [object, ReleasePlaceholderToolbar, Other, ReleaseBasicToolbar]


# -- the Release menu ------------------------------------------------------------------


def test_release_menu_shows_working_release_and_lets_switch(client, admin_user):
    page, v1, v2 = live_site(admin_user)
    services.deprecate_release(services.create_release("v0-old"))
    client.force_login(admin_user)
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    assert "Release: v2 · open" in menu
    assert "cms-icon-lock cms-release-lock" not in menu
    switch = menu[menu.index("Switch release") : menu.index("Show deprecated releases")]
    assert release_url("select", v1) in switch and "v1 · deployed · live" in switch
    assert release_url("select", v2) in switch
    # deprecated releases only behind "Show deprecated releases"
    assert "v0-old" not in switch
    deprecated = menu[menu.index("Show deprecated releases") : menu.index("New release")]
    assert "v0-old" in deprecated


def test_release_menu_of_a_locked_working_release_is_read_only_with_a_lock(client, admin_user):
    page, _v1, v2 = live_site(admin_user)
    client.force_login(admin_user)
    client.post(release_url("select", v2))
    services.lock_release(v2)
    html = html_of(client, page.get_absolute_url("en"))
    menu = release_menu(html)
    assert "cms-icon-lock cms-release-lock" in menu
    assert "Release: v2 · locked" in menu
    assert "Branch from v2" in menu
    assert f"{reverse('admin:djangocms_release_versioning_release_add')}?based_on={v2.pk}" in menu
    assert release_url("unlock", v2) in menu and release_url("deploy", v2) in menu
    assert release_url("lock", v2) not in menu
    # approving is offered but disabled, with the reason
    approve = item_of(menu, release_url("approve", v2))
    assert "cms-toolbar-item-navigation-disabled" in approve
    assert "Release v2 is locked" in approve
    # the object is read-only: Edit is disabled and says why
    state = state_menu(html)
    assert "read-only" in state
    edit = re.search(r'<a href="[^"]*/edit/\?next=[^"]*" class="([^"]*)" title="([^"]*)">Edit</a>', html)
    assert edit and "cms-btn-disabled" in edit.group(1) and "is locked" in edit.group(2)


def test_release_menu_actions_are_disabled_with_a_reason_without_permission(client):
    editor = make_user("editor", *EDITOR_PERMS)
    page, _v1, v2 = live_site(editor)
    client.force_login(editor)
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    for name in ("approve", "lock", "deprecate"):
        item = item_of(menu, release_url(name, v2))
        assert "cms-toolbar-item-navigation-disabled" in item, name
        assert "You do not have permission for this." in item, name
    new = item_of(menu, reverse("admin:djangocms_release_versioning_release_add"))
    assert "cms-toolbar-item-navigation-disabled" in new


def test_deploy_item_opens_the_dry_run_in_a_modal_when_locked(client, admin_user):
    page, _v1, v2 = live_site(admin_user)
    client.force_login(admin_user)
    client.post(release_url("select", v2))
    services.lock_release(v2)
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    deploy = item_of(menu, release_url("deploy", v2))
    assert 'data-rel="modal"' in deploy
    assert "cms-toolbar-item-navigation-disabled" not in deploy


# -- the object: state and buttons -----------------------------------------------------


def test_live_page_in_branched_release_offers_edit_as_post(client, admin_user):
    page, v1, _v2 = live_site(admin_user)
    client.force_login(admin_user)
    html = html_of(client, page.get_absolute_url("en"))
    state = state_menu(html)
    assert "cms-release-dot-published" in state
    # live and unchanged in the working release v2: the pill must not read "Live v2"
    label = element(state, "cms-release-state-label")
    assert ">Unchanged in v2<" in label
    assert "cms-release-state-release" not in state
    live_content = content_in(page, v1)
    edit = action_url(live_content, "edit")
    button = re.search(rf'<a href="{re.escape(edit)}\?next=[^"]*" class="([^"]*)"', html)
    assert button and "cms-form-post-method" in button.group(1)
    assert "cms-btn-disabled" not in button.group(1)
    # live content is not edited in place: no plain link to its edit endpoint is offered as "Edit"
    assert f'href="{edit_url(live_content)}" class="cms-btn cms-btn-action' not in html
    # content that is live can be taken offline (hotfix) by a superuser, but not re-published
    assert action_url(live_content, "unpublish_now") in state
    assert action_url(live_content, "publish_now") not in state


def test_live_page_with_the_live_release_as_working_release_reads_live_and_its_version(client, admin_user):
    page, v1, _v2 = live_site(admin_user)
    client.force_login(admin_user)
    client.post(release_url("select", v1))  # work in the live release itself
    state = state_menu(html_of(client, page.get_absolute_url("en")))
    assert ">Live<" in element(state, "cms-release-state-label")
    assert "v1" in element(state, "cms-release-state-release")
    assert "Unchanged in" not in state


def test_edit_mode_of_a_draft_offers_approve_and_the_other_actions(client, admin_user):
    page, _v1, v2 = live_site(admin_user)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=admin_user)
    client.force_login(admin_user)
    html = html_of(client, edit_url(draft))
    state = state_menu(html)
    assert "cms-release-dot-dirty" in state and "Changed" in state
    approve = re.search(
        rf'<a href="{re.escape(action_url(draft, "approve"))}\?next=([^"]*)" class="([^"]*)"', html
    )
    assert approve and "cms-form-post-method" in approve.group(2)
    for name in ("mark_future", "deactivate", "view_live", "compare_live", "publish_now", "unpublish_now"):
        assert action_url(draft, name) in state, name
    assert action_url(draft, "edit") not in html  # already editing
    assert action_url(draft, "mark_draft") not in state  # only for parked content


def test_parked_and_hidden_content_offer_back_to_draft_and_restore(client, admin_user):
    page, _v1, v2 = live_site(admin_user)
    other = None
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=admin_user)
        services.transition(draft, "mark_future", user=admin_user)
        other = make_page("Other", admin_user)
        services.transition(other.get_admin_content("en"), "deactivate", user=admin_user)
    client.force_login(admin_user)
    state = state_menu(html_of(client, preview_url(draft)))
    assert "Parked for a later release" in state
    assert action_url(draft, "mark_draft") in state and action_url(draft, "mark_future") not in state
    hidden = other.get_admin_content("en")
    state = state_menu(html_of(client, preview_url(hidden)))
    assert "Hidden in this release" in state
    assert action_url(hidden, "reactivate") in state
    assert action_url(hidden, "deactivate") not in state and action_url(hidden, "approve") not in state


def test_editor_without_deploy_permission_gets_no_publish_now(client):
    editor = make_user("editor", *EDITOR_PERMS)
    page, _v1, v2 = live_site(editor)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=editor)
    client.force_login(editor)
    html = html_of(client, edit_url(draft))
    assert action_url(draft, "publish_now") not in html
    assert action_url(draft, "unpublish_now") not in html
    # approve needs approve_release: shown, disabled, with the reason
    approve = re.search(
        rf'<a href="{re.escape(action_url(draft, "approve"))}[^"]*" class="([^"]*)" title="([^"]*)"', html
    )
    assert approve and "cms-btn-disabled" in approve.group(1)
    assert approve.group(2) == "You do not have permission for this."
    assert action_url(draft, "mark_future") in html  # a content change is allowed


def test_preview_button_shows_the_working_release_content_on_the_live_page(client, admin_user):
    page, _v1, v2 = live_site(admin_user)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=admin_user)
    client.force_login(admin_user)
    html = html_of(client, page.get_absolute_url("en"))
    assert f'href="{preview_url(draft)}"' in html
    assert "showing the live content" in state_menu(html)


def test_unversioned_toolbar_object_keeps_django_cms_buttons(client, admin_user):
    """Without an object (the admin) no release buttons are added."""
    client.force_login(admin_user)
    html = html_of(client, reverse("admin:index"))
    assert "cms-release-state-menu" not in html


# -- language menus --------------------------------------------------------------------


def test_language_menu_links_to_the_working_release_content(client, admin_user):
    from cms.api import create_page_content

    page, _v1, v2 = live_site(admin_user)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=admin_user)
        german = create_page_content("de", "Über uns", page, created_by=admin_user)
    client.force_login(admin_user)
    html = html_of(client, edit_url(draft))
    language = html[html.index("<span>Language<") :]
    assert f'href="{edit_url(german)}"' in language
    assert f'href="{edit_url(draft)}"' in language
    # deleting a translation is only possible for content that was never approved or shared
    delete = language[language.index("Delete Translation") :]
    english_delete = reverse("admin:cms_pagecontent_delete", args=[draft.pk])
    assert english_delete in delete
    german_item = item_of(delete, reverse("admin:cms_pagecontent_delete", args=[german.pk]))
    assert "cms-toolbar-item-navigation-disabled" not in german_item


def test_language_menu_refuses_deleting_a_shared_translation(client, admin_user):
    from cms.api import create_page_content

    v1 = services.create_release("v1")
    with use_release(v1):
        page = make_page("About", admin_user)
        create_page_content("de", "Über uns", page, created_by=admin_user)
    v1 = ship(v1)
    v2 = services.create_release("v2", based_on=v1)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=admin_user)
    client.force_login(admin_user)
    html = html_of(client, edit_url(draft))
    delete = html[html.index("Delete Translation") :]
    german = item_of(delete, reverse("admin:cms_pagecontent_delete", args=[content_in(page, v2, "de").pk]))
    assert "cms-toolbar-item-navigation-disabled" in german
    assert "Use “Hide in this release” instead." in german
    english = item_of(delete, reverse("admin:cms_pagecontent_delete", args=[draft.pk]))
    assert "cms-toolbar-item-navigation-disabled" not in english


def test_working_release_is_chosen_per_session(client, admin_user):
    page, v1, _v2 = live_site(admin_user)
    client.force_login(admin_user)
    response = client.post(release_url("select", v1), {"next": "/"})
    assert response.status_code == 302
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    assert "Release: v1 · deployed · live" in menu
    other = make_user("other", superuser=True)
    client.force_login(other)
    assert "Release: v2 · open" in release_menu(html_of(client, page.get_absolute_url("en")))
    assert Release.objects.count() == 2


def toolbar_for(rf, user, obj, path="/"):
    """A populated toolbar for a request by ``user`` whose toolbar object is ``obj``."""
    from cms.toolbar.toolbar import CMSToolbar
    from django.contrib.sessions.backends.db import SessionStore

    request = rf.get(path)
    request.user = user
    request.session = SessionStore()
    request.current_page = None
    toolbar = CMSToolbar(request)
    request.toolbar = toolbar
    toolbar.set_object(obj)
    toolbar.populate()
    toolbar.post_template_populate()
    return toolbar


def test_toolbar_for_a_custom_content_model(rf, admin_user):
    from djangocms_release_versioning.cms_toolbars import STATE_MENU_IDENTIFIER, ReleaseStateMenu
    from tests.factories import ArticleContentFactory

    content = ArticleContentFactory()
    toolbar = toolbar_for(rf, admin_user, content)
    state = toolbar.get_menu(STATE_MENU_IDENTIFIER)
    assert isinstance(state, ReleaseStateMenu)
    assert state in toolbar.get_right_items()
    assert state.name == "Draft" and state.extra_context["indicator"] == "draft"
    names = [item.name for item in state.items]
    # nothing is live yet: Publish now makes the first live release (issue 8.6)
    assert names == ["Approve", "Park for a later release", "Hide in this release", "Publish now..."]
    buttons = [button for item in toolbar.get_right_items() for button in getattr(item, "buttons", [])]
    edit = [button for button in buttons if button.name == "Edit"]
    assert edit and edit[0].url.startswith(action_url(content, "edit"))
    assert "cms-form-post-method" in edit[0].extra_classes and not edit[0].disabled


def test_toolbar_object_that_is_not_versioned_gets_core_buttons(rf, admin_user):
    from djangocms_release_versioning.cms_toolbars import STATE_MENU_IDENTIFIER

    user_settings_obj = admin_user  # any model instance that is not registered
    toolbar = toolbar_for(rf, admin_user, user_settings_obj)
    assert toolbar.get_menu(STATE_MENU_IDENTIFIER) is None


BASE_HTML = (
    '{% load cms_tags sekizai_tags %}<html><head>{% render_block "css" %}</head>'
    '<body>{% cms_toolbar %}{% block content %}{% endblock %}{% render_block "js" %}</body></html>'
)


@pytest.fixture
def base_template(settings):
    """The ``base.html`` djangocms-alias renders its content in (served from memory)."""
    template_settings = settings.TEMPLATES[0]
    options = {key: value for key, value in template_settings["OPTIONS"].items() if key != "loaders"}
    options["loaders"] = [
        ("django.template.loaders.locmem.Loader", {"base.html": BASE_HTML}),
        "django.template.loaders.filesystem.Loader",
        "django.template.loaders.app_directories.Loader",
    ]
    settings.TEMPLATES = [{**template_settings, "APP_DIRS": False, "OPTIONS": options}]


def test_alias_edit_endpoint_shows_the_state_and_approve(client, admin_user, base_template):
    from djangocms_alias.models import Alias, AliasContent, Category

    with use_release(services.create_release("v1")):
        alias = Alias.objects.create(category=Category.objects.create(name="Footers"))
        content = AliasContent.objects.with_user(admin_user).create(alias=alias, name="Footer", language="en")
    client.force_login(admin_user)
    html = html_of(client, edit_url(content))
    assert "cms-release-dot-draft" in state_menu(html)
    assert f'href="{action_url(content, "approve")}?next=' in html


def test_release_admin_links_need_a_permission_of_the_app(client):
    outsider = make_user("outsider", "cms.change_page", "cms.view_page", "cms.use_structure")
    page, _v1, _v2 = live_site(outsider)
    client.force_login(outsider)
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    assert "Review changes" not in menu and "Manage releases" not in menu
    viewer = make_user("viewer", "cms.change_page", "cms.view_page", "view_release")
    client.force_login(viewer)
    menu = release_menu(html_of(client, page.get_absolute_url("en")))
    assert "Review changes" in menu and "Manage releases" in menu
