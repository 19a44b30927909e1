"""Property: whatever occurrences of a weekly series the input moves, and wherever to, the
portal of either generation shows every occurrence where the input has it, from start to
end, and a second push writes nothing (docs/test-portal.md, behaviours 8 and 18)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics2b24.bitrix.rows import date_order, parse_event
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal, PortalConfig
from tests.conftest import FAST_LIMITS
from tests.helpers import Cli, portal_rows, target_args, vcalendar, write

BERLIN = ZoneInfo("Europe/Berlin")
WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
FIRST = datetime(2025, 3, 3, 10, tzinfo=BERLIN)
"""A Monday; the series' first occurrence is on the first of its days from here."""

Span = tuple[str, int, int]


@st.composite
def series(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A weekly rule and the RECURRENCE-ID VEVENTs moving some of its occurrences."""
    days = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, max_size=3, unique=True))
    days.sort(key=WEEKDAYS.index)
    interval = draw(st.sampled_from([1, 1, 2]))
    count = draw(st.integers(min_value=3, max_value=10))
    start = FIRST + timedelta(days=WEEKDAYS.index(days[0]))
    rule = f"FREQ=WEEKLY;INTERVAL={interval};BYDAY={','.join(days)};COUNT={count}"
    master = _vevent(start, start + timedelta(hours=1), "Weekly", f"RRULE:{rule}")
    occurrences = _starts(vcalendar(master))
    chosen = draw(st.lists(st.integers(0, len(occurrences) - 1), max_size=3, unique=True))
    moves = []
    for index in chosen:
        original = occurrences[index]
        shift = draw(st.integers(min_value=-9, max_value=9))
        hour = draw(st.integers(min_value=7, max_value=18))
        begin = (original + timedelta(days=shift)).replace(hour=hour)
        moves.append(_vevent(begin, begin + timedelta(hours=1), f"Moved {index}",
                             f"RECURRENCE-ID;TZID=Europe/Berlin:{original:%Y%m%dT%H%M%S}"))
    return master, moves


def _vevent(start: datetime, end: datetime, summary: str, *extra: str) -> str:
    lines = ["UID:weekly", "DTSTAMP:20250101T000000Z", f"SUMMARY:{summary}",
             f"DTSTART;TZID=Europe/Berlin:{start:%Y%m%dT%H%M%S}",
             f"DTEND;TZID=Europe/Berlin:{end:%Y%m%dT%H%M%S}", *extra]
    return "BEGIN:VEVENT\n" + "".join(line + "\n" for line in lines) + "END:VEVENT\n"


def _starts(text: str) -> list[datetime]:
    calendar = icalendar.Calendar.from_ical(text)
    return [e["DTSTART"].dt for e in recurring_ical_events.of(calendar).between(
        date(2025, 1, 1), date(2026, 1, 1))]


def expected(text: str) -> Counter[Span]:
    calendar = icalendar.Calendar.from_ical(text)
    return Counter((str(e["SUMMARY"]), int(e["DTSTART"].dt.timestamp()),
                    int(e["DTEND"].dt.timestamp()))
                   for e in recurring_ical_events.of(calendar).between(
                       date(2024, 1, 1), date(2027, 1, 1)))


def shown(portal: Portal) -> Counter[Span]:
    rows = portal_rows(portal)
    order = date_order(rows)
    out: Counter[Span] = Counter()
    for row in rows:
        params = parse_event(row, order).params
        begin = datetime.fromisoformat(params.date_from).replace(
            tzinfo=ZoneInfo(params.timezone_from or "UTC"))
        end = datetime.fromisoformat(params.date_to).replace(
            tzinfo=ZoneInfo(params.timezone_to or params.timezone_from or "UTC"))
        out[(str(row["NAME"]), int(begin.timestamp()), int(end.timestamp()))] += 1
    return out


@pytest.mark.parametrize("generation", [3, 1])
@settings(max_examples=20, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(drawn=series())
def test_every_moved_occurrence_is_shown_where_the_input_moved_it(
        tmp_path: Path, cli: Cli, generation: int, drawn: tuple[str, list[str]]) -> None:
    master, moves = drawn
    text = vcalendar(master, *moves)
    portal = Portal(PortalConfig(limits=FAST_LIMITS,
                                 profile=Profile(generation=generation))).start()
    try:
        path = write(tmp_path / "weekly.ics", text)
        state = tmp_path / f"{id(drawn)}.sqlite3"
        code, _, err = cli("push", str(path), *target_args(portal, state))
        assert code == 0, err
        assert shown(portal) == expected(text)
        code, _, err = cli("push", str(path), *target_args(portal, state))
        assert code == 0 and "0 added, 0 updated, 0 deleted" in err, err
    finally:
        portal.stop()
