"""The recurrence model (docs/convert-contract.md): one test per behaviour of the recurrence
planner.

Each test checks the plan's occurrences against recurring-ical-events (the reference) through
`series_starts`, a day-by-day expander of the recurrence model written from its text alone.
"""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from ics2b24.ical.recurrence import (
    OccurrencesPlan,
    SeriesPlan,
    UnreadableRecurrence,
)
from ics2b24.model import Rrule
from tests.ical.recurrence_helpers import (
    BERLIN,
    HORIZON,
    assert_series_matches_reference,
    assert_written_out_like_reference,
    berlin,
    ctx,
    occurrence_starts,
    parts_of,
    plan,
)


def test_exdate_splits_the_series_into_count_bounded_parts() -> None:
    """No part generates a skipped day: the first part ends (COUNT) before the EXDATE, the next
    begins after it, with the original start of its first occurrence as its recurrence id and
    the set's own bound (none here)."""
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:weekly
DTSTART;TZID=Europe/Berlin:20240603T100000
DTEND;TZID=Europe/Berlin:20240603T110000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE
EXDATE;TZID=Europe/Berlin:20240612T100000
END:VEVENT""")
    weekly = Rrule(freq="WEEKLY", byday=("MO", "WE"))
    assert parts_of(result) == [
        (None, berlin(6, 3), berlin(6, 3, 11),
         Rrule(freq="WEEKLY", count=3, until=date(2024, 6, 10), byday=("MO", "WE"))),
        (berlin(6, 17), berlin(6, 17), berlin(6, 17, 11), weekly),
    ]
    assert result.rrule == weekly
    assert result.skipped == [date(2024, 6, 12)]
    assert result.warnings == []


def test_exdate_that_matches_no_occurrence_only_warns() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:stray
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY;COUNT=5
EXDATE;TZID=Europe/Berlin:20240611T100000
END:VEVENT""")
    assert result.skipped == []
    assert [p.rrule for p in result.parts] == [
        Rrule(freq="WEEKLY", count=5, until=date(2024, 7, 1), byday=("MO",))]
    assert result.warnings == ["EXDATE 2024-06-11T10:00:00 Europe/Berlin matches no occurrence"]


def test_exdate_in_utc_names_the_occurrence_at_that_instant() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:utc-exdate
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;COUNT=5
EXDATE:20240604T080000Z
END:VEVENT""")
    assert result.skipped == [date(2024, 6, 4)]


def test_count_with_exdate_counts_the_removed_occurrence() -> None:
    """COUNT=4 less one EXDATE: a part of 1 and the last part with the remaining 2."""
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:count-exdate
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;COUNT=4
EXDATE;TZID=Europe/Berlin:20240604T100000
END:VEVENT""")
    assert result.rrule.count == 4
    assert [(p.recurrence_id, p.rrule.count) for p in result.parts] == [
        (None, 1), (berlin(6, 5), 2)]


def test_skipped_dtstart_makes_the_first_remaining_occurrence_the_first_part() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:no-first
DTSTART;VALUE=DATE:20240603
DTEND;VALUE=DATE:20240604
RRULE:FREQ=WEEKLY;BYDAY=MO,TH;UNTIL=20240630
EXDATE;VALUE=DATE:20240603
END:VEVENT""")
    assert parts_of(result) == [
        (None, date(2024, 6, 6), date(2024, 6, 7),
         Rrule(freq="WEEKLY", count=7, until=date(2024, 6, 27), byday=("MO", "TH"))),
    ]


def test_run_of_consecutive_skipped_days_makes_no_empty_part() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:holiday
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=DAILY;COUNT=10
EXDATE;VALUE=DATE:20240604,20240605,20240606
EXDATE;VALUE=DATE:20240608
END:VEVENT""")
    assert [(p.recurrence_id, p.start, p.rrule.count) for p in result.parts] == [
        (None, date(2024, 6, 3), 1),
        (date(2024, 6, 7), date(2024, 6, 7), 1),
        (date(2024, 6, 9), date(2024, 6, 9), 4),
    ]
    assert result.skipped == [date(2024, 6, d) for d in (4, 5, 6, 8)]


