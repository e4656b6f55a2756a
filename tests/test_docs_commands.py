"""The command walk-throughs of the docs run as written (issue 15.5).

Each listed page's ``.. code-block:: console`` blocks are read in order: every
``$ python manage.py …`` line runs with ``call_command`` against a fresh database, and every
output line the docs show must appear in what the command printed (in order; fingerprints
normalised). A block preceded by the comment ``.. docs-test: skip`` is illustration only.
What editors do between two commands (the docs say it in words) is done by the hooks below.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import dataclass, field
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from djangocms_release_versioning import services
from djangocms_release_versioning.context import use_release
from djangocms_release_versioning.models import Release
from tests.test_toolbar_support import content_in, make_page, make_user, ship

pytestmark = pytest.mark.django_db

DOCS = Path(__file__).resolve().parent.parent / "docs"
PROMPT = "$ python manage.py "
SKIP = ".. docs-test: skip"
#: The walk-throughs this module runs.
PAGES = ["howto/first-release.rst", "howto/parallel-releases.rst"]
HEX = re.compile(r"\b[0-9a-f]{12,64}\b")
#: Row ids (``#12``) differ from database to database.
ROW_ID = re.compile(r"#\d+\b")


@dataclass
class Step:
    command: str
    expected: list[str] = field(default_factory=list)
    line: int = 0


def steps(page: str, *, include_skipped: bool = False) -> list[Step]:
    """The commands of ``page``'s console blocks with the output the docs show for each."""
    lines = (DOCS / page).read_text().splitlines()
    found: list[Step] = []
    skip_next = False
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
                found.extend(_block_steps(lines[block_start:index], block_start))
            skip_next = False
            continue
        index += 1
    return found


def _block_steps(block: list[str], offset: int) -> list[Step]:
    result: list[Step] = []
    for number, raw in enumerate(block, start=offset + 1):
        text = raw.strip()
        if text.startswith(PROMPT):
            result.append(Step(text[len(PROMPT) :], line=number))
        elif text and not text.startswith(("#", "$")) and result:
            result[-1].expected.append(text)
    return result


def normalise(text: str) -> str:
    return ROW_ID.sub("#N", HEX.sub("HEX", " ".join(text.split())))


def run(step: Step) -> str:
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
        return f"CommandError: {error}"
    printed = out.getvalue() + err.getvalue()
    # A terminal echoes what the operator typed, and the line ends there.
    return printed.replace("to confirm: ", f"to confirm: {answer}\n", 1) if prompt else printed


class Terminal(StringIO):
    """What the operator types at the terminal the command asks on."""

    def isatty(self) -> bool:
        return True


def test_every_command_of_the_walk_throughs_is_in_a_console_block():
    """A ``$ python manage.py`` line outside a console block would silently not run."""
    for page in PAGES:
        assert (DOCS / page).read_text().count(PROMPT) == len(steps(page, include_skipped=True)), page


def check(page: str, hooks: dict[str, Callable[[], None]]) -> None:
    """Run ``page``'s commands; ``hooks[command]`` runs before the first ``command``,
    ``hooks[command + "#2"]`` before the second one."""
    seen: dict[str, int] = {}
    for step in steps(page):
        seen[step.command] = seen.get(step.command, 0) + 1
        key = step.command if seen[step.command] == 1 else f"{step.command}#{seen[step.command]}"
        if key in hooks:
            hooks[key]()
        output = run(step)
        documented_error = any(line.startswith("CommandError") for line in step.expected)
        assert documented_error or not output.startswith("CommandError"), (
            f"{page}:{step.line}: `{step.command}` failed:\n{output}"
        )
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
    site = FirstRelease()
    check(
        "howto/first-release.rst",
        {
            "approve_release --release-version v1": site.edit_v1,
            "approve_release --release-version v1#2": site.change_v1_after_unlocking,
            "approve_release --release-version v1.0.1": site.fix_typo_in_patch,
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
