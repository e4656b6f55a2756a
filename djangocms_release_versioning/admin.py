"""The release admin (list, release page, lifecycle actions, review) and read-only admins
for Versions, Deployments and the audit trail.

Releases are never edited through a form: every change goes through :mod:`.services`
from the endpoints in :mod:`.views`, which this admin serves under its own URLs.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.views.main import ChangeList
from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, path
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from . import views
from .constants import APPROVED, DRAFT, FUTURE
from .context import get_live_release_id
from .lineage import behind_counts
from .models import AuditEntry, Deployment, Release, ScheduledDeploy, Version
from .permissions import APP_LABEL, has_release_permission
from .views import schedules as schedule_views
from .views.common import content_language, when_html

LOCK_ICON = mark_safe(
    '<svg class="rv-lock" viewBox="0 0 16 16" aria-hidden="true">'
    '<path d="M4 7V5a4 4 0 1 1 8 0v2h1v9H3V7zm2 0h4V5a2 2 0 1 0-4 0z"/></svg>'
)

STATE_LABELS = {
    "open": _("open"),
    "locked": _("locked"),
    "deployed": _("deployed"),
}


def state_badge(release: Release) -> str:
    """The release state as a coloured badge (plus *deprecated* when it is)."""
    badge = format_html(
        '<span class="rv-badge rv-badge-{}">{}{}</span>',
        release.state,
        LOCK_ICON if release.is_locked else "",
        STATE_LABELS[release.state],
    )
    if release.is_deprecated:
        badge += format_html(' <span class="rv-badge rv-badge-deprecated">{}</span>', _("deprecated"))
    return badge


class ReleaseStateFilter(admin.SimpleListFilter):
    """Filter by state; deprecated releases are hidden unless asked for."""

    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: admin.ModelAdmin) -> list[tuple[str, Any]]:
        return [
            ("open", pgettext_lazy("release state", "Open")),  # django CMS translates "Open" as a verb
            ("locked", _("Locked, not deployed")),
            ("deployed", _("Deployed")),
            ("deprecated", _("Deprecated")),
            ("all", _("All, including deprecated")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "all":
            return queryset
        if value == "deprecated":
            return queryset.filter(is_deprecated=True)
        queryset = queryset.filter(is_deprecated=False)
        if value == "open":
            return queryset.filter(is_locked=False)
        if value == "locked":
            return queryset.filter(is_locked=True, first_deployed_at__isnull=True)
        if value == "deployed":
            return queryset.filter(first_deployed_at__isnull=False)
        return queryset


class RenderedLanguageMixin:
    """The admin's pages say in ``Content-Language`` the language they are rendered in
    (:func:`.views.common.content_language`)."""

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        return content_language(super().changelist_view(request, extra_context))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return content_language(super().change_view(request, object_id, form_url, extra_context))

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return content_language(super().add_view(request, form_url, extra_context))

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> HttpResponse:
        return content_language(super().history_view(request, object_id, extra_context))


class ReleaseChangeList(ChangeList):
    """The release list: each release of the page with its pending schedule (its Version
    counts per status come from :func:`attach_counts`)."""

    def get_queryset(self, request: HttpRequest, exclude_parameters: Any = None) -> QuerySet:
        return (
            super()
            .get_queryset(request, exclude_parameters)
            .annotate(
                scheduled_at=Subquery(
                    ScheduledDeploy.objects.pending().filter(release=OuterRef("pk")).values("at")[:1]
                ),
            )
        )


def attach_counts(releases: list[Release]) -> None:
    """Set ``n_draft``, ``n_future``, ``n_approved`` and ``n_hidden`` on ``releases``.

    One query, grouped by (release, status, active) only: counting with the release row
    joined and grouped by its every column cost SQLite 1.6 s for two 50,000-grouping
    releases; this reads the release's index entries.
    """
    names = (DRAFT, FUTURE, APPROVED, "hidden")
    counts: dict[int, dict[str, int]] = {release.pk: dict.fromkeys(names, 0) for release in releases}
    rows = (
        Version.objects.filter(release__in=list(counts))
        .order_by()
        .values_list("release_id", "status", "active")
        .annotate(n=Count("pk"))
    )
    for release_id, status, active, n in rows:
        counts[release_id][status if active else "hidden"] += n
    for release in releases:
        for name, n in counts[release.pk].items():
            setattr(release, f"n_{name}", n)


@admin.register(Release)
class ReleaseAdmin(RenderedLanguageMixin, admin.ModelAdmin):
    """Releases: their state and counts, the release page, lifecycle actions and review."""

    list_display = (
        "version",
        "state",
        "based_on",
        "contents",
        "created",
        "locked",
    )
    list_filter = (ReleaseStateFilter,)
    search_fields = ("version", "description")
    list_per_page = 50

    class Media:
        css = {"all": ("djangocms_release_versioning/css/admin.css",)}

    # -- list ---------------------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        """Releases with the rows their state badge needs (the list adds its counts, see
        :meth:`get_changelist`: the release page of a 50,000-grouping release must not
        group every Version of it by every column of the release)."""
        return (
            super()
            .get_queryset(request)
            .select_related("based_on", "created_by", "locked_by", "live_pointer")
        )

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ChangeList]:
        return ReleaseChangeList

    def get_changelist_instance(self, request: HttpRequest) -> Any:
        """The change list, its releases marked with how far they are behind live (constant
        queries for the whole page, see :func:`.lineage.behind_counts`)."""
        changelist = super().get_changelist_instance(request)
        releases = list(changelist.result_list)  # evaluates (and caches) the page once
        attach_counts(releases)
        live = next((r for r in releases if self.live(r)), None)
        live_id = live.pk if live is not None else get_live_release_id()
        for release, count in zip(releases, behind_counts(releases, live_id).values(), strict=True):
            release.behind_live = count
        return changelist

    @admin.display(description=_("state"), ordering="is_locked")
    def state(self, obj: Release) -> str:
        """State badge, the live marker on the live release, and how far it is behind live."""
        badge = state_badge(obj)
        if self.live(obj):
            badge += format_html(' <span class="rv-badge rv-badge-live">{}</span>', _("live"))
        if getattr(obj, "scheduled_at", None) is not None:
            badge += format_html(
                ' <span class="rv-badge rv-badge-scheduled" title="{}">{} {}</span>',
                _("A deploy of this release is scheduled."),
                _("deploys"),
                when_html(obj.scheduled_at),
            )
        behind = getattr(obj, "behind_live", 0)
        if behind:
            badge += format_html(
                ' <a class="rv-behind-link" href="{}#rv-behind">{}</a>',
                views.admin_url("change", obj.pk),
                views.behind_message(behind, locked=obj.is_locked),
            )
        return badge

    @staticmethod
    def live(obj: Release) -> bool:
        try:
            return obj.live_pointer is not None
        except Release.live_pointer.RelatedObjectDoesNotExist:
            return False

    @admin.display(description=_("contents"))
    def contents(self, obj: Release) -> str:
        """Active drafts, parked, approved and hidden Versions (annotated, no extra query)."""
        counts = (
            ("draft", obj.n_draft, _("drafts")),
            ("future", obj.n_future, _("parked")),
            ("approved", obj.n_approved, _("approved")),
            ("hidden", obj.n_hidden, _("hidden")),
        )
        return format_html(
            '<span class="rv-counts">{}</span>',
            format_html_join(
                " ",
                '<span class="rv-status rv-status-{}" title="{}">{} {}</span>',
                ((status, label, count, label) for status, count, label in counts),
            ),
        )

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: Release) -> str:
        return _who_when(obj.created_at, obj.created_by)

    @admin.display(description=_("locked"), ordering="locked_at")
    def locked(self, obj: Release) -> str:
        return _who_when(obj.locked_at, obj.locked_by) if obj.locked_at else "—"

    # -- permissions: releases change through the lifecycle actions only -------------------

    def has_module_permission(self, request: HttpRequest) -> bool:
        return request.user.is_active and request.user.has_module_perms(APP_LABEL)

    def has_view_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return has_release_permission(request.user, "create")

    def has_change_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Release | None = None) -> bool:
        return False

    # -- views ----------------------------------------------------------------------------

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None) -> HttpResponse:
        return content_language(views.create(request, model_admin=self))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        obj = self.get_object(request, object_id)
        if obj is None:
            return self._get_obj_does_not_exist_redirect(request, self.opts, object_id)
        if not self.has_view_permission(request, obj):
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return content_language(views.release_detail(request, obj, model_admin=self))

    def get_urls(self) -> list[URLPattern]:
        """The lifecycle, review, compare and content-action endpoints before the default URLs."""
        name = views.URL_PREFIX
        urls = [
            path("<int:pk>/select/", self._wrap(views.select), name=f"{name}_select"),
            path("<int:pk>/deploy/", self._wrap(views.deploy), name=f"{name}_deploy"),
            path("<int:pk>/schedule/", self._wrap(schedule_views.schedule), name=f"{name}_schedule"),
            path(
                "<int:pk>/cancel-schedule/",
                self._wrap(schedule_views.cancel_schedule),
                name=f"{name}_cancel_schedule",
            ),
            path("<int:pk>/take-live/", self._wrap(views.take_live), name=f"{name}_take_live"),
            path("<int:pk>/review/", self._wrap(views.review), name=f"{name}_review"),
            path(
                "compare/<int:content_type_id>/<int:left_id>/<int:right_id>/",
                self._wrap(views.compare),
                name=f"{name}_compare",
            ),
            path(
                "content/<int:content_type_id>/<int:object_id>/<str:action>/",
                self._wrap(views.content_action),
                name=f"{name}_content_action",
            ),
        ]
        for action in views.RELEASE_ACTIONS:
            urls.append(
                path(
                    f"<int:pk>/{action}/",
                    self._wrap(views.release_action, action=action),
                    name=f"{name}_{action}",
                )
            )
        return urls + super().get_urls()

    def _wrap(self, view: Any, **extra: Any) -> Any:
        def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            return content_language(view(request, *args, model_admin=self, **kwargs, **extra))

        wrapper.__name__ = view.__name__
        return self.admin_site.admin_view(wrapper)


def _who_when(when: Any, who: Any) -> str:
    if when is None:
        return "—"
    return format_html(
        '<span class="rv-when">{}</span><span class="rv-who">{}</span>',
        when_html(when),
        who.get_username() if who else "",
    )


def _moment_column(model: type[Any], field: str) -> Any:
    """A list column showing the datetime ``field`` of ``model`` in the package's one date
    format (:func:`.views.common.when`), headed and ordered like the field."""

    @admin.display(description=model._meta.get_field(field).verbose_name, ordering=field)
    def column(self: admin.ModelAdmin, obj: Any) -> str:
        return when_html(getattr(obj, field))

    column.__name__ = f"{field}_display"
    return column


class ReadOnlyAdmin(RenderedLanguageMixin, admin.ModelAdmin):
    """Browsable, never editable: these rows are written by the services only."""

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Version)
class VersionAdmin(ReadOnlyAdmin):
    list_display = ("grouping_key", "content_type", "release", "status", "active", "changed", "modified_by")
    list_filter = ("release", "status", "active", "content_type")
    search_fields = ("grouping_key", "release__version")
    list_select_related = ("release", "content_type", "modified_by")
    changed = _moment_column(Version, "modified")


@admin.register(Deployment)
class DeploymentAdmin(ReadOnlyAdmin):
    list_display = ("release", "previous", "is_rollback", "deployed", "deployed_by", "changes")
    list_filter = ("is_rollback",)
    list_select_related = ("release", "previous", "deployed_by")
    date_hierarchy = "deployed_at"
    deployed = _moment_column(Deployment, "deployed_at")

    @admin.display(description=_("changes"))
    def changes(self, obj: Deployment) -> str:
        totals = {"added": 0, "changed": 0, "removed": 0}
        for counts in (obj.summary or {}).values():
            for kind in totals:
                totals[kind] += counts.get(kind, 0)
        return gettext("%(added)s added, %(changed)s changed, %(removed)s removed.") % totals


@admin.register(ScheduledDeploy)
class ScheduledDeployAdmin(ReadOnlyAdmin):
    list_display = ("release", "planned_at", "rollback", "status", "created_by", "finished", "failure_reason")
    list_filter = ("status", "rollback")
    list_select_related = ("release", "created_by")
    search_fields = ("release__version",)
    date_hierarchy = "at"
    planned_at = _moment_column(ScheduledDeploy, "at")
    finished = _moment_column(ScheduledDeploy, "finished_at")


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = (
        "when",
        "action",
        "release_version",
        "object_repr",
        "from_state",
        "to_state",
        "user",
    )
    list_filter = ("action", "release")
    search_fields = ("release_version", "object_repr")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    when = _moment_column(AuditEntry, "created_at")
