"""The recurrence model (docs/convert-contract.md): the plan of each calendar of
calendars/recurrence, one table row per behaviour of the recurrence planner.

A row names the calendar file, the context options (`ctx`: horizon, cap, since) and the whole
outline of the plan it expects (helpers `Series` / `Written`). Besides, each plan's occurrences
are checked against recurring-ical-events (the reference) through `series_starts`, a day-by-day
expander of the recurrence model written from its text alone, wherever the reference can say
what they are (no --since, no cap). The cases a row cannot state stand as tests of their own
at the end.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from ics2b24.ical.recurrence import OccurrencesPlan, SeriesPlan, UnreadableRecurrence
from ics2b24.model import Rrule
from tests.ical.recurrence_helpers import (
    BERLIN,
    HORIZON,
    NEW_YORK,
    Occurrence,
    Part,
    Series,
    Value,
    Written,
    berlin,
    ctx,
    occurrence_starts,
    outline,
    plan,
    read,
    reference_starts,
    series_starts,
    wall_clocks,
)

MO_WE = ("MO", "WE")
MEETING = Rrule(freq="WEEKLY", count=10, byday=MO_WE)
"""The rule of meeting*.ics: Mondays and Wednesdays 10:00-11:00 Berlin from 3 June 2024."""


def ny(month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, tzinfo=NEW_YORK)


def utc(month: int, day: int, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(2024, month, day, hour, minute, second, tzinfo=timezone.utc)


def single(rrule: Rrule, start: Value, end: Value, last: date, **more: Any) -> Series:
    """A series written as one part from its start: its rule bounded by its `last` day."""
    part = Part(None, start, end, replace(rrule, until=last))
    return Series(rrule=rrule, start=start, end=end, parts=(part,), **more)


def meeting(*parts: Part, **more: Any) -> Series:
    """A plan of meeting*.ics (the MEETING rule from 3 June, 10:00-11:00 Berlin) as `parts`."""
    return Series(rrule=MEETING, start=berlin(6, 3), end=berlin(6, 3, 11), parts=parts, **more)


def plain(start: Value, end: Value, summary: str | None = None) -> Occurrence:
    """An occurrence at its own original start."""
    return Occurrence(start, start, end, summary=summary)


def check_reference(options: dict[str, Any]) -> bool:
    """Whether the reference knows the plan's occurrences: it has no --since and no cap."""
    return "since" not in options and "cap" not in options


def weekly(count: int, until: date, byday: tuple[str, ...] = MO_WE, interval: int = 1) -> Rrule:
    return Rrule(freq="WEEKLY", interval=interval, count=count, until=until, byday=byday)


def daily(count: int, until: date | None = None) -> Rrule:
    return Rrule(freq="DAILY", count=count, until=until)


# --- series -----------------------------------------------------------------------------------

FIVE_DAYS_BUT_4_JUNE = Series(
    rrule=daily(5), start=berlin(6, 3), end=berlin(6, 3),
    parts=(Part(None, berlin(6, 3), berlin(6, 3), daily(1, date(2024, 6, 3))),
           Part(berlin(6, 5), berlin(6, 5), berlin(6, 5), daily(3, date(2024, 6, 7)))),
    skipped=(date(2024, 6, 4),))
"""Daily at 10:00 Berlin from 3 June 2024, five times, but not on 4 June."""

