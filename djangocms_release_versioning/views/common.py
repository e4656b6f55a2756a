"""Responses and URLs shared by every editor endpoint."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    JsonResponse,
)
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import escape
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext

from ..models import Release

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


URL_PREFIX = "djangocms_release_versioning_release"


def admin_url(name: str, *args: Any) -> str:
    """Reverse one of the release admin's URLs, e.g. ``admin_url("lock", release.pk)``."""
    return reverse(f"admin:{URL_PREFIX}_{name}", args=args)


# -- responses --------------------------------------------------------------------------


def is_ajax(request: HttpRequest) -> bool:
    return request.headers.get("x-requested-with") == "XMLHttpRequest"


def is_popup(request: HttpRequest) -> bool:
    return "_popup" in request.GET or "_popup" in request.POST


def safe_url(request: HttpRequest, url: str | None) -> str | None:
    """``url`` if it points to this site, else None (no open redirects)."""
    if url and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return url
    return None


def next_url(request: HttpRequest, default: str | None = None) -> str:
    """The ``next`` parameter, the referring page or ``default`` — whichever is safe first."""
    for candidate in (
        request.POST.get("next"),
        request.GET.get("next"),
        request.META.get("HTTP_REFERER"),
    ):
        url = safe_url(request, candidate)
        if url:
            return url
    return default or reverse("admin:index")


def close_frame(request: HttpRequest) -> HttpResponse:
    """The page that tells a CMS modal it is done (the toolbar then reloads the page)."""
    return TemplateResponse(request, "admin/cms/page/close_frame.html", {})


def escaped_response(text: str, status: int = 400) -> HttpResponse:
    """``text`` HTML-escaped, as the body of an answer to an AJAX request.

    django CMS' toolbar (``Messages.open``) and page tree (``showError``) insert the body of a
    failed request into the page as HTML, and refusal texts quote object names and release
    versions that editors chose: they must never become markup.
    """
    return HttpResponse(escape(text), status=status, content_type="text/html; charset=utf-8")


def succeeded(request: HttpRequest, message: str, url: str) -> HttpResponse:
    """Report success in the form the caller understands (the message is also shown on the
    next page the editor sees, e.g. by the toolbar after it reloads).

    ``message`` is plain text: the messages framework's templates escape it, and the JSON
    answer to an AJAX request carries it HTML-escaped (ready to insert into a page).
    """
    messages.success(request, message)
    if is_ajax(request):
        return JsonResponse({"url": url, "message": escape(message)})
    if is_popup(request):
        return close_frame(request)
    return HttpResponseRedirect(url)


def refused(request: HttpRequest, error: ValidationError, url: str) -> HttpResponse:
    """Report a refused operation (wrong state, locked release …); nothing was changed.

    An AJAX request gets a 400 whose body is the reason, HTML-escaped (see
    :func:`escaped_response`); any other request gets the reason as an error message (the
    messages framework's templates escape it) and a redirect to ``url``.
    """
    text = " ".join(error.messages)
    if is_ajax(request):
        return escaped_response(text, status=400)
    messages.error(request, text)
    return HttpResponseRedirect(url)


def require_post(request: HttpRequest) -> HttpResponse | None:
    """A 405 response for anything but POST, else None."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return None


def admin_context(request: HttpRequest, model_admin: ModelAdmin, **extra: Any) -> dict[str, Any]:
    """The context every admin page needs (site header, permissions, ``opts``)."""
    return {
        **model_admin.admin_site.each_context(request),
        "opts": model_admin.model._meta,
        "is_popup": is_popup(request),
        **extra,
    }


def require_view(request: HttpRequest, model_admin: ModelAdmin) -> None:
    """:raises PermissionDenied: the user may not see releases."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied(gettext("You do not have permission to view releases."))


def get_release(pk: int) -> Release:
    release = Release.objects.filter(pk=pk).first()
    if release is None:
        raise Http404
    return release
