"""Record what an anonymous visitor gets for every public URL of the site (either provider).

``python -m tests.dv_site.snapshot OUT.json`` (from the repository root, with
``DJANGO_SETTINGS_MODULE=tests.dv_site.settings``) writes ``{url: [status, body]}``. CSRF
tokens are normalised; everything else is compared as it is.
"""

from __future__ import annotations

import json
import re
import sys

import django

CSRF = re.compile(r'(name="csrfmiddlewaretoken" value=")[^"]+(")')
#: A feed's build date is the time of the request.
BUILD_DATE = re.compile(r"<lastBuildDate>[^<]*</lastBuildDate>")


def urls() -> list[str]:
    """Every URL a visitor could ask for: page URLs of both languages (whether live or
    not), the blog's lists, feeds and post details (of every post, live or not), the sitemap."""
    from cms.models import PageUrl
    from djangocms_stories.models import Post, PostContent

    found = {"/sitemap.xml", "/en/", "/de/"}
    for language, path in PageUrl.objects.values_list("language", "path"):
        found.add(f"/{language}/{path}/" if path else f"/{language}/")
    for language in ("en", "de"):
        found.update({f"/{language}/blog/", f"/{language}/blog/feed/", f"/{language}/blog/category/news/"})
    for content in PostContent._base_manager.all():
        post = Post.objects.get(pk=content.post_id)
        date = post.date
        found.add(f"/{content.language}/blog/{date:%Y/%m/%d}/{content.slug}/")
    return sorted(found)


def snapshot() -> dict[str, list]:
    from django.test import Client

    client = Client()
    result = {}
    for url in urls():
        response = client.get(url)
        body = response.content.decode() if response.status_code == 200 else ""
        body = BUILD_DATE.sub("<lastBuildDate>NOW</lastBuildDate>", CSRF.sub(r"\1TOKEN\2", body))
        result[url] = [response.status_code, body]
    return result


if __name__ == "__main__":
    django.setup()
    with open(sys.argv[1], "w") as out:
        json.dump(snapshot(), out, indent=1, sort_keys=True)
