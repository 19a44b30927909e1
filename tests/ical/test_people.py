from __future__ import annotations

from pathlib import Path

import pytest

from ics2b24.errors import ParseError, UsageError
from ics2b24.ical.people import load_user_map, people
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


def test_csv_user_map_is_read(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nAnn@Example.org,7\n\nbob@example.org, 12\n")
    assert load_user_map(str(path)) == {"ann@example.org": 7, "bob@example.org": 12}


def test_json_user_map_is_read(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"ann@example.org": 7, "mailto:bob@example.org": "12"}')
    assert load_user_map(str(path)) == {"ann@example.org": 7, "bob@example.org": 12}


def test_csv_user_map_without_header_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("ann@example.org,7\n")
    with pytest.raises(ParseError, match="header email,user_id"):
        load_user_map(str(path))


def test_user_map_with_a_bad_id_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "users.csv"
    path.write_text("email,user_id\nann@example.org,7\nbob@example.org,bob\n")
    with pytest.raises(ParseError) as info:
        load_user_map(str(path))
    assert info.value.line == 3


def test_invalid_json_user_map_is_a_parse_error(tmp_path: Path) -> None:
    path = tmp_path / "users.json"
    path.write_text('{"ann@example.org": 7,')
    with pytest.raises(ParseError, match="invalid JSON"):
        load_user_map(str(path))


def test_missing_user_map_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--user-map"):
        load_user_map(str(tmp_path / "nope.csv"))
