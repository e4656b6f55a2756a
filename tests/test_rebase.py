"""Rebase: an open release brought up to date with the live release (DESIGN §9.2)."""

import pytest
from django.contrib.auth.models import Permission
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction

from djangocms_release_versioning import registry, services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.lineage import behind_counts
from djangocms_release_versioning.manifest import _changes_by_comparison, compute_manifest
from djangocms_release_versioning.models import AuditEntry, Release, Version
from tests.factories import ArticleContentFactory, UserFactory
from tests.helpers import refreshed, version_of
from tests.parallel_support import edit, live_titles, parallel_site, ship
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
