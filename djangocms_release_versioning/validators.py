"""The rule for release names (DESIGN §9.1, invariant 12).

A release name is what editors pick in menus, what commands take as ``--release-version``
and what the audit trail records, so it must read the same to everyone: printable, no
whitespace, no control or invisible characters, at most :data:`MAX_LENGTH` characters, and
unique ignoring case (the database enforces the last part with a unique constraint on
``Lower("version")``).
"""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

#: The longest release name (the ``Release.version`` column is that wide).
MAX_LENGTH = 100

#: How many characters of a refused name an error message quotes.
QUOTED_PREFIX = 40

#: Unicode categories no name may contain: controls, format characters (zero-width
#: spaces, direction marks), surrogates, private use, unassigned code points, and
#: every kind of separator (spaces, line and paragraph separators).
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"})

#: Characters outside those categories that still render as nothing (fillers, blank
#: braille pattern, Hangul fillers).
BLANK_CHARACTERS = frozenset("\u115f\u1160\u2800\u3164\uffa0")


def is_refused_character(char: str) -> bool:
    """True if ``char`` may not appear in a release name."""
    return char in BLANK_CHARACTERS or unicodedata.category(char) in REFUSED_CATEGORIES


def quote_name(value: str, limit: int = QUOTED_PREFIX) -> str:
    """``value`` as an error message may show it: refused characters escaped, long names cut.

    ``"v3\\nv4"`` becomes ``"v3\\u000av4"`` (so the message stays on one line and an
    invisible character becomes visible); names longer than ``limit`` end in ``…``.
    """
    shown = "".join(f"\\u{ord(char):04x}" if is_refused_character(char) else char for char in value[:limit])
    return f'"{shown}…"' if len(value) > limit else f'"{shown}"'


def _character_name(char: str) -> str:
    return unicodedata.name(char, "") or unicodedata.category(char)


def validate_release_version(value: str) -> None:
    """Check ``value`` against the release name rule (not its uniqueness).

    :raises ValidationError: code ``version_required`` (empty), ``version_too_long``
        (more than :data:`MAX_LENGTH` characters) or ``version_invalid_character``
        (whitespace, a control, format or invisible character). Messages quote at most
        :data:`QUOTED_PREFIX` characters of the name.
    """
    if not value:
        raise ValidationError(gettext("A release needs a version, e.g. v1.2.0."), code="version_required")
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            gettext(
                "The version %(version)s is too long: %(length)d characters, at most %(limit)d are allowed."
            )
            % {"version": quote_name(value), "length": len(value), "limit": MAX_LENGTH},
            code="version_too_long",
        )
    for position, char in enumerate(value, start=1):
        if is_refused_character(char):
            raise ValidationError(
                gettext(
                    "The version %(version)s contains %(character)s (U+%(code)04X) at position "
                    "%(position)d. Versions may not contain spaces, line breaks, or control or "
                    "invisible characters; use e.g. v1.2.0 or 2025-06-spring."
                )
                % {
                    "version": quote_name(value),
                    "character": _character_name(char),
                    "code": ord(char),
                    "position": position,
                },
                code="version_invalid_character",
            )


def clashing_version(value: str, *, exclude_pk: int | None = None) -> str | None:
    """The existing release name equal to ``value`` ignoring case, or ``None``.

    Compares with the database's ``LOWER()``, exactly like the unique constraint does.
    """
    from django.db.models.functions import Lower

    from .models import Release

    clashes = Release.objects.annotate(lower_version=Lower("version")).filter(lower_version=value.lower())
    if exclude_pk is not None:
        clashes = clashes.exclude(pk=exclude_pk)
    return clashes.values_list("version", flat=True).first()


def version_taken_error(value: str, existing: str) -> ValidationError:
    """The ``version_taken`` error for ``value`` clashing with release ``existing``."""
    if existing == value:
        message = gettext("A release called %(version)s exists already; choose another version.")
    else:
        message = gettext(
            "A release called %(existing)s exists already, and versions that differ only in "
            "case would be confused; choose another version than %(version)s."
        )
    return ValidationError(
        message % {"version": quote_name(value), "existing": quote_name(existing)}, code="version_taken"
    )
