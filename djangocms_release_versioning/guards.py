"""Deploy guards: checks that refuse a lock or a deploy unless the caller confirms.

A *guard* looks at what a lock or a deploy would do and finds the groupings that a release
manager should see before it happens — e.g. live content that would go offline although
nobody hid it (``would_go_offline``, DESIGN §9.1.10). When a guard finds something and the
caller did not confirm it, the operation is refused with a ``ValidationError`` carrying the
guard's ``code`` and a message that lists the groupings; nothing is written. When the caller
confirms (``allow_offline=True``, ``--allow-offline``, the checkbox of the confirmation page),
the operation goes ahead and the confirmed findings are written to the audit entry of the
lock or deploy (``details["confirmed"]``).

One list, :data:`GUARDS`, drives everything, so a guard is written once and shows up
everywhere:

* :func:`~djangocms_release_versioning.services.lock_release` and
  :func:`~djangocms_release_versioning.services.deploy_release` call :func:`enforce`;
* the dry run (``deploy_release(dry_run=True)``) runs the same deploy, so it runs the same
  guards; :attr:`.DeployManifest.findings` holds what they found;
* the commands add one ``store_true`` option per guard (:attr:`DeployGuard.cli_flag`) and the
  admin/toolbar confirmation pages one checkbox per finding (named :attr:`DeployGuard.option`).

Adding a guard
--------------
1. Subclass :class:`DeployGuard`: set ``code`` (the ``ValidationError`` code), ``option``
   (the keyword argument that confirms it, e.g. ``"allow_revert"``), ``stages`` (``LOCK``
   and/or ``DEPLOY``), the texts (``title``, ``explanation``, ``checkbox_label``,
   ``cli_help``), and implement
   :meth:`DeployGuard.find` returning :class:`GuardRow` objects (use :func:`describe_rows` to
   fill in model, name and language with one query per content model). Override
   :meth:`DeployGuard.applies` to skip situations where the guard makes no sense (the default
   skips rollbacks: a rollback is an explicit, intended revert).
2. Append an instance to :data:`GUARDS`.
3. Give the service the keyword argument (``allow_revert: bool = False``) and pass it on to
   :func:`enforce` (``guards.enforce(context, allow_offline=…, allow_revert=…)``); the commands
   and confirmation pages pick the new guard up from :data:`GUARDS` on their own.
4. Test the refusal, the confirmation (and its audit entry) and the dry run; document the code
   in docs/reference/permissions.rst and the option in docs/reference/commands.rst.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar

from django.core.exceptions import ValidationError
from django.utils.translation import gettext, gettext_lazy, ngettext

from . import registry

if TYPE_CHECKING:
    from .manifest import DeployManifest
    from .models import Release

LOCK = "lock"
DEPLOY = "deploy"

#: How many groupings a refusal message names; the rest are counted.
ROWS_IN_MESSAGE = 10


@dataclass
class GuardRow:
    """One grouping a guard found: what it is and why it is listed.

    ``reason`` is a short, stable word (``draft``, ``parked``, ``missing`` …) that the guard
    documents; ``reason_label`` the same for people.
    """

    content_type_id: int
    grouping_key: str
    reason: str
    reason_label: str = ""
    object_id: int | None = None
    model: str = ""
    name: str = ""
    language: str = ""

    def describe(self) -> str:
        """``page content "About us" (en): draft`` — for messages and the command line."""
        text = f'{self.model} "{self.name}"' if self.name else f"{self.model} {self.grouping_key}"
        if self.language:
            text = f"{text} ({self.language})"
        return f"{text}: {self.reason_label or self.reason}"

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready (audit details, ``deploy_release --format json``)."""
        return {
            "model": self.model,
            "name": self.name,
            "language": self.language,
            "grouping": self.grouping_key,
            "object_id": self.object_id,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class GuardContext:
    """What a guard looks at: the ``release`` being locked or deployed, the ``live`` release
    (None when nothing is live) and the ``manifest`` of public changes between them."""

    stage: str
    release: Release
    live: Release | None
    manifest: DeployManifest
    rollback: bool = False


class DeployGuard:
    """Base class of a guard; see the module docstring for how to add one."""

    #: ``ValidationError`` code of the refusal, e.g. ``"would_go_offline"``.
    code: ClassVar[str] = ""
    #: Keyword argument of the services that confirms the findings, e.g. ``"allow_offline"``.
    option: ClassVar[str] = ""
    #: Where the guard runs: ``{LOCK, DEPLOY}``.
    stages: ClassVar[frozenset[str]] = frozenset({DEPLOY})
    #: Heading of the list on confirmation pages.
    title: ClassVar[Any] = ""
    #: One or two sentences under the heading: what happens, what to do instead.
    explanation: ClassVar[Any] = ""
    #: Label of the confirming checkbox.
    checkbox_label: ClassVar[Any] = ""
    #: Help of the command-line option.
    cli_help: ClassVar[str] = ""

    @property
    def cli_flag(self) -> str:
        """``--allow-offline`` for ``option = "allow_offline"``."""
        return "--" + self.option.replace("_", "-")

    def applies(self, context: GuardContext) -> bool:
        """Whether the guard runs at all; by default not for rollbacks (an intended revert)."""
        return context.stage in self.stages and not context.rollback

    def find(self, context: GuardContext) -> list[GuardRow]:
        """The groupings to confirm (empty: nothing to confirm). Must not write."""
        raise NotImplementedError

    def message(self, context: GuardContext, rows: list[GuardRow]) -> str:
        """The refusal message (plain text; pages escape it)."""
        raise NotImplementedError


@dataclass
class GuardFinding:
    """What one guard found for one lock or deploy, and whether the caller confirmed it."""

    guard: DeployGuard
    rows: list[GuardRow]
    message: str
    confirmed: bool = False

    @property
    def code(self) -> str:
        return self.guard.code

    @property
    def option(self) -> str:
        return self.guard.option

    def error(self) -> ValidationError:
        return ValidationError(self.message, code=self.code)

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "option": self.option,
            "confirmed": self.confirmed,
            "message": self.message,
            "rows": [row.as_dict() for row in self.rows],
        }


