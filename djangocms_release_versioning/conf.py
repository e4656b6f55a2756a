"""Settings, read lazily on every access so that ``override_settings`` works.

Usage: ``from djangocms_release_versioning import conf`` then ``conf.INITIAL_RELEASE_VERSION``.
Every name is read from ``settings.DJANGOCMS_RELEASE_VERSIONING_<NAME>``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

PREFIX = "DJANGOCMS_RELEASE_VERSIONING_"

DEFAULTS: dict[str, Any] = {
    # Version string of the release opened automatically by the first content write
    # on a site that has no release at all.
    "INITIAL_RELEASE_VERSION": "v1",
    # Register django CMS PageContent with release versioning.
    "PAGES_ENABLED": True,
    # Register djangocms-stories PostContent when djangocms-stories is installed.
    "STORIES_ENABLED": True,
    # Register djangocms-snippet's Snippet when djangocms-snippet is installed (needs
    # DJANGOCMS_SNIPPET_VERSIONING_ENABLED = False).
    "SNIPPET_ENABLED": True,
    # Version string of the patch release made by "Publish now"; {live} is the live release,
    # {n} a counter.
    "HOTFIX_VERSION_FORMAT": "{live}-hotfix-{n}",
    # Version string of the release made by "Publish now" while nothing is live yet (the
    # site's first live release, holding just that change).
    "FIRST_HOTFIX_VERSION": "v0",
    # On the first migrate of a site without any release, make the content that exists
    # already live as the first release (services.adopt_existing_content), so that
    # installing the package never takes a site offline.
    "ADOPT_ON_MIGRATE": True,
    # True if one process serves the site and runs every deploy (e.g. a local demo): then a
    # per-process cache (LocMemCache) may hold django CMS' caches (check W003).
    "SINGLE_PROCESS": False,
    # Session key that stores the editor's working release.
    "SESSION_KEY": "djangocms_release_versioning_release",
}


def __getattr__(name: str) -> Any:
    if name not in DEFAULTS:
        raise AttributeError(f"Unknown setting {PREFIX}{name}")
    return getattr(settings, PREFIX + name, DEFAULTS[name])
