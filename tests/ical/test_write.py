"""A VEVENT written from Bitrix24 parameters (ical/write.py) reads back as those parameters."""

from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import strategies as st

from ics2b24.ical.convert import convert_inputs
from ics2b24.ical.options import ConvertOptions
from ics2b24.ical.write import calendar, vevent
from ics2b24.model import EventParams, Reminder, Rrule

STAMP = datetime(2026, 1, 1, tzinfo=timezone.utc)
OPTIONS = ConvertOptions(tz=ZoneInfo("UTC"), tz_name="UTC", horizon_end=date(2030, 1, 1),
                         since=None, max_occurrences=1000, user_map={}, no_attendees=True,
                         strict=False)


def _read(*events: object) -> list[EventParams]:
    converted = convert_inputs([("written.ics", calendar(list(events)))], OPTIONS)  # type: ignore[arg-type]
    return [event.params for event in converted.events]


@st.composite
def singles(draw: st.DrawFn) -> EventParams:
    all_day = draw(st.booleans())
    day = draw(st.dates(date(2020, 1, 1), date(2029, 12, 1)))
    zone = draw(st.sampled_from(["Europe/Berlin", "Asia/Tokyo", "America/New_York"]))
    if all_day:
        start, end = day.isoformat(), day.isoformat()
    else:
        start = f"{day}T{draw(st.integers(0, 22)):02d}:30:00"
        end = start[:11] + f"{int(start[11:13]) + 1:02d}:45:00"
    return EventParams(
        name=draw(st.sampled_from(["Standup", "Budget; Q3, draft", "Ünïcode 🎉"])),
        date_from=start, date_to=end, skip_time=all_day,
        timezone_from=None if all_day else zone, timezone_to=None if all_day else zone,
        description=draw(st.sampled_from([None, "Notes\nline two"])),
        location=draw(st.sampled_from([None, "Room 1"])),
        color=draw(st.sampled_from([None, "#9dcf00"])),
        remind=tuple(draw(st.lists(st.sampled_from(
            [Reminder("min", 15), Reminder("hour", 2), Reminder("day", 1)]),
            unique=True, max_size=2))),
        accessibility=draw(st.sampled_from(["busy", "free", "quest", "absent"])),
        importance=draw(st.sampled_from(["high", "normal", "low"])),
        private_event=draw(st.booleans()))


@given(singles())
def test_a_single_event_written_reads_back_as_the_parameters_it_was_written_from(
        params: EventParams) -> None:
    (read,) = _read(vevent("a@test", params, STAMP))
    assert _fields(read) == _fields(params)


def _fields(params: EventParams) -> tuple[object, ...]:
    """Every field a single event carries; no text and empty text are the same."""
    return (params.name, params.date_from, params.date_to, params.skip_time,
            params.timezone_from, params.description or None, params.location or None,
            params.color or None, sorted(map(repr, params.remind)), params.accessibility,
            params.importance, params.private_event)


def test_a_rule_bounded_by_its_last_day_keeps_that_day_in_the_events_zone() -> None:
    """The portal keeps UNTIL as a day; RFC 5545 wants a UTC instant: the end of that day in
    Tokyo is the day before in UTC, and the occurrence on it must stay."""
    params = EventParams(name="Daily", date_from="2025-03-03T08:00:00",
                         date_to="2025-03-03T09:00:00", timezone_from="Asia/Tokyo",
                         timezone_to="Asia/Tokyo",
                         rrule=Rrule("DAILY", until=date(2025, 3, 5)))
    written = calendar([vevent("d@test", params, STAMP)]).decode()
    assert "UNTIL=20250305T145959Z" in written
    (read,) = _read(vevent("d@test", params, STAMP))
    assert read.rrule is not None and read.rrule.count == 3
