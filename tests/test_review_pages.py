"""The review page of a large release: both lists paginate, and a page costs the same
queries whether the release changes 30 or 230 groupings (issue 11.4)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.views.review import REVIEW_PAGE_SIZE
from tests.factories import ArticleContentFactory
from tests.test_toolbar_support import element, make_user, release_url

pytestmark = pytest.mark.django_db


@pytest.fixture
def boss(client):
    user = make_user("boss", superuser=True)
    client.force_login(user)
    return user


def release_with_new_articles(count: int, version: str):
    """An open release adding ``count`` approved articles (nothing is live)."""
    release = services.create_release(version)
    with use_release(release):
        for _ in range(count):
            ArticleContentFactory()
    services.approve_release(release)
    return release


def review(client, release, **params):
    with CaptureQueriesContext(connection) as captured:
        response = client.get(release_url("review", release), params)
    assert response.status_code == 200
    return response.content.decode(), len(captured)


def rows(html: str, table_class: str) -> int:
    return element(html, table_class).count("<tr") - 1  # minus the header row


def test_both_lists_paginate(client, boss):
    release = release_with_new_articles(REVIEW_PAGE_SIZE + 30, "v1")
    first, _queries = review(client, release)
    assert rows(first, "rv-goes-live") == REVIEW_PAGE_SIZE
    assert rows(first, "rv-differences") == REVIEW_PAGE_SIZE
    assert f"page 1 of 2 ({REVIEW_PAGE_SIZE + 30} rows)" in first
    second, _queries = review(client, release, page=2, live_page=2)
    assert rows(second, "rv-goes-live") == 30
    assert rows(second, "rv-differences") == 30
    assert "page 2 of 2" in second
    beyond, _queries = review(client, release, page=99, live_page="x")
    assert rows(beyond, "rv-differences") == 30  # out of range: the last page
    assert rows(beyond, "rv-goes-live") == REVIEW_PAGE_SIZE  # not a number: the first page


def test_a_page_costs_the_same_queries_for_small_and_large_reviews(client, boss):
    small = release_with_new_articles(30, "small")
    review(client, small)  # the first request fills per-process caches (content types …)
    _html, small_queries = review(client, small)
    large = release_with_new_articles(230, "large")
    _html, large_queries = review(client, large)
    assert large_queries == small_queries
