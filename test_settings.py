"""Settings for the test suite.

``DATABASE`` selects the backend: ``sqlite`` (default, in memory), ``postgres``, or
``mariadb`` / ``mysql`` (both use Django's MySQL backend with mysqlclient: ``pip install
-e .[mariadb]``). Each server backend reads its host, port, user, password and test database
name from ``POSTGRES_*`` or ``MYSQL_*`` environment variables (defaults below).
"""

import os

from django.core.exceptions import ImproperlyConfigured

SECRET_KEY = "tests-only"
DEBUG = False
USE_TZ = True
SITE_ID = 1
ROOT_URLCONF = "tests.urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"

_BACKENDS = ("sqlite", "postgres", "mariadb", "mysql")
_backend = os.environ.get("DATABASE") or "sqlite"
if _backend not in _BACKENDS:
    raise ImproperlyConfigured(f"DATABASE={_backend!r} is not supported: use one of {', '.join(_BACKENDS)}.")
if _backend == "postgres":
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.postgresql",
            "NAME": os.environ.get("POSTGRES_DB", "release_versioning"),
            "USER": os.environ.get("POSTGRES_USER", "postgres"),
            "HOST": os.environ.get("POSTGRES_HOST", "127.0.0.1"),
            "PORT": os.environ.get("POSTGRES_PORT", "5432"),
            "TEST": {"NAME": os.environ.get("POSTGRES_TEST_DB", "test_release_versioning")},
        }
    }
elif _backend in ("mariadb", "mysql"):
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.mysql",
            "NAME": os.environ.get("MYSQL_DB", "release_versioning"),
            "USER": os.environ.get("MYSQL_USER", "root"),
            "PASSWORD": os.environ.get("MYSQL_PASSWORD", ""),
            "HOST": os.environ.get("MYSQL_HOST", "127.0.0.1"),
            "PORT": os.environ.get("MYSQL_PORT", "3306"),
            "OPTIONS": {"charset": "utf8mb4"},
            "TEST": {
                "NAME": os.environ.get("MYSQL_TEST_DB", "test_release_versioning"),
                "CHARSET": "utf8mb4",
            },
        }
    }
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}

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
    "djangocms_snippet",
    # djangocms-rest (tests/test_rest.py serves its URLs from tests/rest_urls.py).
    "rest_framework",
    "djangocms_rest",
    "djangocms_release_versioning",
    "tests.testapp",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "djangocms_release_versioning.middleware.WorkingReleaseMiddleware",
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [os.path.join(os.path.dirname(__file__), "tests", "templates")],
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
# djangocms-snippet registers with djangocms-versioning unless told not to; release versioning
# registers it instead (djangocms_release_versioning/snippet.py).
DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False
CMS_CACHE_DURATIONS = {"menus": 0, "content": 0, "permissions": 0}
STATIC_URL = "/static/"
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
META_SITE_PROTOCOL = "http"
META_USE_SITES = True
PARLER_LANGUAGES = {1: ({"code": "en"}, {"code": "de"}), "default": {"fallbacks": ["en"]}}
# djangocms-stories templates use filer's subject-location thumbnails.
THUMBNAIL_PROCESSORS = (
    "easy_thumbnails.processors.colorspace",
    "easy_thumbnails.processors.autocrop",
    "filer.thumbnail_processors.scale_and_crop_with_subject_location",
    "easy_thumbnails.processors.filters",
)
