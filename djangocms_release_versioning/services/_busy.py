"""A database too busy to take a write (a lock wait that timed out) is a refusal, not a 500.

SQLite reports a writer it waited for too long as ``database is locked``; PostgreSQL a
``lock_timeout`` / ``statement_timeout`` or a deadlock; MySQL and MariaDB error 1205 or 1213.
The operation's own transaction (or savepoint) has been rolled back by then, so nothing was
written and the caller's transaction stays usable.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.utils.translation import gettext

F = TypeVar("F", bound=Callable[..., Any])

#: SQLSTATEs of PostgreSQL: lock not available, query canceled (timeout), deadlock.
_POSTGRES_BUSY = {"55P03", "57014", "40P01"}
#: MySQL / MariaDB: lock wait timeout, deadlock.
_MYSQL_BUSY = {1205, 1213}


def is_busy_error(error: BaseException) -> bool:
    """True if ``error`` says the database waited too long for a lock (or hit a deadlock)."""
    if not isinstance(error, OperationalError):
        return False
    cause = error.__cause__
    if getattr(cause, "sqlstate", None) in _POSTGRES_BUSY or getattr(cause, "pgcode", None) in _POSTGRES_BUSY:
        return True
    args = getattr(cause, "args", ())
    if args and args[0] in _MYSQL_BUSY:
        return True
    message = str(error).lower()
    return "database is locked" in message or "database table is locked" in message


def refuse_when_busy(operation: str) -> Callable[[F], F]:
    """Turn a lock timeout raised by the decorated service into ``ValidationError``
    (code ``database_busy``) naming ``operation``; other errors pass unchanged."""

    def decorator(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                return function(*args, **kwargs)
            except OperationalError as error:
                if not is_busy_error(error):
                    raise
                raise ValidationError(
                    gettext(
                        "The database was busy with other writes and the %(operation)s timed out "
                        "waiting for it (%(error)s). Nothing was changed; try again in a moment. "
                        "On SQLite, use the WAL journal and a busy timeout (see the deployment "
                        "how-to)."
                    )
                    % {"operation": gettext(operation), "error": str(error).splitlines()[0]},
                    code="database_busy",
                ) from error

        return wrapper  # type: ignore[return-value]

    return decorator
