"""Release, Version, Deployment, the live pointer and the audit trail."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _

from .constants import APPROVED, DRAFT, FUTURE, Action, Status
from .validators import MAX_LENGTH, clashing_version, validate_release_version, version_taken_error

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

LIVE_POINTER_PK = 1


class ReleaseQuerySet(models.QuerySet):
    def open(self) -> ReleaseQuerySet:
        """Releases that can still be edited."""
        return self.filter(is_locked=False)

    def locked(self) -> ReleaseQuerySet:
        return self.filter(is_locked=True)

    def deployed(self) -> ReleaseQuerySet:
        """Releases that have been live at least once."""
        return self.filter(first_deployed_at__isnull=False)

    def not_deprecated(self) -> ReleaseQuerySet:
        return self.filter(is_deprecated=False)

    def live(self) -> Release | None:
        """Return the release currently served to the public, or ``None``."""
        return self.filter(live_pointer__pk=LIVE_POINTER_PK).first()

    def default_working(self) -> Release | None:
        """Return the newest open, non-deprecated release, else the live release."""
        release = self.open().not_deprecated().order_by("-created_at", "-pk").first()
        return release if release is not None else self.live()

    def get_by_version(self, version: str) -> Release:
        """Return the release called ``version``.

        :raises Release.DoesNotExist: no release has that version string.
        """
        return self.get(version=version)


ReleaseManager = models.Manager.from_queryset(ReleaseQuerySet)


class Release(models.Model):
    """A named, site-wide snapshot holding at most one Version per grouping."""

    version = models.CharField(
        _("version"),
        max_length=MAX_LENGTH,
        unique=True,
        validators=[validate_release_version],
        help_text=_(
            "Unique name of the release, e.g. v1.2.0: no spaces or invisible characters, "
            "unique ignoring case."
        ),
    )
    description = models.TextField(_("description"), blank=True)
    based_on = models.ForeignKey(
        "self",
        verbose_name=_("based on"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="branches",
        help_text=_("The locked release this one was branched from."),
    )
    is_locked = models.BooleanField(_("locked"), default=False)
    is_deprecated = models.BooleanField(_("deprecated"), default=False)
    fingerprint = models.CharField(
        _("fingerprint"),
        max_length=64,
        blank=True,
        help_text=_("Digest of everything the release contained when it was locked."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    locked_at = models.DateTimeField(_("locked"), null=True, blank=True)
    locked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("locked by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    first_deployed_at = models.DateTimeField(_("first deployed"), null=True, blank=True)
    has_removals = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("A Version was deleted after branching; deploys compare the whole release."),
    )

    objects = ReleaseManager()

    class Meta:
        verbose_name = _("release")
        verbose_name_plural = _("releases")
        ordering = ("-created_at", "-pk")
        permissions = [
            ("approve_release", _("Can approve content of a release")),
            ("lock_release", _("Can lock a release")),
            ("unlock_release", _("Can unlock a release")),
            ("deploy_release", _("Can deploy or roll back a release")),
            ("deprecate_release", _("Can deprecate a release")),
        ]
        constraints = [
            models.UniqueConstraint(
                Lower("version"),
                name="release_versioning_version_ci_unique",
                violation_error_code="version_taken",
                violation_error_message=_(
                    "A release with this version exists already (versions are compared ignoring case)."
                ),
            )
        ]

    def __str__(self) -> str:
        return self.version

    def clean(self) -> None:
        """Refuse a version that equals another release's ignoring case, naming that release.

        :raises ValidationError: code ``version_taken``.
        """
        super().clean()
        try:
            validate_release_version(self.version)
        except ValidationError:
            return  # reported by clean_fields(); no need to look for a clash
        existing = clashing_version(self.version, exclude_pk=self.pk)
        if existing is not None:
            raise ValidationError({"version": version_taken_error(self.version, existing)})

    @property
    def is_deployed(self) -> bool:
        return self.first_deployed_at is not None

    @property
    def state(self) -> str:
        """``open``, ``locked`` or ``deployed``."""
        if self.is_deployed:
            return "deployed"
        return "locked" if self.is_locked else "open"

    @property
    def is_editable(self) -> bool:
        return not self.is_locked and not self.is_deprecated

    def is_live(self) -> bool:
        return LiveRelease.objects.filter(pk=LIVE_POINTER_PK, release_id=self.pk).exists()


class LiveRelease(models.Model):
    """The single live pointer row: which release the public sees.

    There is exactly one row (pk 1). Deploying switches ``release``; the switch is O(1).
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=LIVE_POINTER_PK)
    release = models.OneToOneField(
        Release,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="live_pointer",
    )
    changed_at = models.DateTimeField(default=timezone.now)
    generation = models.PositiveBigIntegerField(
        default=0,
        editable=False,
        help_text=_("Counts the switches of the pointer; keys every cache that holds public content."),
    )

    class Meta:
        verbose_name = _("live release")
        verbose_name_plural = _("live release")
        constraints = [
            models.CheckConstraint(
                condition=Q(id=LIVE_POINTER_PK), name="release_versioning_single_live_pointer"
            )
        ]

    def __str__(self) -> str:
        return str(self.release) if self.release_id else gettext("(nothing live)")


