"""Fixed clocks for date-sensitive tests.

A test marked ``@pytest.mark.calendar`` runs once on the real clock and once under each
frozen clock below (``time-machine``: it patches the C-level clock, so ``datetime.now()``,
``time.time()`` and Django's ``timezone.now()`` all agree, and it keeps ticking so code that
measures elapsed time still works). The frozen clocks are chosen to break code that assumes
two-digit days and months, the current year, or that the local date equals the UTC date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from zoneinfo import ZoneInfo


@dataclass(frozen=True)
class Clock:
    when: datetime
    time_zone: str


#: name → clock; None is the real clock in the project's default time zone.
CLOCKS: dict[str, Clock | None] = {
    "real-clock": None,
    "2027-01-01T00:30Z": Clock(datetime(2027, 1, 1, 0, 30, tzinfo=UTC), "UTC"),
    "2027-12-31T23:30+14": Clock(
        datetime(2027, 12, 31, 23, 30, tzinfo=ZoneInfo("Pacific/Kiritimati")), "Pacific/Kiritimati"
    ),
    # 01:00 local on 5 March is still 4 March in UTC: one-digit day, dates that differ.
    "2027-03-05T01:00+14": Clock(
        datetime(2027, 3, 5, 1, 0, tzinfo=ZoneInfo("Pacific/Kiritimati")), "Pacific/Kiritimati"
    ),
}
