"""Which release is being worked on, and which release ``objects`` serves.

Both are held in context variables, so they are per request (set by the middleware), per
thread and per task, never process-global state that could go stale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.utils.translation import gettext

if TYPE_CHECKING:
    from .models import Release


class _Lazy:
    """A release resolved on first use, then remembered (one query at most)."""

    __slots__ = ("_done", "_resolve", "_value")

    def __init__(self, resolve: Callable[[], Release | None]) -> None:
        self._resolve = resolve
        self._done = False
        self._value: Release | None = None

    def get(self) -> Release | None:
        if not self._done:
            self._value = self._resolve()
            self._done = True
        return self._value


_working: ContextVar[_Lazy | None] = ContextVar("release_versioning_working", default=None)
_live: ContextVar[_Lazy | None] = ContextVar("release_versioning_live", default=None)
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


def _query_live_release_id() -> int | None:
    from .models import LIVE_POINTER_PK, LiveRelease

    return LiveRelease.objects.filter(pk=LIVE_POINTER_PK).values_list("release_id", flat=True).first()


def get_live_release_id() -> int | None:
    """The pk of the live release (read at most once per request; None if nothing is live).

    Only the toolbar, indicators and admin use this; ``objects`` reads the live pointer
    inside its own SQL, so visitors never depend on a remembered value.
    """
    lazy = _live.get()
    return lazy.get() if lazy is not None else _query_live_release_id()


def forget_live_release() -> None:
    """Drop the request's remembered live release (after a deploy in this request)."""
    if _live.get() is not None:
        _live.set(_Lazy(_query_live_release_id))


@contextmanager
def request_release(resolve: Callable[[], tuple[Release | None, int | None]]) -> Iterator[None]:
    """Set the request's working release and live release id, resolved together on first
    use by ``resolve() -> (working release, live release pk)`` (used by the middleware)."""
    both = _Lazy(resolve)
    token = _working.set(_Lazy(lambda: both.get()[0]))
    live_token = _live.set(_Lazy(lambda: both.get()[1]))
    try:
        yield
    finally:
        _live.reset(live_token)
        _working.reset(token)
