"""One wording per action, one date format, no raw grouping keys, and a Content-Language that
names the language a page is rendered in (issue 13 item 3: an admin in the editor's language,
readable everywhere)."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from cms.models import PageContent
from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import translation

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import ScheduledDeploy, ScheduleStatus
from djangocms_release_versioning.views.common import DATETIME_FORMAT, when
from djangocms_release_versioning.views.content import CONTENT_ACTIONS, content_actions, content_state
from tests.test_pages_tree import states  # noqa: F401 (a fixture: pages in every state)
from tests.test_toolbar_support import (
    EDITOR_PERMS,
    RELEASE_PERMS,
    content_in,
    element,
    live_site,
    make_user,
    release_url,
)

pytestmark = pytest.mark.django_db

NOW = datetime(2027, 3, 5, 9, 0, tzinfo=UTC)


def visible_text(html: str) -> str:
    """What a reader of ``html`` sees: no scripts, styles, tags or attributes; entities decoded."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S | re.I)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", html))


# -- one wording per action ----------------------------------------------------------------


def tree_labels(user, content) -> list[str]:
    request = RequestFactory().get("/")
    request.user = user
    _template, items = admin.site._registry[PageContent].get_indicator_menu(request, content)
    return [str(label) for label, _icon, _url, _css in items]


@pytest.mark.parametrize("language", ["en", "de"])
def test_the_page_tree_words_every_action_as_the_toolbar_does(states, admin_user, language):  # noqa: F811
    with translation.override(language):
        toolbar_wording = {str(label) for label, _method, _icon in CONTENT_ACTIONS.values()}
        preview = translation.gettext("Preview")
        for state, page in states.items():
            content = PageContent.admin_manager.latest_content(page=page, language="en").get()
            labels = tree_labels(admin_user, content)
            assert labels, state
            assert [label for label in labels if label != preview and label not in toolbar_wording] == [], (
                state
            )
            # where the toolbar offers an action for this content, the tree's entry reads the same
            offered = {action.label for action in content_actions(content_state(content), admin_user)}
            for name in ("approve", "mark_future", "mark_draft", "deactivate", "reactivate"):
                label = str(CONTENT_ACTIONS[name][0])
                assert (label in labels) is (label in offered), (state, name)


def test_park_and_restore_read_the_same_in_the_tree_and_the_toolbar(states, admin_user):  # noqa: F811
    parked = PageContent.admin_manager.latest_content(page=states["draft"], language="en").get()
    hidden = PageContent.admin_manager.latest_content(page=states["unpublished"], language="en").get()
    assert "Park for a later release" in tree_labels(admin_user, parked)
    assert "Park for a later release" in [a.label for a in content_actions(content_state(parked), admin_user)]
    assert tree_labels(admin_user, hidden)[0] == "Restore in this release"
    assert "Restore in this release" in [a.label for a in content_actions(content_state(hidden), admin_user)]


# -- one date format ---------------------------------------------------------------------

#: The one format (views.common.DATETIME_FORMAT and the zone), as a pattern.
ONE_FORMAT = re.compile(r"\b\d{4}-\d{2}-\d{2} \d{2}:\d{2} (?:[A-Z]{2,5}|[+-]\d{2}(?::?\d{2})?)(?!\w)")
#: Dates and times written any other way: numeric dates, times of day, month names (en, de),
#: a.m./p.m.
OTHER_FORMATS = re.compile(
    r"\b\d{1,2}[./]\d{1,2}[./]\d{2,4}\b|\b\d{1,2}:\d{2}\b|\b\d{1,2}\s?[ap]\.?m\.?(?!\w)|\bnoon\b|\bmidnight\b"
    r"|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec|Jän|Mär|Mai|Okt|Dez)\b\.?\s*\d"
    r"|\b(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Januar|Februar|März|Juni|Juli|Oktober|Dezember)\b",
    re.I,
)