def test_skipped_last_occurrences_make_no_empty_last_part() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:short
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=DAILY;COUNT=3
EXDATE;VALUE=DATE:20240604,20240605
END:VEVENT""")
    assert [(p.recurrence_id, p.rrule) for p in result.parts] == [
        (None, Rrule(freq="DAILY", count=1, until=date(2024, 6, 3)))]


def test_every_occurrence_skipped_leaves_nothing_to_write() -> None:
    result = plan("""
BEGIN:VEVENT
UID:gone
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=DAILY;COUNT=2
EXDATE;VALUE=DATE:20240603,20240604
END:VEVENT""")
    assert result is not None and result.writes_nothing


def test_later_part_keeps_the_wall_clock_across_dst_in_its_zone() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:dst-part
DTSTART;TZID=America/New_York:20241028T093000
DTEND;TZID=America/New_York:20241028T103000
RRULE:FREQ=WEEKLY;COUNT=4
EXDATE;TZID=America/New_York:20241104T093000
END:VEVENT""")
    new_york = ZoneInfo("America/New_York")
    (_, later) = result.parts
    assert later.start == datetime(2024, 11, 11, 9, 30, tzinfo=new_york)
    assert later.end == datetime(2024, 11, 11, 10, 30, tzinfo=new_york)
    assert later.recurrence_id == datetime(2024, 11, 11, 9, 30, tzinfo=new_york)


def test_until_is_sent_as_count() -> None:
    """A real portal reads UNTIL in its display date format and makes an unreadable one
    endless (docs/test-portal.md, behaviour 4): the rule carries the COUNT of occurrences up to
    UNTIL."""
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:until
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;UNTIL=20240626T080000Z
END:VEVENT""")
    assert result.rrule == Rrule(freq="WEEKLY", count=8, byday=("MO", "WE"))
    assert result.rrule.until is None


def test_until_years_ahead_is_a_count_found_without_expanding() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:until-far
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=MONTHLY;INTERVAL=5;UNTIL=99991231
END:VEVENT""")
    months = (9999 - 2024) * 12 + 12 - 6  # June 2024 → December 9999
    assert result.rrule == Rrule(freq="MONTHLY", interval=5, count=months // 5 + 1)


def test_weekly_without_byday_carries_the_start_weekday() -> None:
    """A real portal reads a WEEKLY rule without BYDAY as Monday (docs/test-portal.md,
    behaviour 5)."""
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:thursdays
DTSTART;TZID=Europe/Berlin:20240606T100000
RRULE:FREQ=WEEKLY;INTERVAL=2;COUNT=5
END:VEVENT""")
    assert result.rrule == Rrule(freq="WEEKLY", interval=2, count=5, byday=("TH",))


def test_all_day_until_is_the_inclusive_last_day() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:all-day
DTSTART;VALUE=DATE:20240603
DTEND;VALUE=DATE:20240604
RRULE:FREQ=DAILY;UNTIL=20240610
END:VEVENT""")
    assert result.rrule == Rrule(freq="DAILY", count=8)
    assert result.start == date(2024, 6, 3)
    assert result.end == date(2024, 6, 4)


def test_until_mid_day_becomes_the_date_of_the_last_occurrence() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:mid-day
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;UNTIL=20240610T070000Z
END:VEVENT""")
    assert result.rrule == Rrule(freq="DAILY", count=7)  # 3 June to 9 June


def test_date_until_of_an_evening_event_in_new_york_is_read_as_utc_midnight() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:ny
DTSTART;TZID=America/New_York:20240603T193000
RRULE:FREQ=DAILY;UNTIL=20240606
END:VEVENT""")
    assert result.rrule == Rrule(freq="DAILY", count=3)  # 3 June to 5 June


def test_daily_series_keeps_wall_clock_across_berlin_dst() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:dst
DTSTART;TZID=Europe/Berlin:20240325T090000
RRULE:FREQ=DAILY;COUNT=14
END:VEVENT""")
    assert result.rrule == Rrule(freq="DAILY", count=14)


def test_weekly_series_across_new_york_dst_is_a_series() -> None:
    assert_series_matches_reference("""
