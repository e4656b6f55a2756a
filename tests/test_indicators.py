"""content_indicator(): working release Version against the live one (DESIGN §5)."""

import pytest

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import INDICATOR_DESCRIPTIONS
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.indicators import prefetch_indicators
from tests.factories import ArticleContentFactory
from tests.helpers import live_release, version_of
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def _fresh(content):
    return ArticleContent._base_manager.get(pk=content.pk)


def test_every_state():
    release, (unchanged, changed, hidden, parked, approved_new) = live_release({}, {}, {}, {}, {})
    branch = services.create_release("v2", based_on=release)
    with use_release(branch):
        new_draft = ArticleContentFactory()
        dirty = services.create_draft(changed, user=None)
        version_of(hidden, branch).deactivate()
        parked_copy = services.create_draft(parked, user=None)
        version_of(parked_copy, branch).mark_future()
        approved_copy = services.create_draft(approved_new, user=None)
        version_of(approved_copy, branch).approve()
        states = {
            "published": _fresh(unchanged).content_indicator(),
            "dirty": _fresh(dirty).content_indicator(),
            "unpublished": _fresh(hidden).content_indicator(),
            "future": _fresh(parked_copy).content_indicator(),
            "approved": _fresh(approved_copy).content_indicator(),
            "draft": _fresh(new_draft).content_indicator(),
        }
    assert states == {key: key for key in states}
    assert set(INDICATOR_DESCRIPTIONS) == {*states, "empty"}


def test_empty_when_grouping_not_in_working_release():
    _release, (content,) = live_release()
    other = services.create_release("other")
    with use_release(other):
        assert _fresh(content).content_indicator() == "empty"


def test_prefetch_is_one_query_per_model(django_assert_num_queries):
    release, contents = live_release({}, {}, {}, {})
    rows = [_fresh(c) for c in contents]
    with use_release(release):
        with django_assert_num_queries(2):  # live pointer + versions
            prefetch_indicators(rows)
        with django_assert_num_queries(0):
            assert {row.content_indicator() for row in rows} == {"published"}
