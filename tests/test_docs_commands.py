"""The command walk-throughs of the docs run as written (issue 15.5).

Each listed page's ``.. code-block:: console`` blocks are read in order: every
``$ python manage.py …`` line runs with ``call_command`` against a fresh database, and every
output line the docs show must appear in what the command printed (in order; a line ``...``
is a gap; fingerprints and row ids normalised), and ``$ echo $?`` after a command shows its
exit status. A block preceded by the comment ``.. docs-test: skip`` is illustration only.
What editors do between two commands (the docs say it in words) is done by the hooks below.

A walk-through runs on one site from its first command to its last. A page whose sections
each tell their own example (the commands reference, scheduling and pruning) runs each
section on a fresh site of its own, built as the section's text says.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from io import StringIO
from pathlib import Path

import pytest
import time_machine
from cms.models import Page, PageContent
from django.core.management import CommandError, call_command

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.test_alias import make_static_alias
from tests.test_guards import start_over
from tests.test_import_djangocms_versioning import DVSite, _create_table, _drop_table

# A fixture: the history the pruning example prunes (``request.getfixturevalue("site")``).
from tests.test_pruning import site  # noqa: F401
from tests.test_toolbar_support import content_in, make_page, make_user, ship

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent / "docs"
PROMPT = "$ python manage.py "
EXIT_STATUS = "$ echo $?"
SKIP = ".. docs-test: skip"
#: The pages this module runs.
PAGES = [
    "howto/first-release.rst",
    "howto/parallel-releases.rst",
    "reference/commands.rst",
    "howto/scheduling-and-pruning.rst",
    "howto/from-djangocms-versioning.rst",
]
HEX = re.compile(r"\b[0-9a-f]{12,64}\b")
#: Row ids differ from database to database: ``#12``, a grouping key ``[3,"en"]``, ``content 3,
#: version 10`` and the ids of the JSON report.
ROW_IDS = (
    (re.compile(r"#\d+\b"), "#N"),
    (re.compile(r'\[\d+,(\\?")'), r"[N,\1"),
    (re.compile(r"\bcontent \d+, version \d+"), "content N, version N"),
    (re.compile(r'"(object_id|deployment)": \d+'), r'"\1": N'),
)
#: An RST section title's underline.
UNDERLINE = re.compile(r"([=\-~^])\1{2,}")


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0
    #: The title of the section the command is in.
    section: str = ""
    #: The exit status the docs show with ``$ echo $?`` after the command, if they do.
    exit_status: int | None = None


def steps(page: str, *, include_skipped: bool = False) -> list[Step]:
    """The commands of ``page``'s console blocks with the output the docs show for each."""
    lines = (DOCS / page).read_text().splitlines()
    found: list[Step] = []
    skip_next = False
    section = ""
    index = 0
    while index < len(lines):
        text = lines[index].strip()
        if text == SKIP:
            skip_next = True
        elif text == ".. code-block:: console":
            index += 1
            block_start = index
            while index < len(lines) and (not lines[index].strip() or lines[index].startswith("   ")):
                index += 1
            if include_skipped or not skip_next:
                found.extend(_block_steps(lines[block_start:index], block_start, section))
            skip_next = False
            continue
        elif text and index + 1 < len(lines) and UNDERLINE.fullmatch(lines[index + 1].strip()):
            section = text
        index += 1
    return found


def sections(page: str) -> list[str]:
    """The titles of ``page``'s sections that hold commands, in order."""
    return list(dict.fromkeys(step.section for step in steps(page)))


def _block_steps(block: list[str], offset: int, section: str) -> list[Step]:
    result: list[Step] = []
    status_follows = False
    for number, raw in enumerate(block, start=offset + 1):
        text = raw.strip()
        if text.startswith(PROMPT):
            result.append(Step(text[len(PROMPT) :], line=number, section=section))
        elif text == EXIT_STATUS:
            status_follows = True
        elif status_follows and text:
            result[-1].exit_status = int(text)
            status_follows = False
        elif text and not text.startswith(("#", "$")) and result:
            result[-1].expected.append(text)
    return result


def normalise(text: str) -> str:
    text = HEX.sub("HEX", " ".join(text.split()))
    for pattern, replacement in ROW_IDS:
        text = pattern.sub(replacement, text)
    return text


