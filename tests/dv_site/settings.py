"""Settings of the site used to test moving from djangocms-versioning onto releases.

The same settings serve both sides: ``DVSITE_PROVIDER=djangocms_versioning`` (run by the
virtualenv that has djangocms-versioning 2.8.0) builds the site; ``djangocms_release_versioning``
(this project's virtualenv) imports it. Only the versioning app and its middleware differ.
``DVSITE_DB`` is an SQLite file path, or ``postgres:<database name>``.
"""

import os
from pathlib import Path

HERE = Path(__file__).resolve().parent
PROVIDER = os.environ.get("DVSITE_PROVIDER", "djangocms_release_versioning")
if PROVIDER not in ("djangocms_versioning", "djangocms_release_versioning"):
    raise RuntimeError(f"DVSITE_PROVIDER must name a versioning app, not {PROVIDER!r}")

SECRET_KEY = "dv-site-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["testserver", "localhost", "127.0.0.1"]
USE_TZ = True
TIME_ZONE = "UTC"
SITE_ID = 1
ROOT_URLCONF = "tests.dv_site.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_db = os.environ.get("DVSITE_DB", str(HERE / "dv_site.sqlite3"))
if _db.startswith("postgres:"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": _db.split(":", 1)[1],
            "USER": os.environ.get("POSTGRES_USER", "postgres"),
            "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("POSTGRES_PORT", "5432"),
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": _db}}

INSTALLED_APPS = [
    "djangocms_admin_style",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.admin",
    "django.contrib.sites",
    "django.contrib.sitemaps",
    "django.contrib.staticfiles",
    "cms",
    "menus",
    "treebeard",
    "sekizai",
    "djangocms_text",
    "djangocms_alias",
    "parler",
    "taggit",
    "meta",
    "sortedm2m",
    "filer",
    "easy_thumbnails",
    "djangocms_stories",
    PROVIDER,
]

MIDDLEWARE = [
    "cms.middleware.utils.ApphookReloadMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    *(
        ["djangocms_release_versioning.middleware.WorkingReleaseMiddleware"]
        if PROVIDER == "djangocms_release_versioning"
        else []
    ),
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [str(HERE / "templates")],
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
LANGUAGES = [("en", "English"), ("de", "German")]
CMS_LANGUAGES = {
    1: [{"code": "en", "name": "English"}, {"code": "de", "name": "German"}],
    "default": {
        "fallbacks": ["en"],
        "redirect_on_fallback": True,
        "public": True,
        "hide_untranslated": False,
    },
}
CMS_TEMPLATES = [("page.html", "Page")]
CMS_CONFIRM_VERSION4 = True
STATIC_URL = "/static/"
MEDIA_URL = "/media/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
# Every request renders: the comparison is about what the database serves, not a cache.
CACHES = {"default": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"}}
META_SITE_PROTOCOL = "http"
META_USE_SITES = True
PARLER_LANGUAGES = {1: ({"code": "en"}, {"code": "de"}), "default": {"fallbacks": ["en"]}}
THUMBNAIL_PROCESSORS = (
    "easy_thumbnails.processors.colorspace",
    "easy_thumbnails.processors.autocrop",
    "filer.thumbnail_processors.scale_and_crop_with_subject_location",
    "easy_thumbnails.processors.filters",
)
