"""The two properties of the recurrence model: a random rule inside the Bitrix24 subset becomes
a `series` with exactly the reference's occurrences; a random rule outside it is written out as
occurrences that are exactly the reference's (up to the horizon)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import islice, takewhile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics2b24.ical import bxrule
from ics2b24.ical.recurrence import OccurrencesPlan, SeriesPlan
from ics2b24.model import WEEKDAYS
from tests.ical.recurrence_helpers import (
    HORIZON,
    occurrence_starts,
    plan,
    reference_starts,
    series_starts,
)

ZONES = ("Europe/Berlin", "America/New_York", "UTC", "floating", "all-day")
PROPERTY_SETTINGS = settings(
    max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)


def dtstart(zone: str, day: date, clock: time) -> str:
    if zone == "all-day":
        return f"DTSTART;VALUE=DATE:{day:%Y%m%d}"
    stamp = datetime.combine(day, clock).strftime("%Y%m%dT%H%M%S")
    if zone == "UTC":
        return f"DTSTART:{stamp}Z"
    if zone == "floating":
        return f"DTSTART:{stamp}"
    return f"DTSTART;TZID={zone}:{stamp}"


def exdate(zone: str, day: date, clock: time) -> str:
    return "EXDATE" + dtstart(zone, day, clock)[len("DTSTART"):]


def rdate(zone: str, day: date, clock: time) -> str:
    return "RDATE" + dtstart(zone, day, clock)[len("DTSTART"):]


def event(zone: str, day: date, clock: time, rrule: str, extra: list[str]) -> str:
    lines = ["BEGIN:VEVENT", "UID:property", dtstart(zone, day, clock), f"RRULE:{rrule}"]
    return "\n".join([*lines, *extra, "END:VEVENT"])


starts = st.tuples(
    st.sampled_from(ZONES),
    st.dates(min_value=date(2023, 1, 1), max_value=date(2025, 12, 31)),
    st.times().map(lambda t: t.replace(second=0, microsecond=0)),
)


Start = tuple[str, date, time]


@st.composite
def subset_rules(draw: st.DrawFn) -> tuple[str, str | None]:
    start, rule, extra, obstacle = draw(subset_rule_parts())
    return event(*start, rule, extra), obstacle


@st.composite
def subset_rule_parts(draw: st.DrawFn) -> tuple[Start, str, list[str], str | None]:
    """A rule inside the model, and what may keep it from being a series: None (nothing: it must be
    one), "WKST" (it may regroup the weeks), "DTSTART" (the rule skips the start's day: it
    must be written out) or a day a real portal rolls over to the 1st of the next month
    ("MONTHLY on day" 29–31, "29 February": written out)."""
    zone, day, clock = draw(starts)
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    interval = draw(st.integers(1, 3))
    parts = [f"FREQ={freq}", f"INTERVAL={interval}"]
    obstacle: str | None = None
    if freq == "WEEKLY":
        days = draw(st.sets(st.sampled_from(WEEKDAYS), max_size=4))
        if days:
            parts.append("BYDAY=" + ",".join(sorted(days, key=WEEKDAYS.index)))
        wkst = draw(st.sampled_from(["MO", "MO", "SU", "WE"]))
        parts.append(f"WKST={wkst}")
        if wkst != "MO" and interval > 1:
            obstacle = "WKST"
        if days and WEEKDAYS[day.weekday()] not in days:
            obstacle = "DTSTART"
    if freq == "MONTHLY" and day.day > 28:
        obstacle = "MONTHLY on day"
    if freq == "YEARLY" and (day.month, day.day) == (2, 29):
        obstacle = "29 February"
    if freq in ("MONTHLY", "YEARLY") and draw(st.booleans()):
        parts.append(f"BYMONTHDAY={day.day}")
        if freq == "YEARLY":
            parts.append(f"BYMONTH={day.month}")
    end = draw(st.sampled_from(["none", "count", "until-date", "until-utc"]))
    if end == "count":
        parts.append(f"COUNT={draw(st.integers(1, 30))}")
    elif end != "none":
        until = day + timedelta(days=draw(st.integers(0, 800)))
        suffix = "" if end == "until-date" else f"T{draw(st.integers(0, 23)):02d}0000Z"
        parts.append(f"UNTIL={until:%Y%m%d}{suffix}")
    offsets = draw(st.lists(st.integers(0, 90), max_size=4))
    extra = [exdate(zone, day + timedelta(days=n), clock) for n in offsets]
    return (zone, day, clock), ";".join(parts), extra, obstacle


@PROPERTY_SETTINGS
@given(subset_rules())
def test_rules_inside_the_subset_round_trip_as_series(case: tuple[str, str | None]) -> None:
    body, obstacle = case
    result = plan(body)
    if result.writes_nothing:  # an UNTIL before DTSTART leaves an empty set
        assert reference_starts(body) == []
        return
    if obstacle is None:
        assert isinstance(result, SeriesPlan), result
    elif obstacle != "WKST":
        assert isinstance(result, OccurrencesPlan), result
    if isinstance(result, SeriesPlan):
        assert series_starts(result) == reference_starts(body)
        assert result.rrule.until is None  # bounded rules carry COUNT
        assert result.rrule.freq != "WEEKLY" or result.rrule.byday
    else:
        assert isinstance(result, OccurrencesPlan)
        assert obstacle is not None and obstacle in result.warnings[0]
        assert occurrence_starts(result) == reference_starts(body)


OUTSIDE = [
    "FREQ=MONTHLY;BYDAY=2TU",
    "FREQ=MONTHLY;BYDAY=-1FR;COUNT=12",
    "FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1",
    "FREQ=MONTHLY;BYMONTHDAY=1,15",
    "FREQ=MONTHLY;BYMONTHDAY=-1",
    "FREQ=YEARLY;BYMONTH=3,9",
    "FREQ=YEARLY;BYDAY=-1SU;BYMONTH=10",
    "FREQ=DAILY;BYHOUR=9,17",
    "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR",
    "FREQ=WEEKLY;BYMONTH=1,2",
    "FREQ=HOURLY;INTERVAL=7;COUNT=40",
    "FREQ=YEARLY;BYWEEKNO=20;BYDAY=MO",
    "FREQ=YEARLY;BYYEARDAY=100",
]


@st.composite
def outside_rules(draw: st.DrawFn) -> str:
    zone, day, clock = draw(starts)
    rule = draw(st.sampled_from(OUTSIDE))
    if draw(st.booleans()):
        rule += f";INTERVAL={draw(st.integers(2, 3))}"
    if "COUNT" not in rule and draw(st.booleans()):
        rule += f";COUNT={draw(st.integers(1, 20))}"
    offsets = draw(st.lists(st.integers(0, 90), max_size=3))
    extra = [exdate(zone, day + timedelta(days=n), clock) for n in offsets]
    return event(zone, day, clock, rule, extra)


@PROPERTY_SETTINGS
@given(outside_rules())
def test_rules_outside_the_subset_are_written_out_like_the_reference(body: str) -> None:
    result = plan(body)
    expected = reference_starts(body)
    if result.writes_nothing:
        assert expected == []
        return
    assert isinstance(result, OccurrencesPlan), result
    assert occurrence_starts(result) == expected


@PROPERTY_SETTINGS
@given(starts, st.sampled_from(["FREQ=DAILY", "FREQ=WEEKLY;BYDAY=MO,TH", "FREQ=MONTHLY"]))
def test_an_extra_rdate_is_written_out_like_the_reference(
    start: tuple[str, date, time], rule: str
) -> None:
    zone, day, clock = start
    extra = rdate(zone, day + timedelta(days=3), clock)
    body = event(zone, day, clock, rule + ";COUNT=6", [extra])
    result = plan(body)
    expected = reference_starts(body)
    if isinstance(result, SeriesPlan):
        assert series_starts(result) == expected
    else:
        assert isinstance(result, OccurrencesPlan)
        assert occurrence_starts(result) == expected


def recurrence(start: Start, day: date, lines: list[str]) -> str:
    """A RECURRENCE-ID VEVENT for the occurrence on `day`."""
    zone, _, clock = start
    original = dtstart(zone, day, clock)
    rid = "RECURRENCE-ID" + original[len("DTSTART"):]
    return "\n".join(["BEGIN:VEVENT", "UID:property", rid, *lines, "END:VEVENT"])


@PROPERTY_SETTINGS
@given(st.data())
def test_k_skipped_days_make_at_most_k_plus_1_stretches(data: st.DataObject) -> None:
    """Random skipped days (EXDATEs, cancelled occurrences) and moved occurrences in a random
    rule of the subset: the parts together generate the rule's days less the skipped ones, each
    once (less the standalone overrides, written on their own), none a skipped day, in at most
    k + 1 stretches — a stretch being one part, or one per weekday for a rule every two or more
    weeks on several days, with a monthly one cut after 28 or more occurrences
    (docs/convert-contract.md, "Parts"); and the result is still the reference's."""
    start, rule, extra, _ = data.draw(
        subset_rule_parts().filter(lambda case: case[3] is None)
    )
    whole = plan(event(*start, rule, extra))
    if whole.writes_nothing:
        return
    assert isinstance(whole, SeriesPlan), whole
    first = _day_of(whole.start)
    days = list(islice(takewhile(lambda d: d < HORIZON, bxrule.iter_days(first, whole.rrule)),
                       80))
    free = [d for d in days if d not in whole.skipped]
    if not free:
        return
    chosen = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=8, unique=True))
    how = data.draw(st.lists(st.sampled_from(["exdate", "cancel", "move"]),
                             min_size=len(chosen), max_size=len(chosen)))
    body = [event(*start, rule, extra + [exdate(*_on(start, d)) for d, h in zip(chosen, how,
                                                                        strict=True)
                                         if h == "exdate"])]
    for day, kind in zip(chosen, how, strict=True):
        if kind == "cancel":
            body.append(recurrence(start, day, [dtstart(*_on(start, day)), "STATUS:CANCELLED"]))
        elif kind == "move":
            later = dtstart(start[0], day, (datetime.combine(day, start[2])
                                             + timedelta(minutes=30)).time())
            body.append(recurrence(start, day, [later, "SUMMARY:moved"]))
    text = "\n".join(body)
    result = plan(text)
    skipped = {d for d, h in zip(chosen, how, strict=True) if h != "move"}
    if result.writes_nothing:
        assert reference_starts(text) == []
        return
    assert isinstance(result, SeriesPlan), result
    assert skipped <= set(result.skipped)
    rule_of = result.rrule
    per_stretch = (len(rule_of.byday)
                   if rule_of.freq == "WEEKLY" and rule_of.interval > 1 else 1)
    cut_by_the_portal_estimate = [p for p in result.parts if p.rrule.freq == "MONTHLY"
                                  and (p.rrule.count or 0) >= 28]
    assert (len(result.parts) - len(cut_by_the_portal_estimate)
            <= (len(result.skipped) + 1) * per_stretch)
    limit = days[-1]
    generated = [
        day
        for part in result.parts
        for day in takewhile(lambda d: d <= limit,
                             bxrule.iter_days(_day_of(part.start), part.rrule))
    ]
    alone = {_day_of(o.recurrence_id, result.start) for o in result.standalone}
    assert not set(generated) & set(result.skipped)
    assert len(generated) == len(set(generated))
    assert sorted(set(generated) | alone) == [d for d in days if d not in result.skipped]
    assert series_starts(result) == reference_starts(text)


def _on(start: Start, day: date) -> Start:
    return (start[0], day, start[2])


def _day_of(value: date | datetime, own: date | datetime | None = None) -> date:
    if isinstance(value, datetime):
        zone = getattr(own, "tzinfo", None)
        return (value.astimezone(zone) if zone else value).date()
    return value