BEGIN:VEVENT
UID:ny-dst
DTSTART;TZID=America/New_York:20241021T083000
RRULE:FREQ=WEEKLY;BYDAY=MO,FR;UNTIL=20241130T000000Z
END:VEVENT""")


def test_monthly_on_the_31st_is_written_as_occurrences() -> None:
    """A real portal puts the 31st of a shorter month on the 1st of the next (docs/test-portal.md,
    behaviour 6); RFC 5545 skips it."""
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:31st
DTSTART;TZID=Europe/Berlin:20240131T120000
RRULE:FREQ=MONTHLY;COUNT=8;BYMONTHDAY=31
END:VEVENT""")
    assert [i.start.date() for i in result.instances][:3] == [
        date(2024, 1, 31), date(2024, 3, 31), date(2024, 5, 31)
    ]  # fmt: skip
    assert result.warnings == [
        "rule written out as 8 occurrences: MONTHLY on day 31 cannot be held by Bitrix24 (a "
        "portal moves it to the 1st of the next month in months without that day)"
    ]


@pytest.mark.parametrize("day", [29, 30])
def test_monthly_on_the_29th_or_30th_is_written_as_occurrences(day: int) -> None:
    result = assert_written_out_like_reference(f"""
BEGIN:VEVENT
UID:late-day
DTSTART;VALUE=DATE:202403{day}
RRULE:FREQ=MONTHLY;UNTIL=20250401
END:VEVENT""")
    assert f"MONTHLY on day {day} cannot be held by Bitrix24" in result.warnings[0]


def test_monthly_on_the_28th_stays_a_series() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:28th
DTSTART;VALUE=DATE:20240128
RRULE:FREQ=MONTHLY;COUNT=14
END:VEVENT""")
    assert result.rrule == Rrule(freq="MONTHLY", count=14)


def test_yearly_on_29_february_is_written_as_occurrences() -> None:
    """A real portal puts 29 February on 1 March in other years; RFC 5545 skips those."""
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:leap
DTSTART;VALUE=DATE:20240229
RRULE:FREQ=YEARLY;BYMONTH=2
END:VEVENT""")
    assert [i.start for i in result.instances] == [date(2024, 2, 29)]  # up to HORIZON 2027
    assert result.warnings == [
        f"rule expanded to {HORIZON.isoformat()} as 1 occurrences: YEARLY on 29 February "
        "cannot be held by Bitrix24 (a portal moves it to 1 March in other years)"
    ]


def test_yearly_on_28_february_stays_a_series() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:28-feb
DTSTART;VALUE=DATE:20240228
RRULE:FREQ=YEARLY;UNTIL=20300301
END:VEVENT""")
    assert result.rrule == Rrule(freq="YEARLY", count=7)


def test_weekly_interval_2_with_several_days_is_a_series() -> None:
    assert_series_matches_reference("""
BEGIN:VEVENT
UID:biweekly
DTSTART;TZID=Europe/Berlin:20240604T100000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH,SA;COUNT=9
END:VEVENT""")


def test_wkst_sunday_that_changes_nothing_is_a_series() -> None:
    assert_series_matches_reference("""
BEGIN:VEVENT
UID:wkst-same
DTSTART;TZID=Europe/Berlin:20240604T100000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;WKST=SU
END:VEVENT""")


def test_wkst_sunday_that_regroups_the_weeks_is_written_out() -> None:
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:wkst-differs
DTSTART;TZID=Europe/Berlin:20240602T100000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=SU,MO;WKST=SU;COUNT=6
END:VEVENT""")
    assert "WKST=SU" in result.warnings[0]


def test_dtstart_on_a_day_the_rule_skips_is_written_out_with_dtstart_first() -> None:
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:start-off-rule
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY;BYDAY=TU,TH;UNTIL=20240613T235959Z
END:VEVENT""")
    assert [i.start.date() for i in result.instances] == [
        date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 6), date(2024, 6, 11), date(2024, 6, 13)
    ]  # fmt: skip
    assert "DTSTART on a day the rule skips" in result.warnings[0]


def test_dtstart_the_rule_skips_comes_on_top_of_count() -> None:
    """recurring-ical-events (the reference) yields COUNT occurrences of the rule and DTSTART
    besides, where RFC 5545 would count DTSTART as the first of COUNT."""
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:start-off-rule-count
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY;BYDAY=TU,TH;COUNT=3
END:VEVENT""")
    assert [i.start.date() for i in result.instances] == [
        date(2024, 6, 3), date(2024, 6, 4), date(2024, 6, 6), date(2024, 6, 11)
    ]  # fmt: skip