SERIES = [
    # EXDATEs and skipped days
    pytest.param(
        "weekly-byday-exdate.ics", {},
        Series(
            rrule=Rrule(freq="WEEKLY", byday=MO_WE), start=berlin(6, 3), end=berlin(6, 3, 11),
            parts=(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(3, date(2024, 6, 10))),
                   Part(berlin(6, 17), berlin(6, 17), berlin(6, 17, 11),
                        Rrule(freq="WEEKLY", byday=MO_WE))),
            skipped=(date(2024, 6, 12),)),
        id="an EXDATE splits an endless weekly series into a COUNT-bounded part and an "
           "endless one"),
    pytest.param(
        "exdate-matching-no-occurrence.ics", {},
        single(Rrule(freq="WEEKLY", count=5, byday=("MO",)), berlin(6, 3), berlin(6, 3),
               date(2024, 7, 1),
               warnings=("EXDATE 2024-06-11T10:00:00 Europe/Berlin matches no occurrence",)),
        id="an EXDATE that matches no occurrence only warns"),
    pytest.param(
        "exdate-in-utc.ics", {},
        FIVE_DAYS_BUT_4_JUNE,
        id="an EXDATE in UTC names the occurrence at that instant"),
    pytest.param(
        "exdate-utc-wall-clock.ics", {},
        FIVE_DAYS_BUT_4_JUNE,
        id="an EXDATE matching only by wall clock removes what the reference removes"),
    pytest.param(
        "daily-count-exdate.ics", {},
        Series(rrule=daily(4), start=berlin(6, 3), end=berlin(6, 3),
               parts=(Part(None, berlin(6, 3), berlin(6, 3), daily(1, date(2024, 6, 3))),
                      Part(berlin(6, 5), berlin(6, 5), berlin(6, 5), daily(2, date(2024, 6, 6)))),
               skipped=(date(2024, 6, 4),)),
        id="COUNT counts the occurrence an EXDATE removes"),
    pytest.param(
        "exdate-on-dtstart.ics", {},
        Series(rrule=Rrule(freq="WEEKLY", count=8, byday=("MO", "TH")),
               start=date(2024, 6, 3), end=date(2024, 6, 4),
               parts=(Part(None, date(2024, 6, 6), date(2024, 6, 7),
                           weekly(7, date(2024, 6, 27), byday=("MO", "TH"))),),
               skipped=(date(2024, 6, 3),)),
        id="a skipped DTSTART makes the first remaining occurrence the first part"),
    pytest.param(
        "exdate-run-of-days.ics", {},
        Series(rrule=daily(10), start=date(2024, 6, 3), end=date(2024, 6, 4),
               parts=(Part(None, date(2024, 6, 3), date(2024, 6, 4), daily(1, date(2024, 6, 3))),
                      Part(date(2024, 6, 7), date(2024, 6, 7), date(2024, 6, 8),
                           daily(1, date(2024, 6, 7))),
                      Part(date(2024, 6, 9), date(2024, 6, 9), date(2024, 6, 10),
                           daily(4, date(2024, 6, 12)))),
               skipped=(date(2024, 6, 4), date(2024, 6, 5), date(2024, 6, 6), date(2024, 6, 8))),
        id="a run of consecutive skipped days makes no empty part"),
    pytest.param(
        "exdate-last-occurrences.ics", {},
        Series(rrule=daily(3), start=date(2024, 6, 3), end=date(2024, 6, 4),
               parts=(Part(None, date(2024, 6, 3), date(2024, 6, 4), daily(1, date(2024, 6, 3))),),
               skipped=(date(2024, 6, 4), date(2024, 6, 5))),
        id="skipped last occurrences make no empty last part"),
    pytest.param(
        "exdate-every-occurrence.ics", {},
        Series(rrule=daily(2), start=date(2024, 6, 3), end=date(2024, 6, 4), parts=(),
               skipped=(date(2024, 6, 3), date(2024, 6, 4))),
        id="every occurrence skipped leaves a series plan that writes nothing"),
    pytest.param(
        "exdate-before-new-york-dst.ics", {},
        Series(rrule=Rrule(freq="WEEKLY", count=4, byday=("MO",)),
               start=ny(10, 28, 9, 30), end=ny(10, 28, 10, 30),
               parts=(Part(None, ny(10, 28, 9, 30), ny(10, 28, 10, 30),
                           weekly(1, date(2024, 10, 28), byday=("MO",))),
                      Part(ny(11, 11, 9, 30), ny(11, 11, 9, 30), ny(11, 11, 10, 30),
                           weekly(2, date(2024, 11, 18), byday=("MO",)))),
               skipped=(date(2024, 11, 4),)),
        id="a later part keeps the wall clock across DST in its zone"),
    pytest.param(
        "three-day-daily-exdate.ics", {},
        Series(rrule=daily(6), start=date(2026, 3, 15), end=date(2026, 3, 18),
               parts=(Part(None, date(2026, 3, 17), date(2026, 3, 20),
                           daily(4, date(2026, 3, 20))),),
               standalone=(plain(date(2026, 3, 15), date(2026, 3, 18)),),
               skipped=(date(2026, 3, 16),)),
        id="a one-day part of a three-day event, which the portal would stretch to three days, "
           "is written as an occurrence of its own"),
    pytest.param(
        "two-day-daily-exdate.ics", {},
        Series(rrule=daily(6), start=date(2026, 3, 15), end=date(2026, 3, 17),
               parts=(Part(None, date(2026, 3, 15), date(2026, 3, 17), daily(2, date(2026, 3, 16))),
                      Part(date(2026, 3, 18), date(2026, 3, 18), date(2026, 3, 20),
                           daily(3, date(2026, 3, 20)))),
               skipped=(date(2026, 3, 17),)),
        id="parts of a two-day event on consecutive days stay a series"),
    # UNTIL, BYDAY, WKST, zones
    pytest.param(
        "weekly-byday-until.ics", {},
        single(Rrule(freq="WEEKLY", count=8, byday=MO_WE), berlin(6, 3), berlin(6, 3),
               date(2024, 6, 26)),
        id="UNTIL is sent as the COUNT of occurrences up to it"),
    pytest.param(
        "weekly-without-byday.ics", {},
        single(Rrule(freq="WEEKLY", interval=2, count=5, byday=("TH",)), berlin(6, 6),
               berlin(6, 6), date(2024, 8, 1)),
        id="weekly without BYDAY carries the start's weekday"),
    pytest.param(
        "all-day-daily-until.ics", {},
        single(daily(8), date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 10)),
        id="an all-day UNTIL is the inclusive last day"),
    pytest.param(
        "daily-until-mid-day.ics", {},
        single(daily(7), berlin(6, 3), berlin(6, 3), date(2024, 6, 9)),
        id="an UNTIL at mid-day ends on the date of the last occurrence before it"),
    pytest.param(
        "new-york-evening-date-until.ics", {},
        single(daily(3), ny(6, 3, 19, 30), ny(6, 3, 19, 30), date(2024, 6, 5)),
        id="a DATE UNTIL of an evening event in New York is read as UTC midnight"),
    pytest.param(
        "daily-across-berlin-dst.ics", {},
        single(daily(14), berlin(3, 25, 9), berlin(3, 25, 9), date(2024, 4, 7)),
        id="a daily series keeps its wall clock across the Berlin DST change"),
    pytest.param(
        "weekly-across-new-york-dst.ics", {},
        single(Rrule(freq="WEEKLY", count=12, byday=("MO", "FR")), ny(10, 21, 8, 30),
               ny(10, 21, 8, 30), date(2024, 11, 29)),
        id="a weekly BYDAY series across the New York DST change stays a series"),
    pytest.param(
        "monthly-on-the-28th.ics", {},
        single(Rrule(freq="MONTHLY", count=14), date(2024, 1, 28), date(2024, 1, 29),
               date(2025, 2, 28)),
        id="monthly on the 28th stays a series"),
    pytest.param(
        "yearly-on-28-february.ics", {},
        single(Rrule(freq="YEARLY", count=7), date(2024, 2, 28), date(2024, 2, 29),
               date(2030, 2, 28)),
        id="yearly on 28 February stays a series"),
    pytest.param(
        "biweekly-three-days.ics", {},
        Series(rrule=Rrule(freq="WEEKLY", interval=2, count=9, byday=("TU", "TH", "SA")),
               start=berlin(6, 4), end=berlin(6, 4),
               parts=(Part(None, berlin(6, 4), berlin(6, 4),
                           weekly(3, date(2024, 7, 2), byday=("TU",), interval=2)),
                      Part(berlin(6, 6), berlin(6, 6), berlin(6, 6),
                           weekly(3, date(2024, 7, 4), byday=("TH",), interval=2)),
                      Part(berlin(6, 8), berlin(6, 8), berlin(6, 8),
                           weekly(3, date(2024, 7, 6), byday=("SA",), interval=2)))),
        id="every two weeks on several days is a series, one part a weekday"),
    pytest.param(
        "wkst-sunday-same-weeks.ics", {},
        Series(rrule=Rrule(freq="WEEKLY", interval=2, byday=("TU", "TH")),
               start=berlin(6, 4), end=berlin(6, 4),
               parts=(Part(None, berlin(6, 4), berlin(6, 4),
                           Rrule(freq="WEEKLY", interval=2, byday=("TU",))),
                      Part(berlin(6, 6), berlin(6, 6), berlin(6, 6),
                           Rrule(freq="WEEKLY", interval=2, byday=("TH",))))),
        id="WKST=SU that changes nothing is a series"),
    pytest.param(
        "dtstart-on-byday-wkst-sunday.ics", {},
        Series(rrule=Rrule(freq="WEEKLY", interval=2, count=45, byday=("MO", "WE", "FR")),
               start=ny(6, 3, 9), end=ny(6, 3, 9),
               parts=(Part(None, ny(6, 3, 9), ny(6, 3, 9),
                           weekly(15, date(2024, 12, 16), byday=("MO",), interval=2)),
                      Part(ny(6, 5, 9), ny(6, 5, 9), ny(6, 5, 9),
                           weekly(15, date(2024, 12, 18), byday=("WE",), interval=2)),
                      Part(ny(6, 7, 9), ny(6, 7, 9), ny(6, 7, 9),
                           weekly(15, date(2024, 12, 20), byday=("FR",), interval=2)))),
        id="a DTSTART on a BYDAY day with WKST=SU stays a series"),
    pytest.param(
        "rdate-on-an-occurrence.ics", {},
        single(daily(3), berlin(6, 3), berlin(6, 3), date(2024, 6, 5)),
        id="an RDATE equal to an occurrence adds nothing"),
    pytest.param(
        "floating-daily.ics", {},
        single(daily(3), berlin(6, 3), berlin(6, 3), date(2024, 6, 5)),
        id="a floating series takes the floating zone"),
    # overrides
    pytest.param(
        "meeting-moved-occurrence.ics", {},
        single(MEETING, berlin(6, 3), berlin(6, 3, 11), date(2024, 7, 3),
               overrides=(Occurrence(berlin(6, 10), berlin(6, 11, 14), berlin(6, 11, 15),
                                     summary="moved"),)),
        id="a moved occurrence is an override, not an EXDATE"),
    pytest.param(
        "meeting-cancelled-occurrence.ics", {},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(3, date(2024, 6, 10))),
                Part(berlin(6, 17), berlin(6, 17), berlin(6, 17, 11),
                     weekly(6, date(2024, 7, 3))),
                skipped=(date(2024, 6, 12),), cancelled=(berlin(6, 12),)),
        id="a cancelled occurrence splits the series"),
    pytest.param(
        "meeting-override-in-later-part.ics", {},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(1, date(2024, 6, 3))),
                Part(berlin(6, 10), berlin(6, 10), berlin(6, 10, 11),
                     weekly(8, date(2024, 7, 3))),
                overrides=(Occurrence(berlin(6, 12), berlin(6, 12, 15), berlin(6, 12, 15),
                                      summary="later"),),
                skipped=(date(2024, 6, 5),), cancelled=(berlin(6, 5),)),
        id="an override belongs to the later part that holds its occurrence"),
    pytest.param(
        "meeting-override-of-part-start.ics", {},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(1, date(2024, 6, 3))),
                Part(berlin(6, 12), berlin(6, 12), berlin(6, 12, 11),
                     weekly(7, date(2024, 7, 3))),
                standalone=(Occurrence(berlin(6, 10), berlin(6, 11, 9), berlin(6, 11, 9),
                                       summary="moved"),),
                skipped=(date(2024, 6, 5),), cancelled=(berlin(6, 5),)),
        id="an override of a later part's first occurrence is an occurrence of its own and "
           "the part begins after it"),
    pytest.param(
        "meeting-thisandfuture.ics", {},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(4, date(2024, 6, 12))),
                Part(berlin(6, 17), berlin(6, 17, 12), berlin(6, 17, 13),
                     weekly(6, date(2024, 7, 3)), summary="later")),
        id="RANGE=THISANDFUTURE is a new part with its own times, fields and the remaining "
           "COUNT"),
    pytest.param(
        "meeting-thisandfuture-then-cancelled.ics", {},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(2, date(2024, 6, 5))),
                Part(berlin(6, 10), berlin(6, 10, 12), berlin(6, 10, 13),
                     weekly(3, date(2024, 6, 17)), summary="later"),
                Part(berlin(6, 24), berlin(6, 24, 12), berlin(6, 24, 13),
                     weekly(4, date(2024, 7, 3)), summary="later"),
                skipped=(date(2024, 6, 19),), cancelled=(berlin(6, 19),)),
        id="a skipped day after a THISANDFUTURE split splits the tail"),
    pytest.param(
        "date-recurrence-id-at-midnight.ics", {},
        single(daily(3), utc(1, 2, 0), utc(1, 2, 1), date(2024, 1, 4),
               overrides=(Occurrence(utc(1, 3, 0), utc(1, 3, 14), utc(1, 3, 15)),)),
        id="a DATE RECURRENCE-ID names a timed occurrence at midnight"),
    # context options
    pytest.param(
        "meeting.ics", {"since": date(2024, 6, 20)},
        single(MEETING, berlin(6, 3), berlin(6, 3, 11), date(2024, 7, 3)),
        id="a series still running at --since is kept whole"),
    pytest.param(
        "meeting-cancelled-12-june.ics", {"since": date(2024, 6, 11)},
        meeting(Part(berlin(6, 17), berlin(6, 17), berlin(6, 17, 11),
                     weekly(6, date(2024, 7, 3))),
                skipped=(date(2024, 6, 12),), cancelled=(berlin(6, 12),)),
        id="--since drops the parts that end before it"),
    pytest.param(
        "meeting-moved-to-july-and-cancelled.ics", {"since": date(2024, 6, 20)},
        meeting(Part(None, berlin(6, 3), berlin(6, 3, 11), weekly(2, date(2024, 6, 5))),
                Part(berlin(6, 12), berlin(6, 12), berlin(6, 12, 11),
                     weekly(7, date(2024, 7, 3))),
                overrides=(Occurrence(berlin(6, 5), berlin(7, 5), berlin(7, 5)),),
                skipped=(date(2024, 6, 10),), cancelled=(berlin(6, 10),)),
        id="--since keeps a part whose override ends after it"),
    pytest.param(
        "yearly-endless-exdate.ics", {"horizon": date(2024, 7, 1)},
        Series(rrule=Rrule(freq="YEARLY"), start=date(2024, 6, 3), end=date(2024, 6, 4),
               parts=(Part(None, date(2024, 6, 3), date(2024, 6, 4),
                           Rrule(freq="YEARLY", count=1, until=date(2024, 6, 3))),
                      Part(date(2026, 6, 3), date(2026, 6, 3), date(2026, 6, 4),
                           Rrule(freq="YEARLY"))),
               skipped=(date(2025, 6, 3),)),
        id="the horizon does not cut parts"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "options", "expected"), SERIES)
