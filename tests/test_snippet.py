"""djangocms-snippet under releases: registered by this package, edited copy-on-write,
approved, locked and deployed like other content; the plugin renders the live release."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cms.api import add_plugin
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import transaction
from django.test import Client
from djangocms_snippet.models import Snippet, SnippetGrouper

from djangocms_release_versioning import registry, services
from djangocms_release_versioning.snippet import check_snippet_settings
from tests.pages_support import branch, content_of, edit, make_page, ship

ROOT = Path(__file__).resolve().parent.parent


def make_snippet(user, name: str, html: str) -> Snippet:
    grouper = SnippetGrouper.objects.create()
    return Snippet.objects.with_user(user).create(name=name, html=html, snippet_grouper=grouper)


@pytest.fixture
def site(db, admin_user):
    """v1 live: a page showing the snippet "Banner" ("<b>banner v1</b>"); v2 open."""
    snippet = make_snippet(admin_user, "Banner", "<b>banner v1</b>")
    page = make_page("Home", admin_user)
    page.set_as_homepage()
    placeholder = content_of(page).get_placeholders().get(slot="content")
    add_plugin(placeholder, "SnippetPlugin", "en", snippet_grouper=snippet.snippet_grouper)
    ship("v1")
    return {"snippet": snippet, "page": page, "v2": branch("v2", "v1")}


def edit_snippet(snippet: Snippet, user, release, html: str) -> Snippet:
    draft = services.create_draft(snippet, user=user, release=release)
    draft.html = html
    draft.save()
    return draft


def test_snippet_is_registered_by_this_package():
    assert registry.is_registered(Snippet)
    assert hasattr(Snippet, "_original_manager")


def test_visitors_see_the_live_snippet_and_editors_the_working_one(site, admin_user):
    live = site["snippet"]
    draft = edit_snippet(live, admin_user, site["v2"], "<b>banner v2</b>")
    assert draft.pk != live.pk  # copy-on-write: the live row stays as it is
    assert Snippet.admin_manager.get(pk=live.pk).html == "<b>banner v1</b>"
    body = Client().get("/").content.decode()
    assert "banner v1" in body
    assert "banner v2" not in body
    staff = Client()
    staff.force_login(admin_user)
    page_draft = edit(site["page"], admin_user, site["v2"])
    response = staff.get(get_object_edit_url(page_draft))
    assert response.status_code == 200
    assert "banner v2" in response.content.decode()
    preview = staff.get(get_object_preview_url(page_draft)).content.decode()
    assert "banner v2" in preview
    assert "banner v2" not in staff.get("/").content.decode()  # the live URL stays live


def test_deploy_makes_the_approved_snippet_live(site, admin_user):
    edit_snippet(site["snippet"], admin_user, site["v2"], "<b>banner v2</b>")
    ship(site["v2"])
    body = Client().get("/").content.decode()
    assert "banner v2" in body
    assert "banner v1" not in body
    assert list(Snippet.objects.values_list("html", flat=True)) == ["<b>banner v2</b>"]


def test_a_snippet_new_in_an_open_release_stays_unpublished(site, admin_user):
    from djangocms_release_versioning.context import use_release

    with use_release(site["v2"]):
        make_snippet(admin_user, "Secret", "<i>secret</i>")
    assert not Snippet.objects.filter(name="Secret").exists()
    assert Snippet.admin_manager.filter(name="Secret").count() == 1
    ship(site["v2"])
    assert Snippet.objects.filter(name="Secret").exists()


def test_locked_snippets_refuse_writes(site, admin_user):
    draft = edit_snippet(site["snippet"], admin_user, site["v2"], "<b>banner v2</b>")
    services.approve_release(site["v2"])
    services.lock_release(site["v2"])
    draft.html = "<b>sneaky</b>"
    with pytest.raises(ValidationError, match="locked release v2"), transaction.atomic():
        draft.save()
    with pytest.raises(ValidationError, match="v2"), transaction.atomic():
        draft.delete()
    with pytest.raises(ValidationError), transaction.atomic():
        services.create_draft(site["snippet"], user=admin_user, release=site["v2"])
    assert Snippet.admin_manager.get(pk=draft.pk).html == "<b>banner v2</b>"


def test_snippet_versioning_setting_must_be_off(settings):
    settings.DJANGOCMS_SNIPPET_VERSIONING_ENABLED = True
    with pytest.raises(ImproperlyConfigured, match="DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False"):
        check_snippet_settings()
    del settings.DJANGOCMS_SNIPPET_VERSIONING_ENABLED  # its default is True
    with pytest.raises(ImproperlyConfigured):
        check_snippet_settings()
    settings.DJANGOCMS_RELEASE_VERSIONING_SNIPPET_ENABLED = False
    check_snippet_settings()  # the site owner versions snippets some other way


def test_setup_refuses_snippet_versioning_before_djangocms_snippet_fails():
    """django.setup() answers with the setting to change, not an import error from django CMS."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "tests.snippet_versioning_settings"}
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("django.core.exceptions.ImproperlyConfigured:"), result.stderr
    assert "DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False" in last


def test_djangocms_versioning_models_cannot_be_imported_when_the_app_is_not_installed():
    """djangocms-rest installs the djangocms-versioning package; apps probing it get ImportError."""
    with pytest.raises(ImportError):
        importlib.import_module("djangocms_versioning.admin")


def test_the_snippet_admin_shows_content_of_other_releases_read_only(site, admin_user):
    staff = Client()
    staff.force_login(admin_user)
    assert staff.get("/admin/djangocms_snippet/snippet/").status_code == 200
    url = f"/admin/djangocms_snippet/snippet/{site['snippet'].pk}/change/"
    response = staff.get(url)
    assert response.status_code == 200
    assert 'name="_save"' not in response.content.decode()  # v1 is locked: read-only in v2
    post = staff.post(url, {"name": "Banner", "html": "<b>sneaky</b>", "slug": "banner"})
    assert post.status_code in (302, 403)
    assert Snippet.admin_manager.get(pk=site["snippet"].pk).html == "<b>banner v1</b>"
