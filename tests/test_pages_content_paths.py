"""Every core way of creating or copying page content lands in the working release."""

import io

import pytest
from cms.api import create_page
from cms.cms_wizards import cms_page_wizard, cms_subpage_wizard
from cms.models import Page, PageContent, PageUrl
from cms.sitemaps import CMSSitemap
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version
from tests.pages_support import add_text, branch, content_of, edit, make_page, ship, texts, translate
from tests.test_pages_admin import snapshot
from tests.testapp.models import SeoExtension

pytestmark = pytest.mark.django_db


def versions(content: PageContent) -> list[tuple[str, str]]:
    """``[(release, status), ...]`` of a content row."""
    return sorted(Version.objects.for_content(content).values_list("release__version", "status"))


def titles(page: Page, language: str = "en") -> list[str]:
    return list(
        PageContent._base_manager.filter(page=page, language=language).values_list("title", flat=True)
    )


# -- cms.api ----------------------------------------------------------------------------


def test_create_page_opens_the_first_release_and_adds_a_draft(admin_user):
    page = create_page("First", "page.html", "en", created_by=admin_user)
    content = content_of(page)
    assert Release.objects.get().version == "v1"
    assert versions(content) == [("v1", "draft")]
    assert not content.is_public()
    assert not PageUrl.objects.filter(page=page).exists()


def test_create_page_content_adds_a_translation_draft(admin_user):
    page = make_page("Page", admin_user)
    ship("v1")
    v2 = branch("v2", "v1")
    with use_release(v2):
        german = translate(page, "de", "Seite", admin_user)
    assert versions(german) == [("v2", "draft")]
    assert not PageContent.objects.filter(page=page, language="de").exists()


def test_create_page_in_a_locked_release_is_refused_and_leaves_nothing(admin_user):
    make_page("Page", admin_user)
    ship("v1")  # no open release: the live, locked v1 is the working release
    before = snapshot()
    with pytest.raises(ValidationError, match="locked"):
        create_page("Late", "page.html", "en", created_by=admin_user)
    assert snapshot() == before


# -- admin add / translation / wizard ---------------------------------------------------


def test_the_admin_add_form_creates_a_draft(admin_client):
    response = admin_client.post(
        reverse("admin:cms_pagecontent_add") + "?language=en", {"title": "New", "slug": "new"}
    )
    assert response.status_code == 302
    content = PageContent._base_manager.get(title="New")
    assert versions(content) == [("v1", "draft")]


def test_add_translation_creates_a_draft_in_the_working_release(admin_user, admin_client):
    page = make_page("Page", admin_user)
    ship("v1")
    branch("v2", "v1")
    url = reverse("admin:cms_pagecontent_add") + f"?cms_page={page.pk}&language=de"
    response = admin_client.post(url, {"title": "Seite", "slug": "seite", "cms_page": page.pk})
    assert response.status_code == 302
    assert versions(content_of(page, "de")) == [("v2", "draft")]


def run_wizard(client, entry, title: str, page: Page | None = None) -> str:
    url = reverse("cms_wizard_create")
    step0 = {"wizard_create_view-current_step": "0", "0-entry": entry.id, "0-language": "en"}
    if page is not None:
        step0["0-page"] = page.pk
    assert client.post(url, step0).status_code == 200
    response = client.post(
        url, {"wizard_create_view-current_step": "1", "1-title": title, "1-content": f"<p>{title} text</p>"}
    )
    assert response.status_code == 200
    return response.content.decode()


def test_the_page_wizards_create_drafts_and_link_to_them(admin_user, admin_client):
    body = run_wizard(admin_client, cms_page_wizard, "Wizard")
    page = Page.objects.get()
    content = content_of(page)
    assert page.is_home
    assert versions(content) == [("v1", "draft")]
    assert texts(content) == ["<p>Wizard text</p>"]
    assert f"/edit/{content.pk}/" in body
    run_wizard(admin_client, cms_subpage_wizard, "Sub", page=page)
    sub = Page.objects.get(parent=page)
    assert versions(content_of(sub)) == [("v1", "draft")]


# -- copy / duplicate -------------------------------------------------------------------


@pytest.fixture
def tree(admin_user):
    """v1 live: Source (text + SEO) > Child; Target. v2 open with Source retitled."""
    source = make_page("Source", admin_user)
    child = make_page("Child", admin_user, parent=source)
    target = make_page("Target", admin_user)
    add_text(content_of(source), "<p>source</p>")
    SeoExtension.objects.create(extended_object=content_of(source), keywords="seo")
    ship("v1")
    v2 = branch("v2", "v1")
    edit(source, admin_user, v2, title="Source v2")
    return {"source": source, "child": child, "target": target, "v2": v2}


