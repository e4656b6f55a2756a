"""Deploy and rollback make pages live: PageUrls rebuilt from the newly live content."""

import pytest
from cms.models import PageUrl
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from djangocms_release_versioning import pages, services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Deployment, LiveRelease, Release
from tests.pages_support import (
    add_text,
    branch,
    content_of,
    edit,
    make_page,
    paths,
    ship,
    translate,
    url_rows,
)

pytestmark = pytest.mark.django_db


def get(path: str) -> tuple[int, str]:
    response = Client().get(path)
    return response.status_code, response.content.decode()


@pytest.fixture
def site(admin_user):
    """Live release v1: home (is_home) > about > team, and a root page "shop"."""
    home = make_page("Home", admin_user)
    about = make_page("About", admin_user, parent=home)
    team = make_page("Team", admin_user, parent=about)
    shop = make_page("Shop", admin_user)
    add_text(content_of(team), "<p>team v1</p>")
    home.set_as_homepage(admin_user)
    ship("v1")
    return {"home": home, "about": about, "team": team, "shop": shop}


def test_drafts_are_unreachable_before_the_first_deploy(admin_user):
    page = make_page("Draft", admin_user)
    assert PageUrl.objects.filter(page=page).count() == 0
    assert get("/draft/")[0] == 404


def test_first_deploy_creates_urls_parents_first(site):
    home, about, team, shop = site["home"], site["about"], site["team"], site["shop"]
    assert paths() == {home.pk: "", about.pk: "about", team.pk: "about/team", shop.pk: "shop"}
    status, body = get("/about/team/")
    assert status == 200
    assert "team v1" in body
    assert get("/")[0] == 200


def test_changes_stay_off_the_live_site_until_deployed(site, admin_user):
    v2 = branch("v2", "v1")
    edit(site["about"], admin_user, v2, slug="company", title="Company")
    assert get("/about/")[0] == 200
    assert get("/company/")[0] == 404
    ship(v2)
    assert get("/about/")[0] == 404
    status, body = get("/company/")
    assert status == 200
    assert "<title>Company</title>" in body


def test_a_parent_slug_change_moves_the_whole_subtree(site, admin_user):
    v2 = branch("v2", "v1")
    edit(site["about"], admin_user, v2, slug="company")
    ship(v2)
    assert paths()[site["about"].pk] == "company"
    assert paths()[site["team"].pk] == "company/team"
    assert get("/company/team/")[0] == 200
    assert get("/about/team/")[0] == 404


def test_unchanged_descendants_follow_a_moved_parent(site, admin_user):
    v2 = branch("v2", "v1")
    with use_release(v2):
        leaf = make_page("Leaf", admin_user, parent=site["team"])
    ship(v2)
    assert paths()[leaf.pk] == "about/team/leaf"
    v3 = branch("v3", v2)
    edit(site["about"], admin_user, v3, slug="company")
    ship(v3)
    assert paths()[site["team"].pk] == "company/team"
    assert paths()[leaf.pk] == "company/team/leaf"
    assert get("/company/team/leaf/")[0] == 200


def test_descendants_follow_whatever_the_working_release_holds(site, admin_user):
    v2 = branch("v2", "v1")
    edit(site["about"], admin_user, v2, slug="company")
    services.approve_release(v2)
    services.lock_release(v2)
    services.create_release("v3")  # an empty open release becomes the working release
    services.deploy_release(v2)
    assert paths()[site["team"].pk] == "company/team"
    assert get("/company/team/")[0] == 200


def test_slug_swap_between_two_pages_in_one_release(site, admin_user):
    v2 = branch("v2", "v1")
    edit(site["about"], admin_user, v2, slug="shop", title="About")
    edit(site["shop"], admin_user, v2, slug="about", title="Shop")
    ship(v2)
    assert paths()[site["about"].pk] == "shop"
    assert paths()[site["shop"].pk] == "about"
    assert paths()[site["team"].pk] == "shop/team"
    assert "<title>About</title>" in get("/shop/")[1]
    assert "<title>Shop</title>" in get("/about/")[1]


