"""A site built by django CMS without this package, and its public HTML (no tests here).

Run by ``tests/test_adopt_site.py`` in subprocesses (settings ``tests.adopt_settings``)::

    python -m tests.adopt_site build            # pages, aliases, posts: plain django CMS APIs
    python -m tests.adopt_site snapshot OUT     # anonymous HTML of every public URL -> OUT (JSON)
    python -m tests.adopt_site snapshot OUT IN  # the same URLs as snapshot IN

Content is created as a site without a versioning package creates it: django CMS' API for
pages (which then writes the PageUrls itself), the models' managers for aliases and posts.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import sys

import django


def build() -> None:
    from cms.api import add_plugin, create_page, create_page_content
    from django.contrib.auth import get_user_model
    from djangocms_alias.models import Alias, AliasContent, Category
    from djangocms_stories.cms_appconfig import StoriesConfig, config_defaults
    from djangocms_stories.models import Post, PostCategory, PostContent

    user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")

    def page(title_en, title_de, text, parent=None, **kwargs):
        page = create_page(
            title_en, "adopt_page.html", "en", created_by=user, parent=parent, in_navigation=True, **kwargs
        )
        if title_de:
            create_page_content(
                "de", title_de, page, created_by=user, template="adopt_page.html", in_navigation=True
            )
        for content in page.pagecontent_set.all():
            placeholder = content.rescan_placeholders().get("content")
            if placeholder is None:  # the apphooked page renders the app, not the template
                continue
            add_plugin(
                placeholder, "TextPlugin", content.language, body=f"<p>{text} ({content.language})</p>"
            )
        return page

    page("Home", "Start", "Welcome").set_as_homepage()
    about = page("About us", "Über uns", "Who we are")
    page("Team", None, "The team", parent=about)
    page("Contact", "Kontakt", "Write to us", slug="contact-us")

    category = Category.objects.create(name="Static")
    footer = Alias.objects.create(
        static_code="footer", category=category, creation_method=Alias.CREATION_BY_TEMPLATE
    )
    for language, text in (("en", "Footer"), ("de", "Fußzeile")):
        content = AliasContent.objects.create(alias=footer, name="footer", language=language)
        add_plugin(content.placeholder, "TextPlugin", language, body=f"<p>{text}</p>")
    notice = Alias.objects.create(category=Category.objects.create(name="Notices"))
    notice_content = AliasContent.objects.create(alias=notice, name="Opening hours", language="en")
    add_plugin(notice_content.placeholder, "TextPlugin", "en", body="<p>Open 9 to 5</p>")
    about_en = about.pagecontent_set.get(language="en")
    add_plugin(about_en.get_placeholders().get(slot="content"), "Alias", "en", alias=notice)

    fields = {field.name for field in StoriesConfig._meta.get_fields()}
    defaults = {key: value for key, value in config_defaults.items() if key in fields}
    config = StoriesConfig.objects.create(namespace="blog", app_title="Blog", object_name="Story", **defaults)
    page("Blog", "Blog", "News", apphook="StoriesApp", apphook_namespace="blog")
    news = PostCategory.objects.create(app_config=config, name="News", slug="news")
    dated = Post.objects.create(
        app_config=config, author=user, date_published=dt.datetime(2026, 3, 5, 9, 30, tzinfo=dt.UTC)
    )
    undated = Post.objects.create(
        app_config=config, author=user
    )  # no publication date: its URL uses date_created
    for post, language, title in (
        (dated, "en", "Spring news"),
        (dated, "de", "Frühlingsnews"),
        (undated, "en", "Undated"),
    ):
        post.categories.add(news)
        content = PostContent.objects.create(
            post=post,
            language=language,
            title=title,
            slug=title.lower().replace(" ", "-"),
            abstract=f"<p>{title}</p>",
        )
        add_plugin(content.content, "TextPlugin", language, body=f"<p>Text of {title}</p>")


def public_urls() -> list[str]:
    from cms.models import PageUrl
    from djangocms_stories.models import PostContent

    urls = ["/", "/de/"]
    for url in PageUrl.objects.exclude(path__isnull=True).exclude(path="").order_by("language", "path"):
        urls.append(f"/{url.language}/{url.path}/" if url.language != "en" else f"/{url.path}/")
    for content in PostContent._base_manager.select_related("post__app_config").order_by("pk"):
        urls.append(content.get_absolute_url(content.language))
    return urls


LINK = re.compile(r'href="(/(?!admin/|static/)[^"]*)"')
CSRF = re.compile(r'(csrfmiddlewaretoken" value=|csrftoken=)"?[A-Za-z0-9]+')


def snapshot(out: str, urls_from: str | None = None) -> None:
    from django.test import Client

    if urls_from:
        with open(urls_from) as handle:
            urls = list(json.load(handle))
    else:
        urls = public_urls()
    client = Client()
    pages = {}
    for url in urls:
        response = client.get(url)
        body = CSRF.sub(r"\1CSRF", response.content.decode())
        pages[url] = [response.status_code, response.get("Location", ""), body]
    if not urls_from:  # and every page the site links to (category pages, menus)
        for url in sorted(
            {link for _status, _location, body in pages.values() for link in LINK.findall(body)}
        ):
            if url not in pages:
                response = client.get(url)
                body = CSRF.sub(r"\1CSRF", response.content.decode())
                pages[url] = [response.status_code, response.get("Location", ""), body]
    with open(out, "w") as handle:
        json.dump(pages, handle, indent=1)


if __name__ == "__main__":
    django.setup()
    command, *args = sys.argv[1:]
    if command == "build":
        from django.db import transaction

        with transaction.atomic():
            build()
    else:
        snapshot(*args)