def test_series(name: str, options: dict[str, Any], expected: Series) -> None:
    """The calendar is a series plan with exactly the expected outline, in the expected zones;
    without --since and cap, its occurrences are the reference's."""
    cal = read(name)
    result = plan(cal, ctx(**options))
    assert isinstance(result, SeriesPlan), result
    assert outline(result) == expected
    assert wall_clocks(outline(result)) == wall_clocks(expected)
    assert result.writes_nothing is not bool(expected.parts or expected.overrides
                                             or expected.standalone)
    if check_reference(options):
        horizon = options.get("horizon", HORIZON)
        assert series_starts(result, horizon) == reference_starts(cal, horizon)


# --- occurrences ------------------------------------------------------------------------------

MONTH_END = "cannot be held by Bitrix24 (a portal moves it to the 1st of the next month in " \
            "months without that day)"

WRITTEN = [
    pytest.param(
        "monthly-on-the-31st.ics", {},
        Written(8, plain(berlin(1, 31, 12), berlin(1, 31, 12)),
                plain(datetime(2025, 1, 31, 12, tzinfo=BERLIN),
                      datetime(2025, 1, 31, 12, tzinfo=BERLIN)),
                (f"rule written out as 8 occurrences: MONTHLY on day 31 {MONTH_END}",)),
        [berlin(1, 31, 12), berlin(3, 31, 12), berlin(5, 31, 12), berlin(7, 31, 12),
         berlin(8, 31, 12), berlin(10, 31, 12), berlin(12, 31, 12),
         datetime(2025, 1, 31, 12, tzinfo=BERLIN)],
        id="monthly on the 31st is written as occurrences (the portal would move it to the "
           "1st)"),
    pytest.param(
        "monthly-on-the-29th.ics", {},
        Written(12, plain(date(2024, 3, 29), date(2024, 3, 30)),
                plain(date(2025, 3, 29), date(2025, 3, 30)),
                (f"rule written out as 12 occurrences: MONTHLY on day 29 {MONTH_END}",)),
        None, id="monthly on the 29th is written as occurrences"),
    pytest.param(
        "monthly-on-the-30th.ics", {},
        Written(12, plain(date(2024, 3, 30), date(2024, 3, 31)),
                plain(date(2025, 3, 30), date(2025, 3, 31)),
                (f"rule written out as 12 occurrences: MONTHLY on day 30 {MONTH_END}",)),
        None, id="monthly on the 30th is written as occurrences"),
    pytest.param(
        "yearly-on-29-february.ics", {},
        Written(1, plain(date(2024, 2, 29), date(2024, 3, 1)),
                plain(date(2024, 2, 29), date(2024, 3, 1)),
                (f"rule expanded to {HORIZON.isoformat()} as 1 occurrences: YEARLY on 29 "
                 "February cannot be held by Bitrix24 (a portal moves it to 1 March in other "
                 "years)",)),
        None, id="yearly on 29 February is written as occurrences up to the horizon"),
    pytest.param(
        "wkst-sunday-other-weeks.ics", {},
        Written(6, plain(berlin(6, 2), berlin(6, 2)), plain(berlin(7, 1), berlin(7, 1)),
                ("rule written out as 6 occurrences: WKST=SU with INTERVAL>1 and these BYDAY "
                 "cannot be held by Bitrix24",)),
        None, id="WKST=SU that regroups the weeks is written out"),
    pytest.param(
        "dtstart-off-byday-until.ics", {},
        Written(5, plain(berlin(6, 3), berlin(6, 3)), plain(berlin(6, 13), berlin(6, 13)),
                ("rule written out as 5 occurrences: a DTSTART on a day the rule skips cannot "
                 "be held by Bitrix24",)),
        [berlin(6, 3), berlin(6, 4), berlin(6, 6), berlin(6, 11), berlin(6, 13)],
        id="a DTSTART on a day the rule skips is written out, DTSTART first"),
    pytest.param(
        "dtstart-off-byday-count.ics", {},
        Written(4, plain(berlin(6, 3), berlin(6, 3)), plain(berlin(6, 11), berlin(6, 11)),
                ("rule written out as 4 occurrences: a DTSTART on a day the rule skips cannot "
                 "be held by Bitrix24",)),
        [berlin(6, 3), berlin(6, 4), berlin(6, 6), berlin(6, 11)],
        id="a DTSTART the rule skips comes on top of COUNT"),
    pytest.param(
        "meeting-cancelled-thisandfuture.ics", {},
        Written(4, plain(berlin(6, 3), berlin(6, 3, 11)), plain(berlin(6, 12), berlin(6, 12, 11)),
                ("rule written out as 4 occurrences: a cancelled RANGE=THISANDFUTURE cannot be "
                 "held by Bitrix24",),
                cancelled=(berlin(6, 17), berlin(6, 19), berlin(6, 24), berlin(6, 26),
                           berlin(7, 1), berlin(7, 3))),
        None, id="a cancelled RANGE=THISANDFUTURE is written out"),
    pytest.param(
        "meeting-thisandfuture-other-day.ics", {},
        Written(10, plain(berlin(6, 3), berlin(6, 3, 11)),
                Occurrence(berlin(7, 3), berlin(7, 4), berlin(7, 4, 11)),
                ("rule written out as 10 occurrences: RANGE=THISANDFUTURE moves the series to "
                 "other days",)),
        None, id="a RANGE=THISANDFUTURE to other days is written out"),
    pytest.param(
        "meeting-override-of-no-occurrence.ics", {},
        Written(11, plain(berlin(6, 3), berlin(6, 3, 11)), plain(berlin(7, 3), berlin(7, 3, 11)),
                ("rule written out as 11 occurrences: RECURRENCE-ID 2024-06-11T10:00:00 "
                 "Europe/Berlin matches no single occurrence",)),
        None, id="an override of no occurrence is written out"),
    pytest.param(
        "date-recurrence-id-at-noon.ics", {},
        Written(4, plain(utc(1, 2, 12), utc(1, 2, 12)), plain(utc(1, 4, 12), utc(1, 4, 12)),
                ("rule written out as 4 occurrences: RECURRENCE-ID 2024-01-03 matches no single "
                 "occurrence",)),
        [utc(1, 2, 12), (date(2024, 1, 3), utc(1, 3, 14)), utc(1, 3, 12), utc(1, 4, 12)],
        id="a DATE RECURRENCE-ID on a series at noon adds its event beside the occurrence"),
    pytest.param(
        "monthly-first-monday-moved-and-cancelled.ics", {},
        Written(2, plain(berlin(6, 3), berlin(6, 3), "master"),
                Occurrence(berlin(7, 1), berlin(7, 2), berlin(7, 2), summary="moved"),
                ("rule written out as 2 occurrences: BYDAY=1MO cannot be held by Bitrix24",),
                cancelled=(berlin(8, 5),)),
        None, id="written-out instances carry their component and original start"),
    pytest.param(
        "monthly-last-weekday-bysetpos.ics", {},
        Written(31, plain(berlin(6, 28), berlin(6, 28)),
                plain(datetime(2026, 12, 31, 10, tzinfo=BERLIN),
                      datetime(2026, 12, 31, 10, tzinfo=BERLIN)),
                (f"rule expanded to {HORIZON.isoformat()} as 31 occurrences: BYSETPOS cannot be "
                 "held by Bitrix24",)),
        None, id="BYSETPOS is expanded to the horizon with a warning"),
    pytest.param(
        "yearly-with-rdate.ics", {},
        Written(3, plain(date(2024, 6, 3), date(2024, 6, 4)),
                plain(date(2025, 6, 3), date(2025, 6, 4)),
                ("rule written out as 3 occurrences: RDATE dates cannot be held by Bitrix24",)),
        [date(2024, 6, 3), date(2024, 7, 4), date(2025, 6, 3)],
        id="a rule with an RDATE is written out whole"),
    pytest.param(
        "two-rrules.ics", {},
        Written(8, plain(ny(6, 3, 9), ny(6, 3, 9)), plain(ny(6, 27, 9), ny(6, 27, 9)),
                ("rule written out as 8 occurrences: several RRULEs cannot be held by "
                 "Bitrix24",)),
        None, id="several RRULEs are written out"),
    pytest.param(
        "secondly-from-2007.ics", {"cap": 500},
        Written(500, plain(datetime(2007, 1, 1, tzinfo=timezone.utc),
                           datetime(2007, 1, 1, tzinfo=timezone.utc)),
                plain(datetime(2007, 1, 1, 0, 8, 19, tzinfo=timezone.utc),
                      datetime(2007, 1, 1, 0, 8, 19, tzinfo=timezone.utc)),
                ("rule cut to 500 occurrences (--max-occurrences), the last on 2007-01-01: "
                 "FREQ=SECONDLY cannot be held by Bitrix24",)),
        None, id="a secondly rule from 2007 is cut at the occurrence cap"),
    pytest.param(
        "two-day-daily-bymonth.ics", {"since": date(2024, 6, 6)},
        Written(3, plain(date(2024, 6, 5), date(2024, 6, 7)),
                plain(date(2024, 6, 7), date(2024, 6, 9)),
                ("rule written out as 3 occurrences: BYMONTH cannot be held by Bitrix24",)),
        [date(2024, 6, 5), date(2024, 6, 6), date(2024, 6, 7)],
        id="--since leaves out the occurrences that end before it"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "options", "expected", "starts"), WRITTEN)