def _listing(rows: list[GuardRow]) -> str:
    shown = "; ".join(row.describe() for row in rows[:ROWS_IN_MESSAGE])
    rest = len(rows) - ROWS_IN_MESSAGE
    if rest > 0:
        shown += " " + ngettext("and %(count)s more", "and %(count)s more", rest) % {"count": rest}
    return shown


def describe_rows(rows: list[GuardRow]) -> list[GuardRow]:
    """Fill in ``model``, ``name`` and ``language`` of ``rows`` (needs ``object_id``).

    One query per content model (not per row). Names come from ``str(content)``; the language
    from a ``language`` field when the model has one.
    """
    by_type: dict[int, list[GuardRow]] = {}
    for row in rows:
        by_type.setdefault(row.content_type_id, []).append(row)
    for content_type_id, typed in by_type.items():
        item = registry.for_content_type_id(content_type_id)
        if item is None:
            continue
        model = item.content_model
        ids = {row.object_id for row in typed if row.object_id is not None}
        contents = model._base_manager.in_bulk(ids) if ids else {}
        for row in typed:
            row.model = str(model._meta.verbose_name)
            content = contents.get(row.object_id)
            if content is not None:
                row.name = str(content)
                row.language = str(getattr(content, "language", "") or "")
            elif not row.language:
                row.language = _language_from_key(row.grouping_key)
    return rows


def _language_from_key(grouping_key: str) -> str:
    """The last grouping value when it looks like a language code (``[12, "en"]`` → ``en``)."""
    try:
        values = json.loads(grouping_key)
    except ValueError:
        return ""
    if isinstance(values, list) and len(values) > 1 and isinstance(values[-1], str):
        return values[-1]
    return ""


