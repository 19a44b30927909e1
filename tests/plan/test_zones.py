"""The input's zone names as one portal keeps them: a name the portal replaced is written as
another with the same rules, a single event with none left in UTC, a series with none left
said."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from ics2b24.model import DesiredEvent, EventParams, Rrule
from ics2b24.plan.zones import replaced, respelled


def event(zone: str, rrule: Rrule | None = None) -> DesiredEvent:
    return DesiredEvent(uid="a", recurrence_id=None, kind="series" if rrule else "single",
                        params=EventParams(name="Call", date_from="2025-07-01T10:00:00",
                                           date_to="2025-07-01T11:00:00", timezone_from=zone,
                                           timezone_to=zone, rrule=rrule),
                        source="a.ics:3")


def test_names_the_portal_kept_are_not_replaced() -> None:
    assert replaced({"Europe/Kyiv": "Europe/Kyiv", "Asia/Tokyo": "Europe/Moscow"}) == {
        "Asia/Tokyo"}


def test_nothing_changes_while_the_portal_kept_every_name() -> None:
    events = [event("Europe/Kyiv")]
    assert respelled(events, {"Europe/Kyiv": "Europe/Kyiv"}) == (events, [])


def test_a_replaced_zone_is_written_as_a_listed_zone_with_the_same_offsets_and_wall_clock(
        ) -> None:
    (out,), warnings = respelled([event("Europe/Kyiv")], {"Europe/Kyiv": "Europe/Moscow"})
    assert (out.params.timezone_from, out.params.timezone_to) == ("Europe/Athens",
                                                                  "Europe/Athens")
    assert (out.params.date_from, out.params.date_to) == ("2025-07-01T10:00:00",
                                                          "2025-07-01T11:00:00")
    assert warnings == []


def test_each_replaced_alternative_gives_way_to_the_next() -> None:
    kept = {"Europe/Kyiv": "Europe/Moscow", "Europe/Athens": "Europe/Moscow"}
    (out,), _ = respelled([event("Europe/Kyiv")], kept)
    assert out.params.timezone_from == "Europe/Bucharest"


def test_a_single_event_with_no_name_left_is_written_at_the_same_instants_in_utc() -> None:
    kept = {"Asia/Kolkata": "Europe/Moscow", "Asia/Colombo": "Europe/Moscow",
            "Asia/Calcutta": "Europe/Moscow"}
    (out,), warnings = respelled([event("Asia/Kolkata")], kept)
    start = datetime(2025, 7, 1, 10, tzinfo=ZoneInfo("Asia/Kolkata")).astimezone(UTC)
    assert (out.params.date_from, out.params.timezone_from) == (
        start.replace(tzinfo=None).isoformat(), "UTC")
    assert out.params.date_to == "2025-07-01T05:30:00" and warnings == []


def test_a_series_with_no_name_left_keeps_its_zone_and_is_said() -> None:
    kept = {"Asia/Kolkata": "Europe/Moscow", "Asia/Colombo": "Europe/Moscow",
            "Asia/Calcutta": "Europe/Moscow"}
    series = event("Asia/Kolkata", Rrule("WEEKLY", count=3, byday=("TU",)))
    (out,), warnings = respelled([series], kept)
    assert out == series
    assert warnings == ["a.ics:3: UID a: the portal replaces the zone Asia/Kolkata and no "
                        "other name for it is left to try: this series is shown hours off there"]
