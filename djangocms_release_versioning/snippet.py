"""djangocms-snippet under releases.

djangocms-snippet 5 only knows djangocms-versioning: its ``cms_config`` imports
``djangocms_versioning`` unless ``DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False``. This package
registers ``Snippet`` instead (see :mod:`.cms_config`), so a site that uses both must set that
setting to False; :func:`check_snippet_settings` says so before djangocms-snippet's config is
imported (an ``ImproperlyConfigured`` instead of a ``ModuleNotFoundError`` deep in django CMS).
"""

from __future__ import annotations

import sys

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from .datastructures import VersionableItem, default_copy

SNIPPET_APP = "djangocms_snippet"
SNIPPET_VERSIONING_SETTING = "DJANGOCMS_SNIPPET_VERSIONING_ENABLED"


def _listed(app: str) -> bool:
    """True if ``app`` (or one of its AppConfig classes) is in ``settings.INSTALLED_APPS``.

    Reads the setting, not the app registry, so it works before the registry is ready.
    """
    return any(entry == app or entry.startswith(f"{app}.") for entry in settings.INSTALLED_APPS)


def check_snippet_settings() -> None:
    """Refuse djangocms-snippet configured for djangocms-versioning.

    Called while the app registry is populated, before any app's ``ready()`` (so before
    django CMS imports djangocms-snippet's ``cms_config``).

    :raises ImproperlyConfigured: djangocms-snippet is installed, snippet registration is
        enabled (``DJANGOCMS_RELEASE_VERSIONING_SNIPPET_ENABLED``) and
        ``DJANGOCMS_SNIPPET_VERSIONING_ENABLED`` is not False.
    """
    from . import conf

    if not (conf.SNIPPET_ENABLED and _listed(SNIPPET_APP)):
        return
    if getattr(settings, SNIPPET_VERSIONING_SETTING, True):
        raise ImproperlyConfigured(
            f"djangocms_snippet is installed with {SNIPPET_VERSIONING_SETTING} = True (its default): "
            "djangocms-snippet would then register with djangocms-versioning. Set "
            f"{SNIPPET_VERSIONING_SETTING} = False in your settings; djangocms_release_versioning "
            "registers snippets for releases itself (or set DJANGOCMS_RELEASE_VERSIONING_SNIPPET_ENABLED "
            "= False to leave snippets unversioned)."
        )


def hide_uninstalled_djangocms_versioning() -> None:
    """Make ``djangocms_versioning.models`` raise ImportError when that app is not installed.

    djangocms-rest depends on djangocms-versioning, so the package is importable on sites that
    do not install the app. Apps probe for it with ``try: import … except ImportError``
    (djangocms-snippet's admin imports ``djangocms_versioning.admin``), but importing models of
    an app that is not in ``INSTALLED_APPS`` raises RuntimeError, which those probes do not
    catch. Blocking the models module turns every such import into the ImportError they expect.
    """
    name = "djangocms_versioning.models"
    if _listed("djangocms_versioning") or name in sys.modules:
        return
    sys.modules[name] = None  # type: ignore[assignment]  # import now raises ModuleNotFoundError


def snippet_versionable() -> VersionableItem:
    """The VersionableItem djangocms-snippet would register with djangocms-versioning."""
    from djangocms_snippet.models import Snippet

    return VersionableItem(
        content_model=Snippet,
        grouper_field_name="snippet_grouper",
        copy_function=default_copy,
        grouper_selector_option_label=lambda obj, language: obj.name,
    )
