"""Judging the portal against the input on plain values: what the input implies, what the
portal's rows show, and how the two are tied together by UID."""

from __future__ import annotations

from collections import Counter
from datetime import date
from typing import Any

from ics2b24.bitrix.rows import shown
from ics2b24.model import DesiredEvent, EventParams, Rrule
from ics2b24.plan.compare import (
    Occurrence,
    Window,
    compare,
    differing_views,
    implied,
    month_grid,
    month_grids,
)

WINDOW = Window(date(2025, 1, 1), date(2025, 12, 31))


def timed(start: str, end: str, rrule: Rrule | None = None, name: str = "Standup") -> EventParams:
    return EventParams(name=name, date_from=start, date_to=end, timezone_from="Europe/Berlin",
                       timezone_to="Europe/Berlin", rrule=rrule)


def line(kind: Any, params: EventParams, rid: str | None = None, uid: str = "a") -> DesiredEvent:
    return DesiredEvent(uid=uid, recurrence_id=rid, kind=kind, params=params)


def at(day: int, hour: int = 8, month: int = 3, name: str = "Standup") -> Occurrence:
    """A one-hour occurrence starting at `hour` UTC (09:00 Berlin in March)."""
    start = f"2025-{month:02d}-{day:02d}T{hour:02d}:00:00Z"
    return Occurrence(start, f"2025-{month:02d}-{day:02d}T{hour + 1:02d}:00:00Z", name, False)


WEEKLY = Rrule("WEEKLY", count=3, byday=("MO",))


def test_every_part_of_a_series_is_expanded() -> None:
    parts = [line("series", timed("2025-03-03T09:00:00", "2025-03-03T10:00:00", WEEKLY)),
             line("series", timed("2025-03-24T09:00:00", "2025-03-24T10:00:00",
                                  Rrule("WEEKLY", count=1, byday=("MO",))),
                  rid="2025-03-24T08:00:00Z")]
    assert implied(parts, WINDOW) == {"a": Counter([at(3), at(10), at(17), at(24)])}


def test_a_moved_occurrence_leaves_its_part_and_stands_where_it_went() -> None:
    events = [line("series", timed("2025-03-03T09:00:00", "2025-03-03T10:00:00", WEEKLY)),
              line("override", timed("2025-03-11T12:00:00", "2025-03-11T13:00:00",
                                     name="Moved"), rid="2025-03-10T08:00:00Z")]
    assert implied(events, WINDOW) == {
        "a": Counter([at(3), Occurrence("2025-03-11T11:00:00Z", "2025-03-11T12:00:00Z",
                                        "Moved", False), at(17)])}


def test_only_occurrences_starting_inside_the_window_count() -> None:
    series = line("series", timed("2025-03-03T09:00:00", "2025-03-03T10:00:00", WEEKLY))
    assert implied([series], Window(date(2025, 3, 9), date(2025, 3, 12))) == {
        "a": Counter([at(10)])}


def row(event_id: int, start: str, end: str, name: str = "Standup") -> dict[str, Any]:
    """A `calendar.event.get` row in the portal's display format (Berlin wall clock)."""
    return {"ID": str(event_id), "NAME": name, "DATE_FROM": start, "DATE_TO": end,
            "TZ_FROM": "Europe/Berlin", "TZ_TO": "Europe/Berlin", "DT_SKIP_TIME": "N"}


def test_rows_become_occurrences_of_their_event() -> None:
    rows = [row(7, "03/03/2025 09:00:00 am", "03/03/2025 10:00:00 am"),
            row(7, "03/10/2025 09:00:00 am", "03/10/2025 10:00:00 am")]
    assert shown(rows, WINDOW) == {7: Counter([at(3), at(10)])}


def expected() -> dict[str, Counter[Occurrence]]:
    return {"a": Counter([at(3), at(10), at(17)]), "b": Counter([at(5, 13)])}


def test_equal_sides_are_equal() -> None:
    portal = {7: Counter([at(3), at(10), at(17)]), 8: Counter([at(5, 13)])}
    report = compare(expected(), portal, {}, WINDOW)
    assert report.equal and report.other_events == 0


