from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ics2b24.errors import ParseError
from ics2b24.ical.read import normalise_event, read_input, resolve_zone
from tests.ical.ics import calendar, vevent

BERLIN = ZoneInfo("Europe/Berlin")
EVENT = "UID:a\nDTSTART:20240617T100000Z\nSUMMARY:Café"


def test_several_vcalendars_in_one_stream_are_all_read() -> None:
    data = calendar(EVENT) + calendar("UID:b\nDTSTART:20240618T100000Z")
    read = read_input("two.ics", data)
    assert len(read.calendars) == 2
    assert [str(e.component["UID"]) for e in read.events] == ["a", "b"]


def test_bare_lf_line_endings_are_read() -> None:
    data = calendar(EVENT).replace(b"\r\n", b"\n")
    assert str(read_input("lf.ics", data).events[0].component["SUMMARY"]) == "Café"


def test_folded_lines_are_unfolded() -> None:
    data = calendar("UID:a\nDTSTART:20240617T100000Z\nSUMMARY:Long").replace(
        b"SUMMARY:Long", b"SUMMARY:Lo\r\n ng ti\r\n\ttle")
    assert str(read_input("f.ics", data).events[0].component["SUMMARY"]) == "Long title"


def test_utf8_bom_is_ignored() -> None:
    data = b"\xef\xbb\xbf" + calendar(EVENT)
    assert str(read_input("bom.ics", data).events[0].component["SUMMARY"]) == "Café"


def test_utf16_export_is_read() -> None:
    data = calendar(EVENT).decode("utf-8").encode("utf-16")
    assert str(read_input("u16.ics", data).events[0].component["SUMMARY"]) == "Café"


def test_invalid_utf8_is_a_parse_error_with_its_line() -> None:
    data = calendar(EVENT).replace("Café".encode(), b"Caf\xe9")
    with pytest.raises(ParseError) as info:
        read_input("latin1.ics", data)
    assert info.value.file == "latin1.ics"
    assert info.value.line == 7
    assert "UTF-8" in info.value.message


def test_empty_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        read_input("empty.ics", b"  \r\n")


def test_text_that_is_not_icalendar_is_a_parse_error_with_its_line() -> None:
    with pytest.raises(ParseError) as info:
        read_input("notes.txt", b"BEGIN:VCALENDAR\nhello world\nEND:VCALENDAR\n")
    assert info.value.line == 2


def test_truncated_input_is_a_parse_error() -> None:
    data = calendar(EVENT)[:-27]
    with pytest.raises(ParseError) as info:
        read_input("cut.ics", data)
    assert (info.value.line, info.value.message) == (4, "truncated: BEGIN:VEVENT is never closed")


def test_vevent_lines_point_at_their_begin_line() -> None:
    data = calendar(EVENT, "UID:b\nDTSTART:20240618T100000Z")
    read = read_input("x.ics", data)
    assert [e.where for e in read.events] == ["x.ics:4", "x.ics:9"]


def test_x_wr_timezone_shows_utc_times_in_the_calendar_zone() -> None:
    event = vevent("UID:a\nDTSTART:20240617T080000Z", header="X-WR-TIMEZONE:Europe/Berlin")
    assert event["DTSTART"].dt == datetime(2024, 6, 17, 10, tzinfo=BERLIN)
    assert event["DTSTART"].dt.tzinfo.key == "Europe/Berlin"


def test_windows_zone_name_is_read_as_its_iana_zone() -> None:
    event = vevent("UID:a\nDTSTART;TZID=W. Europe Standard Time:20240617T100000")
    normalise_event(event, ZoneInfo("UTC"))
    assert event["DTSTART"].dt.tzinfo == BERLIN


OUTLOOK_VTIMEZONE = """BEGIN:VTIMEZONE
TZID:Pacific Standard Time
BEGIN:STANDARD
DTSTART:16010101T020000
TZOFFSETFROM:-0700
TZOFFSETTO:-0800
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:-0800
TZOFFSETTO:-0700
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE"""


