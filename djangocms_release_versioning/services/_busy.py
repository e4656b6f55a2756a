"""A database too busy to take a write (a lock wait that timed out) is a refusal, not a 500.

SQLite reports a writer it waited for too long as ``database is locked``; PostgreSQL a
``lock_timeout`` / ``statement_timeout`` or a deadlock; MySQL and MariaDB error 1205 or 1213.
The operation's own transaction (or savepoint) has been rolled back by then, so nothing was
written and the caller's transaction stays usable.

A *deadlock* is different: the database chose this transaction as the victim of a lock
cycle and rolled it back whole. MySQL and PostgreSQL document it as a normal event that
the application should answer by running the transaction again. When the operation owns
its transaction (no ``atomic`` block around the call), it is run again, up to
``DEADLOCK_RETRIES`` times; inside a caller's transaction it cannot be (the caller's earlier
work is gone with it on MySQL/MariaDB), so it is refused like a timeout.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.exceptions import ValidationError
from django.db import OperationalError, transaction
from django.utils.translation import gettext

F = TypeVar("F", bound=Callable[..., Any])
logger = logging.getLogger(__name__)

#: SQLSTATEs of PostgreSQL: lock not available, query canceled (timeout), deadlock.
_POSTGRES_BUSY = {"55P03", "57014", "40P01"}
#: MySQL / MariaDB: lock wait timeout, deadlock.
_MYSQL_BUSY = {1205, 1213}
#: The deadlock codes among them (PostgreSQL SQLSTATE, MySQL/MariaDB error number).
_POSTGRES_DEADLOCK = "40P01"
_MYSQL_DEADLOCK = 1213
#: How many times an operation that owns its transaction is run again after a deadlock.
DEADLOCK_RETRIES = 2


def _driver_codes(error: BaseException) -> set[Any]:
    """The codes the database driver gave ``error`` (Django keeps the driver's exception as
    ``__cause__``): PostgreSQL's SQLSTATE, MySQL/MariaDB's error number (``args[0]``)."""
    cause = error.__cause__
    args = getattr(cause, "args", ())
    number = args[0] if args and isinstance(args[0], int) else None
    codes = {getattr(cause, "sqlstate", None), getattr(cause, "pgcode", None), number}
    codes.discard(None)
    return codes


def is_busy_error(error: BaseException) -> bool:
    """True if ``error`` says the database waited too long for a lock (or hit a deadlock)."""
    if not isinstance(error, OperationalError):
        return False
    if _driver_codes(error) & (_POSTGRES_BUSY | _MYSQL_BUSY):
        return True
    message = str(error).lower()
    return "database is locked" in message or "database table is locked" in message


def is_deadlock(error: BaseException) -> bool:
    """True if ``error`` says the database broke a deadlock by rolling this transaction back."""
    return isinstance(error, OperationalError) and bool(
        _driver_codes(error) & {_POSTGRES_DEADLOCK, _MYSQL_DEADLOCK}
    )


def refuse_when_busy(operation: str, *, using: Callable[[], str] | None = None) -> Callable[[F], F]:
    """Turn a lock timeout raised by the decorated service into ``ValidationError``
    (code ``database_busy``) naming ``operation``; other errors pass unchanged.

    :param using: returns the alias of the database the operation writes to. When given and
        the call is not inside an ``atomic`` block of that database, a deadlock runs the
        operation again (at most :data:`DEADLOCK_RETRIES` times) before it is refused.
    """

    def decorator(function: F) -> F:
        @functools.wraps(function)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            retries = DEADLOCK_RETRIES if using is not None and not _in_atomic(using()) else 0
            while True:
                try:
                    return function(*args, **kwargs)
                except OperationalError as error:
                    if retries and is_deadlock(error):
                        retries -= 1
                        logger.info("The %s was the victim of a deadlock; running it again.", operation)
                        continue
                    if not is_busy_error(error):
                        raise
                    raise _busy_refusal(operation, error) from error

        return wrapper  # type: ignore[return-value]

    return decorator


def _in_atomic(alias: str) -> bool:
    return transaction.get_connection(alias).in_atomic_block


def _busy_refusal(operation: str, error: OperationalError) -> ValidationError:
    return ValidationError(
        gettext(
            "The database was busy with other writes and the %(operation)s timed out "
            "waiting for it (%(error)s). Nothing was changed; try again in a moment. "
            "On SQLite, use the WAL journal and a busy timeout (see the deployment "
            "how-to)."
        )
        % {"operation": gettext(operation), "error": str(error).splitlines()[0]},
        code="database_busy",
    )