class WouldGoOffline(DeployGuard):
    """Live content that would stop being public although nobody hid it (DESIGN §9.1.10).

    A grouping is listed when it is public in the live release and, in the release, its row
    is a ``draft`` (e.g. an edit nobody approved), ``parked`` (``future``), or ``missing``
    (the release has no row for it: a draft copy was deleted, or the release was not branched
    from the live one). Explicitly hidden rows (``active=False``, ``deactivate()`` / "Hide in
    this release") are the intended way to take content offline and are never listed.
    Runs at lock and at deploy; not for rollbacks.

    Cost: it reads only the groupings the manifest says would leave the public site (the
    manifest follows the number of changed groupings when the release was branched from the
    live one), one query per content model for their rows and one for their names.
    """

    code = "would_go_offline"
    option = "allow_offline"
    stages = frozenset({LOCK, DEPLOY})
    title = gettext_lazy("Live content that would go offline")
    explanation = gettext_lazy(
        "Visitors see this content now; with this release they would not, although nobody hid "
        "it: its row in the release is a draft, parked, or missing. Tick the box to go ahead."
    )
    checkbox_label = gettext_lazy("Take this content offline (I checked the list above)")
    cli_help = (
        "Confirm that live content may go offline although it was not hidden: its row in the "
        "release is a draft, parked or missing. Without it such a release is refused."
    )

    REASONS: ClassVar[dict[str, Any]] = {
        "draft": gettext_lazy("draft, not approved"),
        "parked": gettext_lazy("parked for a later release"),
        "missing": gettext_lazy("not in the release"),
    }

    def find(self, context: GuardContext) -> list[GuardRow]:
        from .constants import FUTURE
        from .manifest import REMOVED, fetch_versions

        leaving = [change for change in context.manifest.changes if change.kind == REMOVED]
        if not leaving:
            return []
        mine = fetch_versions(context.release, {(c.content_type_id, c.grouping_key) for c in leaving})
        rows = []
        for change in leaving:
            version = mine.get((change.content_type_id, change.grouping_key))
            if version is not None and not version.active:
                continue  # hidden on purpose
            reason = "missing" if version is None else "parked" if version.status == FUTURE else "draft"
            # Named as visitors know it: by the live content that would go.
            live_object_id = change.old.object_id if change.old is not None else None
            rows.append(
                GuardRow(
                    change.content_type_id,
                    change.grouping_key,
                    reason,
                    str(self.REASONS[reason]),
                    object_id=live_object_id if live_object_id is not None else version.object_id,
                )
            )
        return describe_rows(rows)

    def message(self, context: GuardContext, rows: list[GuardRow]) -> str:
        params = {"release": context.release.version, "count": len(rows), "rows": _listing(rows)}
        if context.stage == LOCK:
            return (
                ngettext(
                    "Locking release %(release)s would take %(count)s live object offline that nobody "
                    "hid: %(rows)s. Approve it in the release (or hide it there on purpose), or "
                    "confirm (allow_offline, --allow-offline, the checkbox).",
                    "Locking release %(release)s would take %(count)s live objects offline that nobody "
                    "hid: %(rows)s. Approve them in the release (or hide them there on purpose), or "
                    "confirm (allow_offline, --allow-offline, the checkbox).",
                    len(rows),
                )
                % params
            )
        return (
            ngettext(
                "Deploying release %(release)s would take %(count)s live object offline that nobody "
                "hid: %(rows)s. Deploy a release that keeps it (branch one from %(release)s and "
                "approve or hide it there), or confirm (allow_offline, --allow-offline, the checkbox).",
                "Deploying release %(release)s would take %(count)s live objects offline that nobody "
                "hid: %(rows)s. Deploy a release that keeps them (branch one from %(release)s and "
                "approve or hide them there), or confirm (allow_offline, --allow-offline, the checkbox).",
                len(rows),
            )
            % params
        )


class WouldRevert(DeployGuard):
    """Groupings the live line changed since the release forked that deploying it would put
    back (DESIGN §9.1.11).

    A grouping is listed when the live release's row differs from the fork point's (see
    :mod:`~djangocms_release_versioning.lineage`: e.g. ``v2`` went live after ``v3`` was
    branched from ``v1``, or a hotfix shipped since), the release still has the fork point's
    row, and what visitors see would change. Rebasing the release
    (:func:`~djangocms_release_versioning.services.rebase_release`) takes the live rows and
    clears the finding. Runs at deploy; not for rollbacks (the intended revert).

    Cost: the rows the live line changed since the fork point, not the size of the site.
    """

    code = "would_revert"
    option = "allow_revert"
    stages = frozenset({DEPLOY})
    title = gettext_lazy("Live changes this deploy would revert")
    explanation = gettext_lazy(
        "The live site changed this content after this release was branched, and this release "
        "still has the old content: deploying it would put the old content back. Rebase the "
        "release to keep the live changes, or confirm below to revert them."
    )
    checkbox_label = gettext_lazy("Revert these live changes (I checked the list above)")
    cli_help = (
        "Confirm that the deploy may revert groupings the live line changed since the release "
        "was branched (it was branched from an older release, or hotfixes shipped since). "
        "Without it such a release is refused; rebase_release brings it up to date instead."
    )

    def find(self, context: GuardContext) -> list[GuardRow]:
        from .lineage import divergence

        if context.live is None:
            return []
        found = divergence(context.release, context.live.pk)
        reverting = found.reverting
        if not reverting:
            return []
        rows = [
            GuardRow(
                row.content_type_id,
                row.grouping_key,
                "reverts",
                object_id=(row.live or row.mine).object_id,
            )
            for row in reverting
        ]
        describe_rows(rows)
        names = _release_names({found.fork_id} | {row.changed_by for row in reverting})
        mine = describe_rows(
            [
                GuardRow(r.content_type_id, r.grouping_key, "", object_id=r.mine.object_id)
                for r in reverting
                if r.mine
            ]
        )
        mine_names = {(r.content_type_id, r.grouping_key): r.name for r in mine}
        for row, diverged in zip(rows, reverting, strict=True):
            row.reason_label = gettext(
                "changed live by %(changer)s, now %(live)s; this release still has %(mine)s from %(fork)s"
            ) % {
                "changer": names.get(diverged.changed_by, "?"),
                "live": _shown(diverged.live, row.name),
                "mine": _shown(diverged.mine, mine_names.get(diverged.key, "")),
                "fork": names.get(found.fork_id, "?"),
            }
        return rows

    def message(self, context: GuardContext, rows: list[GuardRow]) -> str:
        return ngettext(
            "Deploying release %(release)s would revert %(count)s change the live line made since "
            "%(release)s was branched: %(rows)s. Rebase it first (rebase_release --release-version "
            "%(release)s), or confirm (allow_revert, --allow-revert, the checkbox).",
            "Deploying release %(release)s would revert %(count)s changes the live line made since "
            "%(release)s was branched: %(rows)s. Rebase it first (rebase_release --release-version "
            "%(release)s), or confirm (allow_revert, --allow-revert, the checkbox).",
            len(rows),
        ) % {"release": context.release.version, "count": len(rows), "rows": _listing(rows)}


