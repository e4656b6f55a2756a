"""Settings of the site that ``tests/test_adopt_site.py`` builds and migrates in subprocesses.

``ADOPT_WITH_PACKAGE=0``: django CMS, djangocms-alias and djangocms-stories *without* this
package (a site as it was before installing it). ``ADOPT_WITH_PACKAGE=1``: the same site with
the package. ``ADOPT_DB`` is the SQLite file, or with ``DATABASE=postgres`` the database name.
"""

import os

from test_settings import *  # noqa: F403
from test_settings import DATABASES, INSTALLED_APPS, MIDDLEWARE, TEMPLATES

#: Not part of the site built without the package: this package's own apps, and
#: djangocms-snippet, whose admin imports djangocms-versioning (installed in the test
#: environment for the import tests) unless this package hides it.
WITHOUT_PACKAGE = ("djangocms_release_versioning", "tests.testapp", "djangocms_snippet")

if os.environ.get("ADOPT_WITH_PACKAGE") != "1":
    INSTALLED_APPS = [app for app in INSTALLED_APPS if app not in WITHOUT_PACKAGE]
    MIDDLEWARE = [name for name in MIDDLEWARE if not name.startswith("djangocms_release_versioning.")]

if os.environ.get("DATABASE") == "postgres":
    DATABASES = {"default": {**DATABASES["default"], "NAME": os.environ["ADOPT_DB"]}}
else:
    DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ["ADOPT_DB"]}}

TEMPLATES = [
    {
        **TEMPLATES[0],
        "DIRS": [os.path.join(os.path.dirname(__file__), "adopt_templates"), *TEMPLATES[0]["DIRS"]],
    }
]
CMS_TEMPLATES = [("adopt_page.html", "Page with footer")]
ROOT_URLCONF = "tests.adopt_urls"
ALLOWED_HOSTS = ["testserver"]