class VersionQuerySet(models.QuerySet):
    def for_release(self, release: Release | int) -> VersionQuerySet:
        return self.filter(release=release)

    def for_model(self, model: type[models.Model]) -> VersionQuerySet:
        ct = ContentType.objects.get_for_model(model)
        return self.filter(content_type=ct)

    def for_content(self, content: models.Model) -> VersionQuerySet:
        ct = ContentType.objects.get_for_model(content)
        return self.filter(content_type=ct, object_id=content.pk)

    def public(self) -> VersionQuerySet:
        """Versions that make their content visible when their release is live."""
        return self.filter(status=APPROVED, active=True)

    def live(self) -> VersionQuerySet:
        """Public versions of the live release."""
        return self.public().filter(release__live_pointer__pk=LIVE_POINTER_PK)


VersionManager = models.Manager.from_queryset(VersionQuerySet)


def _transition_error(message: str, code: str) -> ValidationError:
    return ValidationError(message, code=code)


class Version(models.Model):
    """One content row's place in one release.

    The same content row may be referenced by the Versions of several releases
    (copy-on-write); a release holds at most one Version per grouping.
    """

    # No single-column indexes: the composite indexes below start with these columns.
    release = models.ForeignKey(
        Release,
        verbose_name=_("release"),
        on_delete=models.CASCADE,
        related_name="versions",
        db_index=False,
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    object_id = models.PositiveBigIntegerField()
    content = GenericForeignKey("content_type", "object_id")
    grouping_key = models.CharField(
        _("grouping"),
        max_length=255,
        help_text=_('Grouper and extra grouping values, e.g. [12, "en"].'),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    active = models.BooleanField(
        _("active"), default=True, help_text=_("False hides the content in this release.")
    )
    fingerprint = models.CharField(max_length=64, blank=True, editable=False)
    inherited = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Copied by branching and unchanged since; deploys skip such rows."),
    )
    modified = models.DateTimeField(_("modified"), default=timezone.now)
    modified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("modified by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,  # users are rarely deleted; an index would cost every Version row
    )

    objects = VersionManager()

    class Meta:
        verbose_name = _("version")
        verbose_name_plural = _("versions")
        constraints = [
            models.UniqueConstraint(
                fields=["release", "content_type", "grouping_key"],
                name="release_versioning_one_version_per_grouping",
            ),
        ]
        indexes = [
            models.Index(
                fields=["content_type", "object_id", "release"],
                name="release_versioning_content",
            ),
            # Only changed rows are indexed: a deploy reads what changed since the branch.
            # ``inherited`` is a column of the index too, for databases that ignore the
            # condition (MariaDB/MySQL): there it is a plain index that still finds only the
            # changed rows.
            models.Index(
                fields=["release", "inherited"],
                condition=Q(inherited=False),
                name="release_versioning_changed",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.content_type.model} {self.grouping_key} @ {self.release_id} ({self.status})"

    # -- persistence ------------------------------------------------------------------

    def save(self, *args: Any, check_release: bool = True, **kwargs: Any) -> None:
        """Save the version (it no longer counts as inherited from the base release).

        :param check_release: False only for services that hold a lock on the release
            row and have just checked it.
        :raises ValidationError: the release is locked.
        """
        if check_release:
            self._refuse_if_release_locked()
        self.inherited = False
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "inherited"}
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        """Delete the version.

        :raises ValidationError: the release is locked.
        """
        self._refuse_if_release_locked()
        return super().delete(*args, **kwargs)

    def _refuse_if_release_locked(self) -> None:
        if self.release_id and Release.objects.filter(pk=self.release_id, is_locked=True).exists():
            raise ValidationError(
                gettext(
                    "Release %(release)s is locked: its content cannot change. "
                    "Branch a new release from it to make changes."
                )
                % {"release": self.release.version},
                code="release_locked",
            )

    # -- status transitions (DESIGN §3.2) --------------------------------------------

    def mark_future(self, *, user: AbstractBaseUser | None = None) -> None:
        """Park the version for a later release: draft → future.

        :raises ValidationError: inactive, not a draft, or the release is locked.
        """
        self._require_active()
        if self.status != DRAFT:
            raise _transition_error(
                gettext("Only draft content can be parked; this is %(status)s.")
                % {"status": self.get_status_display()},
                "invalid_transition",
            )
        self._set_status(FUTURE, user)

    def mark_draft(self, *, user: AbstractBaseUser | None = None) -> None:
        """Bring parked content back into this release's work: future → draft.

        :raises ValidationError: inactive, not parked, or the release is locked.
        """
        self._require_active()
        if self.status != FUTURE:
            raise _transition_error(
                gettext("Only parked content can go back to draft; this is %(status)s.")
                % {"status": self.get_status_display()},
                "invalid_transition",
            )
        self._set_status(DRAFT, user)

    def approve(self, *, user: AbstractBaseUser | None = None) -> None:
        """Approve the version: draft or future → approved (one way).

        :raises ValidationError: inactive, already approved, or the release is locked.
        """
        self._require_active()
        if self.status == APPROVED:
            raise _transition_error(gettext("This content is already approved."), "invalid_transition")
        self._set_status(APPROVED, user)

    def deactivate(self, *, user: AbstractBaseUser | None = None) -> None:
        """Hide the content in this release; approved content goes back to draft.

        :raises ValidationError: already inactive, or the release is locked.
        """
        if not self.active:
            raise _transition_error(
                gettext("This content is already hidden in this release."), "invalid_transition"
            )
        before = self.status
        self.active = False
        if self.status == APPROVED:
            self.status = DRAFT
        self._save_transition(Action.DEACTIVATE, before, user)

    def reactivate(self, *, user: AbstractBaseUser | None = None) -> None:
        """Restore hidden content in this release; it comes back as a draft.

        :raises ValidationError: already active, or the release is locked.
        """
        if self.active:
            raise _transition_error(
                gettext("This content is not hidden in this release."), "invalid_transition"
            )
        before = self.status
        self.active = True
        self.status = DRAFT
        self._save_transition(Action.REACTIVATE, before, user)

    def _require_active(self) -> None:
        if not self.active:
            raise _transition_error(
                gettext("This content is hidden in this release; restore it before changing its status."),
                "inactive",
            )

    def _set_status(self, status: str, user: AbstractBaseUser | None) -> None:
        before = self.status
        self.status = status
        self._save_transition(Action.STATUS_CHANGE, before, user)

    def _save_transition(self, action: str, before: str, user: AbstractBaseUser | None) -> None:
        from .audit import record

        self.modified = timezone.now()
        self.modified_by = user if user is not None and user.is_authenticated else None
        self.save(update_fields=["status", "active", "modified", "modified_by"])
        record(
            action,
            release=self.release,
            user=user,
            obj=self,
            from_state=before,
            to_state=self.status if self.active else f"{self.status} (hidden)",
        )


class Deployment(models.Model):
    """One deploy or rollback: the moment a release became live."""

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.PROTECT, related_name="deployments"
    )
    previous = models.ForeignKey(
        Release,
        verbose_name=_("previously live"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    is_rollback = models.BooleanField(_("rollback"), default=False)
    deployed_at = models.DateTimeField(_("deployed"), default=timezone.now)
    deployed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("deployed by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    summary = models.JSONField(_("summary"), default=dict, blank=True)

    class Meta:
        verbose_name = _("deployment")
        verbose_name_plural = _("deployments")
        ordering = ("-deployed_at", "-pk")
        get_latest_by = "deployed_at"

    def __str__(self) -> str:
        return f"{self.release} @ {self.deployed_at:%Y-%m-%d %H:%M}"


class AuditEntry(models.Model):
    """Who did what, when, to which release or content: from → to."""

    action = models.CharField(_("action"), max_length=32, choices=Action.choices)
    release = models.ForeignKey(
        Release,
        verbose_name=_("release"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="audit_entries",
    )
    release_version = models.CharField(_("release version"), max_length=100, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), default=timezone.now, db_index=True)
    content_type = models.ForeignKey(
        ContentType, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    object_repr = models.CharField(_("object"), max_length=255, blank=True)
    from_state = models.CharField(_("from"), max_length=64, blank=True)
    to_state = models.CharField(_("to"), max_length=64, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        ordering = ("-created_at", "-pk")
        indexes = [
            # A release's entries of one action (its lock entry: lock_release reads the
            # base's, verify_release its own) without reading all its entries.
            models.Index(fields=["release", "action"], name="release_versioning_audit_act"),
        ]

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.release_version} {self.object_repr}".strip()

    @property
    def from_label(self) -> str:
        """``from_state`` in the editor's language (states are translated, release names not)."""
        return _audit_state_label(self.from_state)

    @property
    def to_label(self) -> str:
        """``to_state`` in the editor's language (states are translated, release names not)."""
        return _audit_state_label(self.to_state)


#: The states the audit trail records (``from_state``/``to_state``) -> their label.
AUDIT_STATE_LABELS = {
    DRAFT: pgettext_lazy("audit state", "draft"),
    FUTURE: pgettext_lazy("audit state", "parked"),
    APPROVED: pgettext_lazy("audit state", "approved"),
    "open": pgettext_lazy("audit state", "open"),
    "locked": pgettext_lazy("audit state", "locked"),
    "deprecated": pgettext_lazy("audit state", "deprecated"),
    "deleted": pgettext_lazy("audit state", "deleted"),
    "deploy": pgettext_lazy("audit state", "deploy"),
    "rollback": pgettext_lazy("audit state", "rollback"),
    "pending": pgettext_lazy("audit state", "pending"),
    "failed": pgettext_lazy("audit state", "failed"),
    "cancelled": pgettext_lazy("audit state", "cancelled"),
}


def _audit_state_label(state: str) -> str:
    hidden = state.endswith(" (hidden)")
    name = state.removesuffix(" (hidden)")
    label = str(AUDIT_STATE_LABELS.get(name, name))
    return gettext("%(state)s (hidden)") % {"state": label} if hidden else label


class ScheduleStatus(models.TextChoices):
    """Where a scheduled deploy stands."""

    PENDING = "pending", _("Pending")
    DONE = "done", _("Deployed")
    FAILED = "failed", _("Failed")
    CANCELLED = "cancelled", _("Cancelled")


class ScheduledDeployQuerySet(models.QuerySet):
    def pending(self) -> ScheduledDeployQuerySet:
        return self.filter(status=ScheduleStatus.PENDING)

    def due(self, now: Any) -> ScheduledDeployQuerySet:
        """Pending schedules whose time has come, oldest first."""
        return self.pending().filter(at__lte=now).order_by("at", "pk")


ScheduledDeployManager = models.Manager.from_queryset(ScheduledDeployQuerySet)


class ScheduledDeploy(models.Model):
    """A deploy (or rollback) of a release planned for a moment in the future (DESIGN §9.3).

    ``services.run_scheduled_deploys`` runs each due schedule exactly once. A release has at
    most one pending schedule: ``pending_key`` is the release's id while the schedule is
    pending and NULL afterwards, and it is unique (a plain unique column, so every database
    enforces it; MariaDB and MySQL ignore conditional unique constraints).
    """

    Status = ScheduleStatus

    release = models.ForeignKey(
        Release, verbose_name=_("release"), on_delete=models.CASCADE, related_name="scheduled_deploys"
    )
    at = models.DateTimeField(_("deploy at"))
    rollback = models.BooleanField(_("rollback"), default=False)
    status = models.CharField(
        _("status"), max_length=10, choices=ScheduleStatus.choices, default=ScheduleStatus.PENDING
    )
    confirmations = models.JSONField(
        _("confirmed"),
        default=dict,
        blank=True,
        help_text=_('Deploy guards confirmed when it was scheduled, e.g. {"allow_offline": true}.'),
    )
    created_at = models.DateTimeField(_("scheduled"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("scheduled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    failure_code = models.CharField(_("failure code"), max_length=64, blank=True)
    failure_reason = models.TextField(_("failure reason"), blank=True)
    deployment = models.OneToOneField(
        Deployment,
        verbose_name=_("deployment"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="schedule",
    )
    pending_key = models.PositiveBigIntegerField(null=True, blank=True, unique=True, editable=False)

    objects = ScheduledDeployManager()

    class Meta:
        verbose_name = _("scheduled deploy")
        verbose_name_plural = _("scheduled deploys")
        ordering = ("-at", "-pk")
        indexes = [
            models.Index(fields=["status", "at"], name="release_versioning_due"),
        ]

    def __str__(self) -> str:
        return f"{self.release} @ {self.at:%Y-%m-%d %H:%M} ({self.status})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Save, keeping ``pending_key`` in step with ``status``.

        :raises IntegrityError: the release has another pending schedule.
        """
        self.pending_key = self.release_id if self.status == ScheduleStatus.PENDING else None
        update_fields = kwargs.get("update_fields")
        if update_fields is not None:
            kwargs["update_fields"] = {*update_fields, "pending_key"}
        super().save(*args, **kwargs)
