"""Rebase: an open release brought up to date with the live release (DESIGN §9.2)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from djangocms_release_versioning import registry, services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.lineage import behind_counts
from djangocms_release_versioning.manifest import _changes_by_comparison, compute_manifest
from djangocms_release_versioning.models import AuditEntry, Release, Version
from tests.factories import ArticleContentFactory, UserFactory
from tests.helpers import refreshed, version_of
from tests.parallel_support import edit, live_titles, parallel_site, ship
from tests.test_toolbar_support import (
    EDITOR_PERMS,
    add_text,
    ajax,
    content_in,
    element,
    item_of,
    live_site,
    make_user,
    messages_of,
    release_url,
)
from tests.test_toolbar_support import ship as toolbar_ship
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def _key(content: ArticleContent) -> tuple[int, str]:
    item = registry.for_content(content)
    return item.content_type.pk, item.grouping_key(content)


def _rows() -> int:
    return ArticleContent._base_manager.count()


def test_rebase_takes_live_rows_without_copying_content():
    site = parallel_site()
    contents, versions = _rows(), Version.objects.filter(release=site.v3).count()
    report = services.rebase_release(site.v3)
    assert [row.key for row in report.taken] == [_key(site.about)]
    assert report.conflicts == []
    assert (report.previous_base, report.base) == (site.v1, site.v2)
    assert _rows() == contents, "rebase copied content"
    assert Version.objects.filter(release=site.v3).count() == versions
    about = version_of(site.about, site.v3)
    assert about.object_id == site.about_v2.pk, "the release shares the live row"
    assert refreshed(site.v3).based_on == site.v2
    entry = AuditEntry.objects.get(action="rebase_release", release=site.v3)
    assert (entry.from_state, entry.to_state) == ("v1", "v2")
    assert entry.details["taken"] == [list(_key(site.about))]
    ship(site.v3)  # no allow_revert needed any more
    assert live_titles() == ["About v2", "Contact", "Team"]


def test_conflict_keeps_the_releases_row():
    site = parallel_site()
    mine = edit(site.about, site.v3, "About v3")
    report = services.rebase_release(site.v3)
    assert report.taken == []
    [conflict] = report.conflicts
    assert conflict.key == _key(site.about)
    assert (conflict.mine.object_id, conflict.live.object_id) == (mine.pk, site.about_v2.pk)
    assert version_of(site.about, site.v3).object_id == mine.pk
    ship(site.v3)
    assert live_titles() == ["About v3", "Contact", "Team"]


def test_take_live_resolves_a_conflict_and_drops_the_unreferenced_copy():
    site = parallel_site()
    mine = edit(site.about, site.v3, "About v3")
    services.rebase_release(site.v3)
    version = services.take_live(site.v3, *_key(site.about))
    assert version.object_id == site.about_v2.pk and version.inherited
    assert not ArticleContent._base_manager.filter(pk=mine.pk).exists()
    assert AuditEntry.objects.filter(action="take_live", release=site.v3).exists()
    with pytest.raises(ValidationError) as raised:
        services.take_live(site.v3, *_key(site.about))
    assert raised.value.code == "already_live"


def test_rebase_twice_is_a_no_op():
    site = parallel_site()
    services.rebase_release(site.v3)
    audit = AuditEntry.objects.count()
    again = services.rebase_release(site.v3)
    assert (again.changed, again.taken, again.conflicts) == (False, [], [])
    assert AuditEntry.objects.count() == audit


def test_rebase_of_a_locked_release_is_refused():
    site = parallel_site()
    services.lock_release(site.v3)
    with transaction.atomic():
        with pytest.raises(ValidationError) as raised:
            services.rebase_release(site.v3)
        assert refreshed(site.v3).based_on == site.v1  # the transaction is usable
    assert raised.value.code == "release_locked"
    assert "locked, so it cannot be rebased" in raised.value.messages[0]
    assert not AuditEntry.objects.filter(action="rebase_release").exists()


def test_rebase_needs_something_live_and_a_common_release():
    release = services.create_release("v0")
    with pytest.raises(ValidationError) as raised:
        services.rebase_release(release)
    assert raised.value.code == "nothing_live"
    services.deprecate_release(release)
    site = parallel_site()
    loose = services.create_release("loose")
    with pytest.raises(ValidationError) as raised:
        services.rebase_release(loose)
    assert raised.value.code == "no_fork_point"
    assert site.v3.based_on == site.v1


def test_rebase_needs_the_lock_permission():
    site = parallel_site()
    user = UserFactory(is_superuser=False)
    with pytest.raises(PermissionDenied):
        services.rebase_release(site.v3, user=user)
    user.user_permissions.add(Permission.objects.get(codename="lock_release"))
    user = type(user).objects.get(pk=user.pk)
    assert services.rebase_release(site.v3, user=user).changed


def test_rebase_takes_additions_and_hidden_rows():
    site = parallel_site(deploy_v2=False)
    with use_release(site.v2):
        news = ArticleContentFactory(title="News")
    with use_release(site.v2):
        services.unpublish_now(site.team, user=None)  # a hotfix: Team hidden live
    ship(site.v2)  # v2, the working release, followed the hotfix
    report = services.rebase_release(site.v3)
    assert {row.key for row in report.taken} == {_key(site.about), _key(news), _key(site.team)}
    assert version_of(news, site.v3).object_id == news.pk
    assert version_of(site.team, site.v3).active is False
    ship(site.v3)
    assert live_titles() == ["About v2", "Contact", "News"]


def test_rebased_flags_keep_the_deploy_fast_path_exact():
    """After a rebase onto live, the manifest that trusts ``inherited`` equals the full one,
    also with a locked release in between (v3 from b from v1, b changed Contact)."""
    site = parallel_site(deploy_v2=False)
    b = services.create_release("b", based_on=site.v1)
    edit(site.contact, b, "Contact b")
    services.lock_release(b)
    v4 = services.create_release("v4", based_on=b)
    edit(site.team, v4, "Team v4")
    ship(site.v2)
    report = services.rebase_release(v4)
    assert [row.key for row in report.taken] == [_key(site.about)]
    services.lock_release(v4)
    v4, live = refreshed(v4), Release.objects.live()
    assert v4.based_on == live
    fast = [(c.kind, c.grouping_key) for c in compute_manifest(live, v4).changes]
    full = [(c.kind, c.grouping_key) for c in _changes_by_comparison(live, v4)]
    assert sorted(fast) == sorted(full) and len(full) == 2
    services.deploy_release(v4)
    assert live_titles() == ["About v2", "Contact b", "Team v4"]


def test_publish_now_leaves_other_open_releases_flagged():
    site = parallel_site(deploy_v2=False)
    v4 = services.create_release("v4", based_on=site.v1)
    with use_release(site.v2):
        fix = edit(site.team, site.v2, "Team fix", approve=False)
        services.publish_now(fix, user=None)
    counts = behind_counts([refreshed(site.v2), refreshed(site.v3), refreshed(v4)], Release.objects.live().pk)
    assert counts == {site.v2.pk: 0, site.v3.pk: 1, v4.pk: 1}
    report = services.rebase_release(site.v3)
    assert [row.key for row in report.taken] == [_key(site.team)]
    assert version_of(site.team, site.v3).object_id == fix.pk


def test_behind_counts_follow_a_rebase():
    site = parallel_site()
    live = site.v2.pk
    assert behind_counts([site.v3, site.v2, site.v1], live) == {site.v3.pk: 1, site.v2.pk: 0, site.v1.pk: 0}
    services.rebase_release(site.v3)
    assert behind_counts([refreshed(site.v3)], live) == {site.v3.pk: 0}


def test_command_rebases_and_reports(capsys):
    site = parallel_site()
    edit(site.contact, site.v3, "Contact v3")
    call_command("rebase_release", "--release-version", "v3")
    out = capsys.readouterr().out
    assert "Rebased release v3 onto v2" in out
    assert "1 grouping(s) taken from the live release" in out
    assert "About v2" in out
    call_command("rebase_release", "--release-version", "v3")
    assert "up to date" in capsys.readouterr().out
    services.lock_release(site.v3)
    with pytest.raises(CommandError, match="locked, so it cannot be rebased"):
        call_command("rebase_release", "--release-version", "v3")


def test_command_lists_conflicts(capsys):
    site = parallel_site()
    edit(site.about, site.v3, "About v3")
    call_command("rebase_release", "--release-version", "v3")
    out = capsys.readouterr().out
    assert "1 conflict(s)" in out and "About v3" in out and "About v2" in out


# -- the release page, the release list and the toolbar ---------------------------------


@pytest.fixture
def boss():
    return make_user("boss", superuser=True)


def test_release_page_lists_what_a_rebase_would_do_and_rebases(client, boss):
    site = parallel_site()
    mine = edit(site.contact, site.v3, "Contact v3")
    client.force_login(boss)
    html = client.get(release_url("change", site.v3)).content.decode()
    notice = element(html, "rv-behind")
    assert "1 change live since this release was branched" in notice
    assert "1 change live since this release was branched — Rebase" in element(html, "rv-button-rebase")
    assert "Taken from live by a rebase" in notice and "About (en)" in notice
    assert release_url("rebase", site.v3) in html
    assert f"/{site.about_v2.pk}/{site.about.pk}/" in notice  # compare: live → this release
    response = client.post(release_url("rebase", site.v3), {"next": "/admin/"})
    assert response.status_code == 302
    assert "now based on v2: 1 taken from the live release, 0 conflict(s)" in messages_of(response)[0]
    assert refreshed(site.v3).based_on == site.v2
    html = client.get(release_url("change", site.v3)).content.decode()
    assert "rv-behind" not in html and release_url("rebase", site.v3) not in html
    assert version_of(site.contact, site.v3).object_id == mine.pk


def test_release_page_lists_kept_conflicts_with_compare_and_take_live(client, boss):
    site = parallel_site()
    mine = edit(site.about, site.v3, 'About <b>"v3"</b>')
    services.rebase_release(site.v3)
    client.force_login(boss)
    html = client.get(release_url("change", site.v3)).content.decode()
    kept = element(html, "rv-kept-conflicts")
    assert "1 conflict kept at the last rebase" in html
    assert "About &lt;b&gt;&quot;v3&quot;&lt;/b&gt; (en)" in kept and "<b>" not in kept
    ct, key = _key(site.about)
    assert (
        reverse("admin:djangocms_release_versioning_release_compare", args=[ct, site.about_v2.pk, mine.pk])
        in kept
    )
    response = client.post(
        release_url("take_live", site.v3), {"content_type": ct, "grouping_key": key, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert version_of(site.about, site.v3).object_id == site.about_v2.pk
    assert "rv-kept-conflicts" not in client.get(release_url("change", site.v3)).content.decode()
    # a second click is refused with a message, nothing changes
    response = client.post(
        release_url("take_live", site.v3), {"content_type": ct, "grouping_key": key, "next": "/admin/"}
    )
    assert "has the live content of this grouping already" in messages_of(response)[0]


def test_rebase_endpoint_needs_the_lock_permission(client):
    site = parallel_site()
    client.force_login(make_user("editor", *EDITOR_PERMS))
    assert client.post(release_url("rebase", site.v3)).status_code == 403
    assert refreshed(site.v3).based_on == site.v1


def test_rebase_endpoint_refuses_a_locked_release_with_a_message(client, boss):
    site = parallel_site()
    services.lock_release(site.v3)
    client.force_login(boss)
    response = ajax(client, release_url("rebase", site.v3))
    assert response.status_code == 400
    assert "locked, so it cannot be rebased" in response.content.decode()


def _changelist_queries(client) -> tuple[int, str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(reverse("admin:djangocms_release_versioning_release_changelist"))
    assert response.status_code == 200
    return len(captured), response.content.decode()


def test_release_list_says_which_releases_are_behind_in_constant_queries(client, boss):
    site = parallel_site()
    client.force_login(boss)
    _changelist_queries(client)  # warm up: session, content types
    one, html = _changelist_queries(client)
    assert html.count("1 change live since this release was branched") == 1
    for name in ("v4", "v5", "v6"):
        release = services.create_release(name, based_on=site.v1)
        edit(site.team, release, f"Team {name}")
    services.lock_release("v6")
    many, html = _changelist_queries(client)
    assert html.count("1 change live since this release was branched — Rebase") == 3  # v3, v4, v5
    assert html.count("deploying it would revert them") == 1  # v6, locked
    assert many == one


def test_toolbar_release_menu_offers_rebase_when_behind(client, boss):
    page, v1, v2 = live_site(boss)
    patch = services.create_release("v1.1", based_on=v1)
    draft = services.create_draft(content_in(page, patch), user=boss, release=patch)
    add_text(draft, "Fixed")
    toolbar_ship(patch)
    client.force_login(boss)
    menu = element(
        client.get(page.get_absolute_url("en") + "?toolbar_on").content.decode(), "cms-release-menu"
    )
    item = item_of(menu, release_url("rebase", v2))
    assert "1 change live since this release was branched — Rebase" in item
    assert ajax(client, release_url("rebase", v2)).status_code == 200
    assert refreshed(v2).based_on == refreshed(patch)
    menu = element(
        client.get(page.get_absolute_url("en") + "?toolbar_on").content.decode(), "cms-release-menu"
    )
    assert release_url("rebase", v2) not in menu


def test_locked_release_that_is_behind_says_so_without_a_rebase(client, boss):
    site = parallel_site()
    services.lock_release(site.v3)
    client.force_login(boss)
    html = client.get(release_url("change", site.v3)).content.decode()
    assert "Deploying this release would put the old content back" in element(html, "rv-behind")
    button = element(html, "rv-button-rebase")
    assert "disabled" in button and "A locked release cannot be rebased" in button


def test_behind_counts_cost_nothing_for_releases_branched_from_live(django_assert_num_queries):
    site = parallel_site()
    v4 = services.create_release("v4", based_on=site.v2)
    with django_assert_num_queries(0):
        assert behind_counts([v4, site.v2, site.v1], site.v2.pk) == {v4.pk: 0, site.v2.pk: 0, site.v1.pk: 0}
    with django_assert_num_queries(3):  # the release tree, the live line's changed rows, the rows compared
        assert behind_counts([v4, site.v3], site.v2.pk) == {v4.pk: 0, site.v3.pk: 1}
