"""The permissions recipe of docs/howto/production.rst works as documented.

The test runs the very file the docs include (docs/howto/permission_groups.py), so the
recipe and what it promises cannot drift apart.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.constants import APPROVED
from djangocms_release_versioning.models import Release
from tests.test_toolbar_support import action_url, content_in, live_site, make_user, release_url

pytestmark = pytest.mark.django_db

RECIPE = Path(__file__).resolve().parent.parent / "docs" / "howto" / "permission_groups.py"


@pytest.fixture
def groups():
    return runpy.run_path(str(RECIPE))["create_groups"]()


@pytest.fixture
def site():
    owner = make_user("owner", superuser=True)
    page, v1, v2 = live_site(owner)
    return page, v1, v2


def member(name: str, group) -> Client:
    user = get_user_model().objects.create_user(name, f"{name}@example.com", "pw", is_staff=True)
    user.groups.add(group)
    client = Client()
    client.force_login(user)
    return client


def test_running_the_recipe_twice_gives_the_same_groups(groups):
    again = runpy.run_path(str(RECIPE))["create_groups"]()
    for name, group in groups.items():
        assert set(again[name].permissions.all()) == set(group.permissions.all())
        assert group.permissions.count() > 0


def test_editors_use_the_page_tree_edit_and_park_but_release_nothing(groups, site):
    page, v1, v2 = site
    editor = member("ed", groups["Editors"])
    assert editor.get(reverse("admin:cms_pagecontent_changelist")).status_code == 200
    assert editor.get(reverse("admin:cms_pagecontent_get_tree") + "?language=en").status_code == 200
    response = editor.post(action_url(content_in(page, v1), "edit"))
    assert response.status_code == 302, response.content
    draft = content_in(page, v2)
    assert draft.pk != content_in(page, v1).pk
    assert editor.post(action_url(draft, "mark_future"), {"next": "/admin/"}).status_code == 302
    assert editor.post(action_url(draft, "mark_draft"), {"next": "/admin/"}).status_code == 302
    # What the recipe leaves to release managers:
    assert editor.post(action_url(draft, "approve")).status_code == 403
    assert editor.post(action_url(draft, "publish_now")).status_code == 403
    for endpoint in ("approve", "lock", "deprecate"):
        assert editor.post(release_url(endpoint, v2)).status_code == 403, endpoint
    assert services.get_version(draft, v2).status != APPROVED


def test_release_managers_run_the_whole_cycle_and_publish_now(groups, site):
    page, v1, v2 = site
    manager = member("rm", groups["Release managers"])
    assert manager.get(reverse("admin:cms_pagecontent_changelist")).status_code == 200
    manager.post(action_url(content_in(page, v1), "edit"))
    draft = content_in(page, v2)
    response = manager.post(action_url(draft, "publish_now"), {"next": "/admin/"})
    assert response.status_code == 302, response.content
    assert Release.objects.live() not in (v1, v2)  # a hotfix release went live
    for endpoint in ("approve", "lock", "deploy"):
        response = manager.post(release_url(endpoint, Release.objects.get(pk=v2.pk)), {"next": "/admin/"})
        assert response.status_code == 302, (endpoint, response.content)
    assert Release.objects.live() == v2