def run(step: Step) -> tuple[str, int]:
    """What ``step``'s command printed, and its exit status."""
    name, *args = shlex.split(step.command)
    out, err = StringIO(), StringIO()
    options = {}
    prompt = next((line for line in step.expected if "to confirm:" in line), None)
    answer = prompt.rsplit(":", 1)[1].strip() if prompt else ""
    if prompt:  # the docs show what the operator typed after the prompt
        options["stdin"] = Terminal(answer + "\n")
    try:
        call_command(name, *args, stdout=out, stderr=err, **options)
    except CommandError as error:
        # What manage.py prints (after whatever the command wrote before it refused).
        return f"{out.getvalue()}{err.getvalue()}CommandError: {error}", 1
    printed = out.getvalue() + err.getvalue()
    # A terminal echoes what the operator typed, and the line ends there.
    return (printed.replace("to confirm: ", f"to confirm: {answer}\n", 1) if prompt else printed), 0


class Terminal(StringIO):
    """What the operator types at the terminal the command asks on."""

    def isatty(self) -> bool:
        return True


def test_every_command_of_the_pages_is_in_a_console_block():
    """A ``$ python manage.py`` line outside a console block would silently not run."""
    for page in PAGES:
        assert (DOCS / page).read_text().count(PROMPT) == len(steps(page, include_skipped=True)), page


Hooks = dict[str, Callable[[], None]]


def check(page: str, hooks: Hooks, *, section: str | None = None) -> None:
    """Run ``page``'s commands (only those of ``section`` if given); ``hooks[""]`` runs
    before the first of them, ``hooks[command]`` before the first ``command``,
    ``hooks[command + "#2"]`` before the second one."""
    seen: dict[str, int] = {}
    if "" in hooks:
        hooks[""]()
    for step in steps(page):
        if section is not None and step.section != section:
            continue
        seen[step.command] = seen.get(step.command, 0) + 1
        key = step.command if seen[step.command] == 1 else f"{step.command}#{seen[step.command]}"
        if key in hooks:
            hooks[key]()
        output, status = run(step)
        documented_error = any(line.startswith("CommandError") for line in step.expected)
        assert documented_error or status == 0, f"{page}:{step.line}: `{step.command}` failed:\n{output}"
        if step.exit_status is not None:
            assert status == step.exit_status, f"{page}:{step.line}: `{step.command}` exited {status}"
        printed = normalise(output)
        position = 0
        for segment in _segments(step.expected):
            found = printed.find(segment, position)
            assert found >= 0, (
                f"{page}:{step.line}: `{step.command}` did not print\n  {segment}\nIt printed:\n{output}"
            )
            position = found + len(segment)


def _segments(expected: list[str]) -> list[str]:
    """The documented output as runs of text that must appear in order; a line ``...``
    stands for output the docs leave out, and a wrapped line continues the one before."""
    segments, current = [], []
    for line in expected:
        if line in ("...", "…"):
            segments.append(" ".join(current))
            current = []
        else:
            current.append(line)
    segments.append(" ".join(current))
    return [normalise(segment) for segment in segments if segment]


# -- docs/howto/first-release.rst ---------------------------------------------------------------


PAGE_TITLES = [
    "Home",
    "About us",
    "Team",
    "Careers",
    "Contact",
    "Services",
    "Pricing",
    "Blog",
    "Events",
    "Press",
    "Imprint",
    "Privacy",
]


class FirstRelease:
    """What the editors of first-release.rst do between the commands."""

    def __init__(self) -> None:
        self.user = make_user("editor", superuser=True)
        self.pages = []

    def edit_v1(self) -> None:
        with use_release("v1"):
            self.pages = [make_page(title, self.user) for title in PAGE_TITLES]
            parked = make_page("Parked", self.user)
        services.transition(content_in(parked, "v1"), "mark_future", user=self.user)

    def change_v1_after_unlocking(self) -> None:
        with use_release("v1"):
            services.create_draft(content_in(self.pages[1], "v1"), user=self.user)

    def fix_typo_in_patch(self) -> None:
        services.create_draft(content_in(self.pages[0], "v1.0.1"), user=self.user, release="v1.0.1")


def test_first_release_walk_through_runs_as_documented():
    editors = FirstRelease()
    check(
        "howto/first-release.rst",
        {
            "approve_release --release-version v1": editors.edit_v1,
            "approve_release --release-version v1#2": editors.change_v1_after_unlocking,
            "approve_release --release-version v1.0.1": editors.fix_typo_in_patch,
        },
    )
    assert Release.objects.live().version == "v1"


def python_block(page: str, heading: str) -> str:
    """The first ``.. code-block:: python`` after ``heading`` in ``page``, dedented."""
    text = (DOCS / page).read_text()
    rest = text[text.index(heading) :]
    lines = rest[rest.index(".. code-block:: python") :].splitlines()[1:]
    body = []
    for line in lines:
        if line.strip() and not line.startswith("   "):
            break
        body.append(line[3:])
    return "\n".join(body)


