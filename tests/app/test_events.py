"""How `events list` writes one occurrence's time: in the event's own zone, the end's day
only when it is another, both zones when they differ (a flight)."""

from __future__ import annotations

from ics2b24.app.events import Listed
from ics2b24.model import EventParams


def when(date_from: str, date_to: str, zone_from: str | None, zone_to: str | None,
         *, all_day: bool = False) -> str:
    params = EventParams(name="x", date_from=date_from, date_to=date_to, skip_time=all_day,
                         timezone_from=zone_from, timezone_to=zone_to)
    return Listed(1, params, None).when()


def test_an_event_ending_on_its_own_day_names_the_day_once() -> None:
    assert when("2025-03-04T14:00:00", "2025-03-04T15:00:00", "Europe/Berlin",
                "Europe/Berlin") == "2025-03-04 14:00..15:00 Europe/Berlin"


def test_an_event_ending_on_another_day_names_both_days() -> None:
    assert when("2025-03-04T22:00:00", "2025-03-05T01:00:00", "Europe/Berlin",
                "Europe/Berlin") == "2025-03-04 22:00..2025-03-05 01:00 Europe/Berlin"


def test_an_event_ending_in_another_zone_names_both_zones() -> None:
    assert when("2025-03-04T10:00:00", "2025-03-04T13:00:00", "Europe/Berlin",
                "America/New_York") == ("2025-03-04 10:00 Europe/Berlin..2025-03-04 13:00 "
                                        "America/New_York")


def test_an_all_day_event_names_its_first_and_last_day() -> None:
    assert when("2025-05-19", "2025-05-23", None, None, all_day=True) == (
        "2025-05-19..2025-05-23 all day")
    assert when("2025-04-12", "2025-04-12", None, None, all_day=True) == "2025-04-12 all day"
