"""One release per response (DESIGN §9.1, invariant 8): the live pointer snapshot and the
cache keys that follow the live deployment."""

from __future__ import annotations

import contextvars

import pytest
from cms.utils.conf import get_cms_setting
from django.contrib.auth.models import AnonymousUser
from django.test import RequestFactory

from djangocms_release_versioning import services
from djangocms_release_versioning.context import (
    get_live_snapshot,
    has_live_snapshot,
    live_snapshot,
    use_release,
)
from djangocms_release_versioning.middleware import WorkingReleaseMiddleware
from tests.factories import ArticleContentFactory
from tests.helpers import live_release
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db


def _request():
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    request.session = {}
    return request


def _deploy_elsewhere(version: str, **kwargs) -> None:
    """Deploy as another process would: in a context without this request's snapshot."""
    contextvars.Context().run(services.deploy_release, version, **kwargs)


@pytest.fixture
def two_releases():
    """v1 live with "One"; v2 locked with "Two" instead."""
    v1, (content,) = live_release({"title": "One"})
    v2 = services.create_release("v2", based_on=v1)
    draft = services.create_draft(content, user=None, release=v2)
    draft.title = "Two"
    draft.save()
    services.approve_release(v2)
    services.lock_release(v2)
    return v1, v2


def _titles() -> list[str]:
    return sorted(ArticleContent.objects.values_list("title", flat=True))


def test_a_request_serves_the_release_it_read_first_even_if_a_deploy_commits_meanwhile(two_releases):
    seen = []

    def view(request):
        seen.append((_titles(), get_cms_setting("CACHE_PREFIX")))
        _deploy_elsewhere("v2")
        seen.append((_titles(), get_cms_setting("CACHE_PREFIX")))

    WorkingReleaseMiddleware(view)(_request())
    assert seen[0] == seen[1]
    assert seen[0][0] == ["One"]
    after = []
    WorkingReleaseMiddleware(lambda request: after.append((_titles(), get_cms_setting("CACHE_PREFIX"))))(
        _request()
    )
    assert after[0][0] == ["Two"]
    assert after[0][1] != seen[0][1]


def test_cache_prefix_names_the_deployment_not_only_the_release(two_releases):
    """A rollback to v1 gets keys of its own: entries made while v1 was live before, under
    another deployment, are never read again (they may predate page URL changes)."""
    prefixes = [get_cms_setting("CACHE_PREFIX")]
    services.deploy_release("v2")
    prefixes.append(get_cms_setting("CACHE_PREFIX"))
    services.deploy_release("v1", rollback=True)
    prefixes.append(get_cms_setting("CACHE_PREFIX"))
    assert len(set(prefixes)) == 3
    assert all(prefix.startswith(f"cms_{__import__('cms').__version__}_rv") for prefix in prefixes)


def test_snapshot_costs_one_query_per_request_with_the_cache_prefix(two_releases, django_assert_num_queries):
    def view(request):
        get_cms_setting("CACHE_PREFIX")
        _titles()
        get_cms_setting("CACHE_PREFIX")
        _titles()

    with django_assert_num_queries(3):  # the snapshot, then two content queries
        WorkingReleaseMiddleware(view)(_request())


def test_outside_a_request_every_statement_reads_the_live_pointer(two_releases):
    assert not has_live_snapshot()
    assert _titles() == ["One"]
    _deploy_elsewhere("v2")
    assert _titles() == ["Two"]


def test_live_snapshot_block_serves_one_release(two_releases):
    v1, _v2 = two_releases
    with live_snapshot() as snapshot:
        assert snapshot.release_id == v1.pk
        assert _titles() == ["One"]
        _deploy_elsewhere("v2")
        assert _titles() == ["One"]
        assert get_live_snapshot() == snapshot
    assert _titles() == ["Two"]
    assert get_live_snapshot().generation == snapshot.generation + 1


def test_a_deploy_inside_the_request_serves_the_new_release_afterwards(two_releases):
    """The request that deploys (the admin) reads the pointer again after its own deploy."""
    seen = []

    def view(request):
        seen.append(_titles())
        services.deploy_release("v2")
        seen.append(_titles())

    WorkingReleaseMiddleware(view)(_request())
    assert seen == [["One"], ["Two"]]


def test_a_public_release_override_has_cache_keys_of_its_own(two_releases):
    _v1, v2 = two_releases
    live_prefix = get_cms_setting("CACHE_PREFIX")
    with use_release(v2, public=True):
        assert _titles() == ["Two"]
        assert get_cms_setting("CACHE_PREFIX") not in (live_prefix, "")
    assert get_cms_setting("CACHE_PREFIX") == live_prefix


def test_nothing_live_serves_nothing_inside_a_request():
    release = services.create_release("v1")
    with use_release(release):
        ArticleContentFactory(title="Draft")
    seen = []
    WorkingReleaseMiddleware(lambda request: seen.append((_titles(), get_live_snapshot())))(_request())
    assert seen[0][0] == []
    assert seen[0][1].release_id is None


# -- system check W003 ------------------------------------------------------------------------


def _check_ids() -> list[str]:
    from django.core import checks

    return [message.id for message in checks.run_checks() if message.id.startswith("djangocms_release")]


CMS_CACHES_ON = {"menus": 60, "content": 60, "permissions": 60}
LOCMEM = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def test_a_per_process_cache_holding_cms_caches_warns(settings):
    settings.CACHES = LOCMEM
    settings.CMS_CACHE_DURATIONS = CMS_CACHES_ON
    assert "djangocms_release_versioning.W003" in _check_ids()
    settings.DJANGOCMS_RELEASE_VERSIONING_SINGLE_PROCESS = True  # acknowledged
    assert "djangocms_release_versioning.W003" not in _check_ids()


@pytest.mark.parametrize(
    "backend",
    [
        "django.core.cache.backends.filebased.FileBasedCache",
        "django.core.cache.backends.db.DatabaseCache",
        "django.core.cache.backends.redis.RedisCache",
        "django.core.cache.backends.dummy.DummyCache",
    ],
)
def test_shared_caches_and_no_cache_do_not_warn(settings, backend):
    settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": "unused"}}
    settings.CMS_CACHE_DURATIONS = CMS_CACHES_ON
    assert "djangocms_release_versioning.W003" not in _check_ids()


def test_no_warning_while_django_cms_caches_nothing(settings):
    settings.CACHES = LOCMEM
    settings.CMS_CACHE_DURATIONS = {"menus": 0, "content": 0, "permissions": 0}
    assert "djangocms_release_versioning.W003" not in _check_ids()
