"""Fault injection: an exception at any step of branch, deploy or rollback changes nothing.

Every test snapshots every row of every table, injects an exception at one step of the
operation (before or after the step's own work), and compares the database with the
snapshot (DESIGN §3.6, §8 "Faults").

The full step matrix runs inside the test-case transaction (the service's transaction is
then a savepoint, whose rollback restores exactly the same rows). The ``REAL_TRANSACTION``
tests run without a surrounding transaction, so the service's own transaction commits or
rolls back for real, and check that the after-commit cache invalidation runs only when the
deploy commits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import connection

from djangocms_release_versioning import pages, registry, services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Deployment, LiveRelease, Release, Version
from djangocms_release_versioning.services import deploy as deploy_service
from djangocms_release_versioning.services import releases as release_service
from djangocms_release_versioning.signals import release_created, release_deployed, release_deploying
from tests.dbstate import differences, row_count, snapshot
from tests.factories import ArticleContentFactory, SnippetContentFactory
from tests.testapp.cms_config import HOOK_CALLS
from tests.testapp.models import ArticleContent

pytestmark = pytest.mark.django_db
REAL_TRANSACTION = pytest.mark.django_db(transaction=True)
SCENARIOS = ("first_deploy", "deploy", "rollback")


class InjectedFault(Exception):
    """The exception the tests inject; nothing in the package may swallow it."""


@contextmanager
def raises_injected() -> Iterator[None]:
    """The injected fault escapes as it is, or — from a VersionableItem hook — as the
    ``__cause__`` of a ``hook_failed`` refusal (the deploy names the hook and the object)."""
    try:
        yield
    except InjectedFault:
        return
    except ValidationError as error:
        assert error.code == "hook_failed", error
        assert isinstance(error.__cause__, InjectedFault)
        return
    pytest.fail("no fault was raised")


# -- site scenarios ---------------------------------------------------------------------


@dataclass
class Site:
    """Two releases: ``r1`` locked (and, depending on the scenario, deployed), ``r2`` locked."""

    r1: Release
    r2: Release | None


def _superuser() -> Any:
    return get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")


def _page(title: str, user: Any, parent: Any = None) -> Any:
    from cms.api import create_page

    return create_page(title, "page.html", "en", created_by=user, parent=parent)


def _page_content(page: Any) -> Any:
    from cms.models import PageContent

    return PageContent.admin_manager.filter(page=page, language="en").get()


def _fill_r1(user: Any) -> dict[str, Any]:
    """r1: two articles (one with a plugin), a snippet and a page with a child page."""
    from cms.api import add_plugin

    with_plugin = ArticleContentFactory(title="with plugin")
    add_plugin(with_plugin.placeholders.get_or_create(slot="content")[0], "TextPlugin", "en", body="hi")
    home = _page("Home", user)
    return {
        "with_plugin": with_plugin,
        "hidden_later": ArticleContentFactory(title="hidden later"),
        "snippet": SnippetContentFactory(),
        "home": home,
        "child": _page("Child", user, parent=home),
    }


def _fill_r2(r2: Release, r1_content: dict[str, Any], user: Any) -> None:
    """r2: an edited article, a hidden article, a new article, a renamed page, a new page."""
    edited = services.create_draft(r1_content["with_plugin"], user=None, release=r2)
    edited.title = "edited in v2"
    edited.save()
    services.transition(r1_content["hidden_later"], "deactivate", release=r2)
    child = services.create_draft(_page_content(r1_content["child"]), user=None, release=r2)
    child.slug = "renamed-child"
    child.save()
    with use_release(r2):
        ArticleContentFactory(title="new in v2")
        _page("New page", user, parent=r1_content["home"])


def build_site(scenario: str) -> Site:
    """``first_deploy``: r1 locked, nothing live. ``deploy``: r1 live, r2 locked.
    ``rollback``: r2 live after r1, so r1 can be rolled back to."""
    user = _superuser()
    r1 = services.create_release("v1")
    with use_release(r1):
        content = _fill_r1(user)
    services.approve_release(r1)
    services.lock_release(r1)
    if scenario == "first_deploy":
        return Site(r1=_fresh(r1), r2=None)
    services.deploy_release(r1)
    r2 = services.create_release("v2", based_on=r1)
    _fill_r2(r2, content, user)
    services.approve_release(r2)
    services.lock_release(r2)
    if scenario == "rollback":
        services.deploy_release(r2)
    return Site(r1=_fresh(r1), r2=_fresh(r2))


def _fresh(release: Release) -> Release:
    return Release.objects.get(pk=release.pk)


def run_operation(scenario: str, site: Site) -> Any:
    """The operation under test for ``scenario``."""
    if scenario == "first_deploy":
        return services.deploy_release(site.r1)
    if scenario == "deploy":
        return services.deploy_release(site.r2)
    return services.deploy_release(site.r1, rollback=True)


def expected_live(scenario: str, site: Site) -> Release:
    return site.r2 if scenario == "deploy" else site.r1


# -- fault injection --------------------------------------------------------------------


def failing(original: Callable[..., Any], when: str, name: str) -> Callable[..., Any]:
    """Wrap ``original`` so that it raises InjectedFault before or after doing its work."""

    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if when == "before":
            raise InjectedFault(f"before {name}")
        original(*args, **kwargs)
        raise InjectedFault(f"after {name}")

    return wrapper


@contextmanager
def fault_in_function(owner: Any, name: str, when: str) -> Iterator[None]:
    """Make ``owner.name`` raise (``when`` is ``before`` or ``after`` its own work)."""
    original = getattr(owner, name)
    with mock.patch.object(owner, name, failing(original, when, name)):
        yield


@contextmanager
def fault_in_receiver(signal: Any) -> Iterator[None]:
    """Connect a receiver to ``signal`` that raises (it runs after the package's receivers)."""

    def receiver(**kwargs: Any) -> None:
        raise InjectedFault(f"receiver of {signal!r}")

    signal.connect(receiver, dispatch_uid="test_faults_receiver", weak=False)
    try:
        yield
    finally:
        signal.disconnect(dispatch_uid="test_faults_receiver")


@contextmanager
def fault_in_hook(hook: str) -> Iterator[None]:
    """Make the ArticleContent VersionableItem's ``hook`` raise after its own work."""
    item = registry.for_model(ArticleContent)
    with mock.patch.object(item, hook, failing(getattr(item, hook), "after", hook)):
        yield


DEPLOY_FAULTS: dict[str, Callable[[], Any]] = {
    "before _lock_pointer": lambda: fault_in_function(deploy_service, "_lock_pointer", "before"),
    "after _lock_pointer": lambda: fault_in_function(deploy_service, "_lock_pointer", "after"),
    "after compute_manifest": lambda: fault_in_function(deploy_service, "compute_manifest", "after"),
    "before _switch_pointer": lambda: fault_in_function(deploy_service, "_switch_pointer", "before"),
    "after _switch_pointer": lambda: fault_in_function(deploy_service, "_switch_pointer", "after"),
    "before _record_deployment": lambda: fault_in_function(deploy_service, "_record_deployment", "before"),
    "after _record_deployment": lambda: fault_in_function(deploy_service, "_record_deployment", "after"),
    "after audit record": lambda: fault_in_function(deploy_service, "record", "after"),
    "before _run_hooks": lambda: fault_in_function(deploy_service, "_run_hooks", "before"),
    "after _run_hooks": lambda: fault_in_function(deploy_service, "_run_hooks", "after"),
    "in on_publish hook": lambda: fault_in_hook("on_publish"),
    "in on_unpublish hook": lambda: fault_in_hook("on_unpublish"),
    "after page url rebuild": lambda: fault_in_function(pages, "rebuild_page_urls", "after"),
    "in release_deployed receiver": lambda: fault_in_receiver(release_deployed),
    "in release_deploying receiver": lambda: fault_in_receiver(release_deploying),
    "after _invalidate_caches_on_commit": lambda: fault_in_function(
        deploy_service, "_invalidate_caches_on_commit", "after"
    ),
}

#: Faults that cannot happen in a scenario (the step is never reached).
UNREACHABLE = {("first_deploy", "in on_unpublish hook")}

DEPLOY_CASES = [
    pytest.param(scenario, fault, id=f"{scenario}: {fault}")
    for scenario in SCENARIOS
    for fault in DEPLOY_FAULTS
    if (scenario, fault) not in UNREACHABLE
]


@pytest.mark.parametrize(("scenario", "fault"), DEPLOY_CASES)
def test_deploy_fault_changes_nothing(scenario: str, fault: str) -> None:
    site = build_site(scenario)
    before = snapshot()
    with DEPLOY_FAULTS[fault](), raises_injected():
        run_operation(scenario, site)
    assert differences(before, snapshot()) == []


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_snapshot_sees_an_unfaulted_deploy(scenario: str) -> None:
    """Control: the same operation without a fault changes the snapshot and runs every step."""
    site = build_site(scenario)
    HOOK_CALLS.clear()
    before = snapshot()
    run_operation(scenario, site)
    changed = " ".join(differences(before, snapshot()))
    for table in ("liverelease", "deployment", "auditentry", "cms_pageurl"):
        assert table in changed
    assert HOOK_CALLS, "the VersionableItem hooks were not called"
    assert Release.objects.live() == expected_live(scenario, site)


# -- real transactions ------------------------------------------------------------------


@pytest.fixture
def committed_invalidations() -> Iterator[list[bool]]:
    """Record page cache invalidations made after commit (``on_commit``), not mid-deploy.

    A cache cleared inside the deploy's transaction is ignored; only an invalidation
    outside any transaction is the one the deploy registered for after commit.
    """
    calls: list[bool] = []

    def invalidate() -> None:
        if not connection.in_atomic_block:
            calls.append(True)

    with mock.patch("cms.cache.invalidate_cms_page_cache", invalidate):
        yield calls


REAL_TRANSACTION_FAULTS = [
    "after _switch_pointer",
    "in release_deployed receiver",
    "after _invalidate_caches_on_commit",
]


@REAL_TRANSACTION
@pytest.mark.parametrize("fault", REAL_TRANSACTION_FAULTS)
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deploy_fault_rolls_back_for_real(
    scenario: str, fault: str, committed_invalidations: list[bool]
) -> None:
    site = build_site(scenario)
    committed_invalidations.clear()
    before = snapshot()
    with DEPLOY_FAULTS[fault](), raises_injected():
        run_operation(scenario, site)
    assert differences(before, snapshot()) == []
    assert committed_invalidations == [], "caches were invalidated for a deploy that did not commit"


@REAL_TRANSACTION
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_committed_deploy_invalidates_caches_once(scenario: str, committed_invalidations: list[bool]) -> None:
    """Control for the test above: a deploy that commits invalidates caches after commit."""
    site = build_site(scenario)
    committed_invalidations.clear()
    run_operation(scenario, site)
    assert committed_invalidations == [True]


@REAL_TRANSACTION
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_deploy_works_after_a_fault(scenario: str) -> None:
    """A failed deploy leaves nothing behind (no held lock, no half state) to trip the next."""
    site = build_site(scenario)
    with fault_in_function(deploy_service, "_run_hooks", "after"), pytest.raises(InjectedFault):
        run_operation(scenario, site)
    manifest = run_operation(scenario, site)
    assert Release.objects.live() == expected_live(scenario, site)
    assert Deployment.objects.latest().pk == manifest.deployment.pk


def test_snapshot_covers_the_whole_database() -> None:
    build_site("deploy")
    state = snapshot()
    for table in ("cms_page", "cms_pagecontent", "cms_cmsplugin", "djangocms_text_text", "auth_user"):
        assert state[table], table
    assert row_count(state) > 50


# -- deploy refusals --------------------------------------------------------------------


def _deploy_r2_then_r1_without_rollback(site: Site) -> Callable[[], Any]:
    services.deploy_release(site.r2)
    return lambda: services.deploy_release(site.r1)


REFUSED_DEPLOYS: dict[str, tuple[Callable[[Site], Callable[[], Any]], str]] = {
    "already live": (lambda site: lambda: services.deploy_release(site.r1), "already_live"),
    "live before, no rollback": (_deploy_r2_then_r1_without_rollback, "rollback_required"),
    "rollback to never deployed": (
        lambda site: lambda: services.deploy_release(site.r2, rollback=True),
        "never_deployed",
    ),
    "unknown release": (lambda site: lambda: services.deploy_release("v404"), "unknown_release"),
}


@pytest.mark.parametrize("case", list(REFUSED_DEPLOYS))
def test_refused_deploy_changes_nothing(case: str) -> None:
    prepare, code = REFUSED_DEPLOYS[case]
    operation = prepare(build_site("deploy"))
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        operation()
    assert excinfo.value.code == code
    assert differences(before, snapshot()) == []


def test_deploying_an_open_release_changes_nothing() -> None:
    build_site("deploy")
    services.create_release("v3")
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.deploy_release("v3")
    assert excinfo.value.code == "not_locked"
    assert "lock_release" in str(excinfo.value)
    assert differences(before, snapshot()) == []


def test_deploying_a_deprecated_release_changes_nothing() -> None:
    site = build_site("deploy")
    services.deprecate_release(site.r2)
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        services.deploy_release(site.r2)
    assert excinfo.value.code == "release_deprecated"
    assert differences(before, snapshot()) == []


def test_dry_run_writes_nothing() -> None:
    site = build_site("first_deploy")
    before = snapshot()
    manifest = services.deploy_release(site.r1, dry_run=True)
    assert manifest.dry_run
    assert len(manifest) > 0
    assert differences(before, snapshot()) == []
    assert not LiveRelease.objects.exists()


# -- branch -----------------------------------------------------------------------------


BRANCH_FAULTS: dict[str, Callable[[], Any]] = {
    "before _copy_versions": lambda: fault_in_function(release_service, "_copy_versions", "before"),
    "after _copy_versions": lambda: fault_in_function(release_service, "_copy_versions", "after"),
    "before audit record": lambda: fault_in_function(release_service, "record", "before"),
    "after audit record": lambda: fault_in_function(release_service, "record", "after"),
    "in release_created receiver": lambda: fault_in_receiver(release_created),
}


@pytest.fixture
def locked_base() -> Release:
    """A locked release with articles (one with a plugin), a snippet and pages."""
    return build_site("first_deploy").r1


@pytest.mark.parametrize("fault", list(BRANCH_FAULTS))
def test_branch_fault_changes_nothing(fault: str, locked_base: Release) -> None:
    before = snapshot()
    with BRANCH_FAULTS[fault](), pytest.raises(InjectedFault):
        services.create_release("v2", based_on=locked_base)
    assert differences(before, snapshot()) == []
    branch = services.create_release("v2", based_on=locked_base)
    assert (
        Version.objects.filter(release=branch).count() == Version.objects.filter(release=locked_base).count()
    )


@REAL_TRANSACTION
@pytest.mark.parametrize("fault", ["after _copy_versions", "in release_created receiver"])
def test_branch_fault_rolls_back_for_real(fault: str, locked_base: Release) -> None:
    before = snapshot()
    with BRANCH_FAULTS[fault](), pytest.raises(InjectedFault):
        services.create_release("v2", based_on=locked_base)
    assert differences(before, snapshot()) == []


def test_snapshot_sees_an_unfaulted_branch(locked_base: Release) -> None:
    before = snapshot()
    services.create_release("v2", based_on=locked_base)
    changed = " ".join(differences(before, snapshot()))
    for table in ("_release", "_version", "_auditentry"):
        assert table in changed


REFUSED_BRANCHES: dict[str, tuple[Callable[[], Any], str]] = {
    "base not locked": (lambda: services.create_release("v2", based_on="v3"), "base_not_locked"),
    "unknown base": (lambda: services.create_release("v2", based_on="v404"), "unknown_release"),
    "version taken": (lambda: services.create_release("v1", based_on="v1"), "version_taken"),
    "empty version": (lambda: services.create_release("", based_on="v1"), "version_required"),
    "blank version": (lambda: services.create_release("  ", based_on="v1"), "version_invalid_character"),
    "version too long": (lambda: services.create_release("v" * 101, based_on="v1"), "version_too_long"),
}


@pytest.mark.parametrize("case", list(REFUSED_BRANCHES))
def test_refused_branch_changes_nothing(case: str, locked_base: Release) -> None:
    operation, code = REFUSED_BRANCHES[case]
    services.create_release("v3")
    before = snapshot()
    with pytest.raises(ValidationError) as excinfo:
        operation()
    assert excinfo.value.code == code
    assert differences(before, snapshot()) == []
