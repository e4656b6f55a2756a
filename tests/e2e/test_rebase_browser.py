"""The release page of a release that is behind live: the notice, Rebase (with the browser's
confirmation), then the conflict it kept and "Take the live one"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from djangocms_release_versioning import services
from tests.e2e.helpers import django_db, log_in, settle
from tests.factories import UserFactory
from tests.parallel_support import edit, parallel_site

pytestmark = pytest.mark.browser


def test_rebase_from_the_release_page(server, new_page, shot):
    with django_db():
        site = parallel_site()
        edit(site.contact, site.v3, "Contact, rewritten in v3")  # v3's own change: not listed
        edit(site.about, site.v3, "About, rewritten in v3")  # changed live by v2 too: a conflict
        user = UserFactory(username="boss", is_superuser=True)
        page_url = reverse("admin:djangocms_release_versioning_release_change", args=[site.v3.pk])
    page = new_page()
    log_in(page, server, user)
    page.goto(server.url + page_url)
    settle(page)
    notice = page.locator("#rv-behind").inner_text()
    assert "1 change live since this release was branched" in notice
    assert "Conflict: changed here and live" in notice and "Contact" not in notice
    shot(page, "release-page-behind")

    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("button.rv-button-rebase").click()
    settle(page)
    assert "now based on v2" in page.locator(".messagelist").inner_text()
    page.goto(server.url + page_url)
    settle(page)
    kept = page.locator("table.rv-kept-conflicts")
    assert "About, rewritten in v3 (en)" in kept.inner_text()
    shot(page, "release-page-kept-conflict")

    kept.locator("button.rv-button-take-live").click()
    settle(page)
    assert "now has the live content" in page.locator(".messagelist").inner_text()
    with django_db():
        assert services.get_version(site.about, site.v3).object_id == site.about_v2.pk
