"""Whether a portal at a new address is the one the state DB knew (plan/moved.py)."""

from __future__ import annotations

from ics2b24.model import DesiredEvent, EventParams
from ics2b24.plan.moved import same_portal
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent


def _line(uid: str, name: str) -> DesiredEvent:
    return DesiredEvent(uid=uid, recurrence_id=None, kind="single", params=EventParams(
        name=name, date_from="2025-03-03T09:00:00", date_to="2025-03-03T10:00:00"))


def _found(event_id: int, name: str) -> RemoteEvent:
    params = EventParams(name=name, date_from="2025-03-03T09:00:00",
                         date_to="2025-03-03T10:00:00")
    return RemoteEvent(id=event_id, section_id=1, dav_xml_id=None, recurrence_id=None,
                       original_recursion_id=None, original_date_from=None, meeting_host=1,
                       start_utc=None, params=params, exdate=(), occurrences=())


def _row(uid: str, event_id: int) -> Record:
    return Record("http://old:1/user/1", "user:1:1", uid, None, event_id, "f", True)


INPUT = [_line("a", "Review"), _line("b", "Lunch"), _line("c", "Retro")]
ROWS = [_row("a", 1), _row("b", 2), _row("c", 3)]


def test_a_target_holding_the_recorded_events_under_their_names_is_the_same_portal() -> None:
    assert same_portal(ROWS, [_found(1, "Review"), _found(2, "Lunch"), _found(3, "Retro")],
                       INPUT)


def test_events_deleted_since_do_not_hide_the_portal_while_half_are_still_there() -> None:
    assert same_portal(ROWS, [_found(1, "Review"), _found(2, "Lunch")], INPUT)
    assert not same_portal(ROWS, [_found(1, "Review")], INPUT)


def test_the_same_ids_under_other_names_are_another_portal() -> None:
    """Two fresh portals number their events alike."""
    assert not same_portal(ROWS, [_found(1, "Review"), _found(2, "Dentist"),
                                  _found(3, "Retro")], INPUT)


def test_an_empty_target_is_not_recognised() -> None:
    assert not same_portal(ROWS, [], INPUT)
