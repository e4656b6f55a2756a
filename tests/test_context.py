"""Working release: use_release(), the middleware and the session choice."""

import threading

import pytest
from django.core.exceptions import ValidationError
from django.test import RequestFactory

from djangocms_release_versioning import conf, services
from djangocms_release_versioning.context import get_working_release, is_working_release_explicit, use_release
from djangocms_release_versioning.middleware import (
    WorkingReleaseMiddleware,
    release_for_request,
    select_release,
)
from tests.factories import UserFactory
from tests.helpers import live_release

pytestmark = pytest.mark.django_db


def test_use_release_nests_and_restores():
    first = services.create_release("a")
    second = services.create_release("b")
    assert get_working_release() == second
    with use_release("a"):
        assert get_working_release() == first
        with use_release(second):
            assert get_working_release() == second
        assert get_working_release() == first
    assert get_working_release() == second


def test_use_release_as_decorator():
    services.create_release("a")
    services.create_release("b")

    @use_release("a")
    def working():
        return get_working_release().version

    assert working() == "a"
    assert working() == "a"


def test_use_release_unknown_release():
    with pytest.raises(ValidationError, match="no release nope"), use_release("nope"):
        pass


def test_use_release_is_per_thread():
    services.create_release("a")
    seen = []
    with use_release("a"):
        thread = threading.Thread(target=lambda: seen.append(is_working_release_explicit()))
        thread.start()
        thread.join()
        assert is_working_release_explicit()
    assert seen == [False]


def _request(user=None, session=None):
    request = RequestFactory().get("/")
    request.user = user
    request.session = session if session is not None else {}
    return request


def test_staff_session_choice_wins():
    release, _ = live_release()
    open_release = services.create_release("v2", based_on=release)
    staff = UserFactory()
    request = _request(staff)
    assert release_for_request(request) == open_release
    select_release(request, release)
    assert request.session[conf.SESSION_KEY] == release.pk
    assert release_for_request(request) == release


def test_session_choice_ignored_for_non_staff_and_deleted_releases():
    release, _ = live_release()
    open_release = services.create_release("v2", based_on=release)
    visitor = UserFactory(is_staff=False, is_superuser=False)
    assert release_for_request(_request(visitor, {conf.SESSION_KEY: release.pk})) == open_release
    assert release_for_request(_request(UserFactory(), {conf.SESSION_KEY: 999999})) == open_release


def test_middleware_sets_release_lazily(django_assert_num_queries):
    services.create_release("a")
    seen = []

    def view(request):
        seen.append(get_working_release().version)
        return None

    middleware = WorkingReleaseMiddleware(view)
    with django_assert_num_queries(0):
        WorkingReleaseMiddleware(lambda request: None)(_request())
    middleware(_request())
    assert seen == ["a"]


def test_working_and_live_release_in_one_query(django_assert_num_queries):
    from djangocms_release_versioning.middleware import releases_for_request

    release, _ = live_release()
    open_release = services.create_release("v2", based_on=release)
    staff = UserFactory()
    with django_assert_num_queries(1):
        assert releases_for_request(_request(staff)) == (open_release, release.pk)
    with django_assert_num_queries(1):
        assert releases_for_request(_request(staff, {conf.SESSION_KEY: release.pk})) == (release, release.pk)


def test_middleware_remembers_live_release_for_the_request(django_assert_num_queries):
    from djangocms_release_versioning.context import get_live_release_id

    release, _ = live_release()
    seen = []

    def view(request):
        seen.append((get_working_release(), get_live_release_id(), get_live_release_id()))

    request = _request(UserFactory())
    with django_assert_num_queries(1):
        WorkingReleaseMiddleware(view)(request)
    assert seen == [(release, release.pk, release.pk)]