def _release_names(pks: set[int | None]) -> dict[int, str]:
    from .models import Release

    return dict(Release.objects.filter(pk__in={pk for pk in pks if pk}).values_list("pk", "version"))


def _shown(version: Any, name: str) -> str:
    """``"About us" (#12)``, ``hidden "About us" (#12)``, ``a draft (#12)`` or ``nothing``."""
    if version is None:
        return gettext("nothing")
    label = f'"{name}" (#{version.object_id})' if name else f"#{version.object_id}"
    from .constants import APPROVED

    if not version.active:
        return gettext("hidden %(content)s") % {"content": label}
    if version.status != APPROVED:
        return gettext("%(content)s, not approved") % {"content": label}
    return label


#: Every guard, in the order they run. Append new guards here.
GUARDS: list[DeployGuard] = [WouldGoOffline(), WouldRevert()]


def guards_for(stage: str) -> list[DeployGuard]:
    """The guards that run at ``stage`` (``LOCK`` or ``DEPLOY``)."""
    return [guard for guard in GUARDS if stage in guard.stages]


def find(context: GuardContext) -> list[GuardFinding]:
    """What every applicable guard finds (unconfirmed); never raises for findings."""
    findings = []
    for guard in GUARDS:
        if not guard.applies(context):
            continue
        rows = guard.find(context)
        if rows:
            findings.append(GuardFinding(guard, rows, guard.message(context, rows)))
    return findings


def enforce(context: GuardContext, **confirmations: bool) -> list[GuardFinding]:
    """Run the guards; refuse what was not confirmed.

    :param confirmations: the services' confirming keyword arguments, e.g.
        ``allow_offline=True``; an option nobody passes counts as not confirmed.
    :returns: every finding, each with ``confirmed`` set (for the audit entry and the dry run).
    :raises ValidationError: one error per unconfirmed finding, each with its guard's code.
    :raises TypeError: an unknown confirmation keyword (a programming error).
    """
    known = {guard.option for guard in GUARDS}
    unknown = set(confirmations) - known
    if unknown:
        raise TypeError(f"Unknown guard confirmation(s): {', '.join(sorted(unknown))}")
    findings = find(context)
    for finding in findings:
        finding.confirmed = bool(confirmations.get(finding.option, False))
    refused = [finding.error() for finding in findings if not finding.confirmed]
    if refused:
        raise ValidationError(refused)
    return findings


def audit_details(findings: list[GuardFinding]) -> dict[str, Any]:
    """``{"confirmed": {code: [row, …]}}`` for the audit entry, or ``{}`` when nothing was."""
    confirmed = {f.code: [row.as_dict() for row in f.rows] for f in findings if f.confirmed}
    return {"confirmed": confirmed} if confirmed else {}


def confirmations_from(data: Mapping[str, Any], stage: str) -> dict[str, bool]:
    """The confirming keyword arguments ticked in a submitted form (checkbox per guard)."""
    return {guard.option: bool(data.get(guard.option)) for guard in guards_for(stage)}


def everything_confirmed(stage: str) -> dict[str, bool]:
    """Every guard of ``stage`` confirmed: to compute a preview that lists all findings."""
    return {guard.option: True for guard in guards_for(stage)}


def lock_context(release: Release, live: Release | None) -> GuardContext:
    """The guard context of locking ``release`` while ``live`` is live (reads, never writes)."""
    from .manifest import compute_manifest

    return GuardContext(LOCK, release, live, compute_manifest(live, release))


def preview_lock(release: Release) -> list[GuardFinding]:
    """The findings locking ``release`` now would have to confirm (writes nothing)."""
    from .models import Release as ReleaseModel

    live = ReleaseModel.objects.live()
    if live is None or live.pk == release.pk:
        return []
    return find(lock_context(release, live))
