"""Settings of the demo site (``make demo``). Not for production: DEBUG, a fixed key, SQLite.

The database and uploaded media live in ``.demo/`` at the repository root (git-ignored).
"""

import os
from pathlib import Path

DEMO_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("DEMO_DATA_DIR", DEMO_DIR.parent / ".demo"))
DATA_DIR.mkdir(exist_ok=True)

SECRET_KEY = "demo-only-not-secret"
DEBUG = True
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
SITE_ID = 1
USE_TZ = True
ROOT_URLCONF = "urls"
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
X_FRAME_OPTIONS = "SAMEORIGIN"  # the CMS sideframe and modals are iframes

# SQLite with several writers (the admin deploying while visitors browse: django CMS writes
# menu cache keys and lazily created placeholders): the WAL journal lets readers and one
# writer work side by side, IMMEDIATE transactions take the write lock at BEGIN (so a
# writer waits for the busy timeout instead of failing with "database is locked" when it
# upgrades a read lock), and "timeout" is how long a writer waits (seconds).
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": DATA_DIR / "db.sqlite3",
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
    }
}

# One cache for every process of the demo: the server and the management commands run
# from a shell (deploy_release, rollbacks) share it. A per-process memory cache would keep
# what only the server's process cleared (see check djangocms_release_versioning.W003).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": DATA_DIR / "cache",
    }
}

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
    "rest_framework",
    "djangocms_rest",
    "djangocms_release_versioning",
    "demo_site",
]

MIDDLEWARE = [
    "cms.middleware.utils.ApphookReloadMiddleware",  # a deploy may bring an apphook live
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "djangocms_release_versioning.middleware.WorkingReleaseMiddleware",
    "cms.middleware.user.CurrentUserMiddleware",
    "cms.middleware.page.CurrentPageMiddleware",
    "cms.middleware.toolbar.ToolbarMiddleware",
    "cms.middleware.language.LanguageCookieMiddleware",
]

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [DEMO_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "sekizai.context_processors.sekizai",
                "cms.context_processors.cms_settings",
            ]
        },
    }
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("de", "Deutsch")]
CMS_LANGUAGES = {
    1: [
        {"code": "en", "name": "English", "public": True},
        {"code": "de", "name": "Deutsch", "public": True, "fallbacks": ["en"]},
    ],
    "default": {"fallbacks": ["en"], "redirect_on_fallback": True, "hide_untranslated": False},
}
PARLER_LANGUAGES = {1: ({"code": "en"}, {"code": "de"}), "default": {"fallbacks": ["en"]}}
CMS_TEMPLATES = [("demo/page.html", "Standard page")]
# Release versioning registers djangocms-snippet's snippets (djangocms-versioning is not used).
DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False
CMS_CONFIRM_VERSION4 = True

STATIC_URL = "/static/"
MEDIA_URL = "/media/"
MEDIA_ROOT = DATA_DIR / "media"

# djangocms-stories: filer's subject-location thumbnails; posts use placeholders.
THUMBNAIL_PROCESSORS = (
    "easy_thumbnails.processors.colorspace",
    "easy_thumbnails.processors.autocrop",
    "filer.thumbnail_processors.scale_and_crop_with_subject_location",
    "easy_thumbnails.processors.filters",
)
META_SITE_PROTOCOL = "http"
META_USE_SITES = True

# The first content written on a fresh site opens this release.
DJANGOCMS_RELEASE_VERSIONING_INITIAL_RELEASE_VERSION = "v1.0.0"