def test_overwrite_url_goes_live_with_the_release(site, admin_user):
    v2 = branch("v2", "v1")
    edit(site["team"], admin_user, v2, overwrite_url="people/all")
    ship(v2)
    url = PageUrl.objects.get(page=site["team"], language="en")
    assert (url.path, url.managed) == ("people/all", False)
    assert get("/people/all/")[0] == 200


def test_a_hidden_page_and_its_children_stop_resolving(site, admin_user):
    v2 = branch("v2", "v1")
    services.transition(content_of(site["about"], release=v2), "deactivate", release=v2)
    ship(v2)
    assert get("/about/")[0] == 404
    assert get("/about/team/")[0] == 404
    url = PageUrl.objects.get(page=site["about"], language="en")
    assert (url.slug, url.path) == ("about", None)
    assert get("/shop/")[0] == 200


def test_rollback_restores_the_previous_urls(site, admin_user):
    before = url_rows()
    v2 = branch("v2", "v1")
    edit(site["about"], admin_user, v2, slug="company")
    services.transition(content_of(site["shop"], release=v2), "deactivate", release=v2)
    ship(v2)
    assert get("/shop/")[0] == 404
    services.deploy_release("v1", rollback=True)
    assert url_rows() == before
    assert get("/about/team/")[0] == 200
    assert get("/shop/")[0] == 200
    assert get("/company/")[0] == 404


def test_only_the_changed_language_is_rebuilt(site, admin_user):
    v2 = branch("v2", "v1")
    with use_release(v2):
        translate(site["about"], "de", "Über uns", admin_user, slug="ueber-uns")
    ship(v2)
    assert paths("de") == {site["about"].pk: "ueber-uns"}
    assert paths("en")[site["about"].pk] == "about"


def _collision_release(site, admin_user) -> Release:
    v2 = branch("v2", "v1")
    edit(site["shop"], admin_user, v2, slug="about")
    services.approve_release(v2)
    services.lock_release(v2)
    return v2


def test_a_url_collision_aborts_the_deploy_and_names_both_pages(site, admin_user):
    v2 = _collision_release(site, admin_user)
    before = (url_rows(), Deployment.objects.count(), LiveRelease.objects.get().release_id)
    with pytest.raises(ValidationError) as error:
        services.deploy_release(v2)
    message = " ".join(error.value.messages)
    assert error.value.code == "url_collision"
    assert '"/about"' in message
    assert f'"About" (page {site["about"].pk})' in message
    assert f'"Shop" (page {site["shop"].pk})' in message
    assert (url_rows(), Deployment.objects.count(), LiveRelease.objects.get().release_id) == before
    assert get("/shop/")[0] == 200


def test_two_new_pages_with_one_slug_collide(admin_user):
    make_page("One", admin_user, slug="same")
    make_page("Two", admin_user, slug="same")
    services.approve_release("v1")
    services.lock_release("v1")
    with pytest.raises(ValidationError, match=r'"One" \(page \d+\) and "Two" \(page \d+\)'):
        services.deploy_release("v1")
    assert PageUrl.objects.count() == 0
    assert Release.objects.live() is None


@pytest.fixture
def caching():
    """Page, placeholder and menu caches switched on (and emptied before and after)."""
    durations = {"menus": 3600, "content": 3600, "permissions": 3600}
    cache.clear()
    with override_settings(CMS_PAGE_CACHE=True, CMS_PLACEHOLDER_CACHE=True, CMS_CACHE_DURATIONS=durations):
        yield
    cache.clear()


def test_page_cache_and_menus_switch_with_the_deploy_without_its_clean_up(
    site, admin_user, caching, django_capture_on_commit_callbacks
):
    """The cached page and menu of v1 are not served once v2 is live, even though the
    deploy's on_commit clean-up never runs (as if its process was killed after COMMIT)."""
    body = get("/shop/")[1]
    assert "<title>Shop</title>" in body
    assert ">About<" in body
    v2 = branch("v2", "v1")
    edit(site["shop"], admin_user, v2, title="Store")
    edit(site["about"], admin_user, v2, title="Company")
    services.approve_release(v2)
    services.lock_release(v2)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.deploy_release(v2)
    assert callbacks
    body = get("/shop/")[1]
    assert "<title>Store</title>" in body
    assert ">Company<" in body
    assert ">About<" not in body


