"""The demo site (``make demo``): seeding, what visitors and the admin see, ``setup_demo``."""

from __future__ import annotations

import importlib
from io import StringIO
from pathlib import Path

import pytest
from cms.models import PageContent
from cms.toolbar.utils import get_object_preview_url
from cms.utils.apphook_reload import reload_urlconf
from django.contrib.auth import get_user_model
from django.contrib.sites.models import Site
from django.core.management import call_command
from django.core.management.base import CommandError

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release, Version

pytestmark = pytest.mark.django_db

DEMO_DIR = Path(__file__).resolve().parent.parent / "demo"


@pytest.fixture
def demo(settings, monkeypatch):
    """The demo's modules, templates and URLs on top of the test settings."""
    from djangocms_stories.cms_menus import PostCategoryMenu

    monkeypatch.syspath_prepend(str(DEMO_DIR))
    monkeypatch.delenv("PORT", raising=False)  # make demo PORT=…: the default unless a test sets it
    seeding = importlib.import_module("demo_site.seeding")
    settings.TEMPLATES = [
        {**settings.TEMPLATES[0], "DIRS": [DEMO_DIR / "templates", *settings.TEMPLATES[0]["DIRS"]]}
    ]
    settings.CMS_TEMPLATES = [(seeding.TEMPLATE, "Standard page")]
    settings.ROOT_URLCONF = "urls"
    yield seeding
    settings.ROOT_URLCONF = "tests.urls"
    reload_urlconf(urlconf="tests.urls")
    Site.objects.clear_cache()  # seeding renamed the site; the rollback does not reach the cache
    PostCategoryMenu._config.clear()  # djangocms-stories' menu caches configs on the class


@pytest.fixture
def seeded(demo):
    site = demo.seed_demo()
    reload_urlconf(urlconf="urls")  # the blog apphook went live: what a new process would load
    return site


def _command():
    return importlib.import_module("demo_site.management.commands.setup_demo").Command()


def _indicator(page, language: str) -> str:
    return PageContent.admin_manager.latest_content(page=page, language=language).get().content_indicator()


# -- seeding --------------------------------------------------------------------------------


def test_seeding_deploys_the_first_release_and_opens_the_next(seeded, demo):
    live, upcoming = Release.objects.get(version="v1.0.0"), Release.objects.get(version="v1.1.0")
    assert Release.objects.live() == live
    assert live.is_locked and live.is_deployed
    assert not upcoming.is_locked and upcoming.based_on == live
    assert Release.objects.default_working() == upcoming
    admin = get_user_model().objects.get(username=demo.ADMIN_USERNAME)
    assert admin.is_superuser and admin.check_password(demo.ADMIN_PASSWORD)
    languages = set(PageContent.objects.filter(page=seeded.pages["about"]).values_list("language", flat=True))
    assert languages == {"en", "de"}


def test_the_open_release_holds_each_kind_of_pending_change(seeded):
    with use_release("v1.1.0"):
        assert _indicator(seeded.pages["home"], "en") == "published"
        assert _indicator(seeded.pages["about"], "en") == "dirty"
        assert _indicator(seeded.pages["about"], "de") == "published"
        assert _indicator(seeded.pages["team"], "en") == "unpublished"
        assert _indicator(seeded.pages["careers"], "en") == "future"
        assert seeded.new_post["en"].content_indicator() == "draft"
        footer = services.get_version(seeded.footer["en"], "v1.1.0")
        assert footer.status == "approved"
        assert footer.object_id != seeded.footer["en"].pk  # a copy: v1.0.0 keeps its footer


def test_seeding_twice_is_refused_and_changes_nothing(seeded, demo):
    versions = Version.objects.count()
    with pytest.raises(ValueError, match="seeded already"):
        demo.seed_demo()
    assert Version.objects.count() == versions
    assert Release.objects.count() == 2


# -- what visitors and editors see ----------------------------------------------------------


def test_visitors_see_the_live_release_in_both_languages(client, seeded):
    english = client.get("/en/")
    assert english.status_code == 200
    assert b"Welcome" in english.content
    assert "footer of v1.0.0" in english.content.decode()
    german = client.get("/de/")
    assert german.status_code == 200
    assert "Fußzeile von v1.0.0" in german.content.decode()
    assert b"Willkommen" in german.content
    about = client.get("/en/about-us/")
    assert b"We build websites with django CMS.</p>" in about.content
    assert client.get("/en/team/").status_code == 200
    assert client.get("/en/careers/").status_code == 404
    blog = client.get("/en/blog/")
    assert b"Hello, releases" in blog.content
    assert b"How a deploy works" in blog.content
    assert b"Release day" not in blog.content


def test_visitors_read_live_posts_and_get_a_404_for_the_new_one(client, seeded):
    from djangocms_stories.models import Post

    hello = Post.objects.get(pk=seeded.posts[0]["en"].post_id)
    response = client.get(hello.get_absolute_url("en"))
    assert response.status_code == 200
    assert b"Content ships in releases now." in response.content
    assert "Fußzeile" not in response.content.decode()
    assert "Inhalte kommen jetzt" in client.get(hello.get_absolute_url("de")).content.decode()
    new = seeded.new_post["en"]
    url = hello.get_absolute_url("en").replace(seeded.posts[0]["en"].slug, new.slug)
    assert client.get(url).status_code == 404


