"""Manager and queryset mixins installed on every registered content model.

``objects`` keeps its original class (e.g. djangocms-stories' ``on_site()``) with
:class:`PublicManagerMixin` in front; ``admin_manager`` querysets get
:class:`AdminQuerySetMixin` in front of their own class.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from typing import TYPE_CHECKING, Any

from django.contrib.contenttypes.models import ContentType
from django.db import models, transaction
from django.db.models import BooleanField, Exists, Expression, OuterRef

from .constants import APPROVED
from .context import (
    get_live_snapshot,
    get_public_release_id,
    get_session_public_version,
    get_working_release,
    has_live_snapshot,
    resolve_release,
)

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from .models import Release


def _versions_of(model: type[models.Model]) -> models.QuerySet:
    from .models import Version

    content_type_id = ContentType.objects.get_for_model(model).pk
    return Version.objects.filter(content_type_id=content_type_id, object_id=OuterRef("pk"))


class PublicCondition(Expression):
    """``EXISTS`` (approved, active Version of the row in the public release), as SQL.

    The hot path of every public page: written as one fixed SQL template instead of a
    nested ``Exists(QuerySet)`` that Django would rebuild, resolve and compile for every
    ``objects`` queryset (about 1.5 ms each). Inside a request (or a ``live_snapshot()``
    block) the live release is the scope's snapshot of the pointer, so every query of one
    response serves one release even if a deploy commits meanwhile; outside, the pointer is
    read inside the same statement (always current, no extra query).
    """

    output_field = BooleanField()

    def __init__(self, content_type_id: int, release_id: int | None, version: str | None) -> None:
        super().__init__()
        self.content_type_id = content_type_id
        self.release_id = release_id
        self.version = version
        self.pk_column: Any = None

    def resolve_expression(self, query: Any = None, *args: Any, **kwargs: Any) -> PublicCondition:
        resolved = self.copy()
        resolved.pk_column = query.resolve_ref("pk")
        return resolved

    def get_group_by_cols(self) -> list[Any]:
        return []

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, list[Any]]:
        from .models import LIVE_POINTER_PK, LiveRelease, Release, Version

        qn = connection.ops.quote_name
        pk_sql, pk_params = compiler.compile(self.pk_column)
        version_table = qn(Version._meta.db_table)
        if self.release_id is not None:
            release_sql, release_params = "%s", [self.release_id]
        elif self.version is None and has_live_snapshot():
            # ``= NULL`` matches nothing: with nothing live, nothing is public.
            release_sql, release_params = "%s", [get_live_snapshot().release_id]
        elif self.version is not None:
            release_sql = (
                f"(SELECT rv_r.{qn('id')} FROM {qn(Release._meta.db_table)} rv_r "
                f"WHERE rv_r.{qn('version')} = %s)"
            )
            release_params = [self.version]
        else:
            release_sql = (
                f"(SELECT rv_l.{qn('release_id')} FROM {qn(LiveRelease._meta.db_table)} rv_l "
                f"WHERE rv_l.{qn('id')} = %s)"
            )
            release_params = [LIVE_POINTER_PK]
        sql = (
            f"EXISTS (SELECT 1 FROM {version_table} rv_v WHERE rv_v.{qn('content_type_id')} = %s "
            f"AND rv_v.{qn('object_id')} = {pk_sql} AND rv_v.{qn('release_id')} = {release_sql} "
            f"AND rv_v.{qn('status')} = %s AND rv_v.{qn('active')} = %s)"
        )
        return sql, [self.content_type_id, *pk_params, *release_params, APPROVED, True]


def public_condition(model: type[models.Model]) -> PublicCondition:
    """SQL condition: the row is approved and active in the public release.

    The public release is the live one (the scope's snapshot, see :class:`PublicCondition`),
    or the one set by ``use_release(..., public=True)`` (or the pytest plugin's
    ``--release-version``).
    """
    content_type_id = ContentType.objects.get_for_model(model).pk
    return PublicCondition(content_type_id, get_public_release_id(), get_session_public_version())


def release_condition(
    model: type[models.Model],
    release: Release | str | int | None,
    *,
    active_only: bool = True,
    approved_only: bool = False,
) -> Exists:
    """SQL condition: the row has a Version in ``release`` (None matches nothing)."""
    versions = _versions_of(model)
    if release is None:
        versions = versions.filter(release_id__isnull=True)
    else:
        versions = versions.filter(release_id=resolve_release(release).pk)
    if active_only:
        versions = versions.filter(active=True)
    if approved_only:
        versions = versions.filter(status=APPROVED)
    return Exists(versions)


_unfiltered: ContextVar[bool] = ContextVar("release_versioning_unfiltered", default=False)


@contextmanager
def unfiltered_objects() -> Iterator[None]:
    """Inside the block, ``objects`` builds unfiltered querysets (this context only).

    Used by the admin integration to reuse an admin's own ``get_queryset()`` (ordering,
    ``select_related`` …) over all rows. Querysets built inside stay unfiltered after the
    block; nothing changes for other threads or requests.
    """
    token = _unfiltered.set(True)
    try:
        yield
    finally:
        _unfiltered.reset(token)


class PublicManagerMixin:
    """``objects``: only rows that are live, approved and active."""

    _release_user: Any = None
    _release_with_user: bool = False

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        if _unfiltered.get():
            return queryset
        return queryset.filter(public_condition(self.model))

    def with_user(self, user: AbstractBaseUser | None) -> PublicManagerMixin:
        """Return a manager whose ``create()`` puts the new row into the working release.

        :raises ValueError: ``user`` is neither a user nor None.
        """
        if user is not None and not hasattr(user, "is_authenticated"):
            raise ValueError(f"with_user() expects a user or None, got {user!r}.")
        clone = copy.copy(self)
        clone._release_user = user
        clone._release_with_user = True
        return clone

    def create(self, **kwargs: Any) -> models.Model:
        """Create a row; after ``with_user()`` also its draft Version in the working release.

        Without ``with_user()`` only the row is created (what copy functions need).

        :raises ValidationError: the working release is locked or deprecated.
        """
        if not self._release_with_user:
            return super().create(**kwargs)
        from .services import attach_new_content

        with transaction.atomic(using=self.db):
            obj = super().create(**kwargs)
            attach_new_content(obj, user=self._release_user)
        return obj


class AdminQuerySetMixin:
    """Release-aware selections for ``admin_manager`` querysets."""

    def current_content(self, **kwargs: Any) -> models.QuerySet:
        """At most one row per grouping: the active content of the working release."""
        return self.filter(**kwargs).filter(release_condition(self.model, get_working_release()))

    def latest_content(self, **kwargs: Any) -> models.QuerySet:
        """At most one row per grouping: the working release's content, hidden ones too."""
        return self.filter(**kwargs).filter(
            release_condition(self.model, get_working_release(), active_only=False)
        )

    def for_release(self, release: Release | str) -> models.QuerySet:
        """Active rows of ``release`` (any status)."""
        return self.filter(release_condition(self.model, release))

    def approved(self, release: Release | str) -> models.QuerySet:
        """Approved, active rows of ``release``: what the release serves once live."""
        return self.filter(release_condition(self.model, release, approved_only=True))

    def all_rows(self, release: Release | str) -> models.QuerySet:
        """Every row of ``release``, hidden ones included."""
        return self.filter(release_condition(self.model, release, active_only=False))