def test_the_same_in_python_runs():
    user = make_user("manager", superuser=True)
    request = type("Request", (), {"user": user})()
    exec(python_block("howto/first-release.rst", "The same in Python"), {"request": request})
    assert Release.objects.live().version == "v1"
    assert Release.objects.get(version="v2").is_deployed


# -- docs/howto/parallel-releases.rst -----------------------------------------------------------


def parallel_releases_example() -> None:
    """v1 live (About us, Contact, Team); v2 and v3 branched from it; v2 changed About us and
    is live; v3 never touched it and is locked."""
    user = make_user("editor", superuser=True)
    with use_release(services.create_release("v1")):
        about, *_others = (make_page(title, user) for title in ("About us", "Contact", "Team"))
    ship("v1")
    services.create_release("v2", based_on="v1")
    services.create_release("v3", based_on="v1")
    with use_release("v2"):
        draft = services.create_draft(content_in(about, "v2"), user=user)
        draft.title = "About us \N{EN DASH} our new team"
        draft.save()
    ship("v2")
    services.approve_release("v3")
    services.lock_release("v3")


def test_parallel_releases_walk_through_runs_as_documented():
    check("howto/parallel-releases.rst", {"deploy_release --release-version v3": parallel_releases_example})
    v3 = Release.objects.get(version="v3")
    assert v3.based_on.version == "v2" and not v3.is_locked


# -- docs/reference/commands.rst ----------------------------------------------------------------

#: When the examples with dates run: before the dates they schedule for (a one-digit day).
FROZEN_AT = datetime(2027, 1, 5, 12, 0, tzinfo=UTC)


@pytest.fixture
def berlin_time(settings):
    """The time zone the examples show times in."""
    settings.TIME_ZONE = "Europe/Berlin"


def freeze_clock(request: pytest.FixtureRequest) -> time_machine.Traveller:
    """Stop the clock at ``FROZEN_AT`` until the test ends (it moves only when told to)."""
    traveller = time_machine.travel(FROZEN_AT, tick=False)
    request.addfinalizer(traveller.stop)
    return traveller.start()


