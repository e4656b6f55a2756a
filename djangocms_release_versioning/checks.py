"""System checks (ids ``djangocms_release_versioning.E00x`` / ``W00x``)."""

from __future__ import annotations

import contextlib
from typing import Any

from django.conf import settings
from django.core import checks

from . import registry

MIDDLEWARE = "djangocms_release_versioning.middleware.WorkingReleaseMiddleware"


@checks.register(checks.Tags.compatibility)
def check_setup(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    messages: list[checks.CheckMessage] = []
    for item in registry.items():
        model = item.content_model
        if not hasattr(model, "admin_manager") or not hasattr(model, "_original_manager"):
            messages.append(
                checks.Error(
                    f"{model._meta.label} is registered for release versioning but its managers "
                    "were not installed.",
                    hint="Register content models through a cms_config.py VersionableItem.",
                    obj=model,
                    id="djangocms_release_versioning.E001",
                )
            )
        elif model._default_manager.__class__ is not model.objects.__class__:
            messages.append(
                checks.Error(
                    f"{model._meta.label}.objects is not its default manager, so unpublished "
                    "content could leak through related managers.",
                    hint="Declare 'objects' as the first manager of the model.",
                    obj=model,
                    id="djangocms_release_versioning.E002",
                )
            )
    if MIDDLEWARE not in getattr(settings, "MIDDLEWARE", []):
        messages.append(
            checks.Warning(
                "The working-release middleware is not installed: editors cannot pick the "
                "release they work in.",
                hint=f"Add {MIDDLEWARE!r} to MIDDLEWARE after the session and authentication middleware.",
                id="djangocms_release_versioning.W001",
            )
        )
    return messages


@checks.register(checks.Tags.compatibility)
def check_release_name_settings(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Release names made from settings must follow the release name rule (DESIGN §9.1.12)."""
    from django.core.exceptions import ValidationError

    from . import conf
    from .validators import validate_release_version

    names = {
        name: getattr(conf, name)
        for name in ("INITIAL_RELEASE_VERSION", "FIRST_HOTFIX_VERSION")
        if name in conf.DEFAULTS
    }
    template = conf.HOTFIX_VERSION_FORMAT
    messages: list[checks.CheckMessage] = []
    if template.count("{n}") != 1:
        messages.append(
            checks.Error(
                f"{conf.PREFIX}HOTFIX_VERSION_FORMAT must contain {{n}} exactly once (it is {template!r}); "
                "Publish now would refuse to name its patch releases.",
                hint="For example '{live}-hotfix-{n}' or '{live}.{n}'.",
                id="djangocms_release_versioning.E004",
            )
        )
    with contextlib.suppress(KeyError, IndexError, ValueError):
        names["HOTFIX_VERSION_FORMAT"] = template.format(live="v1", n=1)
    for name, value in names.items():
        try:
            validate_release_version(str(value))
        except ValidationError as error:
            messages.append(
                checks.Error(
                    f"{conf.PREFIX}{name} makes release names that break the release name rule: "
                    f"{' '.join(error.messages)}",
                    hint="Use a name without spaces or invisible characters, e.g. 'v1' or "
                    "'{live}-hotfix-{n}'.",
                    id="djangocms_release_versioning.E003",
                )
            )
    return messages


@checks.register(checks.Tags.database)
def check_unversioned_content(
    app_configs: Any = None, databases: Any = None, **kwargs: Any
) -> list[checks.CheckMessage]:
    """Warn while registered content belongs to no release: it is not public (issue 15.1).

    A database check: runs with ``check --database default`` and before ``migrate``; it says
    nothing while this app's tables do not exist yet.
    """
    from django.db import DatabaseError, connections, router

    from .models import Version

    using = router.db_for_write(Version)
    if not databases or using not in databases:
        return []
    connection = connections[using]
    try:
        if Version._meta.db_table not in connection.introspection.table_names():
            return []
        from .services.adopt import count_unversioned

        counts = count_unversioned()
    except DatabaseError:
        return []  # tables from an older version of the package: migrate first
    if not counts:
        return []
    listed = ", ".join(f"{count} {label}" for label, count in sorted(counts.items()))
    return [
        checks.Warning(
            f"Content that belongs to no release is not public: {listed}.",
            hint="Run 'manage.py adopt_existing_content' to make it live as it is (see "
            "'Installing on a site that already has content' in the installation docs).",
            id="djangocms_release_versioning.W002",
        )
    ]


#: Cache backends whose entries live inside one process.
PER_PROCESS_CACHES = ("django.core.cache.backends.locmem.LocMemCache",)


def _cms_caches_in_use() -> list[str]:
    """django CMS' caches that hold public content with the current settings."""
    from cms.utils.conf import get_cms_setting

    durations = get_cms_setting("CACHE_DURATIONS")
    used = ["menu"] if durations.get("menus", 0) > 0 else []
    if durations.get("content", 0) > 0:
        for name, label in (
            ("PAGE_CACHE", "page"),
            ("PLACEHOLDER_CACHE", "placeholder"),
            ("PLUGIN_CACHE", "plugin"),
        ):
            if get_cms_setting(name):
                used.append(label)
    return used


@checks.register(checks.Tags.caches)
def check_shared_cache(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    """Warn when a per-process cache holds django CMS' caches (DESIGN §8, several app servers).

    Deploys and rollbacks are safe with any cache: the keys follow the live deployment read
    from the database. What a per-process cache cannot share is every other invalidation:
    django CMS clears its page cache and menus when page-tree settings that are not part of
    a release change (moving a page, its navigation flags, an apphook), and a process does so
    only in its own memory. Single-process sites acknowledge with
    ``DJANGOCMS_RELEASE_VERSIONING_SINGLE_PROCESS = True``; a ``DummyCache`` caches nothing.
    """
    from django.utils.module_loading import import_string

    from . import conf

    if conf.SINGLE_PROCESS:
        return []
    path = getattr(settings, "CACHES", {}).get("default", {}).get("BACKEND", "")
    try:
        backend = import_string(path)
    except ImportError:
        return []
    per_process = tuple(import_string(name) for name in PER_PROCESS_CACHES)
    used = _cms_caches_in_use()
    if not (isinstance(backend, type) and issubclass(backend, per_process)) or not used:
        return []
    return [
        checks.Warning(
            f"django CMS' {', '.join(used)} cache is held by {path}, a cache of one process: "
            "what one process clears (e.g. after a page is moved) stays cached in the others.",
            hint="Use one cache that every process serving or deploying the site reaches (Redis, "
            "Memcached, the database or file cache), or set "
            "DJANGOCMS_RELEASE_VERSIONING_SINGLE_PROCESS = True if one process serves the "
            "site and makes every deploy.",
            id="djangocms_release_versioning.W003",
        )
    ]