def test_dtstart_on_a_byday_day_with_wkst_sunday_stays_a_series() -> None:
    assert_series_matches_reference("""
BEGIN:VEVENT
UID:start-on-rule
DTSTART;TZID=America/New_York:20240603T090000
RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE,FR;WKST=SU;UNTIL=20241224T000000Z
END:VEVENT""")


def test_rdate_equal_to_an_occurrence_adds_nothing() -> None:
    assert_series_matches_reference("""
BEGIN:VEVENT
UID:rdate-same
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;COUNT=3
RDATE;TZID=Europe/Berlin:20240603T100000
END:VEVENT""")


def test_floating_series_takes_the_floating_zone() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:floating
DTSTART:20240603T100000
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT""")
    assert result.start == datetime(2024, 6, 3, 10, tzinfo=BERLIN)


# --- overrides --------------------------------------------------------------------------------

MEETING = """
BEGIN:VEVENT
UID:meeting
DTSTART;TZID=Europe/Berlin:20240603T100000
DTEND;TZID=Europe/Berlin:20240603T110000
RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10
END:VEVENT
"""


def test_moved_occurrence_is_an_override_and_not_an_exdate() -> None:
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240610T100000
DTSTART;TZID=Europe/Berlin:20240611T140000
DTEND;TZID=Europe/Berlin:20240611T150000
SUMMARY:moved
END:VEVENT""")
    assert result.skipped == []
    assert [p.rrule.count for p in result.parts] == [10]
    (moved,) = result.overrides
    assert moved.recurrence_id == datetime(2024, 6, 10, 10, tzinfo=BERLIN)
    assert moved.start == datetime(2024, 6, 11, 14, tzinfo=BERLIN)
    assert str(moved.component["SUMMARY"]) == "moved"


def test_cancelled_occurrence_splits_the_series() -> None:
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID:20240612T080000Z
DTSTART:20240612T080000Z
STATUS:CANCELLED
END:VEVENT""")
    bx = Rrule(freq="WEEKLY", count=3, until=date(2024, 6, 10), byday=("MO", "WE"))
    assert parts_of(result) == [
        (None, berlin(6, 3), berlin(6, 3, 11), bx),
        (berlin(6, 17), berlin(6, 17), berlin(6, 17, 11),
         replace(bx, count=6, until=date(2024, 7, 3))),
    ]
    assert result.skipped == [date(2024, 6, 12)]
    assert result.cancelled == [datetime(2024, 6, 12, 10, tzinfo=BERLIN)]
    assert result.overrides == []


def test_override_belongs_to_the_later_part_that_holds_its_occurrence() -> None:
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240605T100000
DTSTART;TZID=Europe/Berlin:20240605T100000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240612T100000
DTSTART;TZID=Europe/Berlin:20240612T150000
SUMMARY:later
END:VEVENT""")
    assert [(p.recurrence_id, p.rrule.count) for p in result.parts] == [
        (None, 1), (berlin(6, 10), 8)]
    (moved,) = result.overrides
    assert (moved.recurrence_id, moved.start) == (berlin(6, 12), berlin(6, 12, 15))


