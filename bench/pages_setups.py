"""The three setups of the page benchmark: how each one builds, publishes and edits a page.

* ``ours``: djangocms-release-versioning. Pages are created in the automatically opened
  release ``v1``, which is approved, locked and deployed; "Edit" is ``services.create_draft``
  in an open release branched from the live one and, over HTTP, the content action ``edit``
  of the release admin (the toolbar's Edit), where the package has it.
* ``dv``: djangocms-versioning 2.8.0. The template page is published through its Version;
  clones get published Versions; "Edit" is ``Version.copy`` (what its edit redirect calls)
  and, separately, the ``edit_redirect`` admin view over HTTP.
* ``plain``: django CMS without versioning; every content is public, "Edit" does not exist.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pages_build import (
    LANGUAGE,
    ClonedSite,
    TemplatePage,
    add_version_rows,
    clone_site,
    create_template_page,
    finish_clone,
)


def timed(label: str, timings: dict[str, float], call: Callable[[], Any]) -> Any:
    """Run ``call`` and store its wall time in seconds under ``label``."""
    start = time.perf_counter()
    result = call()
    timings[label] = round(time.perf_counter() - start, 3)
    return result


class Setup:
    """Build steps and "Edit" of one setup; subclasses fill in the versioning parts."""

    name = "plain"
    version_table = ""
    has_edit = False

    def build(self, size: int, user: Any, timings: dict[str, float]) -> ClonedSite:
        """Create the template page, clone it to ``size`` pages and publish everything."""
        template = timed("template page", timings, lambda: create_template_page(user))
        self.publish_template(template, user)
        site = timed("clone rows", timings, lambda: clone_site(template, size))
        timed("version rows", timings, lambda: self.add_versions(template, site))
        finish_clone(site)
        self.after_clone(site, user, timings)
        return site

    def publish_template(self, template: TemplatePage, user: Any) -> None:
        """Make the template page public before it is cloned (if the setup needs it)."""

    def add_versions(self, template: TemplatePage, site: ClonedSite) -> None:
        """Add the versioning rows of the cloned contents."""

    def after_clone(self, site: ClonedSite, user: Any, timings: dict[str, float]) -> None:
        """Publishing steps that run once every row exists."""

    def live_content(self, page_pk: int) -> Any:
        """The public PageContent of a page."""
        from cms.models import PageContent

        return PageContent.objects.get(page_id=page_pk, language=LANGUAGE)

    def edit(self, content: Any, user: Any) -> Callable[[], Any]:
        """The first "Edit" on live content, as a call returning the editable content row.

        Lookups that only find the object to act on run before, outside the measurement.
        """
        return lambda: content

    def edit_http(self, client: Any, content: Any) -> Any:
        """The "Edit" click over HTTP, where the setup has one; None otherwise."""
        return None


class PlainSetup(Setup):
    name = "plain"


class DvSetup(Setup):
    name = "dv"
    version_table = "djangocms_versioning_version"
    has_edit = True

    def publish_template(self, template: TemplatePage, user: Any) -> None:
        from djangocms_versioning.models import Version

        Version.objects.get_for_content(template.content).publish(user)

    def add_versions(self, template: TemplatePage, site: ClonedSite) -> None:
        from djangocms_versioning.models import Version

        add_version_rows(Version, Version.objects.get_for_content(template.content), site)

    def edit(self, content: Any, user: Any) -> Callable[[], Any]:
        from djangocms_versioning.models import Version

        version = Version.objects.get_for_content(content)
        return lambda: version.copy(user).content

    def edit_http(self, client: Any, content: Any) -> Any:
        from django.urls import reverse
        from djangocms_versioning.models import Version

        version = Version.objects.get_for_content(content)
        url = reverse("admin:djangocms_versioning_pagecontentversion_edit_redirect", args=[version.pk])
        return client.post(url)


class OursSetup(Setup):
    name = "ours"
    version_table = "djangocms_release_versioning_version"
    has_edit = True

    def add_versions(self, template: TemplatePage, site: ClonedSite) -> None:
        from cms.models import PageContent

        from djangocms_release_versioning import registry
        from djangocms_release_versioning.models import Version

        item = registry.for_model(PageContent)
        template_version = Version.objects.get(content_type=item.content_type, object_id=template.content.pk)

        def grouping(page_pk: int, content_pk: int) -> dict[str, Any]:
            return {"grouping_key": item.grouping_key(PageContent(page_id=page_pk, language=LANGUAGE))}

        add_version_rows(Version, template_version, site, grouping)

    def after_clone(self, site: ClonedSite, user: Any, timings: dict[str, float]) -> None:
        from djangocms_release_versioning import services

        timed("approve_release v1", timings, lambda: services.approve_release("v1"))
        timed("lock_release v1", timings, lambda: services.lock_release("v1"))
        timed("deploy_release v1", timings, lambda: services.deploy_release("v1"))

    def grow_releases(self, total: int, timings: dict[str, float], *, fast_lock: bool = False) -> None:
        """Branch and lock releases until there are ``total``.

        ``v2`` … ``v{total - 1}`` are branched (``services.create_release``) and locked, the
        newest locked one is deployed, and ``v{total}`` stays open as the working release.
        Locking uses ``services.lock_release``; with ``fast_lock`` the unchanged branch takes
        its base's fingerprints in one UPDATE instead (the digests are equal by construction:
        same content rows, status and active flag), which keeps 5,000-page sites quick.
        """
        from djangocms_release_versioning import services
        from djangocms_release_versioning.models import Release

        start = time.perf_counter()
        previous = Release.objects.get(version="v1")
        for number in range(2, total):
            release = services.create_release(f"v{number}", based_on=previous)
            previous = copy_lock(release, previous) if fast_lock else services.lock_release(release)
        label = "fast lock" if fast_lock else "lock_release"
        timings[f"branch+{label} v2..v{total - 1}"] = round(time.perf_counter() - start, 3)
        if previous.version != "v1":
            timed(f"deploy_release {previous.version}", timings, lambda: services.deploy_release(previous))
        timed(
            f"create_release v{total} (open)",
            timings,
            lambda: services.create_release(f"v{total}", based_on=previous),
        )

    def edit(self, content: Any, user: Any) -> Callable[[], Any]:
        from djangocms_release_versioning import services

        return lambda: services.create_draft(content, user=user)

    def edit_http(self, client: Any, content: Any) -> Any:
        """POST the content action "edit" (the toolbar's Edit), where this version has it."""
        from django.contrib.contenttypes.models import ContentType
        from django.urls import NoReverseMatch, reverse

        content_type = ContentType.objects.get_for_model(content)
        try:
            url = reverse(
                "admin:djangocms_release_versioning_release_content_action",
                args=[content_type.pk, content.pk, "edit"],
            )
        except NoReverseMatch:
            return None
        return client.post(url)


def copy_lock(release: Any, base: Any) -> Any:
    """Lock an unchanged branch of ``base`` by copying ``base``'s fingerprints (benchmark only)."""
    from django.db import transaction
    from django.db.models import OuterRef, Subquery
    from django.utils import timezone

    from djangocms_release_versioning.models import Release, Version

    same = Version.objects.filter(
        release=base, content_type=OuterRef("content_type"), grouping_key=OuterRef("grouping_key")
    ).values("fingerprint")[:1]
    with transaction.atomic():
        Version.objects.filter(release=release).update(fingerprint=Subquery(same))
        Release.objects.filter(pk=release.pk).update(
            is_locked=True, locked_at=timezone.now(), fingerprint=base.fingerprint
        )
    return Release.objects.get(pk=release.pk)


SETUPS: dict[str, type[Setup]] = {"ours": OursSetup, "dv": DvSetup, "plain": PlainSetup}
