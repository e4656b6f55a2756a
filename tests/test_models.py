"""Version status rules (DESIGN §3.2), constraints and Release state."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, DRAFT, FUTURE
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, LiveRelease, Release, Version
from tests.factories import ArticleContentFactory, UserFactory
from tests.helpers import live_release

pytestmark = pytest.mark.django_db


@pytest.fixture
def version():
    release = services.create_release("v1")
    with use_release(release):
        content = ArticleContentFactory()
    return services.get_version(content, release)


def test_draft_future_round_trip(version):
    version.mark_future()
    assert Version.objects.get(pk=version.pk).status == FUTURE
    version.mark_draft()
    assert Version.objects.get(pk=version.pk).status == DRAFT


@pytest.mark.parametrize("start", [DRAFT, FUTURE])
def test_approve_from_draft_or_future(version, start):
    if start == FUTURE:
        version.mark_future()
    version.approve()
    assert Version.objects.get(pk=version.pk).status == APPROVED


def test_approved_is_one_way(version):
    version.approve()
    for method in (version.mark_draft, version.mark_future, version.approve):
        with pytest.raises(ValidationError):
            method()
    assert Version.objects.get(pk=version.pk).status == APPROVED


def test_mark_draft_needs_future(version):
    with pytest.raises(ValidationError, match="Only parked"):
        version.mark_draft()


def test_deactivate_resets_approved_to_draft(version):
    version.approve()
    version.deactivate()
    stored = Version.objects.get(pk=version.pk)
    assert (stored.active, stored.status) == (False, DRAFT)


def test_no_status_change_while_inactive(version):
    version.deactivate()
    for method in (version.mark_future, version.mark_draft, version.approve):
        with pytest.raises(ValidationError, match="hidden"):
            method()
    assert Version.objects.get(pk=version.pk).status == DRAFT


def test_reactivate_keeps_draft(version):
    version.approve()
    version.deactivate()
    version.reactivate()
    stored = Version.objects.get(pk=version.pk)
    assert (stored.active, stored.status) == (True, DRAFT)


def test_deactivate_twice_and_reactivate_active_refused(version):
    with pytest.raises(ValidationError):
        version.reactivate()
    version.deactivate()
    with pytest.raises(ValidationError):
        version.deactivate()


def test_transitions_are_audited_with_user(version):
    user = UserFactory()
    version.mark_future(user=user)
    entry = AuditEntry.objects.filter(action="status_change").latest("pk")
    assert (entry.user, entry.from_state, entry.to_state) == (user, DRAFT, FUTURE)
    assert Version.objects.get(pk=version.pk).modified_by == user


def test_locked_release_versions_immutable(version):
    services.lock_release(version.release)
    version = Version.objects.get(pk=version.pk)
    with pytest.raises(ValidationError, match="locked"):
        version.mark_future()
    with pytest.raises(ValidationError, match="locked"):
        version.delete()
    assert Version.objects.get(pk=version.pk).status == DRAFT


def test_one_version_per_release_and_grouping(version):
    with pytest.raises(IntegrityError), transaction.atomic():
        Version.objects.create(
            release=version.release,
            content_type=version.content_type,
            object_id=version.object_id + 1000,
            grouping_key=version.grouping_key,
        )


def test_single_live_pointer_row():
    LiveRelease.objects.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        LiveRelease.objects.create(id=2)


def test_release_state_and_live():
    assert Release.objects.live() is None
    release, _ = live_release()
    assert release.state == "deployed"
    assert Release.objects.live() == release
    assert release.is_live()
    other = services.create_release("v2", based_on=release)
    assert other.state == "open"
    assert not other.is_live()


def test_default_working_release_prefers_newest_open():
    release, _ = live_release()
    assert Release.objects.default_working() == release
    services.create_release("v2", based_on=release)
    newest = services.create_release("v3", based_on=release)
    assert Release.objects.default_working() == newest
    services.deprecate_release(newest)
    assert Release.objects.default_working().version == "v2"


def test_reactivated_parked_content_comes_back_as_draft(version):
    version.mark_future()
    version.deactivate()
    assert Version.objects.get(pk=version.pk).status == FUTURE
    version.reactivate()
    assert Version.objects.get(pk=version.pk).status == DRAFT