def test_override_of_a_later_parts_first_occurrence_is_written_as_an_occurrence() -> None:
    """A part and an override line never share a recurrence id (the pair (uid, recurrence id)
    names one portal event): the moved first occurrence is an event of its own and the part
    begins after it."""
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240605T100000
DTSTART;TZID=Europe/Berlin:20240605T100000
STATUS:CANCELLED
END:VEVENT
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240610T100000
DTSTART;TZID=Europe/Berlin:20240611T090000
SUMMARY:moved
END:VEVENT""")
    assert [(p.recurrence_id, p.rrule.count) for p in result.parts] == [
        (None, 1), (berlin(6, 12), 7)]
    assert result.overrides == []
    (alone,) = result.standalone
    assert (alone.recurrence_id, alone.start) == (berlin(6, 10), berlin(6, 11, 9))
    assert str(alone.component["SUMMARY"]) == "moved"


def test_thisandfuture_is_a_new_part() -> None:
    """The part before it ends on the last occurrence before the split; the new part starts at
    the split with the VEVENT's own times and fields and the remaining COUNT."""
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240617T100000
DTSTART;TZID=Europe/Berlin:20240617T120000
DTEND;TZID=Europe/Berlin:20240617T130000
SUMMARY:later
END:VEVENT""")
    bx = Rrule(freq="WEEKLY", count=4, until=date(2024, 6, 12), byday=("MO", "WE"))
    assert parts_of(result) == [
        (None, berlin(6, 3), berlin(6, 3, 11), bx),
        (berlin(6, 17), berlin(6, 17, 12), berlin(6, 17, 13),
         replace(bx, count=6, until=date(2024, 7, 3))),
    ]
    assert str(result.parts[1].component["SUMMARY"]) == "later"
    assert result.overrides == []


def test_skipped_day_after_a_thisandfuture_split_splits_the_tail() -> None:
    result = assert_series_matches_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240610T100000
DTSTART;TZID=Europe/Berlin:20240610T120000
DTEND;TZID=Europe/Berlin:20240610T130000
SUMMARY:later
END:VEVENT
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240619T100000
DTSTART;TZID=Europe/Berlin:20240619T100000
STATUS:CANCELLED
END:VEVENT""")
    assert [(p.recurrence_id, p.start, p.rrule.count, str(p.component.get("SUMMARY")))
            for p in result.parts] == [
        (None, berlin(6, 3), 2, "None"),
        (berlin(6, 10), berlin(6, 10, 12), 3, "later"),
        (berlin(6, 24), berlin(6, 24, 12), 4, "later"),
    ]


def test_cancelled_thisandfuture_is_written_out() -> None:
    result = assert_written_out_like_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240617T100000
DTSTART;TZID=Europe/Berlin:20240617T100000
STATUS:CANCELLED
END:VEVENT""")
    assert "cancelled RANGE=THISANDFUTURE" in result.warnings[0]


def test_thisandfuture_to_other_days_is_written_out() -> None:
    assert_written_out_like_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240617T100000
DTSTART;TZID=Europe/Berlin:20240618T100000
DTEND;TZID=Europe/Berlin:20240618T110000
END:VEVENT""")


def test_override_of_no_occurrence_is_written_out() -> None:
    result = assert_written_out_like_reference(MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240611T100000
DTSTART;TZID=Europe/Berlin:20240611T100000
END:VEVENT""")
    assert "matches no single occurrence" in result.warnings[0]


def test_date_recurrence_id_on_a_timed_series_adds_its_event_beside_the_occurrence() -> None:
    """recurring-ical-events identifies a DATE RECURRENCE-ID by that day's midnight, which no
    occurrence at noon has: the occurrence stays and the override is one more event."""
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:date-rid
DTSTART:20240102T120000Z
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:date-rid
RECURRENCE-ID;VALUE=DATE:20240103
DTSTART:20240103T140000Z
END:VEVENT""")
    utc = timezone.utc
    assert occurrence_starts(result) == [
        datetime(2024, 1, 2, 12, tzinfo=utc), datetime(2024, 1, 3, 12, tzinfo=utc),
        datetime(2024, 1, 3, 14, tzinfo=utc), datetime(2024, 1, 4, 12, tzinfo=utc),
    ]  # fmt: skip


def test_date_recurrence_id_names_a_timed_occurrence_at_midnight() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:date-rid-midnight
DTSTART:20240102T000000Z
DTEND:20240102T010000Z
RRULE:FREQ=DAILY;COUNT=3
END:VEVENT
BEGIN:VEVENT
UID:date-rid-midnight
RECURRENCE-ID;VALUE=DATE:20240103
DTSTART:20240103T140000Z
DTEND:20240103T150000Z
END:VEVENT""")
    (moved,) = result.overrides
    assert moved.recurrence_id == datetime(2024, 1, 3, tzinfo=timezone.utc)


def test_written_out_instances_carry_their_component_and_original_start() -> None:
    result = plan("""
