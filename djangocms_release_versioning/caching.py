"""Cache keys of public content follow the live deployment (DESIGN §9.1, invariant 8).

django CMS builds every key of its page, placeholder, page-URL and menu caches from the
``CMS_CACHE_PREFIX`` setting (``get_cms_setting("CACHE_PREFIX")``). :func:`cms_cache_prefix`
appends the token of the live deployment read in the request's snapshot of the live pointer
(:func:`.context.get_live_snapshot`), so an entry made while release A was live has another
key than any entry read while B is live. No clean-up after a deploy is needed for
correctness: a deploy killed right after its commit still switches every process's caches,
because the next request reads the new pointer. Old entries expire on their own.

:func:`.integration.install_cache_keys` installs the prefix and extends the keys of caches
that do not use it (djangocms-stories' feed cache).
"""

from __future__ import annotations

import hashlib

from django.apps import apps
from django.conf import settings

from .context import get_live_snapshot, get_public_release_id, get_session_public_version


def base_cache_prefix() -> str:
    """The site's own ``CMS_CACHE_PREFIX`` (django CMS' default if unset)."""
    from cms.utils.conf import DEFAULTS

    return getattr(settings, "CMS_CACHE_PREFIX", DEFAULTS["CACHE_PREFIX"])


def public_cache_token() -> str:
    """What the public sees in this scope, as a key part.

    The live deployment (``"<generation>-<release>-<time>"``) of the request's snapshot;
    inside ``use_release(..., public=True)`` or with the pytest plugin's
    ``--release-version`` the release served instead. Outside a request or a
    ``live_snapshot()`` block the live pointer is read (one query).
    """
    public_id = get_public_release_id()
    if public_id is not None:
        return f"r{public_id}"
    version = get_session_public_version()
    if version:
        return "v" + hashlib.sha1(version.encode()).hexdigest()[:12]
    return get_live_snapshot().cache_token


def cms_cache_prefix() -> str:
    """``CMS_CACHE_PREFIX`` with the live deployment's token (the base prefix while apps load)."""
    if not apps.ready:
        return base_cache_prefix()
    return f"{base_cache_prefix()}rv{public_cache_token()}_"


def public_cache_key(key: str) -> str:
    """``key`` extended with the live deployment's token (for caches that do not use the
    ``CMS_CACHE_PREFIX``)."""
    return f"{key}:rv{public_cache_token()}"
