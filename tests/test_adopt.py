"""Adopting the content of a site that had no versioning (issue 15.1, ``services.adopt``).

The end-to-end check — a real site built by django CMS *without* this package, then
``migrate`` with it, the anonymous HTML of every public URL compared — is in
``tests/test_adopt_site.py``; this module tests the service, the command, the check and the
``migrate`` notice in-process.
"""

from __future__ import annotations

import io

import pytest
from django.contrib.auth.models import Permission
from django.core import checks
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command
from django.db import transaction

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Release, Version
from djangocms_release_versioning.services.adopt import adopt_on_migrate
from tests.factories import ArticleContentFactory, UserFactory
from tests.helpers import live_release
from tests.testapp.models import Article, ArticleContent

pytestmark = pytest.mark.django_db


def old_content(title: str = "old", language: str = "en", article: Article | None = None) -> ArticleContent:
    """A content row as a site without this package has it: no Version."""
    article = article or Article.objects.create(slug=title)
    return ArticleContent._original_manager.create(article=article, language=language, title=title)


def public_titles() -> set[str]:
    return set(ArticleContent.objects.values_list("title", flat=True))


def state() -> tuple:
    return (
        list(Release.objects.values_list("pk", "version", "is_locked")),
        Version.objects.count(),
        AuditEntry.objects.count(),
    )


def test_adopting_makes_existing_content_live_in_one_step():
    rows = [old_content("a"), old_content("b"), old_content("b-de", "de", Article.objects.get(slug="b"))]
    assert public_titles() == set()
    assert services.count_unversioned() == {"testapp.ArticleContent": 3}
    report = services.adopt_existing_content()
    assert report.release == "v1" and report.adopted == {"testapp.ArticleContent": 3}
    live = Release.objects.live()
    assert live.version == "v1" and live.is_locked and live.based_on is None
    assert public_titles() == {"a", "b", "b-de"}
    assert set(live.versions.values_list("object_id", "status")) == {(row.pk, APPROVED) for row in rows}
    assert services.count_unversioned() == {}
    audit = AuditEntry.objects.filter(release=live).values_list("action", "details")
    assert (Action.CREATE_CONTENT, {"adopted": 3, "model": "testapp.ArticleContent"}) in list(audit)
    assert {action for action, _details in audit} >= {Action.LOCK_RELEASE, Action.DEPLOY_RELEASE}


def test_adopting_again_changes_nothing():
    old_content("a")
    services.adopt_existing_content()
    before = state()
    report = services.adopt_existing_content()
    assert report.release == "" and report.adopted == {} and state() == before


def test_dry_run_writes_nothing():
    old_content("a")
    before = state()
    report = services.adopt_existing_content(dry_run=True)
    assert report.dry_run and report.release == "v1" and report.adopted == {"testapp.ArticleContent": 1}
    assert state() == before and public_titles() == set()


def test_with_a_live_release_adoption_branches_from_it_and_open_releases_follow():
    live, (kept,) = live_release({"title": "kept"})
    working = services.create_release("v2", based_on=live)
    with use_release(working):
        draft = services.create_draft(kept, user=None)
        draft.title = "kept, edited"
        draft.save()
    row = old_content("late")
    report = services.adopt_existing_content()
    assert report.release == "v1-adopted" and report.followed == ["v2"]
    adopted = Release.objects.live()
    assert adopted.based_on == live
    assert public_titles() == {"kept", "late"}
    assert Version.objects.get(release=working, object_id=row.pk).status == APPROVED
    with use_release(working):
        assert set(ArticleContent.admin_manager.current_content().values_list("title", flat=True)) == {
            "kept, edited",
            "late",
        }
    # Deploying the open release later keeps the adopted content live (nothing to revert).
    services.approve_release(working)
    services.lock_release(working)
    services.deploy_release(working)
    assert public_titles() == {"kept, edited", "late"}


