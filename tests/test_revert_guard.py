"""Deploys never silently revert (DESIGN §9.1.11): the ``would_revert`` guard."""

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.lineage import BEHIND, CONFLICT, divergence
from djangocms_release_versioning.models import AuditEntry, Deployment, Release
from tests.factories import ArticleContentFactory
from tests.helpers import refreshed
from tests.parallel_support import edit, live_titles, parallel_site, ship
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def _codes(error: ValidationError) -> set[str]:
    return {e.code for e in error.error_list}


def _refused_deploy(release: Release, **options) -> ValidationError:
    if not refreshed(release).is_locked:
        services.approve_release(release)
        services.lock_release(release)
    deployments = Deployment.objects.count()
    with pytest.raises(ValidationError) as raised:
        services.deploy_release(release, **options)
    assert Deployment.objects.count() == deployments
    return raised.value


def test_stale_release_is_refused_naming_both_versions():
    site = parallel_site()
    error = _refused_deploy(site.v3)
    assert _codes(error) == {"would_revert"}
    message = " ".join(error.messages)
    assert '"About v2 (en)"' in message and '"About (en)"' in message
    assert "changed live by v2" in message and "from v1" in message
    assert "rebase_release --release-version v3" in message and "--allow-revert" in message
    assert "Contact" not in message and "Team" not in message
    assert Release.objects.live() == site.v2
    assert live_titles() == ["About v2", "Contact", "Team"]


def test_refusal_leaves_the_callers_transaction_usable():
    site = parallel_site()
    services.lock_release(site.v3)
    with transaction.atomic():
        with pytest.raises(ValidationError):
            services.deploy_release(site.v3)
        assert Release.objects.live() == site.v2  # the transaction still works
    assert not Deployment.objects.filter(release=site.v3).exists()


def test_allow_revert_deploys_and_is_audited():
    site = parallel_site()
    services.lock_release(site.v3)
    services.deploy_release(site.v3, allow_revert=True)
    assert live_titles() == ["About", "Contact", "Team"]
    entry = AuditEntry.objects.filter(action="deploy_release", release=site.v3).get()
    [row] = entry.details["confirmed"]["would_revert"]
    assert row["name"] == "About v2 (en)" and row["reason"] == "reverts"


def test_rollback_is_the_explicit_revert():
    site = parallel_site()
    services.deploy_release(site.v1, rollback=True)
    assert live_titles() == ["About", "Contact", "Team"]


def test_release_that_changed_the_grouping_too_is_not_refused():
    site = parallel_site()
    edit(site.about, site.v3, "About v3")
    ship(site.v3)
    assert live_titles() == ["About v3", "Contact", "Team"]


def test_release_that_took_the_live_row_is_not_refused():
    """Nothing reverts when the release has the live content already (here: by hand)."""
    site = parallel_site()
    services.take_live(site.v3, _ct(), _key(site.about))
    ship(site.v3)
    assert live_titles() == ["About v2", "Contact", "Team"]


def test_release_branched_from_a_newer_locked_release_is_not_refused():
    """v1 live; v2 from v1 locked, not deployed; v3 from v2: deploying v3 moves forward."""
    site = parallel_site(deploy_v2=False)
    services.lock_release(site.v2)
    v4 = services.create_release("v4", based_on=site.v2)
    ship(v4)
    assert live_titles() == ["About v2", "Contact", "Team"]


def test_release_branched_before_a_rollback_is_not_refused():
    """v2 deployed, rolled back to v1; v4 branched from v2 brings v2's work back on purpose."""
    site = parallel_site()
    v4 = services.create_release("v4", based_on=site.v2)
    services.deploy_release(site.v1, rollback=True)
    ship(v4)
    assert live_titles() == ["About v2", "Contact", "Team"]