def test_windows_zone_with_its_own_vtimezone_is_read_as_its_iana_zone() -> None:
    event = vevent("UID:a\nDTSTART;TZID=Pacific Standard Time:20240617T100000",
                   header=OUTLOOK_VTIMEZONE)
    normalise_event(event, BERLIN)
    assert event["DTSTART"].dt == datetime(2024, 6, 17, 10, tzinfo=ZoneInfo("America/Los_Angeles"))
    assert event["DTSTART"].dt.tzinfo.key == "America/Los_Angeles"


def test_custom_vtimezone_is_matched_to_an_iana_zone_with_the_same_offsets() -> None:
    custom = OUTLOOK_VTIMEZONE.replace("Pacific Standard Time", "My Office Zone")
    event = vevent("UID:a\nDTSTART;TZID=My Office Zone:20240617T100000", header=custom)
    assert normalise_event(event, BERLIN) == []
    assert event["DTSTART"].dt.tzinfo.key == "America/Los_Angeles"
    assert event["DTSTART"].dt.hour == 10


def test_undefined_tzid_is_read_in_the_floating_zone_with_a_note() -> None:
    event = vevent("UID:a\nDTSTART;TZID=Mars/Olympus:20240617T100000")
    notes = normalise_event(event, BERLIN)
    assert event["DTSTART"].dt == datetime(2024, 6, 17, 10, tzinfo=BERLIN)
    assert notes == ["time zone 'Mars/Olympus' is not defined; read in Europe/Berlin"]


def test_floating_time_stays_floating() -> None:
    event = vevent("UID:a\nDTSTART:20240617T100000")
    assert normalise_event(event, BERLIN) == []
    assert event["DTSTART"].dt.tzinfo is None


def test_exdates_in_a_windows_zone_are_normalised_too() -> None:
    event = vevent("UID:a\nDTSTART;TZID=W. Europe Standard Time:20240617T100000\n"
                   "RRULE:FREQ=DAILY\nEXDATE;TZID=W. Europe Standard Time:20240618T100000")
    normalise_event(event, ZoneInfo("UTC"))
    assert event["EXDATE"].dts[0].dt == datetime(2024, 6, 18, 10, tzinfo=BERLIN)


def test_all_day_dates_are_left_alone() -> None:
    event = vevent("UID:a\nDTSTART;VALUE=DATE:20240617")
    normalise_event(event, BERLIN)
    assert event["DTSTART"].dt == date(2024, 6, 17)


def test_tz_option_accepts_windows_names_and_rejects_unknown_ones() -> None:
    assert resolve_zone("W. Europe Standard Time") == BERLIN
    assert resolve_zone("Etc/UTC").key == "UTC"
    with pytest.raises(KeyError):
        resolve_zone("Mars/Olympus")


def test_end_without_begin_is_a_parse_error_with_its_line() -> None:
    data = calendar(EVENT).replace(b"END:VEVENT", b"END:VTODO")
    with pytest.raises(ParseError) as info:
        read_input("x.ics", data)
    assert (info.value.line, info.value.message) == (8, "END:VTODO without a matching BEGIN")


def test_bare_vevents_are_read_as_a_calendar() -> None:
    data = b"BEGIN:VEVENT\r\nUID:a\r\nDTSTART:20240617T100000Z\r\nEND:VEVENT\r\n"
    read = read_input("bare.ics", data)
    assert [(str(e.component["UID"]), e.line) for e in read.events] == [("a", 1)]


def test_custom_vtimezone_with_outdated_rules_is_read_as_the_closest_zone_with_a_note() -> None:
    old_rules = OUTLOOK_VTIMEZONE.replace("Pacific Standard Time", "US-Pacific-1987").replace(
        "BYDAY=1SU;BYMONTH=11", "BYDAY=-1SU;BYMONTH=10").replace(
        "BYDAY=2SU;BYMONTH=3", "BYDAY=1SU;BYMONTH=4")
    event = vevent("UID:a\nDTSTART;TZID=US-Pacific-1987:20240617T100000", header=old_rules)
    notes = normalise_event(event, BERLIN)
    assert event["DTSTART"].dt.tzinfo.key == "America/Los_Angeles"
    assert notes == ["time zone 'US-Pacific-1987' defined in the input differs from "
                     "America/Los_Angeles on some dates; read as America/Los_Angeles"]