def test_named_release_and_a_refused_name():
    old_content("a")
    with pytest.raises(ValidationError) as caught:
        services.adopt_existing_content(release_version="existing content")
    assert caught.value.code == "version_invalid_character"
    assert not Release.objects.exists()
    assert services.adopt_existing_content(release_version="v0-existing").release == "v0-existing"


def test_two_rows_of_one_grouping_adopt_the_newest_and_report_the_other():
    article = Article.objects.create(slug="twice")
    older = old_content("older", article=article)
    newer = old_content("newer", article=article)
    report = services.adopt_existing_content()
    assert public_titles() == {"newer"}
    assert report.skipped == [
        f"testapp.ArticleContent #{older.pk}: #{newer.pk} is newer content for {report_key(newer)}"
    ]
    assert services.count_unversioned() == {"testapp.ArticleContent": 1}


def report_key(content) -> str:
    from djangocms_release_versioning import registry

    return registry.for_content(content).grouping_key(content)


def test_a_refused_adoption_leaves_the_callers_transaction_usable():
    old_content("a")
    Release.objects.create(version="V1-Taken")
    with transaction.atomic():
        with pytest.raises(ValidationError) as caught:
            services.adopt_existing_content(release_version="v1-taken")
        assert caught.value.code == "version_taken"
        assert Release.objects.count() == 1  # the next query works
    assert Version.objects.count() == 0


def test_permissions_are_checked():
    old_content("a")
    user = UserFactory(is_staff=True, is_superuser=False)
    with pytest.raises(PermissionDenied):
        services.adopt_existing_content(user=user)
    for codename in ("add_release", "lock_release", "deploy_release"):
        user.user_permissions.add(Permission.objects.get(codename=codename))
    user = type(user).objects.get(pk=user.pk)
    assert services.adopt_existing_content(user=user).release == "v1"
    assert AuditEntry.objects.filter(action=Action.DEPLOY_RELEASE).get().user == user


# -- command, check, migrate ----------------------------------------------------------------


def test_command():
    old_content("a")
    out = io.StringIO()
    call_command("adopt_existing_content", "--dry-run", stdout=out)
    assert "Dry run: release v1 would make 1 testapp.ArticleContent live" in out.getvalue()
    assert not Release.objects.exists()
    out = io.StringIO()
    call_command("adopt_existing_content", stdout=out)
    assert "Release v1 is live with the existing content: 1 testapp.ArticleContent." in out.getvalue()
    out = io.StringIO()
    call_command("adopt_existing_content", stdout=out)
    assert "Nothing to adopt" in out.getvalue()


def test_command_refusal_exits_non_zero():
    old_content("a")
    with pytest.raises(CommandError, match="SPACE"):
        call_command("adopt_existing_content", "--release-version", "two words")
    with pytest.raises(CommandError, match="no user"):
        call_command("adopt_existing_content", "--username", "nobody")


def warnings_w002() -> list[checks.CheckMessage]:
    return [
        message
        for message in checks.run_checks(databases=["default"], tags=[checks.Tags.database])
        if message.id == "djangocms_release_versioning.W002"
    ]


def test_system_check_warns_while_content_belongs_to_no_release():
    assert warnings_w002() == []
    old_content("a")
    (warning,) = warnings_w002()
    assert "1 testapp.ArticleContent" in warning.msg and "adopt_existing_content" in warning.hint
    services.adopt_existing_content()
    assert warnings_w002() == []


def test_migrate_adopts_on_first_install():
    old_content("a")
    out = io.StringIO()
    report = adopt_on_migrate(using="default", stdout=out)
    assert report.release == "v1" and public_titles() == {"a"}
    assert "the existing content (1 testapp.ArticleContent) is now live as release v1" in out.getvalue()


def test_migrate_names_the_command_when_releases_exist_already(settings):
    live_release({"title": "kept"})
    old_content("late")
    out = io.StringIO()
    assert adopt_on_migrate(using="default", stdout=out) is None
    assert "1 testapp.ArticleContent without a release" in out.getvalue()
    assert "manage.py adopt_existing_content" in out.getvalue()
    assert public_titles() == {"kept"}