@cache
def release_queryset_class(queryset_class: type[models.QuerySet]) -> type[models.QuerySet]:
    """The subclass of ``queryset_class`` with :class:`AdminQuerySetMixin` in front."""
    if issubclass(queryset_class, AdminQuerySetMixin):
        return queryset_class
    return type(f"Release{queryset_class.__name__}", (AdminQuerySetMixin, queryset_class), {})


class AdminManagerMixin:
    """``admin_manager``: every row, plus the release-aware selections."""

    def get_queryset(self) -> models.QuerySet:
        queryset = super().get_queryset()
        queryset.__class__ = release_queryset_class(type(queryset))
        return queryset

    def current_content(self, **kwargs: Any) -> models.QuerySet:
        return self.get_queryset().current_content(**kwargs)

    def latest_content(self, **kwargs: Any) -> models.QuerySet:
        return self.get_queryset().latest_content(**kwargs)

    def for_release(self, release: Release | str) -> models.QuerySet:
        return self.get_queryset().for_release(release)

    def approved(self, release: Release | str) -> models.QuerySet:
        return self.get_queryset().approved(release)

    def all_rows(self, release: Release | str) -> models.QuerySet:
        return self.get_queryset().all_rows(release)

    def with_user(self, user: AbstractBaseUser | None) -> Any:
        """Like ``objects.with_user()``: ``create()`` adds the row to the working release."""
        return self.model.objects.with_user(user)
