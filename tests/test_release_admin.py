"""The release admin: list, release page, lifecycle actions, create/branch, deploy with its
dry run, rollback, review and the read-only admins."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Deployment, Release
from tests.factories import ArticleContentFactory
from tests.test_toolbar_support import (
    ajax,
    changes_since,
    content_in,
    element,
    live_site,
    make_page,
    make_user,
    messages_of,
    preview_url,
    release_url,
    ship,
    state_snapshot,
)

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:djangocms_release_versioning_release_changelist"
ADD = "admin:djangocms_release_versioning_release_add"


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def html(response) -> str:
    assert response.status_code == 200
    return response.content.decode()


def row_of(page_html: str, version: str) -> str:
    start = page_html.index(f">{version}</a>")
    return page_html[page_html.rindex("<tr", 0, start) : page_html.index("</tr>", start)]


# -- list ----------------------------------------------------------------------------------


def test_changelist_shows_state_base_live_and_counts(client, boss):
    page, _v1, v2 = live_site(boss)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=boss)
        services.transition(draft, "mark_future", user=boss)
        ArticleContentFactory(user=boss)
        hidden = ArticleContentFactory(user=boss)
        services.transition(hidden, "deactivate", user=boss)
    listing = html(client.get(reverse(CHANGELIST)))
    row = row_of(listing, "v2")
    assert "rv-badge-open" in row and ">v1<" in row.replace("<td class", "\n<td class")
    assert "rv-badge-live" not in row
    assert "1 drafts" in row and "1 parked" in row and "0 approved" in row and "1 hidden" in row
    row = row_of(listing, "v1")
    assert "rv-badge-deployed" in row and "rv-lock" in row and "rv-badge-live" in row
    assert "1 approved" in row


def test_changelist_costs_the_same_queries_for_few_and_many_releases(client, boss):
    def count_queries() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    services.create_release("r0")
    count_queries()  # warm the caches (content types, permissions)
    few = count_queries()
    for number in range(1, 12):
        release = services.create_release(f"r{number}")
        with use_release(release):
            ArticleContentFactory(user=boss)
    assert count_queries() == few


def test_deprecated_releases_are_hidden_unless_asked_for(client, boss):
    services.create_release("kept")
    services.deprecate_release(services.create_release("gone"))
    listing = html(client.get(reverse(CHANGELIST)))
    assert ">kept</a>" in listing and ">gone</a>" not in listing
    listing = html(client.get(reverse(CHANGELIST), {"state": "deprecated"}))
    assert ">gone</a>" in listing and ">kept</a>" not in listing
    listing = html(client.get(reverse(CHANGELIST), {"state": "all"}))
    assert ">gone</a>" in listing and ">kept</a>" in listing


def test_state_filter(client, boss):
    _page, v1, _v2 = live_site(boss)
    services.lock_release(services.create_release("v3", based_on=v1))
    for state, shown, hidden in (("open", "v2", "v3"), ("locked", "v3", "v1"), ("deployed", "v1", "v2")):
        listing = html(client.get(reverse(CHANGELIST), {"state": state}))
        assert f">{shown}</a>" in listing and f">{hidden}</a>" not in listing, state


# -- the release page -------------------------------------------------------------------


def test_release_page_lists_contents_deployments_and_audit(client, boss):
    page, v1, v2 = live_site(boss)
    with use_release(v2):
        services.create_draft(content_in(page, v2), user=boss)
        ArticleContentFactory(user=boss, title="An article")
    detail = html(client.get(reverse("admin:djangocms_release_versioning_release_change", args=[v2.pk])))
    contents = element(detail, "rv-table")
    assert "About (en)" in contents and "An article (en)" in contents
    assert "your working release" in detail
    audit = detail[detail.index('id="rv-audit"') :]
    assert "Release branched" in audit and "Draft created" in audit
    # actions with their reasons
    actions = element(detail, "rv-actions")
    assert release_url("approve", v2) in actions and release_url("lock", v2) in actions
    assert "Lock the release before deploying it." in actions
    deployed = html(client.get(reverse("admin:djangocms_release_versioning_release_change", args=[v1.pk])))
    assert "Never deployed." not in deployed and "Work in this release" in deployed
    assert "This release is live." in deployed


def test_the_release_page_does_not_group_the_release_by_its_versions(client, boss):
    """The list's per-status counts (one GROUP BY over every Version of each release) are
    not computed for the release page: on SQLite that took 1 s for a 50,000-grouping release."""
    _page, _v1, v2 = live_site(boss)
    url = reverse("admin:djangocms_release_versioning_release_change", args=[v2.pk])
    with CaptureQueriesContext(connection) as queries:
        html(client.get(url))
    grouped = [q["sql"] for q in queries.captured_queries if "GROUP BY" in q["sql"].upper()]
    assert not [sql for sql in grouped if "COUNT(" in sql.upper() and "_release" in sql.split("GROUP BY")[-1]]
    # the list still shows the counts
    assert "1 approved" in html(client.get(reverse(CHANGELIST)))


def test_release_page_filters_by_model_status_and_language(client, boss):
    from cms.api import create_page_content
    from django.contrib.contenttypes.models import ContentType

    from tests.testapp.models import ArticleContent

    page, _v1, v2 = live_site(boss)
    with use_release(v2):
        create_page_content("de", "Über uns", page, created_by=boss)
        ArticleContentFactory(user=boss, title="An article")
    url = reverse("admin:djangocms_release_versioning_release_change", args=[v2.pk])
    article_type = ContentType.objects.get_for_model(ArticleContent).pk

    def objects(**params) -> str:
        return element(html(client.get(url, params)), "rv-table")

    only_articles = objects(model=article_type)
    assert "An article" in only_articles and "About" not in only_articles
    drafts = objects(status="draft")
    assert "Über uns" in drafts and "About (en)" not in drafts
    approved = objects(status="approved")
    assert "About (en)" in approved and "Über uns" not in approved
    german = objects(language="de")
    assert "Über uns" in german and "About (en)" not in german and "An article" not in german
    assert "No content matches." in objects(status="hidden")


def test_unknown_release_page_redirects_with_a_message(client, boss):
    response = client.get(reverse("admin:djangocms_release_versioning_release_change", args=[999]))
    assert response.status_code == 302


# -- create / branch -------------------------------------------------------------------


def test_create_form_proposes_the_live_release_as_base(client, boss):
    _page, v1, v2 = live_site(boss)
    form = html(client.get(reverse(ADD)))
    assert f'<option value="{v1.pk}" selected>v1 — deployed (live)</option>' in form
    assert f'value="{v2.pk}"' not in form  # open releases cannot be branched


def test_branch_a_release_and_work_in_it(client, boss):
    _page, v1, _v2 = live_site(boss)
    response = client.post(reverse(ADD), {"version": "v3", "based_on": v1.pk, "switch": "on"})
    v3 = Release.objects.get(version="v3")
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:djangocms_release_versioning_release_change", args=[v3.pk])
    assert v3.based_on == v1 and v3.created_by == boss
    assert v3.versions.count() == v1.versions.count()
    assert client.session["djangocms_release_versioning_release"] == v3.pk


def test_create_in_the_toolbar_modal_closes_it(client, boss):
    response = client.post(reverse(ADD) + "?_popup=1", {"version": "v1", "_popup": "1"})
    assert response.status_code == 200 and b"cms-close-frame" in response.content
    assert Release.objects.get().version == "v1"
    assert "djangocms_release_versioning_release" not in client.session  # switch not ticked


def test_create_refuses_a_taken_version_or_an_open_base(client, boss):
    _page, v1, v2 = live_site(boss)
    before = state_snapshot()
    response = client.post(reverse(ADD), {"version": "v2", "based_on": v1.pk})
    assert response.status_code == 200
    assert "A release called &quot;v2&quot; exists already" in response.content.decode()
    response = client.post(reverse(ADD), {"version": "v3", "based_on": v2.pk})
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    response = client.post(reverse(ADD), {"version": "   "})
    assert response.status_code == 200
    assert changes_since(before) == []


# -- lifecycle actions -------------------------------------------------------------------


def test_approve_all_lock_unlock_deprecate_undeprecate(client, boss):
    release = services.create_release("v1")
    with use_release(release):
        ArticleContentFactory(user=boss)
        parked = ArticleContentFactory(user=boss)
        services.transition(parked, "mark_future", user=boss)
    page = reverse("admin:djangocms_release_versioning_release_change", args=[release.pk])
    response = client.post(release_url("approve", release))
    assert response.status_code == 302 and response["Location"] == page
    assert "1 draft approved in release v1. Parked content stays as it is." in messages_of(response)
    assert release.versions.filter(status="approved").count() == 1
    assert release.versions.filter(status="future").count() == 1
    client.post(release_url("lock", release))
    assert Release.objects.get(pk=release.pk).is_locked
    client.post(release_url("unlock", release))
    assert not Release.objects.get(pk=release.pk).is_locked
    client.post(release_url("deprecate", release))
    assert Release.objects.get(pk=release.pk).is_deprecated
    response = ajax(client, release_url("undeprecate", release), {"next": "/admin/"})
    assert response.json() == {"url": "/admin/", "message": "Release v1 is no longer deprecated."}
    assert not Release.objects.get(pk=release.pk).is_deprecated


def test_lock_from_the_toolbar_keeps_the_release_as_working_release(client, boss):
    _page, _v1, v2 = live_site(boss)
    ajax(client, release_url("lock", v2))
    assert client.session["djangocms_release_versioning_release"] == v2.pk


@pytest.mark.parametrize(
    ("action", "prepare", "reason"),
    [
        ("lock", "locked", "is locked already"),
        ("unlock", "open", "is not locked"),
        ("unlock", "deployed", "has been deployed"),
        ("approve", "locked", "is locked"),
        ("deprecate", "live", "is live and cannot be deprecated"),
        ("undeprecate", "open", "is not deprecated"),
    ],
)
def test_lifecycle_actions_in_the_wrong_state_are_refused(client, boss, action, prepare, reason):
    _page, v1, v2 = live_site(boss)
    release = {"open": v2, "live": v1, "deployed": v1}.get(prepare, v2)
    if prepare == "locked":
        services.lock_release(v2)
    before = state_snapshot()
    response = client.post(release_url(action, release), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert any(reason in message for message in messages_of(response)), messages_of(response)
    response = ajax(client, release_url(action, release))
    assert response.status_code == 400 and reason in response.content.decode()
    assert changes_since(before) == []


@pytest.mark.parametrize("action", ["approve", "unlock", "deprecate", "undeprecate", "select"])
def test_lifecycle_endpoints_refuse_get(client, boss, action):
    """(``lock`` answers GET with its confirmation page: tests/test_guards_admin.py.)"""
    release = services.create_release("v1")
    before = state_snapshot()
    assert client.get(release_url(action, release)).status_code == 405
    assert changes_since(before) == []


# -- deploy and rollback -------------------------------------------------------------------


def test_deploy_shows_the_dry_run_then_deploys(client, boss):
    page, _v1, v2 = live_site(boss)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=boss)
        new = make_page("News", boss)
    services.approve_release(v2)
    services.lock_release(v2)
    before = state_snapshot()
    confirm = html(client.get(release_url("deploy", v2)))
    assert changes_since(before) == []  # the dry run writes nothing
    manifest = element(confirm, "rv-manifest")
    assert "Changes" in manifest and "About (en)" in manifest
    assert "Goes live" in manifest and "News (en)" in manifest
    assert "2 changes go live" in confirm and "Live now: v1." in confirm
    response = client.post(release_url("deploy", v2), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert any("Release v2 is live. 1 added, 1 changed, 0 removed." in m for m in messages_of(response))
    assert Release.objects.live() == v2
    deployment = Deployment.objects.get(release=v2)
    assert deployment.deployed_by == boss and not deployment.is_rollback
    assert content_in(page, v2).pk == draft.pk and content_in(new, v2).pk == new.get_admin_content("en").pk


def test_deploy_of_an_open_release_is_refused(client, boss):
    _page, v1, v2 = live_site(boss)
    confirm = html(client.get(release_url("deploy", v2)))
    assert "only locked releases can be deployed" in confirm
    assert "Deploy now" not in confirm
    before = state_snapshot()
    response = client.post(release_url("deploy", v2), {"next": "/admin/"})
    assert response.status_code == 302
    assert any("only locked releases can be deployed" in m for m in messages_of(response))
    assert changes_since(before) == []
    assert Release.objects.live() == v1


def test_deploy_of_the_live_release_is_refused_in_the_modal(client, boss):
    _page, v1, _v2 = live_site(boss)
    before = state_snapshot()
    response = client.post(release_url("deploy", v1) + "?_popup=1", {"_popup": "1"})
    assert response.status_code == 200 and b"is live already" in response.content
    assert changes_since(before) == []


def test_roll_back_from_the_admin(client, boss):
    _page, v1, v2 = live_site(boss)
    ship(v2)
    detail = html(client.get(reverse("admin:djangocms_release_versioning_release_change", args=[v1.pk])))
    assert "Roll back to this release…" in detail
    confirm = html(client.get(release_url("deploy", v1)))
    assert "Roll back now" in confirm and "Rolling back makes release v1 live again." in confirm
    response = client.post(release_url("deploy", v1))
    assert response.status_code == 302
    assert Release.objects.live() == v1
    assert Deployment.objects.filter(release=v1, is_rollback=True, deployed_by=boss).exists()
    assert AuditEntry.objects.filter(action="rollback_release", release=v1).exists()


# -- review and compare --------------------------------------------------------------------


def test_review_against_live_and_base(client, boss):
    page, v1, v2 = live_site(boss)
    with use_release(v2):
        draft = services.create_draft(content_in(page, v2), user=boss)
        news = make_page("News", boss)
        services.transition(news.get_admin_content("en"), "approve", user=boss)
        article = ArticleContentFactory(user=boss, title="Parked")
        services.transition(article, "mark_future", user=boss)
    review = html(client.get(release_url("review", v2)))
    goes_live = element(review, "rv-goes-live")
    assert "Goes offline" in goes_live and "About (en)" in goes_live  # a draft replaces live About
    assert "Goes live" in goes_live and "News (en)" in goes_live
    assert "Parked (en)" not in goes_live  # parked content never goes live
    differences = element(review, "rv-differences")
    assert "Changed" in differences and "compare" in differences
    assert "Parked (en)" in differences and "Parked for a later release" in differences
    assert preview_url(draft).replace("&", "&amp;") in differences  # each object links to its preview
    against_base = html(client.get(release_url("review", v2), {"against": "base"}))
    assert "against v1" in against_base
    against_v2 = html(client.get(release_url("review", v1), {"against": str(v2.pk)}))
    assert "Removed" in element(against_v2, "rv-differences")


def test_review_of_the_live_release_has_no_goes_live_section(client, boss):
    _page, v1, _v2 = live_site(boss)
    review = html(client.get(release_url("review", v1)))
    assert "rv-goes-live" not in review
    assert "No differences." not in review or "rv-differences" in review


def test_review_of_a_hidden_grouping(client, boss):
    page, _v1, v2 = live_site(boss)
    with use_release(v2):
        services.transition(content_in(page, v2), "deactivate", user=boss)
    differences = element(html(client.get(release_url("review", v2))), "rv-differences")
    assert "Hidden" in differences and "About (en)" in differences


# -- read-only admins ----------------------------------------------------------------------


@pytest.mark.parametrize("model", ["version", "deployment", "auditentry"])
def test_versions_deployments_and_audit_are_read_only(client, boss, model):
    _page, _v1, _v2 = live_site(boss)
    opts = f"admin:djangocms_release_versioning_{model}"
    assert client.get(reverse(f"{opts}_changelist")).status_code == 200
    assert client.get(reverse(f"{opts}_add")).status_code == 403
    from django.apps import apps

    obj = apps.get_model("djangocms_release_versioning", model).objects.first()
    change = client.get(reverse(f"{opts}_change", args=[obj.pk]))
    assert change.status_code == 200 and b'name="_save"' not in change.content
    assert client.post(reverse(f"{opts}_delete", args=[obj.pk]), {"post": "yes"}).status_code == 403


def test_releases_cannot_be_deleted_or_edited_through_a_form(client, boss):
    _page, _v1, v2 = live_site(boss)
    before = state_snapshot()
    url = reverse("admin:djangocms_release_versioning_release_delete", args=[v2.pk])
    assert client.post(url, {"post": "yes"}).status_code == 403
    change = reverse("admin:djangocms_release_versioning_release_change", args=[v2.pk])
    client.post(change, {"version": "hacked", "is_locked": "on"})
    assert changes_since(before) == []
