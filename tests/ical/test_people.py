from __future__ import annotations

from ics2b24.ical.people import people
from tests.ical.ics import vevent

MEETING = """UID:m
DTSTART:20240617T100000Z
ORGANIZER;CN=Olga Boss:mailto:olga@example.org
ATTENDEE;CN=Ann:mailto:Ann@Example.org
ATTENDEE;CN=Bob Smith:mailto:bob@example.org
ATTENDEE:mailto:carl@example.org"""


def test_mapped_attendees_become_portal_users() -> None:
    result = people(vevent(MEETING), {"ann@example.org": 7, "carl@example.org": 9}, False, True)
    assert result.attendees == (7, 9)


def test_email_matching_ignores_case() -> None:
    assert people(vevent(MEETING), {"ann@example.org": 7}, False, True).attendees == (7,)


def test_unmapped_attendees_are_named_in_the_description_with_a_warning() -> None:
    result = people(vevent(MEETING), {"ann@example.org": 7, "carl@example.org": 9}, False, True)
    assert "Attendees: Bob Smith <bob@example.org>" in result.description_lines
    assert result.warnings == ["no portal user for Bob Smith <bob@example.org>: named in the "
                               "description"]


def test_organizer_is_named_in_the_description_not_sent() -> None:
    result = people(vevent(MEETING), {"olga@example.org": 3}, False, True)
    assert result.description_lines[0] == "Organizer: Olga Boss <olga@example.org>"
    assert 3 not in result.attendees


def test_no_attendees_leaves_people_out_entirely() -> None:
    result = people(vevent(MEETING), {"ann@example.org": 7}, True, True)
    assert (result.attendees, result.description_lines, result.warnings) == ((), [], [])


def test_event_without_people_has_none() -> None:
    result = people(vevent("UID:a\nDTSTART:20240617T100000Z"), {}, False, True)
    assert (result.attendees, result.description_lines, result.warnings) == ((), [], [])


def test_same_user_twice_is_one_attendee() -> None:
    body = MEETING + "\nATTENDEE:mailto:ann@example.org"
    assert people(vevent(body), {"ann@example.org": 7}, False, True).attendees == (7,)


def test_without_invite_mapped_attendees_are_named_in_the_description_not_invited() -> None:
    result = people(vevent(MEETING), {"ann@example.org": 7, "carl@example.org": 9}, False,
                    False)
    assert (result.attendees, result.uninvited) == ((), 2)
    assert ("Attendees: Ann <ann@example.org>, Bob Smith <bob@example.org>, carl@example.org"
            in result.description_lines)
