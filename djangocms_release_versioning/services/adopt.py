"""Adopting the content of a site that had no versioning (issue 15.1).

On a site that ran django CMS without a versioning package every page, alias and post is
public. Installing this package does not change that:
:func:`~djangocms_release_versioning.services.adopt_existing_content` makes every content row
that has no Version yet the approved content of a new release, locks it and deploys it, in
one transaction, so the public site serves exactly what it served before.

* It is **idempotent**: with nothing left to adopt it changes nothing.
* The new release is branched from the live release when there is one, so nothing live
  changes; open releases get the adopted content too (shared, copy-on-write), so deploying
  them later does not take it offline again.
* The deploy keeps what the site showed: ``on_publish`` hooks do not touch the content's own
  data (djangocms-stories' publication dates stay as they are), and every adopted page keeps
  the URL (``PageUrl``) it had.
* A grouping with several unversioned rows (which django CMS without versioning never
  makes) adopts the newest row; the others are reported and stay unversioned.

``migrate`` runs it automatically on a site where no release exists yet (see
``adopt_on_migrate``); the ``adopt_existing_content`` command runs it by hand.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.db import models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from .. import conf, registry
from ..audit import record
from ..constants import APPROVED, Action
from ..models import Release, Version
from ..permissions import require_release_permission
from ..validators import clashing_version, validate_release_version, version_taken_error
from ._common import _db_for, _error, _user
from .deploy import deploy_release
from .releases import create_release, lock_release

if TYPE_CHECKING:
    from django.contrib.auth.base_user import AbstractBaseUser

    from ..datastructures import VersionableItem
    from ..manifest import DeployManifest

#: Version rows written per INSERT.
BATCH_SIZE = 1000

_adopting: ContextVar[bool] = ContextVar("release_versioning_adopting", default=False)


def adopting() -> bool:
    """True while :func:`adopt_existing_content` deploys adopted content.

    ``on_publish`` hooks that change the content's own data (djangocms-stories' publication
    dates) leave it alone then: the content was public before, as it is.
    """
    return _adopting.get()


@contextlib.contextmanager
def _adoption() -> Iterator[None]:
    token = _adopting.set(True)
    try:
        yield
    finally:
        _adopting.reset(token)


@dataclass
class AdoptionReport:
    """What :func:`adopt_existing_content` did (or, in a dry run, would do)."""

    release: str = ""
    dry_run: bool = False
    #: ``{model label: rows adopted}``
    adopted: dict[str, int] = field(default_factory=dict)
    #: Rows left unversioned, as ``"<model label> #<pk>: <reason>"``.
    skipped: list[str] = field(default_factory=list)
    #: Open releases that received the adopted content.
    followed: list[str] = field(default_factory=list)
    manifest: DeployManifest | None = None

    @property
    def total(self) -> int:
        return sum(self.adopted.values())


def unversioned(item: VersionableItem) -> models.QuerySet:
    """Content rows of ``item``'s model that no Version references, in any release."""
    referenced = Version.objects.filter(content_type=item.content_type, object_id=OuterRef("pk"))
    return item.content_model._original_manager.filter(~Exists(referenced))


def count_unversioned() -> dict[str, int]:
    """``{model label: rows}`` of registered content without any Version (one query per model)."""
    counts = {}
    for item in registry.items():
        count = unversioned(item).count()
        if count:
            counts[item.content_model._meta.label] = count
    return counts


def adoption_release_name() -> str:
    """The default name of the adopting release: ``INITIAL_RELEASE_VERSION`` if it is free,
    else ``<INITIAL_RELEASE_VERSION>-adopted``, ``…-adopted-2`` and so on."""
    first = conf.INITIAL_RELEASE_VERSION
    if clashing_version(first) is None:
        return first
    candidate, number = f"{first}-adopted", 1
    while clashing_version(candidate) is not None:
        number += 1
        candidate = f"{first}-adopted-{number}"
    return candidate


