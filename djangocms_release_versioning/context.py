"""Which release is being worked on, and which release ``objects`` serves.

Both are held in context variables, so they are per request (set by the middleware), per
thread and per task, never process-global state that could go stale. A request (or a
``live_snapshot()`` block) reads the live pointer once: every public query and every cache
key of that scope serves the same release (DESIGN §9.1, invariant 8).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

if TYPE_CHECKING:
    from .models import Release


class _Lazy:
    """A value resolved on first use, then remembered (one query at most)."""

    __slots__ = ("_done", "_resolve", "_value")

    def __init__(self, resolve: Callable[[], Any]) -> None:
        self._resolve = resolve
        self._done = False
        self._value: Any = None

    def get(self) -> Any:
        if not self._done:
            self._value = self._resolve()
            self._done = True
        return self._value


_working: ContextVar[_Lazy | None] = ContextVar("release_versioning_working", default=None)
_live: ContextVar[_Lazy | None] = ContextVar("release_versioning_live", default=None)  # LiveSnapshot
_public: ContextVar[int | None] = ContextVar("release_versioning_public", default=None)

# Set once per test session by the pytest plugin (``--release-version``); never in production.
_session_public_version: str | None = None


def resolve_release(release: Release | str | int) -> Release:
    """Return the Release for a Release, its version string or its pk.

    :raises ValidationError: no such release.
    """
    from .models import Release

    if isinstance(release, Release):
        return release
    lookup = {"pk": release} if isinstance(release, int) else {"version": release}
    try:
        return Release.objects.get(**lookup)
    except Release.DoesNotExist:
        raise ValidationError(
            gettext("There is no release %(release)s.") % {"release": release},
            code="unknown_release",
        ) from None


def get_working_release() -> Release | None:
    """Return the release being worked on in this context.

    Order: ``use_release()``, then the request's choice (set by the middleware), then the
    newest open non-deprecated release, else the live release.
    """
    from .models import Release

    lazy = _working.get()
    if lazy is not None:
        return lazy.get()
    return Release.objects.default_working()


def is_working_release_explicit() -> bool:
    """True inside ``use_release()`` or a request whose editor picked a release."""
    return _working.get() is not None


def get_public_release_id() -> int | None:
    """The release ``objects`` serves set by ``use_release(..., public=True)``, else None."""
    return _public.get()


def get_session_public_version() -> str | None:
    """The release version the pytest plugin's ``--release-version`` asked to serve."""
    return _session_public_version


def set_session_public_version(version: str | None) -> None:
    """Make ``objects`` serve release ``version`` for the whole process.

    Used by the pytest plugin (``--release-version``); the release is looked up by name
    inside each query, so it may be created after this call.
    """
    global _session_public_version
    _session_public_version = version or None


@contextmanager
def use_release(release: Release | str | int, *, public: bool = False) -> Iterator[Release]:
    """Work in ``release`` inside the block (also usable as a decorator).

    Sets the release that ``admin_manager.current_content()`` / ``latest_content()`` and
    new content use; with ``public=True`` also the release that ``objects`` serves.

    :raises ValidationError: no such release.
    """
    resolved = resolve_release(release)
    lazy = _Lazy(lambda: resolved)
    lazy.get()
    working_token = _working.set(lazy)
    public_token = _public.set(resolved.pk) if public else None
    try:
        yield resolved
    finally:
        _working.reset(working_token)
        if public_token is not None:
            _public.reset(public_token)


@dataclass(frozen=True)
class LiveSnapshot:
    """The live pointer as one request (or one ``live_snapshot()`` block) read it.

    ``generation`` counts the pointer's switches; with ``changed_at`` it names the live
    deployment, so cache keys built from :attr:`cache_token` change with every deploy or
    rollback, whether or not the deploying process survives its commit.
    """

    release_id: int | None
    generation: int = 0
    changed_at: datetime | None = None

    @cached_property
    def cache_token(self) -> str:
        """A short key part naming this deployment: ``"<generation>-<release>-<time>"``."""
        stamp = int(self.changed_at.timestamp() * 1_000_000) if self.changed_at is not None else 0
        return f"{self.generation}-{self.release_id or 0}-{stamp:x}"


def query_live_snapshot() -> LiveSnapshot:
    """Read the live pointer now (one query)."""
    from .models import LIVE_POINTER_PK, LiveRelease

    row = (
        LiveRelease.objects.filter(pk=LIVE_POINTER_PK)
        .values_list("release_id", "generation", "changed_at")
        .first()
    )
    return LiveSnapshot(*row) if row is not None else LiveSnapshot(None)


def _query_live_release_id() -> int | None:
    return query_live_snapshot().release_id


def get_live_snapshot() -> LiveSnapshot:
    """The live pointer of this request or ``live_snapshot()`` block (read once, on first
    use); outside both, the pointer as it is now (one query per call)."""
    lazy = _live.get()
    return lazy.get() if lazy is not None else query_live_snapshot()


def has_live_snapshot() -> bool:
    """True inside a request (the middleware) or a ``live_snapshot()`` block."""
    return _live.get() is not None


def get_live_release_id() -> int | None:
    """The pk of the live release (None if nothing is live).

    Inside a request or a ``live_snapshot()`` block the pointer is read once and every
    public query (``objects``) and cache key of that scope uses the same value; outside,
    each call reads the pointer as it is now.
    """
    return get_live_snapshot().release_id


def forget_live_release() -> None:
    """Drop the remembered live pointer (after a deploy in this request): the rest of the
    request reads it again."""
    if _live.get() is not None:
        _live.set(_Lazy(query_live_snapshot))


@contextmanager
def live_snapshot() -> Iterator[LiveSnapshot]:
    """Serve one release for the whole block: the live pointer is read once, at entry.

    For code outside requests (commands, tasks) that renders or reads several public
    things and wants them consistent; requests get this from the middleware.
    """
    snapshot = query_live_snapshot()
    token = _live.set(_Lazy(lambda: snapshot))
    try:
        yield snapshot
    finally:
        _live.reset(token)


@contextmanager
def request_release(resolve: Callable[[], tuple[Release | None, LiveSnapshot]]) -> Iterator[None]:
    """Set the request's working release and live snapshot, resolved together on first
    use by ``resolve() -> (working release, live snapshot)`` (used by the middleware)."""
    both = _Lazy(resolve)
    token = _working.set(_Lazy(lambda: both.get()[0]))
    live_token = _live.set(_Lazy(lambda: both.get()[1]))
    try:
        yield
    finally:
        _live.reset(live_token)
        _working.reset(token)