def test_the_admin_logs_in_and_previews_the_pending_changes(client, seeded, demo):
    assert client.login(username=demo.ADMIN_USERNAME, password=demo.ADMIN_PASSWORD)
    assert client.get("/en/admin/").status_code == 200
    with use_release("v1.1.0"):
        about = PageContent.admin_manager.current_content(page=seeded.pages["about"], language="en").get()
    response = client.get(get_object_preview_url(about))
    assert response.status_code == 200
    assert b"ship them in releases" in response.content
    assert b"new footer, approved in v1.1.0" in response.content
    assert b"ship them in releases" not in client.get("/en/about-us/").content


def test_deploying_the_open_release_brings_its_approved_changes_live(client, seeded, demo):
    admin = get_user_model().objects.get(username=demo.ADMIN_USERNAME)
    services.approve_release("v1.1.0", user=admin)
    services.lock_release("v1.1.0", user=admin)
    services.deploy_release("v1.1.0", user=admin)
    assert b"ship them in releases" in client.get("/en/about-us/").content
    assert client.get("/en/team/").status_code == 404
    assert client.get("/en/careers/").status_code == 404  # parked: never approved in bulk
    assert b"Release day" in client.get("/en/blog/").content
    assert b"new footer, approved in v1.1.0" in client.get("/en/").content


# -- setup_demo -----------------------------------------------------------------------------


def test_setup_demo_seeds_an_empty_database_and_prints_how_to_log_in(demo):
    out = StringIO()
    call_command(_command(), stdout=out)
    assert demo.is_seeded()
    output = out.getvalue()
    assert "http://127.0.0.1:8000/" in output
    assert "user admin, password admin" in output


def test_setup_demo_skips_a_seeded_database(seeded, demo):
    get_user_model().objects.filter(username="admin").update(password="forgotten")
    versions = Version.objects.count()
    out = StringIO()
    call_command(_command(), stdout=out)
    assert "set up already" in out.getvalue()
    assert Version.objects.count() == versions
    assert get_user_model().objects.get(username="admin").check_password("admin")  # login restored


def test_setup_demo_serves_the_site_on_the_port_of_make_demo(demo, monkeypatch):
    monkeypatch.setenv("PORT", "8123")
    out = StringIO()
    call_command(_command(), stdout=out)
    assert Site.objects.get(pk=1).domain == "127.0.0.1:8123"
    assert "http://127.0.0.1:8123/en/admin/" in out.getvalue()
    monkeypatch.setenv("PORT", "8124")  # run again on another port: the seeded site follows
    call_command(_command(), stdout=StringIO())
    assert Site.objects.get(pk=1).domain == "127.0.0.1:8124"


@pytest.mark.parametrize("port", ["eighty", "0", "70000"])
def test_setup_demo_refuses_a_port_that_is_no_port_number(demo, monkeypatch, port):
    monkeypatch.setenv("PORT", port)
    with pytest.raises(CommandError, match="PORT must be a port number"):
        call_command(_command(), stdout=StringIO())
    assert not demo.is_seeded()


def test_setup_demo_reset_refuses_any_database_but_its_own(seeded):
    versions = Version.objects.count()
    with pytest.raises(CommandError, match="only deletes the demo's own SQLite database"):
        call_command(_command(), reset=True, stdout=StringIO())
    assert Version.objects.count() == versions


def test_the_readme_workflow_runs_on_the_demo(client, seeded, demo):
    """README "The workflow" on the seeded demo: every command succeeds as documented; locking
    before approving is refused because "About us" would go offline (its edit is a draft)."""

    def run(*args: str) -> str:
        out = StringIO()
        call_command(*args, stdout=out)
        return out.getvalue()

    with pytest.raises(
        CommandError, match=r'would take 1 live object offline.*"About us \(en\)" \(en\): draft'
    ):
        run("lock_release", "--release-version", "v1.1.0")
    assert "approved" in run("approve_release", "--release-version", "v1.1.0")
    assert "Locked release v1.1.0" in run("lock_release", "--release-version", "v1.1.0")
    dry = run("deploy_release", "--release-version", "v1.1.0", "--dry-run")
    assert 'changed  cms.PageContent "About us (en)" (en)' in dry
    assert 'removed  cms.PageContent "Team (en)" (en)' in dry  # hidden on purpose: no guard
    assert "every check of the deploy passed" in dry
    assert "Deployed release v1.1.0" in run("deploy_release", "--release-version", "v1.1.0")
    assert "Rolled back" in run("deploy_release", "--release-version", "v1.0.0", "--rollback")


# -- the headless API (djangocms-rest under /api/) ------------------------------------------


def test_the_demo_serves_the_live_release_as_json_and_previews_to_staff(client, seeded, demo):
    assert 'href="/api/en/pages-tree/"' in client.get("/en/").content.decode()  # the start page links it
    tree = client.get("/api/en/pages-tree/")
    assert tree.status_code == 200
    assert "About us" in tree.content.decode()
    assert "Careers" not in tree.content.decode()
    assert client.get("/api/en/pages-tree/?preview=true").status_code == 403
    assert client.login(username=demo.ADMIN_USERNAME, password=demo.ADMIN_PASSWORD)
    preview = client.get("/api/en/pages-tree/?preview=true")
    assert preview.status_code == 200  # Careers is new in v1.1.0: it has no live URL yet
    assert "Careers" in preview.content.decode()
