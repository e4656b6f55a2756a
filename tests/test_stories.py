"""djangocms-stories under releases: registration, publication dates, public views, admin."""

from __future__ import annotations

import pytest
from cms.api import add_plugin, create_page
from cms.models import CMSPlugin
from cms.toolbar.utils import get_object_edit_url, get_object_preview_url
from cms.utils.apphook_reload import reload_urlconf
from django.contrib.sites.models import Site
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults
from djangocms_stories.models import Post, PostContent
from djangocms_stories.settings import MENU_TYPE_POSTS

from djangocms_release_versioning import registry, services, stories
from djangocms_release_versioning.constants import APPROVED, DRAFT
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from djangocms_release_versioning.signals import release_deployed

pytestmark = pytest.mark.django_db

STORIES_PAGE = (
    "{% load cms_tags sekizai_tags menu_tags %}<html><head><title>{% block title %}"
    '{% page_attribute "page_title" %}{% endblock %}</title>{% block meta %}{% endblock %}'
    '{% render_block "css" %}</head><body>{% cms_toolbar %}<nav>{% show_menu 0 100 100 100 %}</nav>'
    '{% block content %}{% placeholder "content" %}{% endblock %}{% render_block "js" %}</body></html>'
)


@pytest.fixture(autouse=True)
def stories_templates(settings):
    """A CMS page template with the blocks djangocms-stories' templates extend."""
    settings.TEMPLATES = [
        {
            "BACKEND": "django.template.backends.django.DjangoTemplates",
            "OPTIONS": {
                "loaders": [
                    (
                        "django.template.loaders.locmem.Loader",
                        {"stories_page.html": STORIES_PAGE, "base.html": STORIES_PAGE},
                    ),
                    "django.template.loaders.app_directories.Loader",
                ],
                "context_processors": [
                    "django.template.context_processors.request",
                    "django.contrib.auth.context_processors.auth",
                    "django.contrib.messages.context_processors.messages",
                    "sekizai.context_processors.sekizai",
                    "cms.context_processors.cms_settings",
                ],
            },
        }
    ]
    settings.CMS_TEMPLATES = [("stories_page.html", "Stories page")]


@pytest.fixture(autouse=True)
def _fresh_apphook_urls():
    """Apphook URLs are built from live PageUrls; rebuild them after each test's deploys.

    djangocms-stories' menu also keeps the configs it has seen in a class attribute.
    """
    from djangocms_stories.cms_menus import PostCategoryMenu

    PostCategoryMenu._config.clear()
    yield
    PostCategoryMenu._config.clear()
    reload_urlconf()


