"""Per-request working release: the editor's choice (kept in the session) or the default."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from . import conf
from .context import request_release
from .models import Release


def release_for_request(request: HttpRequest) -> Release | None:
    """The release picked in the toolbar by a staff user, else the default working release."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    if user is not None and user.is_authenticated and user.is_staff and session is not None:
        release_id = session.get(conf.SESSION_KEY)
        if release_id is not None:
            release = Release.objects.filter(pk=release_id).first()
            if release is not None:
                return release
    return Release.objects.default_working()


def select_release(request: HttpRequest, release: Release) -> None:
    """Remember ``release`` as the working release of this editor's session."""
    request.session[conf.SESSION_KEY] = release.pk


class WorkingReleaseMiddleware:
    """Sets the working release for the request, resolved lazily (no query unless used)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with request_release(lambda: release_for_request(request)):
            return self.get_response(request)