BEGIN:VEVENT
UID:monthly
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=3
SUMMARY:master
END:VEVENT
BEGIN:VEVENT
UID:monthly
RECURRENCE-ID;TZID=Europe/Berlin:20240701T100000
DTSTART;TZID=Europe/Berlin:20240702T100000
SUMMARY:moved
END:VEVENT
BEGIN:VEVENT
UID:monthly
RECURRENCE-ID;TZID=Europe/Berlin:20240805T100000
DTSTART;TZID=Europe/Berlin:20240805T100000
STATUS:CANCELLED
END:VEVENT""")
    assert isinstance(result, OccurrencesPlan)
    june_3, july_1, july_2 = (datetime(2024, m, d, 10, tzinfo=BERLIN) for m, d in
                              ((6, 3), (7, 1), (7, 2)))  # fmt: skip
    assert [(i.recurrence_id, i.start, str(i.component["SUMMARY"])) for i in result.instances] == [
        (june_3, june_3, "master"),
        (july_1, july_2, "moved"),
    ]
    assert result.cancelled == [datetime(2024, 8, 5, 10, tzinfo=BERLIN)]


# --- occurrences ------------------------------------------------------------------------------


def test_bysetpos_is_expanded_to_the_horizon_with_a_warning() -> None:
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:setpos
DTSTART;TZID=Europe/Berlin:20240628T100000
RRULE:FREQ=MONTHLY;BYDAY=MO,TU,WE,TH,FR;BYSETPOS=-1
END:VEVENT""")
    assert result.warnings == [
        f"rule expanded to {HORIZON.isoformat()} as {len(result.instances)} occurrences: "
        "BYSETPOS cannot be held by Bitrix24"
    ]


def test_rdate_is_written_out_whole() -> None:
    result = assert_written_out_like_reference("""
BEGIN:VEVENT
UID:rdate
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=YEARLY;COUNT=2
RDATE;VALUE=DATE:20240704
END:VEVENT""")
    assert result.warnings == [
        "rule written out as 3 occurrences: RDATE dates cannot be held by Bitrix24"
    ]
    assert [i.recurrence_id for i in result.instances] == [
        date(2024, 6, 3), date(2024, 7, 4), date(2025, 6, 3)
    ]


def test_several_rrules_are_written_out() -> None:
    assert_written_out_like_reference("""
BEGIN:VEVENT
UID:two-rules
DTSTART;TZID=America/New_York:20240603T090000
RRULE:FREQ=WEEKLY;BYDAY=MO;COUNT=4
RRULE:FREQ=WEEKLY;BYDAY=TH;COUNT=4
END:VEVENT""")


def test_secondly_rule_from_2007_is_capped_at_max_occurrences() -> None:
    result = plan(
        """
BEGIN:VEVENT
UID:secondly
DTSTART:20070101T000000Z
RRULE:FREQ=SECONDLY
END:VEVENT""",
        ctx(cap=500),
    )
    assert isinstance(result, OccurrencesPlan)
    assert len(result.instances) == 500
    assert result.instances[-1].start == datetime(2007, 1, 1, 0, 8, 19, tzinfo=ZoneInfo("UTC"))
    assert "--max-occurrences" in result.warnings[0]


def test_since_leaves_out_occurrences_that_end_before_it() -> None:
    result = plan(
        """
BEGIN:VEVENT
UID:since
DTSTART;VALUE=DATE:20240603
DTEND;VALUE=DATE:20240605
RRULE:FREQ=DAILY;COUNT=5;BYMONTH=6,7
END:VEVENT""",
        ctx(since=date(2024, 6, 6)),
    )
    assert isinstance(result, OccurrencesPlan)
    assert [i.start for i in result.instances] == [
        date(2024, 6, 5), date(2024, 6, 6), date(2024, 6, 7)
    ]


def test_series_that_ends_before_since_is_left_out() -> None:
    assert plan(MEETING, ctx(since=date(2024, 8, 1))) is None


def test_series_still_running_at_since_is_kept_whole() -> None:
    result = plan(MEETING, ctx(since=date(2024, 6, 20)))
    assert isinstance(result, SeriesPlan)
    assert result.start == datetime(2024, 6, 3, 10, tzinfo=BERLIN)


def test_since_drops_parts_that_end_before_it() -> None:
    body = MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240612T100000
