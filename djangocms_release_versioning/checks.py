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
    # A malformed format is refused where it is used, with its own message.
    with contextlib.suppress(KeyError, IndexError, ValueError):
        names["HOTFIX_VERSION_FORMAT"] = template.format(live="v1", n=1)
    messages: list[checks.CheckMessage] = []
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