def adopt_existing_content(
    *,
    release_version: str | None = None,
    dry_run: bool = False,
    user: AbstractBaseUser | None = None,
) -> AdoptionReport:
    """Make every registered content row without a Version live, unchanged, in one step.

    Creates release ``release_version`` (default ``INITIAL_RELEASE_VERSION``, or
    ``<it>-adopted`` if taken; branched from the live release if there is one) holding the
    rows as approved, locks and deploys it, and adds the rows to every open release. With
    nothing to adopt nothing is written.

    :param dry_run: compute the report, write nothing.
    :returns: the report (``report.release`` is ``""`` when there was nothing to adopt).
    :raises ValidationError: the site is a djangocms-versioning site
        (``djangocms_versioning_site``: use ``import_djangocms_versioning``); the release name
        breaks the name rule or is taken; the deploy is refused (e.g. a URL collision).
    :raises PermissionDenied: ``user`` may not create, lock or deploy releases.
    """
    for operation in ("create", "lock", "deploy"):
        require_release_permission(user, operation)
    _refuse_djangocms_versioning_site()
    report = AdoptionReport(dry_run=dry_run)
    with transaction.atomic(using=_db_for(Release)):
        live = Release.objects.live()
        plans = _plan(live, report)
        if not plans:
            return report
        report.release = release_version if release_version is not None else adoption_release_name()
        if dry_run:
            validate_release_version(report.release)
            existing = clashing_version(report.release)
            if existing is not None:
                raise version_taken_error(report.release, existing)
            return report
        release = create_release.unchecked(
            report.release,
            based_on=live,
            description=gettext("Content that existed before release versioning was installed."),
            user=user,
        )
        _add_versions(release, plans, user)
        for item, rows in plans:
            record(
                Action.CREATE_CONTENT,
                release=release,
                user=user,
                to_state=APPROVED,
                details={"adopted": len(rows), "model": item.content_model._meta.label},
            )
        lock_release.unchecked(release, user=user)
        urls = _page_urls(plans)
        with _adoption():
            report.manifest = deploy_release.unchecked(release, user=user)
        _restore_page_urls(urls)
        report.followed = _follow(release, plans, user)
    return report


def _refuse_djangocms_versioning_site() -> None:
    from .imports import has_djangocms_versioning_table

    if has_djangocms_versioning_table():
        raise _error(
            "This database has djangocms-versioning's version table: its content rows are "
            "drafts, published and archived versions, not one live row each. Move it onto "
            "releases with import_djangocms_versioning instead.",
            "djangocms_versioning_site",
        )


Plan = list[tuple["VersionableItem", list[tuple[str, int]]]]


def _plan(live: Release | None, report: AdoptionReport) -> Plan:
    """Per registered model, the ``(grouping key, row id)`` pairs to adopt."""
    plans = []
    for item in registry.items():
        label = item.content_model._meta.label
        taken = set()
        if live is not None:
            taken = set(
                Version.objects.filter(release=live, content_type=item.content_type).values_list(
                    "grouping_key", flat=True
                )
            )
        chosen: dict[str, int] = {}
        for row in unversioned(item).order_by("-pk").iterator(chunk_size=BATCH_SIZE):
            key = item.grouping_key(row)
            if key in taken:
                report.skipped.append(f"{label} #{row.pk}: the live release has content for {key} already")
            elif key in chosen:
                report.skipped.append(f"{label} #{row.pk}: #{chosen[key]} is newer content for {key}")
            else:
                chosen[key] = row.pk
        if chosen:
            report.adopted[label] = len(chosen)
            plans.append((item, sorted(chosen.items(), key=lambda pair: pair[1])))
    return plans


def _approved_version(release: Release, item: Any, key: str, object_id: int, now: Any, by: Any) -> Version:
    """An approved, active Version of an adopted row (not saved)."""
    return Version(
        release=release,
        content_type_id=item.content_type.pk,
        object_id=object_id,
        grouping_key=key,
        status=APPROVED,
        active=True,
        inherited=False,
        modified=now,
        modified_by=by,
    )


def _add_versions(release: Release, plans: list[tuple], user: AbstractBaseUser | None) -> None:
    now, by = timezone.now(), _user(user)
    Version.objects.bulk_create(
        [
            _approved_version(release, item, key, object_id, now, by)
            for item, rows in plans
            for key, object_id in rows
        ],
        batch_size=BATCH_SIZE,
    )


