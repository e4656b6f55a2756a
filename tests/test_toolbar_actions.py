"""The endpoints behind the toolbar's object buttons: Edit, the status transitions, View
live, Compare, Publish now / Take offline now and switching the working release."""

from __future__ import annotations

import pytest
from django.contrib.contenttypes.models import ContentType
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT, FUTURE
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version
from tests.test_toolbar_support import (
    action_url,
    ajax,
    changes_since,
    content_in,
    edit_url,
    live_site,
    make_page,
    make_user,
    messages_of,
    preview_url,
    release_url,
    state_snapshot,
    texts,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss():
    return make_user("boss", superuser=True)


@pytest.fixture
def site(boss, client):
    page, v1, v2 = live_site(boss)
    client.force_login(boss)
    return page, v1, v2


# -- Edit (copy-on-write) ----------------------------------------------------------------


def test_edit_copies_shared_content_once_and_opens_the_edit_endpoint(client, site):
    page, v1, v2 = site
    live = content_in(page, v1)
    response = client.post(action_url(live, "edit"))
    draft = content_in(page, v2)
    assert draft.pk != live.pk
    assert response.status_code == 302 and response["Location"] == edit_url(draft)
    assert version_status(draft, v2) == DRAFT
    assert texts(draft) == texts(live)  # plugins copied
    again = client.post(action_url(live, "edit"))
    assert again["Location"] == edit_url(draft)
    assert content_in(page, v2).pk == draft.pk  # no second copy
    assert version_status(live, v1) == APPROVED  # the live release is untouched


def test_edit_from_the_toolbar_menu_answers_json(client, site):
    page, v1, v2 = site
    response = ajax(client, action_url(content_in(page, v1), "edit"))
    assert response.status_code == 200
    assert response.json()["url"] == edit_url(content_in(page, v2))


def test_edit_refuses_get(client, site):
    page, v1, _v2 = site
    before = state_snapshot()
    response = client.get(action_url(content_in(page, v1), "edit"))
    assert response.status_code == 405
    assert changes_since(before) == []


def test_edit_in_a_locked_working_release_is_refused_with_the_reason(client, site):
    page, _v1, v2 = site
    client.post(release_url("select", v2))
    services.lock_release(v2)
    before = state_snapshot()
    response = client.post(action_url(content_in(page, v2), "edit"), {"next": "/somewhere/"})
    assert response.status_code == 302 and response["Location"] == "/somewhere/"
    assert any("Release v2 is locked" in message for message in messages_of(response))
    assert changes_since(before) == []
    response = ajax(client, action_url(content_in(page, v2), "edit"))
    assert response.status_code == 400
    assert "Release v2 is locked" in response.content.decode()
    assert changes_since(before) == []


# -- status transitions --------------------------------------------------------------------


def version_status(content, release) -> str:
    return services.get_version(content, release).status


def draft_of(page, v2, user):
    with use_release(v2):
        return services.create_draft(content_in(page, v2), user=user)


def test_approve_park_back_hide_restore(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    back = preview_url(draft)
    for action, expected in (
        ("mark_future", (FUTURE, True)),
        ("mark_draft", (DRAFT, True)),
        ("deactivate", (DRAFT, False)),
        ("reactivate", (DRAFT, True)),
        ("approve", (APPROVED, True)),
    ):
        response = client.post(action_url(draft, action), {"next": back})
        assert response.status_code == 302 and response["Location"] == back, action
        version = services.get_version(draft, v2)
        assert (version.status, version.active) == expected, action
    audit = v2.audit_entries.filter(user=boss, object_id=draft.pk).count()
    assert audit >= 5


def test_transition_in_the_wrong_state_is_refused_and_changes_nothing(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    before = state_snapshot()
    response = client.post(action_url(draft, "mark_draft"), {"next": "/x/"})  # not parked
    assert response.status_code == 302 and response["Location"] == "/x/"
    assert any("does not apply" in message for message in messages_of(response))
    response = ajax(client, action_url(draft, "reactivate"))  # not hidden
    assert response.status_code == 400
    assert changes_since(before) == []


def test_transitions_refuse_get(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    before = state_snapshot()
    for action in ("approve", "mark_future", "mark_draft", "deactivate", "reactivate"):
        assert client.get(action_url(draft, action)).status_code == 405, action
    assert changes_since(before) == []


def test_transition_in_a_locked_release_is_refused(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    client.post(release_url("select", v2))
    services.lock_release(v2, allow_offline=True)  # the live page's draft would go offline
    before = state_snapshot()
    response = ajax(client, action_url(draft, "deactivate"))
    assert response.status_code == 400 and "is locked" in response.content.decode()
    assert changes_since(before) == []


def test_next_must_point_to_this_site(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    for evil in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.post(action_url(draft, "mark_future", next=evil))
        assert response.status_code == 302
        assert "evil" not in response["Location"] and not response["Location"].startswith("javascript")
        client.post(action_url(draft, "mark_draft"))
    response = client.post(
        action_url(draft, "mark_future"), {"next": "/ok/"}, HTTP_REFERER="https://evil.example/"
    )
    assert response["Location"] == "/ok/"


# -- links ---------------------------------------------------------------------------------


def test_view_live_and_compare_with_live(client, site, boss):
    page, v1, v2 = site
    draft = draft_of(page, v2, boss)
    response = client.get(action_url(draft, "view_live"))
    assert response.status_code == 302 and response["Location"] == page.get_absolute_url("en")
    response = client.get(action_url(draft, "compare_live", next="/back/"))
    live = content_in(page, v1)
    content_type = ContentType.objects.get_for_model(draft).pk
    compare = reverse(
        "admin:djangocms_release_versioning_release_compare", args=[content_type, live.pk, draft.pk]
    )
    assert response.status_code == 302 and response["Location"] == f"{compare}?back=%2Fback%2F"
    html = client.get(response["Location"]).content.decode()
    assert html.count("<iframe") == 2
    assert f'src="{preview_url(live)}&amp;toolbar_off&amp;persist=0"' in html
    assert f'src="{preview_url(draft)}&amp;toolbar_off&amp;persist=0"' in html
    assert 'href="/back/"' in html


def test_links_of_content_that_is_not_live(client, boss):
    client.force_login(boss)
    page = make_page("New", boss)
    content = page.get_admin_content("en")
    response = client.get(action_url(content, "view_live"), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert any("is not live" in message for message in messages_of(response))
    assert client.post(action_url(content, "view_live")).status_code == 405


def test_compare_refuses_rows_of_different_groupings(client, site, boss):
    page, v1, v2 = site
    with use_release(v2):
        other = make_page("Other", boss).get_admin_content("en")
    live = content_in(page, v1)
    content_type = ContentType.objects.get_for_model(live).pk
    url = reverse(
        "admin:djangocms_release_versioning_release_compare", args=[content_type, live.pk, other.pk]
    )
    assert client.get(url).status_code == 404


def test_unknown_action_content_or_model_is_a_404(client, site, boss):
    page, v1, _v2 = site
    live = content_in(page, v1)
    content_type = ContentType.objects.get_for_model(live).pk
    name = "admin:djangocms_release_versioning_release_content_action"
    assert client.post(reverse(name, args=[content_type, live.pk, "delete"])).status_code == 404
    assert client.post(reverse(name, args=[content_type, 999999, "edit"])).status_code == 404
    user_type = ContentType.objects.get_for_model(boss).pk  # not a versioned model
    assert client.post(reverse(name, args=[user_type, boss.pk, "edit"])).status_code == 404
    assert client.post(reverse(name, args=[999999, 1, "edit"])).status_code == 404


# -- hotfix ----------------------------------------------------------------------------------


def test_publish_now_confirms_then_makes_the_draft_live(client, site, boss):
    from tests.test_toolbar_support import add_text

    page, v1, v2 = site
    draft = draft_of(page, v2, boss)
    add_text(draft, "Hotfix")
    response = client.get(action_url(draft, "publish_now"))
    assert response.status_code == 200
    assert b"goes live right away" in response.content
    response = client.post(action_url(draft, "publish_now"), {"next": edit_url(draft), "_popup": "1"})
    assert response.status_code == 200 and b"cms-close-frame" in response.content
    live = Release.objects.live()
    assert live.version == "v1-hotfix-1" and live.based_on == v1
    anonymous = client_for_anonymous()
    assert "Hotfix" in anonymous.get(page.get_absolute_url("en")).content.decode()
    assert version_status(draft, v2) == APPROVED  # the working release takes the same content


def test_take_offline_now(client, site, boss):
    page, _v1, v2 = site
    response = client.post(action_url(content_in(page, v2), "unpublish_now"), {"next": "/admin/"})
    assert response.status_code == 302
    assert client_for_anonymous().get(page.get_absolute_url("en")).status_code == 404
    assert services.get_version(content_in(page, v2), v2).active is False


def test_publish_now_refuses_content_that_is_live_already(client, site, boss):
    page, _v1, v2 = site
    before = state_snapshot()
    response = client.post(action_url(content_in(page, v2), "publish_now"), {"next": "/admin/"})
    assert response.status_code == 302
    assert any("does not apply" in message for message in messages_of(response))
    assert changes_since(before) == []


def test_publish_now_refuses_put_and_delete(client, site, boss):
    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    assert client.put(action_url(draft, "publish_now")).status_code == 405
    assert client.delete(action_url(draft, "publish_now")).status_code == 405


def client_for_anonymous():
    from django.test import Client

    return Client()


# -- switching the working release ----------------------------------------------------------


def test_select_switches_and_shows_the_same_object_in_the_other_release(client, site, boss):
    page, v1, v2 = site
    draft = draft_of(page, v2, boss)
    content_type = ContentType.objects.get_for_model(draft).pk
    response = ajax(client, release_url("select", v1), {"content_type": content_type, "object_id": draft.pk})
    assert response.json()["url"] == preview_url(content_in(page, v1))
    assert client.session["djangocms_release_versioning_release"] == v1.pk
    response = client.post(release_url("select", v2), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert client.session["djangocms_release_versioning_release"] == v2.pk


def test_select_refuses_get_and_unknown_release(client, site):
    _page, v1, _v2 = site
    assert client.get(release_url("select", v1)).status_code == 405
    assert "djangocms_release_versioning_release" not in client.session
    url = reverse("admin:djangocms_release_versioning_release_select", args=[999999])
    assert client.post(url).status_code == 404


def test_versions_are_never_written_by_a_refused_request(client, site, boss):
    page, v1, _v2 = site
    count = Version.objects.count()
    client.post(action_url(content_in(page, v1), "mark_draft"))
    assert Version.objects.count() == count


def test_page_tree_menu_entries(rf, site, boss):
    from djangocms_release_versioning.views import content_menu_items

    page, _v1, v2 = site
    draft = draft_of(page, v2, boss)
    request = rf.get("/admin/cms/pagecontent/")
    request.user = boss
    with use_release(v2):
        items = {
            url.split("/")[-2]: (label, icon, css)
            for label, icon, url, css in content_menu_items(request, draft)
        }
    assert items["approve"] == ("Approve", "cms-icon-publish", "js-cms-tree-lang-trigger")
    assert items["edit"][2] == "js-cms-tree-lang-trigger js-cms-pagetree-page-view"  # POST in the top frame
    assert items["view_live"][2] == "js-cms-pagetree-page-view"
    assert "publish_now" in items and "mark_draft" not in items
    editor = make_user("viewer", "cms.change_page", "cms.view_page")
    request.user = editor
    with use_release(v2):
        items = {url.split("/")[-2]: css for label, icon, url, css in content_menu_items(request, draft)}
    assert "cms-pagetree-dropdown-item-disabled" in items["approve"]
    assert "cms-pagetree-dropdown-item-disabled" not in items["mark_future"]
