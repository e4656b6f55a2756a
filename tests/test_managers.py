"""objects / admin_manager / _original_manager / with_user on registered content models."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.managers import AdminQuerySetMixin, PublicManagerMixin
from tests.factories import ArticleContentFactory, SnippetContentFactory, UserFactory
from tests.helpers import live_release, version_of
from tests.testapp.models import Article, ArticleContent, ArticleContentManager, SnippetContent

pytestmark = pytest.mark.django_db


def test_objects_stays_default_manager_and_keeps_its_class():
    assert ArticleContent._default_manager.name == "objects"
    assert isinstance(ArticleContent.objects, PublicManagerMixin)
    assert isinstance(ArticleContent.objects, ArticleContentManager)
    assert hasattr(ArticleContent.objects.all(), "titled")
    assert isinstance(ArticleContent.admin_manager.all(), AdminQuerySetMixin)
    assert type(ArticleContent._original_manager) is ArticleContentManager


def test_stories_manager_keeps_on_site():
    from djangocms_stories.models import PostContent

    assert hasattr(PostContent.objects, "on_site")
    assert hasattr(PostContent.admin_manager.current_content(), "on_site")


def test_objects_serves_live_approved_active_only():
    release, (live_content, hidden_later) = live_release({}, {})
    branch = services.create_release("v2", based_on=release)
    with use_release(branch):
        ArticleContentFactory(title="new draft")
        draft = services.create_draft(live_content, user=None)
    assert set(ArticleContent.objects.all()) == {live_content, hidden_later}
    assert draft not in ArticleContent.objects.all()
    assert ArticleContent.objects.titled("Article").count() == 2
    assert set(live_content.article.contents.all()) == {live_content}


def test_objects_serves_nothing_before_first_deploy():
    ArticleContentFactory()
    assert not ArticleContent.objects.exists()
    assert ArticleContent._original_manager.count() == 1


def test_use_release_public_serves_that_release():
    release = services.create_release("v1")
    with use_release(release):
        content = ArticleContentFactory()
    services.approve_release(release)
    with use_release(release, public=True):
        assert list(ArticleContent.objects.all()) == [content]
    assert not ArticleContent.objects.exists()


def test_public_query_count_flat_with_many_releases(django_assert_num_queries):
    release, (content,) = live_release()
    with django_assert_num_queries(1):
        assert list(ArticleContent.objects.filter(pk=content.pk)) == [content]
    previous = release
    for number in range(2, 12):
        previous = services.create_release(f"v{number}", based_on=previous)
        services.lock_release(previous)
    with django_assert_num_queries(1):
        assert list(ArticleContent.objects.filter(pk=content.pk)) == [content]


def test_current_and_latest_content_per_working_release():
    release, (first, second) = live_release({}, {})
    branch = services.create_release("v2", based_on=release)
    with use_release(branch):
        draft = services.create_draft(first, user=None)
    version_of(second, branch).deactivate()
    with use_release(branch):
        assert set(ArticleContent.admin_manager.current_content()) == {draft}
        assert set(ArticleContent.admin_manager.latest_content()) == {draft, second}
        assert list(ArticleContent.admin_manager.current_content(article=first.article)) == [draft]
        assert list(ArticleContent.admin_manager.filter(article=first.article).current_content()) == [draft]
    with use_release(release):
        assert set(ArticleContent.admin_manager.current_content()) == {first, second}


def test_current_content_at_most_one_row_per_grouping():
    release, contents = live_release({}, {}, {})
    previous = release
    for number in range(2, 5):
        branch = services.create_release(f"v{number}", based_on=previous)
        with use_release(branch):
            for content in contents:
                services.create_draft(content, user=None)
        services.approve_release(branch)
        services.lock_release(branch)
        previous = branch
    assert ArticleContent._original_manager.count() == 12
    with use_release(previous):
        rows = list(ArticleContent.admin_manager.current_content().values_list("article_id", "language"))
    assert len(rows) == len(set(rows)) == 3


def test_release_selections():
    release = services.create_release("v1")
    with use_release(release):
        approved, hidden, draft = ArticleContentFactory(), ArticleContentFactory(), ArticleContentFactory()
    version_of(approved, release).approve()
    version_of(hidden, release).deactivate()
    manager = ArticleContent.admin_manager
    assert set(manager.for_release(release)) == {approved, draft}
    assert set(manager.approved("v1")) == {approved}
    assert set(manager.all_rows(release)) == {approved, hidden, draft}


def test_with_user_create_records_user_and_admin_manager_with_user():
    user = UserFactory()
    content = ArticleContent.objects.with_user(user).create(
        article=Article.objects.create(slug="a"), title="t"
    )
    version = version_of(content, "v1")
    assert version.modified_by == user
    other = ArticleContent.admin_manager.with_user(user).create(
        article=Article.objects.create(slug="b"), title="u"
    )
    assert version_of(other, "v1") is not None


def test_with_user_rejects_non_user():
    with pytest.raises(ValueError, match="expects a user"):
        ArticleContent.objects.with_user("admin")


def test_default_manager_model_without_custom_managers():
    content = SnippetContentFactory()
    assert not SnippetContent.objects.exists()
    assert list(SnippetContent.admin_manager.current_content()) == [content]


def test_working_release_lookup_costs_one_query_inside_use_release():
    release = services.create_release("v1")
    with use_release(release):
        ArticleContentFactory()
        with CaptureQueriesContext(connection) as queries:
            list(ArticleContent.admin_manager.current_content())
    assert len(queries) == 1
