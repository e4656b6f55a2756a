"""Django settings for one setup of the page rendering benchmark (``bench/pages.py``).

Read from the environment, set by ``pages.py`` for each subprocess:

* ``PAGES_BENCH_SETUP``: ``ours`` (djangocms-release-versioning), ``dv`` (djangocms-versioning)
  or ``plain`` (django CMS without versioning). The three differ only in that one app.
* ``PAGES_BENCH_DB``: ``sqlite`` (file ``PAGES_BENCH_SQLITE_PATH``) or ``postgres``
  (database ``PAGES_BENCH_PG_DB`` on ``POSTGRES_HOST``:``POSTGRES_PORT``, user ``POSTGRES_USER``).

Caches are off (menus, placeholders, plugins, pages) so every request really renders.
"""

import os
from pathlib import Path

SETUP = os.environ.get("PAGES_BENCH_SETUP", "plain")
BACKEND = os.environ.get("PAGES_BENCH_DB", "sqlite")
HERE = Path(__file__).resolve().parent

SECRET_KEY = "pages-benchmark-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost"]
USE_TZ = True
SITE_ID = 1
ROOT_URLCONF = "pages_urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

if BACKEND == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("PAGES_BENCH_PG_DB", f"pages_bench_{SETUP}"),
            "USER": os.environ.get("POSTGRES_USER", "postgres"),
            "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        }
    }
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": os.environ.get("PAGES_BENCH_SQLITE_PATH", str(HERE / f"pages_{SETUP}.sqlite3")),
        }
    }

VERSIONING_APPS = {
    "ours": ["djangocms_release_versioning"],
    "dv": ["djangocms_versioning"],
    "plain": [],
}

INSTALLED_APPS = [
    "djangocms_admin_style",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.sites",
    "django.contrib.staticfiles",
    "cms",
    "menus",
    "treebeard",
    "sekizai",
    "djangocms_text",
    *VERSIONING_APPS[SETUP],
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    *(["djangocms_release_versioning.middleware.WorkingReleaseMiddleware"] if SETUP == "ours" else []),
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(HERE / "pages_templates")],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sekizai.context_processors.sekizai",
                "cms.context_processors.cms_settings",
            ]
        },
    }
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English")]
CMS_LANGUAGES = {
    1: [{"code": "en", "name": "English"}],
    "default": {"fallbacks": [], "redirect_on_fallback": True, "public": True, "hide_untranslated": False},
}
CMS_TEMPLATES = [("page.html", "Page")]
CMS_CONFIRM_VERSION4 = True
CMS_CACHE_DURATIONS = {"menus": 0, "content": 0, "permissions": 0}
CMS_PAGE_CACHE = False
CMS_PLACEHOLDER_CACHE = False
CMS_PLUGIN_CACHE = False
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