def dates_shown(html: str) -> tuple[list[str], list[str]]:
    """``(moments in the one format, anything else that reads as a date or time)``."""
    text = visible_text(html)
    ours = ONE_FORMAT.findall(text)
    others = OTHER_FORMATS.findall(ONE_FORMAT.sub(" ", text))
    return ours, others


def without_date_hierarchy(html: str) -> str:
    """The admin's date drill-down (year, month and day links that filter the list) is
    navigation, not a moment: Django renders it in its own formats."""
    return re.sub(r'<nav class="toplinks">.*?</nav>', " ", html, flags=re.S)


@pytest.fixture
def dated_site(settings):
    """v1 live, v2 locked with a pending deploy, a cancelled and a failed schedule; in
    Europe/Berlin (UTC+1 in March), at a fixed moment."""
    settings.TIME_ZONE = "Europe/Berlin"
    with time_machine.travel(NOW, tick=False):
        boss = make_user("boss", superuser=True)
        page, v1, v2 = live_site(boss)
        with use_release(v2):
            services.create_draft(content_in(page, v2), user=boss)
        services.approve_release(v2)
        v2 = services.lock_release(v2)
        services.schedule_deploy(v2, at=NOW + timedelta(hours=3), user=boss)
        for status in (ScheduleStatus.CANCELLED, ScheduleStatus.FAILED):
            ScheduledDeploy.objects.create(
                release=v2, at=NOW - timedelta(hours=2), status=status, finished_at=NOW, failure_reason="x"
            )
        yield page, v1, v2, boss


def package_pages(page, v1, v2) -> dict[str, str]:
    """Every page of the package that shows moments, by name."""
    return {
        "release list": reverse("admin:djangocms_release_versioning_release_changelist"),
        "release page": release_url("change", v2),
        "live release page": release_url("change", v1),
        "schedule form": release_url("schedule", v2),
        "review": release_url("review", v2),
        "versions": reverse("admin:djangocms_release_versioning_version_changelist"),
        "deployments": reverse("admin:djangocms_release_versioning_deployment_changelist"),
        "schedules": reverse("admin:djangocms_release_versioning_scheduleddeploy_changelist"),
        "audit trail": reverse("admin:djangocms_release_versioning_auditentry_changelist"),
        "articles": reverse("admin:testapp_article_changelist") + "?language=en",
    }


@pytest.mark.parametrize("language", ["en", "de"])
def test_every_page_shows_moments_in_one_format(client, dated_site, language):
    from tests.factories import ArticleContentFactory

    page, v1, v2, boss = dated_site
    with time_machine.travel(NOW, tick=False), use_release(services.create_release("v3", based_on=v2)):
        ArticleContentFactory(title="Dated", user=boss)
    client.force_login(boss)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = language
    before = translation.get_language()
    try:
        for name, url in package_pages(page, v1, v2).items():
            response = client.get(url)
            assert response.status_code == 200, name
            ours, others = dates_shown(without_date_hierarchy(response.content.decode()))
            assert others == [], (name, others)
            if name != "review":  # the review lists no moments
                assert ours, name
        client.post(release_url("select", v2))
        toolbar = client.get(page.get_absolute_url("en") + "?toolbar_on").content.decode()
        menu = element(toolbar, "cms-release-menu")
        ours, others = dates_shown(menu)
        assert others == [] and ours == ["2027-03-05 13:00 CET"]
    finally:
        translation.activate(before)


def test_the_release_page_shows_each_moment_in_the_one_format(client, dated_site):
    _page, _v1, v2, boss = dated_site
    client.force_login(boss)
    html = client.get(release_url("change", v2)).content.decode()
    ours, _others = dates_shown(html)
    assert set(ours) == {"2027-03-05 10:00 CET", "2027-03-05 13:00 CET", "2027-03-05 08:00 CET"}
    # machines read the moment from the <time> element, in UTC
    assert '<time datetime="2027-03-05T12:00:00+00:00">2027-03-05 13:00 CET</time>' in element(
        html, "rv-badge-scheduled"
    )