class ReferenceSite:
    """The sites of the commands reference. Most examples start from v1, live with the pages
    About us, Contact and Team; each method builds what one section's text says."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.user = make_user("editor", superuser=True)

    # -- building blocks -------------------------------------------------------------------

    def v1_live(self) -> None:
        with use_release(services.create_release("v1")):
            self.about, self.contact, self.team = (
                make_page(title, self.user) for title in ("About us", "Contact", "Team")
            )
        ship("v1")

    def edit(self, page: Page, release: str, title: str | None = None) -> None:
        """Give ``page`` a draft in ``release`` (with a new title)."""
        draft = services.create_draft(content_in(page, release), user=self.user, release=release)
        if title:
            draft.title = title
            draft.save()

    def approve_and_lock(self, version: str) -> None:
        services.approve_release(version)
        services.lock_release(version)

    def spring_update(self) -> None:
        """v1 live; v2 from it: About us changed, Team hidden, a new page Summer sale parked."""
        self.v1_live()
        services.create_release("v2", based_on="v1")
        self.edit(self.about, "v2")
        services.transition(content_in(self.team, "v2"), "deactivate", user=self.user, release="v2")
        with use_release("v2"):
            sale = make_page("Summer sale", self.user)
        services.transition(content_in(sale, "v2"), "mark_future", user=self.user, release="v2")

    # -- what each section's examples start from ---------------------------------------------

    def v2_branched(self) -> None:
        self.v1_live()
        services.create_release("v2", based_on="v1")

    def spring_update_approved(self) -> None:
        self.spring_update()
        services.approve_release("v2")

    def about_us_patched(self) -> None:
        """v1.1.0 from v1 with an unapproved change to About us."""
        services.create_release("v1.1.0", based_on="v1")
        self.edit(self.about, "v1.1.0")

    def v2_live_and_v3_locked(self) -> None:
        self.spring_update()
        ship("v2")
        services.create_release("v3", based_on="v2")
        self.approve_and_lock("v3")

    def v2_locked_and_v3_with_a_draft(self) -> None:
        """v2 locked; v3 from it, with a draft of About us, locked with --allow-offline."""
        self.spring_update()
        self.approve_and_lock("v2")
        services.create_release("v3", based_on="v2")
        self.edit(self.about, "v3")
        services.lock_release("v3", allow_offline=True)

    def parallel(self) -> None:
        """v2 and v3 from v1; v2 (About us and Contact changed) live; v3 changed Contact."""
        self.v1_live()
        services.create_release("v2", based_on="v1")
        services.create_release("v3", based_on="v1")
        self.edit(self.about, "v2", "About us \N{EN DASH} our new team")
        self.edit(self.contact, "v2")
        ship("v2")
        self.edit(self.contact, "v3", "Contact \N{EN DASH} new address")

    def unused_patch(self) -> None:
        self.v1_live()
        services.create_release("v1.0.1", based_on="v1")
        self.edit(self.about, "v1.0.1")
        self.approve_and_lock("v1.0.1")

    def tampered_v3(self) -> None:
        """v2 locked; v3 from it, Contact changed, locked; then Contact in v3 changed by an
        UPDATE that went around the locks."""
        self.spring_update()
        self.approve_and_lock("v2")
        services.create_release("v3", based_on="v2")
        self.edit(self.contact, "v3")
        self.approve_and_lock("v3")
        PageContent._base_manager.filter(pk=content_in(self.contact, "v3").pk).update(title="Kontakt")

    def v7_scheduled(self) -> None:
        """v7 from v1, locked, scheduled for 09:00 on 1 February; the runner runs at 09:00:04."""
        self.clock = freeze_clock(self.request)
        self.v1_live()
        services.create_release("v7", based_on="v1")
        self.edit(self.contact, "v7")
        self.approve_and_lock("v7")
        services.schedule_deploy("v7", at=datetime.fromisoformat("2027-02-01T09:00+01:00"))
        self.clock.move_to(datetime.fromisoformat("2027-02-01T09:00:04+01:00"))

    def v8_scheduled_then_deprecated(self) -> None:
        services.create_release("v8", based_on="v7")
        self.edit(self.team, "v8")
        self.approve_and_lock("v8")
        services.schedule_deploy("v8", at=datetime.fromisoformat("2027-02-01T10:00+01:00"))
        services.deprecate_release("v8")
        self.clock.move_to(datetime.fromisoformat("2027-02-01T10:00:04+01:00"))

    def pruning_history(self) -> None:
        self.request.getfixturevalue("site")  # tests/test_pruning.py

    def djangocms_versioning_site(self) -> None:
        self.request.addfinalizer(_drop_table)
        djangocms_versioning_site(self.user)

    def content_without_releases(self) -> None:
        content_without_releases(self.user)

    def hooks(self, section: str) -> Hooks:
        """What happens before the examples of ``section`` (``""``: before the first)."""
        start = {
            "Common options and behaviour": self.v2_branched,
            "create_release": self.v1_live,
            "approve_release": self.spring_update,
            "lock_release": self.spring_update_approved,
            "unlock_release": self.v2_live_and_v3_locked,
            "deploy_release": self.v2_locked_and_v3_with_a_draft,
            "rebase_release": self.parallel,
            "deprecate_release": self.unused_patch,
            "verify_release": self.tampered_v3,
            "run_scheduled_deploys": self.v7_scheduled,
            "prune_releases": self.pruning_history,
            "import_djangocms_versioning": self.djangocms_versioning_site,
            "adopt_existing_content": self.content_without_releases,
        }[section]
        return {
            "": start,
            "lock_release --release-version v1.1.0": self.about_us_patched,
            "run_scheduled_deploys#2": self.v8_scheduled_then_deprecated,
        }


COMMANDS = "reference/commands.rst"


@pytest.mark.parametrize(
    "section",
    [
        pytest.param(
            section,
            # MariaDB commits DDL at once: the djangocms-versioning table is cleaned up by flushing.
            marks=[pytest.mark.django_db(transaction=True)] if section.startswith("import") else [],
        )
        for section in sections(COMMANDS)
    ],
)
def test_commands_reference_runs_as_documented(section, request, berlin_time):
    check(COMMANDS, ReferenceSite(request).hooks(section), section=section)


# -- docs/howto/scheduling-and-pruning.rst ------------------------------------------------------


class LongRunningSite:
    """The sites of scheduling-and-pruning.rst."""

    def __init__(self, request: pytest.FixtureRequest) -> None:
        self.request = request
        self.user = make_user("editor", superuser=True)
        self.pages: list[Page] = []

    def release(self, version: str, base: str | None, edit: int | None = None) -> None:
        """``version`` branched from ``base`` (or a first, empty one) with a draft of page
        number ``edit``."""
        services.create_release(version, based_on=base)
        if edit is not None:
            services.create_draft(content_in(self.pages[edit], version), user=self.user, release=version)

    def v6_live_v5_before_and_v7_locked(self) -> None:
        freeze_clock(self.request)
        with use_release(services.create_release("v5")):
            self.pages = [make_page(title, self.user) for title in ("Home", "Events")]
        ship("v5")
        self.release("v6", "v5", edit=1)
        ship("v6")
        self.release("v7", "v6", edit=0)
        services.approve_release("v7")
        services.lock_release("v7")

    def years_of_releases(self) -> None:
        """v1-old, an abandoned first attempt (locked, deprecated); v1 to v10 each branched
        from the one before and deployed in turn; v2-hotfix-1, published now while v2 was
        live and v3 in progress; v3-experiment, branched from v3, locked and deprecated;
        v11 open."""
        self.release("v1-old", None)
        with use_release("v1-old"):
            make_page("Welcome", self.user)
        services.approve_release("v1-old")
        services.lock_release("v1-old")
        services.deprecate_release("v1-old")
        with use_release(services.create_release("v1")):
            self.pages = [make_page(title, self.user) for title in ("Home", "About us", "Team")]
        ship("v1")
        self.release("v2", "v1", edit=1)
        ship("v2")
        self.release("v3", "v2", edit=0)
        with use_release("v3"):
            services.publish_now(
                services.create_draft(content_in(self.pages[2], "v3"), user=self.user), user=self.user
            )
        ship("v3")
        self.release("v3-experiment", "v3", edit=1)
        services.approve_release("v3-experiment")
        services.lock_release("v3-experiment")
        services.deprecate_release("v3-experiment")
        for number in range(4, 11):
            self.release(f"v{number}", f"v{number - 1}", edit=0)
            ship(f"v{number}")
        self.release("v11", "v10", edit=1)


SCHEDULING_AND_PRUNING = "howto/scheduling-and-pruning.rst"


@pytest.mark.parametrize("section", sections(SCHEDULING_AND_PRUNING))
def test_scheduling_and_pruning_run_as_documented(section, request, berlin_time):
    history = LongRunningSite(request)
    setup = {
        "Scheduling a deploy": history.v6_live_v5_before_and_v7_locked,
        "Pruning old releases": history.years_of_releases,
    }[section]
    check(SCHEDULING_AND_PRUNING, {"": setup}, section=section)


# -- sites that djangocms-versioning or no versioning left ---------------------------------------


PAGES_OF_THE_OLD_SITE = ("Home", "About us", "Team", "Contact")


def content_without_releases(user) -> None:
    """Pages Home, About us, Team and Contact and the static alias footer, as a site without
    this package has them: content rows that no release holds."""
    with use_release(services.create_release("v1")):
        for title in PAGES_OF_THE_OLD_SITE:
            make_page(title, user)
        make_static_alias(user)
    start_over()


def djangocms_versioning_site(user) -> None:
    """What djangocms-versioning left (its version table, tests/test_import_djangocms_versioning.py):
    Home and Contact published, each with a newer draft; About us published, with an older
    archived version; Team unpublished; the footer published."""
    with use_release(services.create_release("v1")):
        home, about, team, contact = (make_page(title, user) for title in PAGES_OF_THE_OLD_SITE)
        footer = make_static_alias(user)
    ship("v1")
    services.create_release("v2", based_on="v1")
    older = {page: content_in(page, "v1") for page in (home, about, team, contact)}
    newer = {
        page: services.create_draft(older[page], user=user, release="v2") for page in (home, about, contact)
    }
    start_over()
    _create_table()
    table = DVSite(user)
    for content, state, number in (
        (older[home], "published", 1),
        (newer[home], "draft", 2),
        (older[about], "archived", 1),
        (newer[about], "published", 2),
        (older[team], "unpublished", 1),
        (older[contact], "published", 1),
        (newer[contact], "draft", 2),
        (footer, "published", 1),
    ):
        table.version(content, state, number=number, days=number)


# -- docs/howto/from-djangocms-versioning.rst ---------------------------------------------------


@pytest.mark.django_db(transaction=True)  # MariaDB commits DDL at once: clean up by flushing
def test_moving_from_djangocms_versioning_runs_as_documented(request):
    request.addfinalizer(_drop_table)
    owner = make_user("editor", superuser=True)
    check("howto/from-djangocms-versioning.rst", {"migrate": lambda: djangocms_versioning_site(owner)})
    assert Release.objects.live().version == "imported"
    assert services.verify_release("imported") == []