def test_locked_ancestor_of_the_live_release_would_revert_everything_since():
    """v4 from v3 (locked, never deployed) went live: deploying v3 would revert v4's work."""
    site = parallel_site(deploy_v2=False)
    services.lock_release(site.v3)
    v4 = services.create_release("v4", based_on=site.v3)
    edit(site.contact, v4, "Contact v4")
    ship(v4)
    error = _refused_deploy(site.v3)
    assert "Contact v4" in " ".join(error.messages)


def test_hotfix_shipped_since_the_branch_is_protected():
    site = parallel_site(deploy_v2=False)
    with use_release(site.v2):
        hotfix = edit(site.team, site.v2, "Team hotfix", approve=False)
        services.publish_now(hotfix, user=None)
    # v2 is the working release and follows the hotfix; v3 does not have it.
    assert _codes(_refused_deploy(site.v3)) == {"would_revert"}
    assert live_titles() == ["About", "Contact", "Team hotfix"]


def test_working_release_that_followed_the_hotfix_is_not_refused():
    site = parallel_site(deploy_v2=False)
    with use_release(site.v2):
        hotfix = edit(site.team, site.v2, "Team hotfix", approve=False)
        services.publish_now(hotfix, user=None)
    ship(site.v2)
    assert live_titles() == ["About v2", "Contact", "Team hotfix"]


def test_unpublished_live_grouping_would_come_back():
    site = parallel_site(deploy_v2=False)
    with use_release(site.v2):
        services.unpublish_now(site.team, user=None)
    error = _refused_deploy(site.v3)
    assert "hidden" in " ".join(error.messages)


def test_grouping_added_live_since_the_branch_would_go_offline_and_revert():
    site = parallel_site(deploy_v2=False)
    with use_release(site.v2):
        ArticleContentFactory(title="News")
    ship(site.v2)
    services.lock_release(site.v3, allow_offline=True)
    error = _refused_deploy(site.v3)
    assert {"would_revert", "would_go_offline"} <= _codes(error)
    services.deploy_release(site.v3, allow_revert=True, allow_offline=True)
    assert live_titles() == ["About", "Contact", "Team"]


def test_dry_run_lists_what_would_revert():
    site = parallel_site()
    services.lock_release(site.v3)
    with pytest.raises(ValidationError) as raised:
        services.deploy_release(site.v3, dry_run=True)
    assert _codes(raised.value) == {"would_revert"}
    manifest = services.deploy_release(site.v3, dry_run=True, allow_revert=True)
    [finding] = [f for f in manifest.findings if f.code == "would_revert"]
    assert [row.name for row in finding.rows] == ["About v2 (en)"]
    assert Release.objects.live() == site.v2


def test_command_refuses_and_allow_revert_deploys(capsys):
    site = parallel_site()
    services.lock_release(site.v3)
    with pytest.raises(CommandError, match="add --allow-revert"):
        call_command("deploy_release", "--release-version", "v3", "--dry-run")
    dry_run = capsys.readouterr().out
    assert 'changed  testapp.ArticleContent "About (en)" (en)  [reverts a live change]' in dry_run
    assert "Live changes this deploy would revert (would_revert, refused without --allow-revert)" in dry_run
    with pytest.raises(CommandError, match="would revert 1 change"):
        call_command("deploy_release", "--release-version", "v3")
    assert Release.objects.live() == site.v2
    call_command("deploy_release", "--release-version", "v3", "--allow-revert")
    assert Release.objects.live() == refreshed(site.v3)


def test_divergence_kinds():
    site = parallel_site()
    found = divergence(site.v3, site.v2.pk)
    assert found.fork_id == site.v1.pk and found.live_path == [site.v2.pk]
    assert [(row.kind, row.live.object_id) for row in found.rows] == [(BEHIND, site.about_v2.pk)]
    edit(site.about, site.v3, "About v3")
    assert [row.kind for row in divergence(site.v3, site.v2.pk).rows] == [CONFLICT]


