"""Per-request working release: the editor's choice (kept in the session) or the default."""

from __future__ import annotations

from collections.abc import Callable

from django.db.models import Exists, OuterRef, Q
from django.http import HttpRequest, HttpResponse

from . import conf
from .context import request_release
from .models import LIVE_POINTER_PK, LiveRelease, Release


def _chosen_release_id(request: HttpRequest) -> int | None:
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated and user.is_staff and session is not None:
        return session.get(conf.SESSION_KEY)
    return None


def releases_for_request(request: HttpRequest) -> tuple[Release | None, int | None]:
    """The working release and the live release's pk, read in one query.

    Working: the release a staff user picked in the toolbar, else the newest open,
    non-deprecated release, else the live release.
    """
    chosen = _chosen_release_id(request)
    wanted = Q(pk=chosen) if chosen is not None else Q(is_locked=False, is_deprecated=False)
    live_pointer = LiveRelease.objects.filter(pk=LIVE_POINTER_PK, release_id=OuterRef("pk"))
    rows = list(
        Release.objects.annotate(is_live_now=Exists(live_pointer))
        .filter(wanted | Q(is_live_now=True))
        .order_by("-is_live_now", "-created_at", "-pk")[:2]
    )
    live = next((row for row in rows if row.is_live_now), None)
    picked = next((row for row in rows if row is not live or (chosen is not None and row.pk == chosen)), None)
    if chosen is not None and (picked is None or picked.pk != chosen):
        # The chosen release is gone: fall back to the default rule.
        return Release.objects.default_working(), live.pk if live else None
    working = picked if picked is not None else live
    return working, live.pk if live is not None else None


def release_for_request(request: HttpRequest) -> Release | None:
    """The release picked in the toolbar by a staff user, else the default working release."""
    return releases_for_request(request)[0]


def select_release(request: HttpRequest, release: Release) -> None:
    """Remember ``release`` as the working release of this editor's session."""
    request.session[conf.SESSION_KEY] = release.pk


class WorkingReleaseMiddleware:
    """Sets the working release for the request, resolved lazily (no query unless used)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_release(lambda: releases_for_request(request)):
            return self.get_response(request)