def test_written_out(
    name: str, options: dict[str, Any], expected: Written, starts: list[Any] | None
) -> None:
    """The calendar is written out as occurrences with exactly the expected outline, in the
    expected zones; `starts`, where a row lists them, are all the instances in order: a value
    is an occurrence at its original start, a pair (recurrence id, start) one that is not.
    Without --since and cap, the occurrences are the reference's."""
    cal = read(name)
    result = plan(cal, ctx(**options))
    assert isinstance(result, OccurrencesPlan), result
    assert outline(result) == expected
    assert wall_clocks(outline(result)) == wall_clocks(expected)
    if starts is not None:
        pairs = [s if isinstance(s, tuple) else (s, s) for s in starts]
        assert [(i.recurrence_id, i.start) for i in result.instances] == pairs
        assert wall_clocks([(i.recurrence_id, i.start) for i in result.instances]) == \
            wall_clocks(pairs)
    if check_reference(options):
        horizon = options.get("horizon", HORIZON)
        assert occurrence_starts(result) == reference_starts(cal, horizon)


# --- what a row cannot state ------------------------------------------------------------------


def test_until_years_ahead_is_a_count_found_without_expanding() -> None:
    """UNTIL in the year 9999: one COUNT for the whole set; the 311 monthly parts (each cut
    before a portal's estimate could pass an occurrence) together hold that COUNT."""
    cal = read("monthly-until-9999.ics")
    result = plan(cal)
    assert isinstance(result, SeriesPlan)
    months = (9999 - 2024) * 12 + 12 - 6  # June 2024 → December 9999
    rule = Rrule(freq="MONTHLY", interval=5, count=months // 5 + 1)
    assert (result.rrule, result.start, result.end) == (rule, date(2024, 6, 3), date(2024, 6, 4))
    assert result.parts[0].rrule == Rrule(
        freq="MONTHLY", interval=5, count=61, until=date(2049, 6, 3))
    last = result.parts[-1]
    assert (last.recurrence_id, last.start, last.end, last.rrule) == (
        date(9995, 9, 3), date(9995, 9, 3), date(9995, 9, 4),
        Rrule(freq="MONTHLY", interval=5, count=11, until=date(9999, 11, 3)))
    assert sum(p.rrule.count or 0 for p in result.parts) == rule.count
    assert (result.overrides, result.standalone, result.skipped, result.warnings) == (
        [], [], [], [])
    assert series_starts(result) == reference_starts(cal)


def test_series_that_ends_before_since_is_left_out() -> None:
    assert plan(read("meeting.ics"), ctx(since=date(2024, 8, 1))) is None


def test_broken_rrule_is_unreadable_with_a_sentence_about_it() -> None:
    with pytest.raises(UnreadableRecurrence, match="Expected weekday abbreviation, got: XX"):
        plan(read("byday-xx.ics"))


def test_secondly_rule_from_2007_with_since_starts_at_since_without_walking_there() -> None:
    cal = read("secondly-every-7-from-2007.ics")
    started = time.monotonic()
    result = plan(cal, ctx(cap=100, since=date(2025, 3, 1)))
    assert isinstance(result, OccurrencesPlan)
    seconds_2007_to_since = int(
        (datetime(2025, 3, 1, tzinfo=BERLIN) - datetime(2007, 1, 1, tzinfo=BERLIN)).total_seconds()
    )
    first = datetime(2025, 3, 1, tzinfo=BERLIN) + timedelta(seconds=-seconds_2007_to_since % 7)
    expected = [first + timedelta(seconds=7 * n) for n in range(101)]
    expected = [s for s in expected if s != datetime(2025, 3, 1, 0, 0, 4, tzinfo=BERLIN)][:100]
    assert [i.start for i in result.instances] == expected
    assert result.instances[0].component["DTSTART"].dt == datetime(2007, 1, 1, tzinfo=BERLIN)
    # A hang guard, not a speed target: walking every second since 2007 takes many minutes.
    assert time.monotonic() - started < 30
