"""The page tree: a state per row, a menu per state, the legend, CSS, and constant queries."""

import re

import pytest
from cms.models import PageContent
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.contrib.staticfiles import finders
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import NoReverseMatch, path, reverse

from djangocms_release_versioning import page_admin, services
from djangocms_release_versioning.constants import INDICATOR_DESCRIPTIONS
from djangocms_release_versioning.context import use_release
from tests.pages_support import branch, content_of, edit, make_page, ship, translate
from tests.urls import urlpatterns as base_urlpatterns

pytestmark = pytest.mark.django_db

#: Queries of one page tree request (session, user, working and live release, pages,
#: contents, urls, one Version batch for states and editability, user settings) --
#: whatever the tree's size.
TREE_QUERIES = 8


def _action_view(request, *args):
    return HttpResponse()


#: A stand-in for the release admin's content action endpoint (ROOT_URLCONF = this module).
urlpatterns = [
    *base_urlpatterns,
    path("test-actions/<int:ct>/<int:pk>/<str:action>/", _action_view, name="pages_test_content_action"),
]


@pytest.fixture
def states(admin_user):
    """Pages in every state of the working release v2 (English)."""
    live = make_page("Live", admin_user)
    changed = make_page("Changed", admin_user)
    hidden = make_page("Hidden", admin_user)
    ship("v1")
    v2 = branch("v2", "v1")
    edit(changed, admin_user, v2, title="Changed v2")
    services.transition(content_of(hidden, release=v2), "deactivate", release=v2)
    with use_release(v2):
        new = make_page("New", admin_user)
        parked = make_page("Parked", admin_user)
        approved = make_page("Approved", admin_user)
        translate(live, "de", "Live de", admin_user)
    services.transition(content_of(parked, release=v2), "mark_future", release=v2)
    services.transition(content_of(approved, release=v2), "approve", release=v2)
    return {
        "published": live,
        "dirty": changed,
        "unpublished": hidden,
        "draft": new,
        "future": parked,
        "approved": approved,
    }


def tree_states(client, language: str = "en") -> dict[int, str]:
    """``{page id: indicator}`` as the tree endpoint renders it."""
    body = client.get(reverse("admin:cms_pagecontent_get_tree") + f"?language={language}").content.decode()
    states = {}
    for block in body.split('<li class="cms-tree-node')[1:]:
        page_id = int(re.search(r'data-id="(\d+)"', block).group(1))
        states[page_id] = re.search(r"cms-pagetree-node-state-([a-z-]+)", block).group(1)
    return states


def test_every_row_shows_its_release_state(states, admin_client):
    assert tree_states(admin_client) == {page.pk: state for state, page in states.items()}
    german = tree_states(admin_client, "de")
    assert german[states["published"].pk] == "draft"
    assert german[states["dirty"].pk] == "empty"


def test_the_legend_and_tooltips_name_every_state(states, admin_client):
    descriptions = admin.site._registry[PageContent].indicator_descriptions
    assert set(descriptions) == {"empty", "unpublished", "draft", "dirty", "future", "approved", "published"}
    body = admin_client.get(reverse("admin:cms_pagecontent_changelist")).content.decode()
    for state, label in INDICATOR_DESCRIPTIONS.items():
        assert f"cms-pagetree-node-state-{state}" in body
        assert str(label) in body
    tree = admin_client.get(reverse("admin:cms_pagecontent_get_tree")).content.decode()
    assert 'data-cms-tooltip="Parked for a later release"' in tree
    assert 'data-cms-tooltip="Approved, not live yet"' in tree


def test_future_and_approved_have_their_own_css(admin_client):
    stylesheet = finders.find("djangocms_release_versioning/css/indicators.css")
    assert stylesheet
    with open(stylesheet) as handle:
        css = handle.read()
    assert ".cms-pagetree-node-state-future" in css
    assert ".cms-pagetree-node-state-approved" in css
    body = admin_client.get(reverse("admin:cms_pagecontent_changelist")).content.decode()
    assert "/static/djangocms_release_versioning/css/indicators.css" in body


def content_type_id() -> int:
    return ContentType.objects.get_for_model(PageContent).pk


def menu(admin_user, content):
    request = RequestFactory().get("/")
    request.user = admin_user
    template, items = admin.site._registry[PageContent].get_indicator_menu(request, content)
    return template, {label: (url, css) for label, _icon, url, css in items}


EXPECTED_MENUS = {
    "draft": ["Edit", "Approve", "Park for a later release", "Hide in this release", "Preview"],
    "dirty": [
        "Edit",
        "Approve",
        "Park for a later release",
        "Hide in this release",
        "Compare with live",
        "View live",
    ],
    "future": ["Edit", "Back to draft", "Approve", "Hide in this release", "Preview"],
    "approved": ["Edit", "Hide in this release", "Preview", "Compare with live", "View live"],
    "published": ["Edit", "Hide in this release", "View live"],
    "unpublished": ["Restore in this release", "Preview"],
}
#: States whose content is edited through a new draft (Edit posts to the release admin).
EDIT_MAKES_A_DRAFT = ("approved", "published")