DTSTART;TZID=Europe/Berlin:20240612T100000
STATUS:CANCELLED
END:VEVENT"""
    result = plan(body, ctx(since=date(2024, 6, 11)))
    assert isinstance(result, SeriesPlan)
    assert [(p.recurrence_id, p.rrule.count) for p in result.parts] == [(berlin(6, 17), 6)]


def test_since_keeps_a_part_whose_override_ends_after_it() -> None:
    body = MEETING + """
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240605T100000
DTSTART;TZID=Europe/Berlin:20240705T100000
END:VEVENT
BEGIN:VEVENT
UID:meeting
RECURRENCE-ID;TZID=Europe/Berlin:20240610T100000
DTSTART;TZID=Europe/Berlin:20240610T100000
STATUS:CANCELLED
END:VEVENT"""
    result = plan(body, ctx(since=date(2024, 6, 20)))
    assert isinstance(result, SeriesPlan)
    assert [(p.recurrence_id, p.rrule.count) for p in result.parts] == [
        (None, 2), (berlin(6, 12), 7)]
    assert [o.recurrence_id for o in result.overrides] == [berlin(6, 5)]


def test_horizon_does_not_cut_parts() -> None:
    result = plan("""
BEGIN:VEVENT
UID:endless
DTSTART;VALUE=DATE:20240603
RRULE:FREQ=YEARLY
EXDATE;VALUE=DATE:20250603
END:VEVENT""", ctx(horizon=date(2024, 7, 1)))
    assert isinstance(result, SeriesPlan)
    assert [(p.recurrence_id, p.rrule) for p in result.parts] == [
        (None, Rrule(freq="YEARLY", count=1, until=date(2024, 6, 3))),
        (date(2026, 6, 3), Rrule(freq="YEARLY"))]


def test_broken_rrule_is_unreadable_with_a_sentence_about_it() -> None:
    with pytest.raises(UnreadableRecurrence, match="Expected weekday abbreviation, got: XX"):
        plan("""
BEGIN:VEVENT
UID:broken
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=WEEKLY;BYDAY=XX
END:VEVENT""")


def test_exdate_matching_only_by_wall_clock_removes_what_the_reference_removes() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:wall-clock-exdate
DTSTART;TZID=Europe/Berlin:20240603T100000
RRULE:FREQ=DAILY;COUNT=5
EXDATE:20240604T100000Z
END:VEVENT""")
    assert result.skipped == [date(2024, 6, 4)]


def test_secondly_rule_from_2007_with_since_starts_at_since_without_walking_there() -> None:
    body = """
BEGIN:VEVENT
UID:secondly-since
DTSTART;TZID=Europe/Berlin:20070101T000000
DTEND;TZID=Europe/Berlin:20070101T000001
RRULE:FREQ=SECONDLY;INTERVAL=7
EXDATE;TZID=Europe/Berlin:20250301T000004
END:VEVENT"""
    started = time.monotonic()
    result = plan(body, ctx(cap=100, since=date(2025, 3, 1)))
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


def test_a_part_of_a_several_day_event_the_portal_would_stretch_is_written_as_occurrences(
        ) -> None:
    """A portal moves an UNTIL more than a day before the first occurrence's end to that end:
    a one-day part of a three-day daily event would go on for three days."""
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:offsite
DTSTART;VALUE=DATE:20260315
DTEND;VALUE=DATE:20260318
RRULE:FREQ=DAILY;COUNT=6
EXDATE;VALUE=DATE:20260316
END:VEVENT""")
    assert [p.recurrence_id for p in result.standalone] == [date(2026, 3, 15)]
    assert [(p.start, p.rrule.until) for p in result.parts] == [
        (date(2026, 3, 17), date(2026, 3, 20))]


def test_a_part_of_a_two_day_event_on_consecutive_days_stays_a_series() -> None:
    result = assert_series_matches_reference("""
BEGIN:VEVENT
UID:offsite
DTSTART;VALUE=DATE:20260315
DTEND;VALUE=DATE:20260317
RRULE:FREQ=DAILY;COUNT=6
EXDATE;VALUE=DATE:20260317
END:VEVENT""")
    assert result.standalone == []
    assert [(p.start, p.rrule.until) for p in result.parts] == [
        (date(2026, 3, 15), date(2026, 3, 16)), (date(2026, 3, 18), date(2026, 3, 20))]
