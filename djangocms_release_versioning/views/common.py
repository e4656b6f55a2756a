"""Responses and URLs shared by every editor endpoint."""

from __future__ import annotations

from datetime import datetime
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
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import escape, format_html
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import SafeString
from django.utils.translation import get_language, gettext

from ..models import Release

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin


URL_PREFIX = "djangocms_release_versioning_release"


def admin_url(name: str, *args: Any) -> str:
    """Reverse one of the release admin's URLs, e.g. ``admin_url("lock", release.pk)``."""
    return reverse(f"admin:{URL_PREFIX}_{name}", args=args)


# -- dates and times ----------------------------------------------------------------------

#: How every page of the package shows a moment to editors (release list, release page,
#: schedules, audit trail, toolbar, review): year-month-day and 24-hour time in the current
#: time zone, followed by the zone's name (``2027-03-06 10:00 CET``). One format in every
#: language: it reads the same to every member of a team, sorts, and is what the schedule
#: form's input and the commands (ISO 8601) use. Only :func:`when` and :func:`when_html`
#: apply it (templates: the ``rv_when`` filter of the ``release_versioning`` tag library).
DATETIME_FORMAT = "Y-m-d H:i"


def when(moment: datetime | None) -> str:
    """``moment`` as editors read it: ``2027-03-06 10:00 CET`` (local time and zone), or ``—``.

    A naive ``moment`` is taken to be in the current time zone.
    """
    if moment is None:
        return "—"
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    local = timezone.localtime(moment)
    return f"{date_format(local, DATETIME_FORMAT)} {local.tzname()}"


def when_html(moment: datetime | None) -> SafeString:
    """:func:`when` in a ``<time>`` element whose ``datetime`` attribute holds the moment in
    ISO 8601 (for scripts and tests); ``—`` without a moment."""
    if moment is None:
        return format_html("{}", "—")
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    return format_html('<time datetime="{}">{}</time>', moment.isoformat(), when(moment))


# -- responses --------------------------------------------------------------------------


def content_language(response: HttpResponse) -> HttpResponse:
    """Make ``response``'s ``Content-Language`` header name the language its page is rendered in.

    ``LocaleMiddleware`` sets the header from the language active when the response passes it
    on the way out, which is not the page's language when something between it and the view
    activated another one for the request and restored the previous language afterwards (a
    site's middleware that applies an editor's preferred language in a
    ``translation.override()`` block does exactly that). A template response gets the header
    when it is rendered; any other response gets the language active now. An explicit header
    is kept.
    """

    def set_header(rendered: HttpResponse) -> None:
        language = get_language()
        if language and "Content-Language" not in rendered:
            rendered["Content-Language"] = language

    if isinstance(response, TemplateResponse) and not response.is_rendered:
        response.add_post_render_callback(set_header)
    else:
        set_header(response)
    return response


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