def _urlconf_revision() -> str:
    from cms.models import UrlconfRevision

    return UrlconfRevision.objects.values_list("revision", flat=True).first() or ""


def test_apphook_urls_reload_only_when_a_changed_page_has_an_apphook(
    site, admin_user, django_capture_on_commit_callbacks
):
    from cms.models import Page

    before = _urlconf_revision()
    v2 = branch("v2", "v1")
    edit(site["shop"], admin_user, v2, title="Store")
    with django_capture_on_commit_callbacks(execute=True):
        ship(v2)
    assert _urlconf_revision() == before  # no changed page has an apphook
    Page.objects.filter(pk=site["shop"].pk).update(application_urls="SampleApp")
    v3 = branch("v3", "v2")
    edit(site["shop"], admin_user, v3, title="Shop")
    with django_capture_on_commit_callbacks(execute=False):
        ship(v3)
    assert _urlconf_revision() not in ("", before)  # part of the deploy, not of its clean-up


class _Undo(Exception):
    pass


def _rebuild_queries(manifest) -> int:
    """Queries of one URL rebuild for ``manifest`` (its writes are rolled back)."""
    with CaptureQueriesContext(connection) as queries:
        try:
            with transaction.atomic():
                pages.rebuild_page_urls(manifest)
                raise _Undo
        except _Undo:
            pass
    return len(queries)


def _slug_change_manifest(page, version: str, base: str, slug: str, user):
    release = branch(version, base)
    edit(page, user, release, slug=slug)
    services.approve_release(release)
    services.lock_release(release)
    return services.deploy_release(release, dry_run=True)


def test_rebuild_work_does_not_grow_with_the_site(site, admin_user):
    small = _rebuild_queries(_slug_change_manifest(site["about"], "v2", "v1", "company", admin_user))
    services.deploy_release("v2")
    v3 = branch("v3", "v2")
    with use_release(v3):
        for number in range(20):
            make_page(f"Other {number}", admin_user, parent=site["shop"])
            make_page(f"Member {number}", admin_user, parent=site["team"])
    ship(v3)
    big = _rebuild_queries(_slug_change_manifest(site["about"], "v4", "v3", "about", admin_user))
    assert big == small


def test_content_edits_that_keep_the_path_leave_descendants_alone(site, admin_user, monkeypatch):
    seen = []
    real = pages._descendants
    monkeypatch.setattr(pages, "_descendants", lambda moved: seen.extend(moved) or real(moved))
    v2 = branch("v2", "v1")
    edit(site["home"], admin_user, v2, title="Welcome")
    edit(site["about"], admin_user, v2, title="About us")
    ship(v2)
    assert seen == []
    v3 = branch("v3", v2)
    edit(site["about"], admin_user, v3, slug="company")
    ship(v3)
    assert seen == [site["about"]]
    assert paths()[site["team"].pk] == "company/team"


def test_the_collision_check_of_a_big_deploy_stays_linear(site, admin_user, monkeypatch):
    """Each of its statements names one batch of paths, never every rebuilt page (a NOT IN of
    all rebuilt ids in every batch made a deploy that changes 50,000 pages quadratic)."""
    monkeypatch.setattr(pages, "_BATCH", 5)
    v2 = branch("v2", "v1")
    with use_release(v2):
        for number in range(20):
            make_page(f"New {number}", admin_user, parent=site["shop"])
    largest: list[int] = []

    def measure(execute, sql, params, many, context):
        if "cms_pageurl" in sql and sql.lstrip().upper().startswith("SELECT"):
            largest.append(len(params or ()))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(measure):
        ship(v2)
    assert paths()[site["shop"].pk] == "shop"
    assert len(PageUrl.objects.filter(path__startswith="shop/new-")) == 20
    assert largest and max(largest) <= 5 + 3, largest