def test_when_is_the_one_format(settings):
    settings.TIME_ZONE = "Europe/Berlin"
    assert DATETIME_FORMAT == "Y-m-d H:i"
    assert when(datetime(2027, 7, 1, 22, 30, tzinfo=UTC)) == "2027-07-02 00:30 CEST"
    assert when(None) == "—"
    with translation.override("de"):
        assert when(datetime(2027, 12, 24, 17, 0, tzinfo=UTC)) == "2027-12-24 18:00 CET"


# -- no raw grouping keys on the release page ---------------------------------------------


def test_the_release_page_names_objects_without_their_grouping_key(client):
    boss = make_user("boss", superuser=True)
    page, _v1, v2 = live_site(boss)
    client.force_login(boss)
    html = client.get(release_url("change", v2)).content.decode()
    contents = element(html, "rv-table", "table")
    assert 'id="rv-contents"' in contents
    key = services.get_version(content_in(page, v2), v2).grouping_key
    assert key not in visible_text(contents) and "Grouping" not in contents
    assert "About (en)" in visible_text(contents) or "About" in visible_text(contents)
    # for scripts: the key stays on the row
    assert f'data-grouping-key="{html_lib.escape(key)}"' in contents


# -- Content-Language: the language of the page ---------------------------------------------


def german_editor():
    return make_user(
        "redakteurin", *EDITOR_PERMS, *RELEASE_PERMS, "djangocms_release_versioning.view_version"
    )


def editor_pages(v2) -> dict[str, tuple[str, str]]:
    """Pages of the package and a German label each shows."""
    return {
        "release list": (reverse("admin:djangocms_release_versioning_release_changelist"), "Basiert auf"),
        "release page": (release_url("change", v2), "Release sperren"),
        "review": (release_url("review", v2), "Alle Unterschiede"),
        "lock": (release_url("lock", v2), "v2 sperren"),
        "new release": (reverse("admin:djangocms_release_versioning_release_add"), "Neues Release"),
        "versions": (reverse("admin:djangocms_release_versioning_version_changelist"), "Versionen"),
        "page tree": (reverse("admin:cms_pagecontent_changelist"), "Der Seitenbaum zeigt Release"),
    }


@pytest.fixture
def restore_language():
    before = translation.get_language()
    yield
    translation.activate(before)  # LocaleMiddleware leaves the request's language active


def test_a_german_editor_gets_german_pages_that_say_so(client, restore_language):
    editor = german_editor()
    _page, _v1, v2 = live_site(editor)
    client.force_login(editor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    for name, (url, label) in editor_pages(v2).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert response["Content-Language"] == "de", name
        assert label in response.content.decode(), name


def editor_language(get_response: Callable[[HttpRequest], HttpResponse]) -> Callable:
    """A site's middleware (after LocaleMiddleware) that shows staff the admin in their own
    language — German here — inside an override block, which restores the request's language
    once the response is rendered, before LocaleMiddleware writes Content-Language."""

    def middleware(request: HttpRequest) -> HttpResponse:
        with translation.override("de"):
            return get_response(request)

    return middleware


def test_content_language_follows_the_language_the_page_is_rendered_in(client, settings, restore_language):
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, f"{__name__}.editor_language"]
    editor = german_editor()
    _page, _v1, v2 = live_site(editor)
    client.force_login(editor)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"  # the browser asks for English
    for name, (url, label) in editor_pages(v2).items():
        response = client.get(url)
        assert response.status_code == 200, name
        assert label in response.content.decode(), name  # rendered in German …
        assert response["Content-Language"] == "de", name  # … and the header says so


def test_the_deployment_list_counts_changes_in_the_editors_language(client, restore_language):
    boss = make_user("boss", superuser=True)
    live_site(boss)
    client.force_login(boss)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "de"
    html = client.get(reverse("admin:djangocms_release_versioning_deployment_changelist")).content.decode()
    assert re.search(r"\d+ hinzugefügt, \d+ geändert, \d+ entfernt\.", visible_text(html))
    assert " added" not in visible_text(html)
