"""The fingerprint the state DB keeps of each pushed line: a value recorded by an earlier
version must stay the same, or every recorded event looks changed after an upgrade."""

from __future__ import annotations

from ics2b24.model import DesiredEvent, EventParams, Meeting, Reminder, Rrule
from ics2b24.plan.identity import fingerprint

FULL = EventParams(
    name="Review", date_from="2025-03-03T09:00:00", date_to="2025-03-03T10:00:00",
    timezone_from="Europe/Berlin", timezone_to="Europe/Berlin", description="Notes",
    location="Room 1", color="#9DCF00", remind=(Reminder("min", 15),), accessibility="free",
    importance="high", private_event=True, rrule=Rrule("WEEKLY", count=4, byday=("MO",)),
    is_meeting=True, attendees=(1, 2), meeting=Meeting())
BARE = EventParams(name="Day", date_from="2025-03-03", date_to="2025-03-03", skip_time=True)


def test_fingerprint_of_an_event_with_every_field_is_the_recorded_value() -> None:
    event = DesiredEvent("a@test", None, "series", FULL, exdate=["2025-03-10"])
    assert fingerprint(event) == (
        "46f4483a11e268feac54ab5f6a8d066d5bbbe33e1cc98a37dccf4a89b9b1f422")


def test_fingerprint_of_an_event_with_only_defaults_is_the_recorded_value() -> None:
    event = DesiredEvent("b@test", None, "single", BARE)
    assert fingerprint(event) == (
        "d6ba90e4a2868a66d3ad0e8dcf7c740944e9238d10f6bc702109788e93b246ef")


def test_wire_parameters_keep_the_order_convert_writes_them_in() -> None:
    assert list(FULL.to_params()) == [
        "name", "from", "to", "timezone_from", "timezone_to", "skip_time", "description",
        "location", "color", "remind", "accessibility", "importance", "private_event", "rrule",
        "is_meeting", "attendees", "meeting"]