def test_migrate_does_not_adopt_when_switched_off(settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_ADOPT_ON_MIGRATE = False
    old_content("a")
    out = io.StringIO()
    assert adopt_on_migrate(using="default", stdout=out) is None
    assert "adopt_existing_content" in out.getvalue() and not Release.objects.exists()


def test_migrate_command_prints_the_notice():
    live_release({"title": "kept"})
    old_content("late")
    out = io.StringIO()
    call_command("migrate", stdout=out, verbosity=1)
    assert "Release versioning: 1 testapp.ArticleContent without a release" in out.getvalue()


def test_migrate_says_nothing_when_everything_is_versioned():
    live_release({"title": "kept"})
    out = io.StringIO()
    call_command("migrate", stdout=out, verbosity=1)
    assert "Release versioning" not in out.getvalue()


def test_factory_content_is_versioned_and_not_adopted():
    release = services.create_release("v1")
    with use_release(release):
        ArticleContentFactory()
    assert services.count_unversioned() == {}


def test_adopted_posts_keep_their_publication_dates():
    """djangocms-stories' on_publish hook would date an undated post "now" (changing its URL)."""
    from django.contrib.auth import get_user_model
    from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults
    from djangocms_stories.models import Post, PostContent

    fields = {field.name for field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    config = StoriesConfig.objects.create(namespace="blog", app_title="Blog", object_name="Story", **defaults)
    author = get_user_model().objects.create(username="author")
    post = Post.objects.create(app_config=config, author=author)
    PostContent._original_manager.create(post=post, language="en", title="Undated", slug="undated")
    url = PostContent._original_manager.get().get_absolute_url("en")
    report = services.adopt_existing_content()
    assert report.adopted["djangocms_stories.PostContent"] == 1
    post.refresh_from_db()
    assert post.date_published is None and post.date_published_end is None
    assert PostContent.objects.get().get_absolute_url("en") == url


def test_an_open_first_release_follows_and_deploys_with_the_adopted_content():
    """Editors started v1 before anyone adopted: the adopted content is live at once, and in v1."""
    first = services.create_release("v1")
    with use_release(first):
        ArticleContentFactory(title="new page")
    old_content("old page")
    report = services.adopt_existing_content()
    assert report.release == "v1-adopted" and report.followed == ["v1"]
    assert public_titles() == {"old page"}
    services.approve_release(first)
    services.lock_release(first)
    services.deploy_release(first)
    assert public_titles() == {"old page", "new page"}


@pytest.mark.django_db(transaction=True)  # MariaDB commits DDL at once: clean up by flushing
def test_a_djangocms_versioning_site_is_not_adopted():
    """Its rows are drafts, published and archived versions: import_djangocms_versioning moves it."""
    from tests.test_import_djangocms_versioning import _create_table, _drop_table

    old_content("a")
    _create_table()
    try:
        with pytest.raises(ValidationError) as caught:
            services.adopt_existing_content()
        assert caught.value.code == "djangocms_versioning_site"
        assert "import_djangocms_versioning" in caught.value.messages[0]
        out = io.StringIO()
        assert adopt_on_migrate(using="default", stdout=out) is None
        assert out.getvalue() == "" and not Release.objects.exists()
    finally:
        _drop_table()


def adoption_queries(rows: int) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for number in range(rows):
        old_content(f"row-{rows}-{number}")
    with CaptureQueriesContext(connection) as queries:
        services.adopt_existing_content()
    Version.objects.all().delete()
    AuditEntry.objects.all().delete()
    from djangocms_release_versioning.models import Deployment, LiveRelease

    LiveRelease.objects.all().delete()
    Deployment.objects.all().delete()
    Release.objects.all().delete()
    ArticleContent._original_manager.all().delete()
    return len(queries)


def test_adoption_costs_the_same_queries_for_few_and_many_rows():
    few, many = adoption_queries(3), adoption_queries(60)
    assert few == many, (few, many)