def test_copying_a_page_tree_copies_the_working_release_into_drafts(tree, admin_client):
    response = admin_client.post(
        reverse("admin:cms_page_copy_page", args=(tree["source"].pk,)),
        {"position": 0, "target": tree["target"].pk},
    )
    assert response.status_code == 200
    copy = Page.objects.get(pk=response.json()["id"])
    copied_child = Page.objects.get(parent=copy)
    assert copy.parent == tree["target"]
    assert titles(copy) == ["Source v2"]
    assert titles(copied_child) == ["Child"]
    assert texts(content_of(copy)) == ["<p>source</p>"]
    assert SeoExtension.objects.get(extended_object=content_of(copy)).keywords == "seo"
    assert versions(content_of(copy)) == [("v2", "draft")]
    assert versions(content_of(copied_child)) == [("v2", "draft")]
    assert not PageUrl.objects.filter(page__in=[copy, copied_child]).exists()
    ship("v2")
    assert PageUrl.objects.get(page=copied_child).path == "target/source/child"


def test_duplicating_a_live_page_uses_the_working_release(tree, admin_client):
    source = content_of(tree["source"])
    url = reverse("admin:cms_pagecontent_duplicate", args=(source.pk,)) + "?language=en"
    assert admin_client.get(url).status_code == 200
    response = admin_client.post(
        url, {"title": "Duplicate", "slug": "duplicate", "source": tree["source"].pk}
    )
    assert response.status_code == 302
    duplicate = PageContent._base_manager.get(title="Duplicate")
    assert versions(duplicate) == [("v2", "draft")]
    assert texts(duplicate) == ["<p>source</p>"]
    assert SeoExtension.objects.get(extended_object=duplicate).keywords == "seo"


def test_duplicating_a_never_deployed_page_works(admin_user, admin_client):
    page = make_page("Fresh", admin_user)
    add_text(content_of(page), "<p>fresh</p>")
    url = reverse("admin:cms_pagecontent_duplicate", args=(content_of(page).pk,)) + "?language=en"
    response = admin_client.post(url, {"title": "Fresh copy", "slug": "fresh-copy", "source": page.pk})
    assert response.status_code == 302
    duplicate = PageContent._base_manager.get(title="Fresh copy")
    assert texts(duplicate) == ["<p>fresh</p>"]
    assert versions(duplicate) == [("v1", "draft")]


# -- cms copy lang ----------------------------------------------------------------------


def copy_lang(*options: str) -> str:
    out = io.StringIO()
    call_command(
        "cms", "copy", "lang", "--from-lang=en", "--to-lang=de", "--username=admin", *options, stdout=out
    )
    return out.getvalue()


def test_cms_copy_lang_creates_drafts_and_copies_plugins(tree, admin_user):
    with use_release(tree["v2"]):
        fresh = make_page("Fresh", admin_user)
        add_text(content_of(fresh), "<p>fresh</p>")
    output = copy_lang()
    assert "Created 4 translation(s) and copied 2 plugin(s)" in output
    german = content_of(tree["source"], "de")
    assert german.title == "Source v2"
    assert versions(german) == [("v2", "draft")]
    assert texts(german) == ["<p>source</p>"]
    assert texts(content_of(fresh, "de")) == ["<p>fresh</p>"]
    assert not PageContent.objects.filter(language="de").exists()  # nothing live yet
    # running it again changes nothing (translations exist, placeholders filled)
    before = snapshot()
    assert "Created 0 translation(s) and copied 0 plugin(s)" in copy_lang()
    assert snapshot() == before


def test_cms_copy_lang_refuses_without_an_open_release(tree):
    services.deprecate_release(tree["v2"])
    before = snapshot()
    with pytest.raises(CommandError, match="no open release"):
        copy_lang()
    assert snapshot() == before


def test_cms_copy_lang_rejects_unknown_languages(tree):
    with pytest.raises(CommandError, match="Both languages"):
        call_command("cms", "copy", "lang", "--from-lang=en", "--to-lang=xx", "--username=admin")


# -- sitemap ----------------------------------------------------------------------------


def test_the_sitemap_lists_live_pages_only(tree, admin_user):
    with use_release(tree["v2"]):
        make_page("Unreleased", admin_user)
    services.transition(content_of(tree["target"], release=tree["v2"]), "deactivate", release=tree["v2"])
    locations = sorted(CMSSitemap().location(url) for url in CMSSitemap().items())
    assert locations == ["/source/", "/source/child/", "/target/"]
    ship("v2")
    locations = sorted(CMSSitemap().location(url) for url in CMSSitemap().items())
    assert locations == ["/source/", "/source/child/", "/unreleased/"]
