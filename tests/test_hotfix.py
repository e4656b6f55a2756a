"""Publish now / take offline now: the names of hotfix releases (issue 15.2) and Publish now
on a site where nothing is live yet (issue 8.6)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.test import Client

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED, Action
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import AuditEntry, Deployment, Release, Version
from djangocms_release_versioning.services.hotfix import HOTFIX_MARKER, _hotfix_version
from tests.factories import ArticleContentFactory
from tests.helpers import live_release, version_of
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db

DOTTED = "{live}.{n}"


def publish(content, working: Release | str = "work") -> Release:
    """Publish now a new draft of ``content`` made in ``working`` (opened from the live release
    if there is no such release); the new live release."""
    if isinstance(working, str):
        working = Release.objects.filter(version=working).first() or services.create_release(
            working, based_on=Release.objects.live()
        )
    with use_release(working):
        draft = services.create_draft(content, user=None)
        draft.title = f"{draft.title}+"
        draft.save()
        services.publish_now(draft, user=None)
    return Release.objects.live()


def versions() -> list[str]:
    return list(Release.objects.order_by("pk").values_list("version", flat=True))


# -- names (issue 15.2; the examples of docs/) -------------------------------------------------


def test_default_names_continue_the_series_of_the_live_release():
    """docs/reference/services.rst: v1-hotfix-1, v1-hotfix-2, ..."""
    _v1, (content,) = live_release({})
    assert publish(content).version == "v1-hotfix-1"
    assert publish(content).version == "v1-hotfix-2"
    with use_release("work"):
        services.unpublish_now(ArticleContent.objects.get(), user=None)
    assert Release.objects.live().version == "v1-hotfix-3"


def test_docs_settings_example_v1_2_gets_v1_2_1(settings):
    """docs/reference/settings.rst: ``"{live}.{n}"``, v1.2 -> v1.2.1 (not v1.1: v1.2 was not
    made as a hotfix, so it does not continue a series of v1)."""
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = DOTTED
    _release, (content,) = live_release({}, version="v1.2")
    assert publish(content).version == "v1.2.1"
    assert publish(content).version == "v1.2.2"  # a hotfix of a hotfix continues its series
    assert versions() == ["v1.2", "work", "v1.2.1", "v1.2.2"]


def test_a_release_named_like_a_hotfix_starts_its_own_series(settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = DOTTED
    _release, (content,) = live_release({}, version="v1.2.1")  # a regular release
    assert publish(content).version == "v1.2.1.1"


def test_docs_release_manager_example_v2_gets_v2_hotfix_1():
    """docs/howto/release-manager.rst: the live v2 gets v2-hotfix-1."""
    _release, (content,) = live_release({}, version="v2")
    assert publish(content).version == "v2-hotfix-1"


def test_taken_names_are_skipped_ignoring_case(settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = DOTTED
    _release, (content,) = live_release({}, version="v1.2")
    services.create_release("V1.2.1")  # an unrelated open release took the first name
    assert publish(content).version == "v1.2.2"


def test_the_next_name_costs_one_query_however_many_hotfixes_exist(django_assert_num_queries):
    _v1, (content,) = live_release({})
    for _ in range(4):
        publish(content)
    live = Release.objects.live()
    assert live.version == "v1-hotfix-4"
    with django_assert_num_queries(1):
        assert _hotfix_version(live) == "v1-hotfix-5"


def test_hotfix_releases_are_marked_in_the_audit_trail():
    v1, (content,) = live_release({})
    patch = publish(content)
    entry = AuditEntry.objects.get(release=patch, action=Action.BRANCH_RELEASE)
    assert entry.details[HOTFIX_MARKER] == {"of": v1.version}
    assert not AuditEntry.objects.filter(release=v1, details__has_key=HOTFIX_MARKER).exists()


def test_hotfixes_made_before_the_audit_marker_continue_their_series():
    """A site upgraded with v1-hotfix-1 live: the release has only the description Publish
    now gave it, and its next hotfix is still v1-hotfix-2."""
    _v1, (content,) = live_release({})
    legacy = publish(content)
    AuditEntry.objects.filter(release=legacy).update(details={})  # written before the marker
    assert legacy.description.startswith("Hotfix of v1: ")
    assert publish(content).version == "v1-hotfix-2"


def test_a_release_described_otherwise_starts_its_own_series():
    _v1, (content,) = live_release({})
    legacy = publish(content)
    AuditEntry.objects.filter(release=legacy).update(details={})
    Release.objects.filter(pk=legacy.pk).update(description="Spring sale")
    assert publish(content).version == "v1-hotfix-1-hotfix-1"


def test_a_format_without_a_number_is_a_configuration_error(settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = "{live}-hotfix"
    _v1, (content,) = live_release({})
    with pytest.raises(ImproperlyConfigured, match=r"must contain \{n\}"):
        services.publish_now(content, user=None)
    assert versions() == ["v1"]


# -- Publish now with nothing live (issue 8.6) -------------------------------------------


@pytest.fixture
def fresh_site():
    """An open release v1 with two drafts; nothing was ever deployed."""
    v1 = services.create_release("v1")
    with use_release(v1):
        first, second = ArticleContentFactory(title="First"), ArticleContentFactory(title="Second")
    return v1, first, second


def test_publish_now_with_nothing_live_makes_the_first_live_release(fresh_site):
    v1, first, second = fresh_site
    with use_release(v1):
        manifest = services.publish_now(first, user=None)
    live = Release.objects.live()
    assert live == manifest.release and live.version == "v0"
    assert live.is_locked and live.based_on is None
    assert Deployment.objects.filter(release=live).count() == 1
    # just that change, approved
    assert [(v.object_id, v.status, v.active) for v in Version.objects.filter(release=live)] == [
        (first.pk, APPROVED, True)
    ]
    assert list(ArticleContent.objects.all()) == [first]  # the public sees it, and only it
    # the working release follows: the same content, approved; the other draft is untouched
    assert version_of(first, v1).status == APPROVED and version_of(first, v1).object_id == first.pk
    assert version_of(second, v1).status == "draft"
    assert Release.objects.get(pk=v1.pk).is_editable
    entry = AuditEntry.objects.get(release=live, action=Action.CREATE_RELEASE)
    assert entry.details[HOTFIX_MARKER] == {"of": None}
    # the next Publish now is a hotfix of the first live release
    assert publish(second, v1).version == "v0-hotfix-1"


def test_first_release_name_is_a_setting_and_continues_as_a_series(fresh_site, settings):
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = DOTTED
    settings.DJANGOCMS_RELEASE_VERSIONING_FIRST_HOTFIX_VERSION = "v0.1"
    v1, first, second = fresh_site
    with use_release(v1):
        services.publish_now(first, user=None)
    assert Release.objects.live().version == "v0.1"
    assert publish(second, v1).version == "v0.2"  # v0.1 was made as a hotfix: its series goes on


def test_a_taken_first_release_name_starts_its_series(fresh_site):
    v1, first, _second = fresh_site
    services.create_release("V0")
    with use_release(v1):
        services.publish_now(first, user=None)
    assert Release.objects.live().version == "v0-hotfix-1"


def test_unpublish_now_with_nothing_live_is_a_clear_error(fresh_site):
    v1, first, _second = fresh_site
    before = versions()
    with use_release(v1), transaction.atomic():
        with pytest.raises(ValidationError, match="Nothing is live yet") as caught:
            services.unpublish_now(first, user=None)
        assert caught.value.code == "nothing_live"
        assert versions() == before  # the transaction is still usable
    assert Release.objects.live() is None
    assert version_of(first, v1).status == "draft" and version_of(first, v1).active


def test_publish_now_with_nothing_live_inside_a_transaction(fresh_site):
    v1, first, _second = fresh_site
    with use_release(v1), transaction.atomic():
        services.publish_now(first, user=None)
        assert Release.objects.live().version == "v0"
    assert list(ArticleContent.objects.all()) == [first]


# -- the same from the toolbar -------------------------------------------------------------


def test_toolbar_offers_publish_now_with_nothing_live_and_it_publishes_the_page(client):
    from tests.test_toolbar import state_menu
    from tests.test_toolbar_support import action_url, content_in, edit_url, item_of, make_page, make_user

    boss = make_user("boss", superuser=True)
    page = make_page("Welcome", boss)  # the first write opens release v1
    assert Release.objects.live() is None
    content = content_in(page, "v1")
    client.force_login(boss)
    html = client.get(edit_url(content)).content.decode()
    publish_now = item_of(state_menu(html), action_url(content, "publish_now"))
    assert "disabled" not in publish_now
    assert action_url(content, "unpublish_now") not in html  # nothing to take offline
    confirm = client.get(action_url(content, "publish_now"))
    assert "Nothing is live yet" in confirm.content.decode()
    response = client.post(action_url(content, "publish_now"), {"next": "/admin/"})
    assert response.status_code == 302 and response["Location"] == "/admin/"
    assert Release.objects.live().version == "v0"
    visitor = Client()
    public = visitor.get(page.get_absolute_url("en"))
    assert public.status_code == 200 and "Welcome text" in public.content.decode()


def test_the_working_release_deploys_after_the_first_publish_now(fresh_site):
    """The working release took the published change: deploying it keeps it live and adds the rest."""
    v1, first, second = fresh_site
    with use_release(v1):
        services.publish_now(first, user=None)
    services.approve_release(v1)
    services.lock_release(v1)
    services.deploy_release(v1)
    assert Release.objects.live() == v1
    assert set(ArticleContent.objects.all()) == {first, second}


@pytest.mark.parametrize("template", ["{live}-hotfix", "{live}-{n}-{n}"])
def test_system_check_refuses_a_hotfix_format_without_one_number(settings, template):
    from django.core import checks

    def ids():
        return [message.id for message in checks.run_checks() if message.id.startswith("djangocms_release")]

    assert "djangocms_release_versioning.E004" not in ids()
    settings.DJANGOCMS_RELEASE_VERSIONING_HOTFIX_VERSION_FORMAT = template
    assert "djangocms_release_versioning.E004" in ids()
