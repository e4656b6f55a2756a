"""Sphinx configuration for the djangocms-release-versioning documentation.

Autodoc imports the package, so Django is set up with the test settings first.
"""

import importlib
import os
import sys
import warnings
from pathlib import Path

import django

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "test_settings")
# djangocms-text probes admin forms in ready(), which touches the (empty) test database.
warnings.filterwarnings("ignore", message="Accessing the database during app initialization")
django.setup()

project = "djangocms-release-versioning"
author = "djangocms-release-versioning contributors"
copyright = "djangocms-release-versioning contributors"
release = importlib.import_module("djangocms_release_versioning").__version__
version = release

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.intersphinx",
    "sphinx.ext.viewcode",
]

# References to Django and django CMS resolve against inventories kept in the repository
# (docs/_inventories, made by scripts/build-doc-inventories from the released sources), so
# the build needs no network and `sphinx-build -n -W` checks every reference.
INVENTORIES = Path(__file__).resolve().parent / "_inventories"
intersphinx_mapping = {
    "django": ("https://docs.djangoproject.com/en/5.2/", str(INVENTORIES / "django-5.2.inv")),
    "djangocms": ("https://docs.django-cms.org/en/latest/", str(INVENTORIES / "django-cms-5.1.inv")),
}
nitpicky = True
# Documented by neither Django's nor django CMS's docs (models that have no reference page,
# the exceptions Django creates per model).
nitpick_ignore = [
    ("py:class", "cms.models.PageUrl"),
    ("py:exc", "Release.DoesNotExist"),
]

exclude_patterns = ["_build"]
root_doc = "index"
default_role = "code"
highlight_language = "python"
pygments_style = "sphinx"

autodoc_member_order = "bysource"
autodoc_typehints = "description"
autodoc_typehints_description_target = "documented"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
autodoc_default_options = {
    "members": True,
    "exclude-members": "DoesNotExist, MultipleObjectsReturned",
}

html_theme = "alabaster"
html_title = f"{project} {release}"
html_theme_options = {
    "description": "Release management for django CMS",
    "fixed_sidebar": True,
    "show_relbars": True,
}

#: Short names the docstrings use in ``:raises …:`` fields and type hints → their full names.
SHORT_NAMES = {
    "ValidationError": "django.core.exceptions.ValidationError",
    "PermissionDenied": "django.core.exceptions.PermissionDenied",
    "ImproperlyConfigured": "django.core.exceptions.ImproperlyConfigured",
    "models.Model": "django.db.models.Model",
    "django.db.models.base.Model": "django.db.models.Model",
}


def qualify_short_names(app, env, node, contnode):
    """Let intersphinx resolve the short names of SHORT_NAMES (runs before it)."""
    target = SHORT_NAMES.get(node.get("reftarget"))
    if target is not None:
        node["reftarget"] = target
    return None


def setup(app):
    app.connect("missing-reference", qualify_short_names, priority=100)
