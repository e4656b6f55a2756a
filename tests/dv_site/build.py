"""Build a django CMS site under djangocms-versioning 2.8.0 (run with that virtualenv).

``DVSITE_PROVIDER=djangocms_versioning DJANGO_SETTINGS_MODULE=tests.dv_site.settings
python -m tests.dv_site.build`` from the repository root migrates the database named by
``DVSITE_DB`` and fills it with what a real djangocms-versioning site holds: pages in two
languages with drafts, unpublished and archived versions, a never-published page, an
apphooked blog (djangocms-stories) with published, draft-only and unpublished posts, a static
alias footer and a normal alias placed on a page.
"""

from __future__ import annotations

import django


def _publish(content, user):
    from djangocms_versioning.models import Version

    Version.objects.get_for_content(content).publish(user)
    return content


def _new_draft(content, user):
    """djangocms-versioning's "Edit": a draft copy of ``content`` (with its plugins)."""
    from djangocms_versioning.models import Version

    return Version.objects.get_for_content(content).copy(user).content


def slot(content, name: str = "content"):
    """The placeholder ``name`` of a page content (made from the template if missing)."""
    from cms.utils.placeholder import rescan_placeholders_for_obj

    return rescan_placeholders_for_obj(content)[name]


def _set_text(content, placeholder, text: str) -> None:
    from cms.models import CMSPlugin

    plugin = (
        CMSPlugin.objects.filter(placeholder=placeholder, plugin_type="TextPlugin")
        .order_by("position")
        .first()
    )
    bound = plugin.get_bound_plugin()
    bound.body = text
    bound.save()


def build() -> None:
    from cms.api import add_plugin, create_page, create_page_content
    from cms.models import PageContent
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from djangocms_alias.constants import DEFAULT_STATIC_ALIAS_CATEGORY_NAME
    from djangocms_alias.models import Alias, AliasContent, Category
    from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults
    from djangocms_stories.models import Post, PostCategory, PostContent
    from djangocms_versioning.models import Version

    call_command("migrate", verbosity=0, interactive=False)
    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "admin")

    def page(title_en, title_de, text, **kwargs):
        page = create_page(title_en, "page.html", "en", created_by=user, in_navigation=True, **kwargs)
        en = PageContent.admin_manager.filter(page=page, language="en").get()
        if text:  # the blog page's placeholders come from the apphook's templates
            add_plugin(slot(en), "TextPlugin", "en", body=f"<p>{text} (en)</p>")
        de = create_page_content(
            "de", title_de, page, created_by=user, in_navigation=True, template="page.html"
        )
        if text:
            add_plugin(slot(de), "TextPlugin", "de", body=f"<p>{text} (de)</p>")
        return page, en, de

    _home, home_en, home_de = page("Home", "Startseite", "Welcome")
    about, about_en, about_de = page("About us", "Über uns", "About")
    _team, team_en, team_de = page("Team", "Team", "Our team", parent=about)
    page("Careers", "Karriere", "Jobs")  # never published
    for content in (home_en, home_de, about_en, about_de, team_en, team_de):
        _publish(content, user)

    # About (en): a second published version (the first becomes unpublished), then a draft;
    # an abandoned draft is archived.
    about_v2 = _new_draft(about_en, user)
    _set_text(about_v2, slot(about_v2), "<p>About, second edition (en)</p>")
    _publish(about_v2, user)
    abandoned = _new_draft(about_v2, user)
    Version.objects.get_for_content(abandoned).archive(user)
    about_draft = _new_draft(about_v2, user)
    _set_text(about_draft, slot(about_draft), "<p>About, third edition</p>")
    # Team (en) taken offline: only unpublished versions left.
    Version.objects.get_for_content(team_en).unpublish(user)

    # Static alias footer, and a normal alias placed on the home page.
    category = Category.objects.filter(translations__name=DEFAULT_STATIC_ALIAS_CATEGORY_NAME).first()
    if category is None:
        category = Category.objects.create(name=DEFAULT_STATIC_ALIAS_CATEGORY_NAME)
    footer = Alias.objects.create(
        static_code="footer", category=category, creation_method=Alias.CREATION_BY_TEMPLATE
    )
    for language in ("en", "de"):
        content = AliasContent.objects.with_user(user).create(alias=footer, name="footer", language=language)
        add_plugin(content.placeholder, "TextPlugin", language, body=f"<p>Footer ({language})</p>")
        _publish(content, user)
    teaser = Alias.objects.create(category=category)
    teaser_en = AliasContent.objects.with_user(user).create(alias=teaser, name="Teaser", language="en")
    add_plugin(teaser_en.placeholder, "TextPlugin", "en", body="<p>Teaser alias</p>")
    _publish(teaser_en, user)
    home_v2 = _new_draft(home_en, user)
    add_plugin(slot(home_v2), "Alias", "en", alias=teaser)
    _publish(home_v2, user)

    # Blog: an apphooked page and posts.
    fields = {model_field.name for model_field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    config = StoriesConfig.objects.create(namespace="blog", app_title="Blog", object_name="Post", **defaults)
    _blog, blog_en, blog_de = page("Blog", "Blog", None, apphook="StoriesApp", apphook_namespace="blog")
    _publish(blog_en, user)
    _publish(blog_de, user)
    news = PostCategory.objects.create(app_config=config, name="News", slug="news")

    def post(title, languages=("en", "de")):
        entry = Post.objects.create(app_config=config, author=user)
        entry.categories.add(news)
        contents = {}
        for language in languages:
            content = PostContent.objects.with_user(user).create(
                post=entry,
                language=language,
                title=f"{title} {language}",
                slug=f"{title.lower().replace(' ', '-')}-{language}",
                abstract=f"<p>{title} abstract ({language})</p>",
            )
            add_plugin(content.content, "TextPlugin", language, body=f"<p>{title} body ({language})</p>")
            contents[language] = content
        return contents

    for content in post("Hello world").values():
        _publish(content, user)
    post("Coming soon", languages=("en",))  # draft only
    retired = post("Old news", languages=("en",))["en"]
    _publish(retired, user)
    Version.objects.get_for_content(retired).unpublish(user)


if __name__ == "__main__":
    django.setup()
    build()