@pytest.fixture
def editor(django_user_model):
    return django_user_model.objects.create_superuser("editor", "editor@example.com", "pw")


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def blog(editor) -> StoriesConfig:
    """The "blog" stories config and its apphooked page (a draft of the working release)."""
    fields = {field.name for field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    defaults["menu_structure"] = MENU_TYPE_POSTS  # posts hang under the blog page in menus
    config = StoriesConfig.objects.create(namespace="blog", app_title="Blog", object_name="Story", **defaults)
    create_page(
        "Blog",
        "stories_page.html",
        "en",
        created_by=editor,
        apphook="StoriesApp",
        apphook_namespace="blog",
        in_navigation=True,
    )
    return config


def make_post(config, user, title: str, *, language: str = "en", post: Post | None = None) -> PostContent:
    """A post (or a translation of ``post``) as a draft of the working release, with a plugin."""
    post = post or Post.objects.create(app_config=config, author=user)
    content = PostContent.objects.with_user(user).create(
        post=post, language=language, title=title, slug=title.lower().replace(" ", "-")
    )
    add_plugin(content.content, "TextPlugin", language, body=f"<p>Text of {title}</p>")
    return content


def ship(release: Release | str) -> Release:
    """Approve, lock and deploy ``release``; reload the apphook URLs like a new process would."""
    services.approve_release(release)
    services.lock_release(release)
    services.deploy_release(release)
    reload_urlconf()
    return Release.objects.get(version=getattr(release, "version", release))


def post_url(content: PostContent) -> str:
    """The detail URL of ``content`` (built from its own slug: works for drafts too).

    Month and day are zero-padded, as djangocms-stories builds them (``/2027/03/05/``).
    """
    post = Post.objects.get(pk=content.post_id)
    date = post.date
    return reverse(
        "blog:post-detail",
        kwargs={
            "year": date.year,
            "month": f"{date.month:02d}",
            "day": f"{date.day:02d}",
            "slug": content.slug,
        },
    )


def branch(version: str = "v2") -> Release:
    return services.create_release(version, based_on=Release.objects.live())


# -- registration ---------------------------------------------------------------------------


def test_post_content_is_registered_by_this_package():
    from django.apps import apps

    item = registry.for_model(PostContent)
    assert item is not None
    assert item.grouping_fields == ["post", "language"]
    assert item.on_publish is stories.post_published
    assert item.on_unpublish is stories.post_unpublished
    assert item.uses_default_grouper_admin_mixin
    assert not apps.get_app_config("djangocms_stories").cms_config.djangocms_versioning_enabled


def test_stories_own_registration_would_win(monkeypatch):
    """If djangocms-stories registers PostContent itself one day, this package steps aside."""
    from djangocms_release_versioning.datastructures import VersionableItem

    monkeypatch.setattr(registry, "_items", dict(registry._items))
    monkeypatch.setattr(registry, "_fallbacks", set(registry._fallbacks))
    own = VersionableItem(
        content_model=PostContent, grouper_field_name="post", extra_grouping_fields=["language"]
    )
    assert registry.register(own) is True  # replaces this package's fallback registration
    assert registry.for_model(PostContent) is own
    assert registry.register(stories.stories_versionable(), fallback=True) is False
    assert registry.for_model(PostContent) is own


def test_post_language_choices_work_with_and_without_a_request(rf):
    item = registry.for_model(PostContent)
    lookup = item.version_list_filter_lookups["language"]
    assert [code for code, _ in lookup()] == ["en", "de"]
    assert [code for code, _ in lookup(rf.get("/"), None)] == ["en", "de"]


def test_deploying_the_blog_page_makes_every_process_reload_its_urls(
    blog, editor, django_capture_on_commit_callbacks
):
    """The blog's URLs exist only once its apphooked page is live (a PageUrl with a path).

    Running processes learn about new apphook URLs from django CMS' URL revision (read by
    ``ApphookReloadMiddleware``), so a deploy that changes an apphooked page must bump it.
    """
    from cms.utils.apphook_reload import get_global_revision

    make_post(blog, editor, "Hello")
    before = get_global_revision()
    services.approve_release("v1")
    services.lock_release("v1")
    with django_capture_on_commit_callbacks(execute=True):
        services.deploy_release("v1")
    assert get_global_revision() != before


# -- publication dates ----------------------------------------------------------------------


@pytest.mark.calendar
def test_first_deploy_sets_date_published_and_later_deploys_keep_it(blog, editor):
    content = make_post(blog, editor, "Hello")
    assert Post.objects.get(pk=content.post_id).date_published is None
    before = timezone.now()
    ship("v1")
    published = Post.objects.get(pk=content.post_id).date_published
    assert published is not None and published >= before

    branch()
    draft = services.create_draft(content, user=editor, release="v2")
    draft.title = "Hello again"
    draft.save()
    ship("v2")
    post = Post.objects.get(pk=content.post_id)
    assert post.date_published == published
    assert post.date_published_end is None


@pytest.mark.calendar
def test_publishing_clears_an_end_date_that_has_passed(blog, editor):
    content = make_post(blog, editor, "Comeback")
    past = timezone.now() - timezone.timedelta(days=3)
    Post.objects.filter(pk=content.post_id).update(date_published=past, date_published_end=past)
    ship("v1")
    post = Post.objects.get(pk=content.post_id)
    assert post.date_published == past  # the first publication stays
    assert post.date_published_end is None


@pytest.mark.calendar
def test_publishing_keeps_a_future_end_date(blog, editor):
    content = make_post(blog, editor, "Limited")
    future = timezone.now() + timezone.timedelta(days=30)
    Post.objects.filter(pk=content.post_id).update(date_published_end=future)
    ship("v1")
    assert Post.objects.get(pk=content.post_id).date_published_end == future


@pytest.mark.calendar
def test_hiding_the_last_live_language_records_the_end_date(blog, editor):
    english = make_post(blog, editor, "Bilingual")
    german = make_post(blog, editor, "Zweisprachig", language="de", post=english.post)
    ship("v1")

    branch("v2")
    services.transition(german, "deactivate", user=editor, release="v2")
    ship("v2")
    assert Post.objects.get(pk=english.post_id).date_published_end is None  # English is still live

    branch("v3")
    services.transition(english, "deactivate", user=editor, release="v3")
    before = timezone.now()
    ship("v3")
    ended = Post.objects.get(pk=english.post_id).date_published_end
    assert ended is not None and ended >= before


@pytest.mark.calendar
def test_rollback_republishes_the_post(blog, editor):
    content = make_post(blog, editor, "Phoenix")
    ship("v1")
    first_published = Post.objects.get(pk=content.post_id).date_published
    branch("v2")
    services.transition(content, "deactivate", user=editor, release="v2")
    ship("v2")
    ended = Post.objects.get(pk=content.post_id).date_published_end
    assert ended is not None
    Post.objects.filter(pk=content.post_id).update(date_published_end=ended - timezone.timedelta(seconds=5))
    services.deploy_release("v1", rollback=True)
    post = Post.objects.get(pk=content.post_id)
    assert post.date_published == first_published
    assert post.date_published_end is None


@pytest.mark.calendar
def test_dry_run_and_failed_deploys_leave_the_dates_alone(blog, editor):
    content = make_post(blog, editor, "Careful")
    services.approve_release("v1")
    services.lock_release("v1")
    services.deploy_release("v1", dry_run=True)
    assert Post.objects.get(pk=content.post_id).date_published is None

    def explode(**kwargs):
        raise RuntimeError("a later deploy step failed")

    release_deployed.connect(explode, dispatch_uid="test_stories_explode")
    try:
        with pytest.raises(RuntimeError):
            services.deploy_release("v1")
    finally:
        release_deployed.disconnect(dispatch_uid="test_stories_explode")
    assert Post.objects.get(pk=content.post_id).date_published is None
    assert Release.objects.live() is None


# -- managers -------------------------------------------------------------------------------


def test_on_site_survives_on_every_manager(blog, editor):
    here = Site.objects.get(pk=1)
    elsewhere = Site.objects.create(domain="elsewhere.example.com", name="Elsewhere")
    local = make_post(blog, editor, "Local news")
    foreign = make_post(blog, editor, "Foreign news")
    foreign.post.sites.add(elsewhere)
    ship("v1")
    assert list(PostContent.objects.on_site(here)) == [local]
    assert list(PostContent.objects.all().on_site(here)) == [local]
    assert set(PostContent.objects.all().on_site(elsewhere)) == {local, foreign}
    branch()
    with use_release("v2"):
        draft = make_post(blog, editor, "Draft news")
        assert set(PostContent.admin_manager.current_content().on_site(here)) == {local, draft}
        assert set(PostContent.admin_manager.latest_content(language="en").on_site(here)) == {local, draft}
    assert list(PostContent.objects.on_site(here)) == [local]


# -- public views ---------------------------------------------------------------------------


@pytest.fixture
def live_blog(blog, editor):
    """v1 (live): "Hello" and "Second"; v2 (open): "Hello" retitled and a new "Upcoming"."""
    hello = make_post(blog, editor, "Hello")
    second = make_post(blog, editor, "Second")
    ship("v1")
    branch("v2")
    draft = services.create_draft(hello, user=editor, release="v2")
    draft.title = "Hello, retitled"
    draft.save()
    with use_release("v2"):
        upcoming = make_post(blog, editor, "Upcoming")
    return {"hello": hello, "second": second, "hello_draft": draft, "upcoming": upcoming}


@pytest.mark.calendar
@pytest.mark.parametrize("query", ["", "?edit", "?preview", "?toolbar_on"])
def test_detail_view_serves_live_posts_and_404s_for_unpublished_ones(client, live_blog, query):
    response = client.get(post_url(live_blog["hello"]) + query)
    assert response.status_code == 200
    assert b"Text of Hello" in response.content
    assert b"retitled" not in response.content
    assert b"Second" in response.content  # the blog menu lists the live posts
    assert b"Upcoming" not in response.content
    assert client.get(post_url(live_blog["upcoming"]) + query).status_code == 404


def test_editors_on_the_live_url_see_live_posts_too(editor_client, live_blog):
    assert editor_client.get(post_url(live_blog["upcoming"])).status_code == 404
    response = editor_client.get(post_url(live_blog["hello"]))
    assert response.status_code == 200
    assert b"retitled" not in response.content


def test_edit_and_preview_endpoints_show_the_working_release(editor_client, live_blog):
    for content in (live_blog["hello_draft"], live_blog["upcoming"]):
        for url in (get_object_edit_url(content), get_object_preview_url(content)):
            response = editor_client.get(url)
            assert response.status_code == 200, url
            assert content.title.encode() in response.content, url


@pytest.mark.calendar
def test_list_views_show_live_posts_only(client, live_blog):
    year = Post.objects.get(pk=live_blog["hello"].post_id).date_published.year
    urls = [
        reverse("blog:posts-latest"),
        reverse("blog:posts-archive", kwargs={"year": year}),
        reverse("blog:posts-author", kwargs={"username": "editor"}),
    ]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        assert b"Second" in response.content, url
        assert b"Hello" in response.content, url
        assert b"Upcoming" not in response.content, url
        assert b"retitled" not in response.content, url


@pytest.mark.calendar
def test_deploy_makes_the_new_and_changed_posts_public(client, live_blog):
    ship("v2")
    response = client.get(reverse("blog:posts-latest"))
    assert b"Upcoming" in response.content
    assert b"Hello, retitled" in response.content
    assert client.get(post_url(live_blog["upcoming"])).status_code == 200


@pytest.mark.calendar
def test_sitemap_lists_live_posts_only(live_blog):
    from djangocms_stories.sitemaps import StoriesSitemap

    titles = sorted(content.title for content in StoriesSitemap().items())
    assert titles == ["Hello", "Second"]


@pytest.mark.calendar
def test_feed_lists_live_posts_only(client, live_blog):
    response = client.get(reverse("blog:posts-latest-feed"))
    assert response.status_code == 200
    assert b"<title>Second</title>" in response.content
    assert b"<title>Hello</title>" in response.content
    assert b"Upcoming" not in response.content
    assert response.content.count(b"<item>") == 2


# -- toolbar "View live" --------------------------------------------------------------------


def _toolbar_for(content, user, rf, mode: str):
    from cms.toolbar.toolbar import CMSToolbar

    url = get_object_edit_url(content) if mode == "edit" else get_object_preview_url(content)
    request = rf.get(url)
    request.user = user
    request.session = {}
    request.current_page = None
    toolbar = CMSToolbar(request)
    toolbar.set_object(content)
    return toolbar


def _button_urls(toolbar) -> list[str]:
    return [button.url for item in toolbar.right_items for button in getattr(item, "buttons", [])]


@pytest.mark.calendar
@pytest.mark.parametrize("mode", ["edit", "preview"])
def test_view_live_button_points_at_the_live_post(live_blog, editor, rf, mode):
    toolbar = _toolbar_for(live_blog["hello_draft"], editor, rf, mode)
    assert stories.add_view_live_button(toolbar)
    assert post_url(live_blog["hello"]) in _button_urls(toolbar)


def test_no_view_live_button_for_posts_that_are_not_live(live_blog, editor, rf):
    toolbar = _toolbar_for(live_blog["upcoming"], editor, rf, "edit")
    assert not stories.add_view_live_button(toolbar)
    assert _button_urls(toolbar) == []


def test_no_view_live_button_for_other_objects(live_blog, editor, rf):
    from cms.models import PageContent

    page_content = PageContent.admin_manager.first()
    toolbar = _toolbar_for(page_content, editor, rf, "edit")
    assert not stories.add_view_live_button(toolbar)


# -- versions accessor and admin ------------------------------------------------------------

READ_ONLY_NOTE = b"refer to a published version"


def _post_change_url(content: PostContent) -> str:
    return reverse("admin:djangocms_stories_post_change", args=[content.post_id]) + "?language=en"


def test_versions_accessor_reports_draft_only_for_editable_content(live_blog):
    hello, draft = live_blog["hello"], live_blog["hello_draft"]
    assert draft.versions.first().state == DRAFT
    assert draft.versions.first().release.version == "v2"
    assert draft.versions.count() == 1
    second = live_blog["second"]
    first = second.versions.first()
    assert first.release.version == "v2"  # the working release's Version comes first
    assert first.state == APPROVED
    assert {v.state for v in second.versions} == {APPROVED, "locked"}
    assert [v.release.version for v in hello.versions] == ["v1"]
    assert hello.versions.first().state == "locked"


def test_versions_accessor_reports_hidden_content(live_blog, editor):
    second = live_blog["second"]
    services.transition(second, "deactivate", user=editor, release="v2")
    second = PostContent.admin_manager.get(pk=second.pk)
    assert second.versions.first().state == "hidden"
    assert not second.versions.first().active


def _stories_change_form(client, content: PostContent) -> tuple[bytes, bytes]:
    """The post change form as served (django CMS' grouper template) and as stories' own
    ``admin/djangocms_stories/post/change_form.html`` renders the same context."""
    from django.template.loader import render_to_string

    response = client.get(_post_change_url(content))
    assert response.status_code == 200
    context = next(context for context in response.context if "adminform" in context).flatten()
    stories_html = render_to_string(
        "admin/djangocms_stories/post/change_form.html", context, request=response.wsgi_request
    )
    return response.content, stories_html.encode()


def test_change_forms_mark_read_only_posts(editor_client, live_blog):
    served, stories_form = _stories_change_form(editor_client, live_blog["second"])
    assert b"read-only content" in served  # django CMS' note, with the reason
    assert escape(str(live_blog["second"].is_editable(None))).encode() in served
    assert b'name="content__title"' not in served
    assert READ_ONLY_NOTE in stories_form  # stories' note, from content.versions


def test_change_forms_leave_drafts_editable(editor_client, live_blog):
    served, stories_form = _stories_change_form(editor_client, live_blog["upcoming"])
    assert b"read-only content" not in served
    assert b'name="content__title"' in served
    assert READ_ONLY_NOTE not in stories_form


def test_post_changelist_shows_the_working_release(editor_client, live_blog):
    response = editor_client.get(reverse("admin:djangocms_stories_post_changelist") + "?language=en")
    assert response.status_code == 200
    assert b"Hello, retitled" in response.content
    assert b"Upcoming" in response.content
    assert b"Second" in response.content


def _post_form(content: PostContent, title: str) -> dict:
    post = content.post
    return {
        "content__language": "en",
        "content__title": title,
        "content__subtitle": "",
        "content__slug": content.slug,
        "content__abstract": "",
        "content__post_text": "",
        "content__meta_title": "",
        "content__meta_keywords": "",
        "content__meta_description": "",
        "app_config": post.app_config_id,
        "author": post.author_id,
        "enable_comments": "on",
        "date_published_0": "",
        "date_published_1": "",
        "date_published_end_0": "",
        "date_published_end_1": "",
        "date_featured_0": "",
        "date_featured_1": "",
        "sites": [],
        "categories": [],
        "related": [],
        "tags": "",
    }


def test_post_admin_saves_drafts_and_leaves_approved_content_alone(editor_client, live_blog):
    upcoming, second = live_blog["upcoming"], live_blog["second"]
    response = editor_client.post(_post_change_url(upcoming), _post_form(upcoming, "Upcoming soon"))
    assert response.status_code == 302, response.content.decode()[:3000]
    assert PostContent.admin_manager.get(pk=upcoming.pk).title == "Upcoming soon"
    editor_client.post(_post_change_url(second), _post_form(second, "Hijacked"))
    assert PostContent.admin_manager.get(pk=second.pk).title == "Second"


def test_post_content_admin_redirects_drafts_to_the_post(editor_client, live_blog):
    upcoming = live_blog["upcoming"]
    response = editor_client.get(reverse("admin:djangocms_stories_postcontent_change", args=[upcoming.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:djangocms_stories_post_change", args=[upcoming.post_id])


# -- wizard, copies and locks ---------------------------------------------------------------


def _wizard_form(config, editor, rf, title: str):
    from djangocms_stories.cms_wizards import PostWizardForm

    form_class = type("BlogWizardForm", (PostWizardForm,), {"default_appconfig": config.pk})
    data = {"1-title": title, "1-abstract": "", "1-post_text": "<p>From the wizard</p>"}
    form = form_class(data=data, prefix="1")
    form._request = rf.get("/")
    form._request.user = editor
    form.language_code = "en"
    return form


def test_wizard_creates_a_draft_in_the_working_release(blog, editor, rf):
    ship("v1")
    branch("v2")
    form = _wizard_form(blog, editor, rf, "Wizard post")
    assert form.is_valid(), form.errors
    content = form.save()
    version = services.get_version(content)
    assert (version.release.version, version.status) == ("v2", DRAFT)
    assert CMSPlugin.objects.filter(placeholder=content.content).count() == 1
    assert not PostContent.objects.filter(pk=content.pk).exists()


def test_wizard_is_refused_when_the_working_release_is_locked(blog, editor, rf):
    ship("v1")
    form = _wizard_form(blog, editor, rf, "Too late")
    assert form.is_valid(), form.errors
    with pytest.raises(ValidationError), transaction.atomic():
        form.save()
    assert not PostContent.admin_manager.filter(title="Too late").exists()


def test_create_draft_copies_the_post_content_with_its_plugins(blog, editor):
    content = make_post(blog, editor, "Original")
    ship("v1")
    branch()
    draft = services.create_draft(content, user=editor, release="v2")
    assert draft.pk != content.pk
    assert (draft.post_id, draft.language, draft.title, draft.slug) == (
        content.post_id,
        "en",
        "Original",
        "original",
    )
    original_plugin = CMSPlugin.objects.get(placeholder=content.content)
    copied_plugin = CMSPlugin.objects.get(placeholder__object_id=draft.pk, placeholder__slot="content")
    assert copied_plugin.pk != original_plugin.pk
    assert copied_plugin.get_bound_plugin().body == "<p>Text of Original</p>"
    assert services.get_version(content, "v1").object_id == content.pk


def test_locked_posts_refuse_every_write(blog, editor):
    content = make_post(blog, editor, "Frozen")
    services.lock_release("v1")
    content.title = "Thawed"
    with pytest.raises(ValidationError, match="locked release v1"), transaction.atomic():
        content.save()
    with pytest.raises(ValidationError, match="locked release v1"), transaction.atomic():
        add_plugin(content.content, "TextPlugin", "en", body="<p>sneaky</p>")
    with pytest.raises(ValidationError, match="v1"), transaction.atomic():
        Post.objects.get(pk=content.post_id).delete()
    assert PostContent.admin_manager.get(pk=content.pk).title == "Frozen"
    assert CMSPlugin.objects.filter(placeholder=content.content).count() == 1


# -- verify_release and visitors (DESIGN §9.1, invariant 13) --------------------------------


@pytest.mark.calendar
def test_visitors_never_make_verify_release_fail(client, live_blog, settings):
    """Lock and deploy, render every public URL as a visitor (also with a template that
    gained a placeholder since the lock), then verify: intact."""
    assert services.verify_release("v1") == []
    with_sidebar = STORIES_PAGE.replace(
        '{% placeholder "content" %}', '{% placeholder "content" %}{% placeholder "sidebar" %}'
    )
    settings.TEMPLATES[0]["OPTIONS"]["loaders"][0] = (
        "django.template.loaders.locmem.Loader",
        {"stories_page.html": with_sidebar, "base.html": with_sidebar},
    )
    from cms.models import Placeholder

    placeholders = Placeholder.objects.count()
    urls = [
        reverse("blog:posts-latest"),
        post_url(live_blog["hello"]),
        post_url(live_blog["second"]),
        reverse("blog:posts-latest-feed"),
    ]
    for url in urls:
        assert client.get(url).status_code == 200, url
    assert Placeholder.objects.count() > placeholders  # visitors' requests created placeholders
    assert services.verify_release("v1") == []


def test_verify_release_still_names_a_plugin_written_behind_the_lock(live_blog):
    from djangocms_text.models import Text

    hello = live_blog["hello"]
    Text.objects.filter(placeholder__object_id=hello.pk).update(body="<p>forged</p>")
    problems = services.verify_release("v1")
    assert len(problems) == 1
    assert "djangocms_stories.PostContent" in problems[0]


def test_feed_cache_keys_follow_the_live_deployment(live_blog):
    """The instant-articles feed caches each post's rendering under ``get_cache_key()``:
    an entry made while v1 was live is not read once v2 is (DESIGN §9.1, invariant 8)."""
    post = Post.objects.get(pk=live_blog["hello"].post_id)
    before = post.get_cache_key("en", "feed")
    assert before.startswith("djangocms-stories:feed:en:")
    ship("v2")
    after = post.get_cache_key("en", "feed")
    assert after != before
    assert after.split(":rv")[0] == before.split(":rv")[0]
