"""Shared base of the release management commands.

Every command names its release with ``--release-version``, may name the acting user with
``--username``, calls exactly one function of :mod:`djangocms_release_versioning.services`
and turns the service's ``ValidationError`` / ``PermissionDenied`` into a ``CommandError``
(non-zero exit, nothing changed: the services are atomic).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from djangocms_release_versioning.models import Release
from djangocms_release_versioning.permissions import APP_LABEL, RELEASE_PERMISSIONS

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

#: How many release names an "unknown release" error lists.
KNOWN_RELEASES_SHOWN = 10


def user_named(username: str | None) -> AbstractBaseUser | None:
    """The user of ``--username`` (None without the option).

    :raises CommandError: there is no such user.
    """
    if username is None:
        return None
    model = get_user_model()
    try:
        return model._default_manager.get_by_natural_key(username)
    except model.DoesNotExist:
        raise CommandError(
            f"There is no user {username!r}. Pass the username of an existing user to "
            f"--username, or leave the option out to act without a user."
        ) from None


def natural_order(name: str) -> tuple:
    """Sort key that puts release names in human order: v2 before v10."""
    return tuple((0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", name))


class ReleaseCommand(BaseCommand):
    """Base class: ``--release-version`` and ``--username`` options, error translation.

    Subclasses set :attr:`operation` (a key of ``RELEASE_PERMISSIONS``, or ``None`` for
    read-only commands), add their own options in :meth:`add_command_arguments` and do
    their work in :meth:`run`.
    """

    operation: str | None = None

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--release-version",
            dest="release_version",
            metavar="VERSION",
            help="The release to work on, e.g. v1.2.0 (required).",
        )
        parser.add_argument(
            "--username",
            metavar="USERNAME",
            help="Act as this user: their permissions are checked and they are recorded in the "
            "audit trail. Without it the command acts as the system, unchecked.",
        )
        self.add_command_arguments(parser)

    def add_command_arguments(self, parser: CommandParser) -> None:
        """Add the options specific to one command."""

    def handle(self, *args: Any, **options: Any) -> None:
        self.verbosity = options["verbosity"]
        version = self._release_version(options.get("release_version"))
        user = self._user(options.get("username"))
        try:
            self.run(version, user=user, **options)
        except ValidationError as error:
            raise CommandError(self._validation_message(error)) from error
        except PermissionDenied as error:
            raise CommandError(self._permission_message(error, options.get("username"))) from error

    def run(self, version: str, *, user: AbstractBaseUser | None, **options: Any) -> None:
        """Do the command's work on release ``version``."""
        raise NotImplementedError

    # -- output --------------------------------------------------------------------------

    def say(self, message: str, *, success: bool = False) -> None:
        """Write ``message`` unless ``--verbosity 0`` asked for silence."""
        if self.verbosity >= 1:
            self.stdout.write(self.style.SUCCESS(message) if success else message)

    # -- input -------------------------------------------------------------------------

    def _release_version(self, value: str | None) -> str:
        version = (value or "").strip()
        if not version:
            raise CommandError(
                f"Name the release with --release-version, e.g. "
                f"{self._command_name()} --release-version v1.2.0."
            )
        return version

    def _user(self, username: str | None) -> AbstractBaseUser | None:
        return user_named(username)

    def _command_name(self) -> str:
        return self.__module__.rsplit(".", 1)[-1]

    # -- errors ------------------------------------------------------------------------

    def _validation_message(self, error: ValidationError) -> str:
        message = " ".join(error.messages)
        codes = {getattr(item, "code", None) for item in getattr(error, "error_list", [error])}
        if "unknown_release" in codes:
            message = f"{message} {self._known_releases_hint()}"
        return message

    def _known_releases_hint(self) -> str:
        names = list(Release.objects.order_by("-created_at", "-pk").values_list("version", flat=True))
        if not names:
            return "There are no releases yet; create one with create_release --release-version V."
        shown = ", ".join(names[:KNOWN_RELEASES_SHOWN])
        more = f" and {len(names) - KNOWN_RELEASES_SHOWN} more" if len(names) > KNOWN_RELEASES_SHOWN else ""
        return f"Known releases (newest first): {shown}{more}."

    def _permission_message(self, error: PermissionDenied, username: str | None) -> str:
        message = str(error) or "Permission denied."
        if self.operation is None:
            return message
        codename = f"{APP_LABEL}.{RELEASE_PERMISSIONS[self.operation]}"
        who = f"User {username!r}" if username else "The user"
        return (
            f"{message} {who} needs the permission {codename} (and must be active); grant it, "
            f"or run the command with another --username."
        )