def test_guard_reads_what_changed_not_the_whole_site():
    """The divergence costs the same number of queries with 3 and 40 groupings."""

    def queries(extra: int) -> int:
        v1 = services.create_release(f"w{extra}")
        with use_release(v1):
            for i in range(3 + extra):
                ArticleContentFactory(title=f"a{i}")
        services.approve_release(v1)
        services.lock_release(v1, allow_offline=True)  # replaces the other site entirely
        services.deploy_release(v1, allow_offline=True)
        v2 = services.create_release(f"w{extra}-2", based_on=v1)
        v3 = services.create_release(f"w{extra}-3", based_on=v1)
        first = ArticleContent._base_manager.filter(title="a0").order_by("-pk").first()
        edit(first, v2, "changed")
        ship(v2)
        with CaptureQueriesContext(connection) as captured:
            assert len(divergence(refreshed(v3), v2.pk)) == 1
        return len(captured)

    assert queries(0) == queries(37)


def _ct() -> int:
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(ArticleContent).pk


def _key(content: ArticleContent) -> str:
    from djangocms_release_versioning import registry

    return registry.for_content(content).grouping_key(content)


def test_review_page_marks_the_rows_that_would_revert(client):
    from tests.test_toolbar_support import element, make_user, release_url

    site = parallel_site()
    edit(site.contact, site.v3, "Contact v3")
    client.force_login(make_user("boss", superuser=True))
    html = client.get(release_url("review", site.v3)).content.decode()
    goes_live = element(html, "rv-goes-live")
    reverting = [row for row in goes_live.split("<tr")[1:] if "rv-row-reverts" in row]
    assert len(reverting) == 1 and "About (en)" in reverting[0]
    assert "reverts a live change" in reverting[0]
    assert goes_live.count("reverts a live change") == 1  # Contact v3 is this release's own change
    services.rebase_release(site.v3)
    html = client.get(release_url("review", site.v3)).content.decode()
    assert "reverts a live change" not in html


def test_scheduled_deploy_of_a_stale_release_fails_with_the_reason():
    from datetime import UTC, datetime, timedelta

    import time_machine

    now = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)
    with time_machine.travel(now, tick=False):
        site = parallel_site(deploy_v2=False)
        services.lock_release(site.v3)
        schedule = services.schedule_deploy(site.v3, at=now + timedelta(hours=1))  # fine now
        ship(site.v2)  # ... but v2 goes live before the schedule runs
        assert services.run_scheduled_deploys(now=now + timedelta(hours=2)) == []
        with pytest.raises(ValidationError) as raised:  # scheduling it again is refused at once
            services.schedule_deploy(site.v3, at=now + timedelta(hours=3))
        assert _codes(raised.value) == {"would_revert"}
    schedule.refresh_from_db()
    assert (schedule.status, schedule.failure_code) == ("failed", "would_revert")
    assert "rebase_release --release-version v3" in schedule.failure_reason
    assert Release.objects.live() == site.v2


def test_deploy_page_lists_the_reverts_with_a_checkbox(client):
    from tests.test_toolbar_support import element, make_user, release_url

    site = parallel_site()
    services.lock_release(site.v3)
    client.force_login(make_user("boss", superuser=True))
    html = client.get(release_url("deploy", site.v3)).content.decode()
    manifest = element(html, "rv-manifest")
    assert manifest.count("reverts a live change") == 1
    assert "Live changes this deploy would revert" in html and 'name="allow_revert"' in html
    assert "changed live by v2" in html
    response = client.post(release_url("deploy", site.v3), {"next": "/admin/"})
    assert Release.objects.live() == site.v2, "deployed without the confirmation"
    assert "would revert 1 change" in response.content.decode()
    response = client.post(release_url("deploy", site.v3), {"next": "/admin/", "allow_revert": "on"})
    assert response.status_code == 302
    assert Release.objects.live() == refreshed(site.v3)
    entry = AuditEntry.objects.get(action="deploy_release", release=site.v3)
    assert list(entry.details["confirmed"]) == ["would_revert"]