def _follow(release: Release, plans: list[tuple], user: AbstractBaseUser | None) -> list[str]:
    """Add the adopted rows to every open release that has no content for their grouping."""
    followed = []
    now, by = timezone.now(), _user(user)
    for other in Release.objects.open().not_deprecated().exclude(pk=release.pk).order_by("pk"):
        new = []
        for item, rows in plans:
            present = set(
                Version.objects.filter(release=other, content_type=item.content_type).values_list(
                    "grouping_key", flat=True
                )
            )
            new += [
                _approved_version(other, item, key, object_id, now, by)
                for key, object_id in rows
                if key not in present
            ]
        if new:
            Version.objects.bulk_create(new, batch_size=BATCH_SIZE)
            record(
                Action.CREATE_CONTENT,
                release=other,
                user=user,
                to_state=APPROVED,
                details={"adopted": len(new), "from": release.version},
            )
            followed.append(other.version)
    return followed


def _page_urls(plans: list[tuple]) -> list[Any]:
    """The PageUrl rows of the adopted pages as they are now (what the site serves)."""
    from cms.models import PageContent, PageUrl

    ids = [object_id for item, rows in plans if item.content_model is PageContent for _key, object_id in rows]
    if not ids:
        return []
    pages = PageContent._original_manager.filter(pk__in=ids).values_list("page_id", "language")
    wanted = {(page_id, language) for page_id, language in pages}
    page_ids = {page_id for page_id, _language in wanted}
    return [
        url for url in PageUrl.objects.filter(page_id__in=page_ids) if (url.page_id, url.language) in wanted
    ]


def _restore_page_urls(urls: list[Any]) -> None:
    """Put the PageUrls of adopted pages back as they were before the deploy rebuilt them.

    Before adoption the site served these URLs; the deploy derives URLs from the content's
    slugs, which on an old site may differ from the URL django CMS stored (e.g. a slug
    changed on the URL only). What the visitors used stays.
    """
    from cms.models import PageUrl

    if not urls:
        return
    current = {url.pk: url for url in PageUrl.objects.filter(pk__in=[url.pk for url in urls])}
    changed = [
        url
        for url in urls
        if url.pk in current
        and (current[url.pk].path, current[url.pk].slug, current[url.pk].managed)
        != (url.path, url.slug, url.managed)
    ]
    if changed:
        PageUrl.objects.bulk_update(changed, ["path", "slug", "managed"], batch_size=BATCH_SIZE)


def adopt_on_migrate(*, using: str, verbosity: int = 1, stdout: Any = None) -> AdoptionReport | None:
    """The ``post_migrate`` step: adopt on first install, else say what is left to adopt.

    On a database where no release exists yet and ``ADOPT_ON_MIGRATE`` is true (the
    default), existing content is adopted at once, so ``migrate`` never takes a site
    offline. Otherwise, if content without a Version exists, a notice names the
    ``adopt_existing_content`` command. Nothing happens on a djangocms-versioning site
    (``import_djangocms_versioning`` moves those) or on another database than the one
    releases are written to.

    :returns: the report of an adoption, else ``None``.
    """
    if using != _db_for(Release):
        return None
    from .imports import has_djangocms_versioning_table

    if has_djangocms_versioning_table(using):
        return None
    counts = count_unversioned()
    if not counts:
        return None
    write = stdout.write if stdout is not None else print
    if conf.ADOPT_ON_MIGRATE and not Release.objects.exists():
        report = adopt_existing_content()
        if verbosity >= 1:
            write(
                f"Release versioning: the existing content ({_counts_text(report.adopted)}) is now "
                f"live as release {report.release}; the public site serves what it served before.\n"
            )
        return report
    if verbosity >= 1:
        write(
            f"Release versioning: {_counts_text(counts)} without a release — not public. Run "
            f"'manage.py adopt_existing_content' to make it live as it is (see the installation docs).\n"
        )
    return None


def _counts_text(counts: dict[str, int]) -> str:
    return ", ".join(f"{count} {label}" for label, count in sorted(counts.items()))