def test_a_second_copy_of_an_input_event_is_a_look_alike_and_not_equal() -> None:
    portal = {7: Counter([at(3), at(10), at(17)]), 8: Counter([at(5, 13)]),
              9: Counter([at(5, 13)])}
    report = compare(expected(), portal, {}, WINDOW)
    assert report.lookalikes == [9] and not report.differing and not report.equal
    assert "1 event(s) are look-alike copies" in report.verdict()


def test_another_event_of_the_section_is_counted_not_judged() -> None:
    portal = {7: Counter([at(3), at(10), at(17)]), 8: Counter([at(5, 13)]),
              9: Counter([at(6, 13, name="Dentist")])}
    report = compare(expected(), portal, {}, WINDOW)
    assert report.equal and report.other_events == 1 and report.lookalikes == []


def test_an_occurrence_the_portal_lost_is_missing_for_its_uid() -> None:
    report = compare(expected(), {7: Counter([at(3), at(17)]), 8: Counter([at(5, 13)])},
                     {"a": "Standup"}, WINDOW)
    (differs,) = report.differing
    assert (differs.uid, differs.missing, differs.extra) == ("a", [at(10)], [])
    assert "UID a (Standup): 1 missing: 2025-03-10T08:00:00Z" in differs.line()


def test_an_occurrence_the_portal_adds_is_extra_for_the_event_it_belongs_to() -> None:
    portal = {7: Counter([at(3), at(10), at(17), at(24)]), 8: Counter([at(5, 13)])}
    (differs,) = compare(expected(), portal, {}, WINDOW).differing
    assert (differs.uid, differs.missing, differs.extra) == ("a", [], [at(24)])


def test_other_events_in_the_section_are_counted_not_judged() -> None:
    portal = {7: Counter([at(3), at(10), at(17)]), 8: Counter([at(5, 13)]),
              9: Counter([at(20, 15, name="Dentist")])}
    report = compare(expected(), portal, {}, WINDOW)
    assert report.equal and report.other_events == 1


def test_a_month_view_is_six_weeks_from_the_monday_on_or_before_the_first() -> None:
    assert month_grid(date(2025, 3, 20)) == Window(date(2025, 2, 24), date(2025, 4, 6))
    assert month_grid(date(2025, 9, 1)) == Window(date(2025, 9, 1), date(2025, 10, 12))


def test_every_month_the_window_touches_has_its_view() -> None:
    grids = month_grids(Window(date(2024, 12, 31), date(2025, 2, 1)))
    assert grids == [month_grid(date(2024, 12, 1)), month_grid(date(2025, 1, 1)),
                     month_grid(date(2025, 2, 1))]



def test_the_views_of_the_last_months_a_date_can_hold_end_on_its_last_day() -> None:
    grids = month_grids(Window(date(9999, 11, 30), date(9999, 12, 31)))
    assert grids == [Window(date(9999, 11, 1), date(9999, 12, 12)),
                     Window(date(9999, 11, 29), date.max)]

MARCH = month_grid(date(2025, 3, 1))


def test_a_month_view_showing_other_days_than_the_whole_window_is_named() -> None:
    series = [line("series", timed("2025-03-03T09:00:00", "2025-03-03T10:00:00", WEEKLY))]
    whole = compare(implied(series, WINDOW), {7: Counter([at(3), at(10), at(17)])}, {},
                    WINDOW)
    (view,) = differing_views(series, [(MARCH, {7: Counter([at(4), at(11), at(18)])})],
                              {"a": "Standup"}, whole)
    assert view.name() == "month view 2025-03 (2025-02-24..2025-04-06)"
    (differs,) = view.differing
    assert (differs.missing, differs.extra) == ([at(3), at(10), at(17)],
                                                [at(4), at(11), at(18)])


def test_a_month_view_does_not_repeat_what_the_whole_window_already_says() -> None:
    series = [line("series", timed("2025-03-03T09:00:00", "2025-03-03T10:00:00", WEEKLY))]
    lost = {7: Counter([at(3), at(17)])}
    whole = compare(implied(series, WINDOW), lost, {}, WINDOW)
    assert not whole.equal
    assert differing_views(series, [(MARCH, lost)], {}, whole) == []