@pytest.mark.parametrize("state", EXPECTED_MENUS)
def test_the_row_menu_offers_the_actions_of_its_state(states, admin_user, state):
    content = PageContent.admin_manager.latest_content(page=states[state], language="en").get()
    template, items = menu(admin_user, content)
    assert template == "admin/cms/page/tree/indicator_menu.html"
    assert list(items) == [str(label) for label in EXPECTED_MENUS[state]]
    if "Edit" in items and state in EDIT_MAKES_A_DRAFT:
        url, css = items["Edit"]
        assert url.endswith(f"/{content.pk}/edit/") and css == page_admin.POST_AND_OPEN
    elif "Edit" in items:
        assert items["Edit"] == (get_object_edit_url(content), page_admin.OPEN)
    if "Preview" in items:
        assert items["Preview"] == (get_object_preview_url(content), page_admin.OPEN)
    if "View live" in items:
        assert items["View live"][0] in ("#", states[state].get_absolute_url("en"))


def test_view_live_is_greyed_out_without_a_live_url(states, admin_user):
    content = PageContent.admin_manager.latest_content(page=states["approved"], language="en").get()
    assert menu(admin_user, content)[1]["View live"] == ("#", page_admin.DISABLED)
    content = PageContent.admin_manager.latest_content(page=states["published"], language="en").get()
    assert menu(admin_user, content)[1]["View live"] == ("/live/", page_admin.OPEN)


def test_state_changes_are_greyed_out_until_their_endpoint_exists(states, admin_user, settings, monkeypatch):
    content = PageContent.admin_manager.latest_content(page=states["draft"], language="en").get()
    monkeypatch.setattr(page_admin, "ACTION_URL_NAME", "pages_test_missing")
    assert menu(admin_user, content)[1]["Approve"] == ("#", page_admin.DISABLED)

    settings.ROOT_URLCONF = __name__
    monkeypatch.setattr(page_admin, "ACTION_URL_NAME", "pages_test_content_action")
    items = menu(admin_user, content)[1]
    assert items["Approve"] == (f"/test-actions/{content_type_id()}/{content.pk}/approve/", page_admin.POST)
    assert items["Park for a later release"][0].endswith(f"/{content.pk}/mark_future/")
    assert items["Hide in this release"][0].endswith(f"/{content.pk}/deactivate/")
    live = PageContent.admin_manager.latest_content(page=states["published"], language="en").get()
    assert menu(admin_user, live)[1]["Edit"] == (
        f"/test-actions/{content_type_id()}/{live.pk}/edit/",
        page_admin.POST_AND_OPEN,
    )


def test_the_release_admins_endpoint_receives_the_actions(states, admin_user):
    content = PageContent.admin_manager.latest_content(page=states["future"], language="en").get()
    try:
        expected = reverse(page_admin.ACTION_URL_NAME, args=(content_type_id(), content.pk, "mark_draft"))
    except NoReverseMatch:
        pytest.skip("the release admin's content action endpoint is not installed")
    assert menu(admin_user, content)[1]["Back to draft"] == (expected, page_admin.POST)


def test_a_menu_entry_performs_its_action(states, admin_user, admin_client):
    content = PageContent.admin_manager.latest_content(page=states["draft"], language="en").get()
    url, css = menu(admin_user, content)[1]["Approve"]
    if css == page_admin.DISABLED:
        pytest.skip("the release admin's content action endpoint is not installed")
    assert admin_client.post(url).status_code in (200, 302)
    assert services.get_version(content, "v2").status == "approved"


def test_approve_is_greyed_out_without_the_approve_permission(states, django_user_model):
    editor = django_user_model.objects.create_user("editor", is_staff=True)
    content = PageContent.admin_manager.latest_content(page=states["draft"], language="en").get()
    assert menu(editor, content)[1]["Approve"][1] == page_admin.DISABLED
    assert menu(editor, content)[1]["Park for a later release"][1] != page_admin.DISABLED


def test_a_locked_working_release_offers_viewing_only(states, admin_user):
    services.deprecate_release("v2")  # the live, locked v1 is the working release now
    content = content_of(states["published"])
    assert list(menu(admin_user, content)[1]) == ["Preview", "View live"]


def test_a_missing_translation_offers_to_create_it(states, admin_user):
    page = states["dirty"]
    empty = page.get_admin_content("de")
    _template, items = menu(admin_user, empty)
    assert list(items) == ["Create content"]
    assert items["Create content"][0].endswith(f"?cms_page={page.pk}&language=de")


def _build_tree(user, size: int) -> list[int]:
    """``size`` pages: roots with nine children each; live in v1, a few changes in v2."""
    roots = []
    for number in range(size // 10):
        root = make_page(f"Root {number}", user)
        roots.append(root.pk)
        for child in range(9):
            make_page(f"Page {number}.{child}", user, parent=root)
    ship("v1")
    v2 = branch("v2", "v1")
    with use_release(v2):
        make_page("New root", user)
    from cms.models import Page

    edit(Page.objects.get(pk=roots[0]), user, v2, title="Changed")
    return roots


@pytest.mark.parametrize("size", [10, 200])
def test_the_tree_costs_the_same_queries_whatever_its_size(
    admin_user, admin_client, django_assert_num_queries, size
):
    roots = _build_tree(admin_user, size)
    url = (
        reverse("admin:cms_pagecontent_get_tree")
        + "?language=en&"
        + "&".join(f"openNodes[]={pk}" for pk in roots)
    )
    admin_client.get(url)  # warm up per-process caches (content types, permissions)
    with django_assert_num_queries(TREE_QUERIES):
        response = admin_client.get(url)
    assert response.content.decode().count('<li class="cms-tree-node') == size + 1
