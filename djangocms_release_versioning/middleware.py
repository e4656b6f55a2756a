"""Per-request working release (the editor's choice, kept in the session, or the default)
and the request's snapshot of the live pointer."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q, Subquery
from django.http import HttpRequest, HttpResponse

from . import conf
from .context import LiveSnapshot, query_live_snapshot, request_release
from .models import LIVE_POINTER_PK, LiveRelease, Release


def _chosen_release_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated and user.is_staff and session is not None:
        return session.get(conf.SESSION_KEY)
    return None


def request_snapshot(request: HttpRequest) -> tuple[Release | None, LiveSnapshot]:
    """The working release and the live pointer's snapshot, read in one query.

    Working: the release a staff user picked in the toolbar, else the newest open,
    non-deprecated release, else the live release.
    """
    chosen = _chosen_release_id(request)
    wanted = Q(pk=chosen) if chosen is not None else Q(is_locked=False, is_deprecated=False)
    pointer = LiveRelease.objects.filter(pk=LIVE_POINTER_PK)
    rows = list(
        Release.objects.annotate(
            is_live_now=Exists(pointer.filter(release_id=OuterRef("pk"))),
            live_generation=Subquery(pointer.values("generation")),
            live_changed_at=Subquery(pointer.values("changed_at")),
        )
        .filter(wanted | Q(is_live_now=True))
        .order_by("-is_live_now", "-created_at", "-pk")[:2]
    )
    live = next((row for row in rows if row.is_live_now), None)
    if rows:  # every row carries the pointer's generation
        row = rows[0]
        snapshot = LiveSnapshot(live.pk if live else None, row.live_generation or 0, row.live_changed_at)
    else:  # no release at all
        snapshot = query_live_snapshot()
    picked = next((row for row in rows if row is not live or (chosen is not None and row.pk == chosen)), None)
    if chosen is not None and (picked is None or picked.pk != chosen):
        # The chosen release is gone: fall back to the default rule.
        return Release.objects.default_working(), snapshot
    working = picked if picked is not None else live
    return working, snapshot


def releases_for_request(request: HttpRequest) -> tuple[Release | None, int | None]:
    """The working release and the live release's pk, read in one query."""
    working, snapshot = request_snapshot(request)
    return working, snapshot.release_id


def release_for_request(request: HttpRequest) -> Release | None:
    """The release picked in the toolbar by a staff user, else the default working release."""
    return releases_for_request(request)[0]


def select_release(request: HttpRequest, release: Release) -> None:
    """Remember ``release`` as the working release of this editor's session."""
    request.session[conf.SESSION_KEY] = release.pk


class WorkingReleaseMiddleware:
    """Sets the working release and the live snapshot of the request, resolved together on
    first use (no query unless used; at most one): every public query and cache key of the
    request then serves the same release, even if a deploy commits while it renders."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_release(lambda: request_snapshot(request)):
            return self.get_response(request)
