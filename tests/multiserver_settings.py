"""Settings of the app servers and the deployer of ``tests/test_multiserver.py``.

The test suite's settings on PostgreSQL, with the database named by ``RV_MULTISERVER_DB``,
Django's Redis cache (``RV_MULTISERVER_REDIS``, keys under ``RV_MULTISERVER_PREFIX``) and
every django CMS cache switched on, as a site with several app servers would run.
"""

import os

from test_settings import *  # noqa: F403
from test_settings import DATABASES, TEMPLATES

DATABASES["default"]["NAME"] = os.environ["RV_MULTISERVER_DB"]
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1"]

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": os.environ.get("RV_MULTISERVER_REDIS", "redis://127.0.0.1:6379/0"),
        "KEY_PREFIX": os.environ["RV_MULTISERVER_PREFIX"],
    }
}
CMS_PAGE_CACHE = True
CMS_PLACEHOLDER_CACHE = True
CMS_PLUGIN_CACHE = True
CMS_CACHE_DURATIONS = {"menus": 3600, "content": 3600, "permissions": 3600}

# Navigation, body and footer (a static alias) on one page: each carries its release's marker.
MULTISERVER_PAGE = (
    "{% load cms_tags djangocms_alias_tags menu_tags sekizai_tags %}<html><head>"
    '{% render_block "css" %}</head><body>{% cms_toolbar %}<nav>{% show_menu 0 100 100 100 %}</nav>'
    '<main>{% placeholder "content" %}</main><footer>{% static_alias "footer" %}</footer>'
    '{% render_block "js" %}</body></html>'
)
TEMPLATES = [
    {
        **TEMPLATES[0],
        "APP_DIRS": False,
        "OPTIONS": {
            **TEMPLATES[0]["OPTIONS"],
            "loaders": [
                ("django.template.loaders.locmem.Loader", {"multiserver.html": MULTISERVER_PAGE}),
                "django.template.loaders.filesystem.Loader",
                "django.template.loaders.app_directories.Loader",
            ],
        },
    }
]
CMS_TEMPLATES = [("multiserver.html", "Multi-server page")]
