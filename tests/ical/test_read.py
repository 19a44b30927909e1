from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from ics2b24.errors import ParseError
from ics2b24.ical.read import ReadInput, normalise_event, read_input
from ics2b24.ical.structure import plain_reason
from ics2b24.ical.tz import resolve_zone
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


def test_utf16_export_without_bom_is_read() -> None:
    for codec in ("utf-16-le", "utf-16-be"):
        data = calendar(EVENT).decode("utf-8").encode(codec)
        read = read_input("u16.ics", data)
        assert str(read.events[0].component["SUMMARY"]) == "Café"
        assert read.warnings == []


SAMPLES = Path(__file__).parents[2] / "samples"
LONG_NAME = "X-WR-CALDESC:" + "Календарь команды, встречи и поездки; " * 12
"""A calendar-level line some 450 characters long, none of them ASCII but spaces and
punctuation: the first 512 bytes of its UTF-16 form hold almost no NUL byte."""
FULL_WIDTH = "X-WR-CALNAME:" + "ĀĂĄĆĈĊČĎĐĒ" * 30
"""Characters whose UTF-16 code units end or start with a NUL byte (U+0100…), so that NULs
stand on both sides of the code units: binary-looking to a count of NUL positions."""


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
@pytest.mark.parametrize("first_line", ["", LONG_NAME, FULL_WIDTH],
                         ids=["ascii", "cyrillic", "latin-extended"])
def test_utf16_calendar_without_bom_is_read_whatever_its_first_512_bytes_hold(
        codec: str, first_line: str) -> None:
    text = (SAMPLES / "google-export.ics").read_text(encoding="utf-8")
    if first_line:
        text = text.replace("BEGIN:VCALENDAR\n", f"BEGIN:VCALENDAR\n{first_line}\n", 1)
    data = text.encode(codec)
    assert first_line == "" or data[:512].count(0) < 100
    read = read_input("u16.ics", data)
    expected = read_input("u8.ics", text.encode("utf-8"))
    assert read.warnings == []
    assert [e.component.to_ical() for e in read.events] == [
        e.component.to_ical() for e in expected.events]
    assert len(read.events) == 2


@pytest.mark.parametrize("lead", [b"\r\n\r\n", b"   \r\n\t\r\n", b"\r\n\r\n  "],
                         ids=["blank lines", "lines of spaces", "indented BEGIN"])
def test_blank_or_space_indented_lines_before_begin_vcalendar_are_read(lead: bytes) -> None:
    read = read_input("lead.ics", lead + calendar(EVENT))
    assert (read.warnings, [e.line for e in read.events]) == ([], [6])
    assert str(read.events[0].component["SUMMARY"]) == "Café"


def test_windows_1252_input_is_read_with_a_warning_naming_the_encoding() -> None:
    data = calendar(EVENT.replace("Café", "Café – “quoted”")).decode("utf-8").encode("cp1252")
    read = read_input("outlook.ics", data)
    assert str(read.events[0].component["SUMMARY"]) == "Café – “quoted”"
    assert read.warnings == ["outlook.ics:7: not UTF-8 (byte 0xe9): read as Windows-1252 "
                             "(Latin-1); save the file as UTF-8 to be sure of its accented "
                             "letters"]


def test_latin1_bytes_windows_1252_leaves_undefined_are_read_as_latin1() -> None:
    data = calendar(EVENT).replace("Café".encode(), b"Caf\xe9\x81")
    assert str(read_input("l1.ics", data).events[0].component["SUMMARY"]) == "Caf\xe9\x81"


def test_utf8_lines_of_a_file_that_mixes_encodings_stay_utf8() -> None:
    data = calendar(EVENT, "UID:b\nDTSTART:20240618T100000Z\nSUMMARY:Mo\xeft")
    data = data.replace("Mo\xeft".encode(), b"Mo\xeft")
    read = read_input("mixed.ics", data)
    assert [str(e.component["SUMMARY"]) for e in read.events] == ["Café", "Moït"]


def test_strict_refuses_input_that_is_not_utf8_with_its_line() -> None:
    data = calendar(EVENT).replace("Café".encode(), b"Caf\xe9")
    with pytest.raises(ParseError) as info:
        read_input("latin1.ics", data, strict=True)
    assert (info.value.file, info.value.line) == ("latin1.ics", 7)
    assert "invalid UTF-8 (byte 0xe9)" in info.value.message


def test_empty_input_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="empty"):
        read_input("empty.ics", b"  \r\n")


def test_text_that_is_not_icalendar_is_a_parse_error_with_its_line() -> None:
    with pytest.raises(ParseError) as info:
        read_input("notes.txt", b"BEGIN:VCALENDAR\nhello world\nEND:VCALENDAR\n")
    assert info.value.line == 2


def test_input_holding_only_a_truncated_vevent_is_a_parse_error() -> None:
    data = calendar(EVENT)[:-27]
    with pytest.raises(ParseError) as info:
        read_input("cut.ics", data)
    assert (info.value.line, info.value.message) == (4, "BEGIN:VEVENT is never closed")


def test_truncated_input_keeps_the_vevents_before_the_cut_with_a_warning() -> None:
    data = calendar(EVENT, "UID:b\nDTSTART:20240618T100000Z")[:-27]
    read = read_input("cut.ics", data)
    assert [(str(e.component["UID"]), e.line) for e in read.events] == [("a", 4)]
    assert read.warnings == ["cut.ics:9: BEGIN:VEVENT is never closed: VEVENT skipped",
                             "cut.ics:1: BEGIN:VCALENDAR is never closed: read up to the end "
                             "of the input"]


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


def test_input_whose_only_vevent_ends_with_another_end_is_a_parse_error() -> None:
    data = calendar(EVENT).replace(b"END:VEVENT", b"END:VTODO")
    with pytest.raises(ParseError) as info:
        read_input("x.ics", data)
    assert (info.value.line, info.value.message) == (4, "BEGIN:VEVENT ends with END:VTODO "
                                                        "(line 8)")


GOOD = ("UID:a\nDTSTART:20240617T100000Z", "UID:b\nDTSTART:20240618T100000Z")


def _between_two_vevents(broken: str) -> bytes:
    """A calendar with `broken` lines from line 8 on, between two good VEVENTs."""
    first, second = calendar(*GOOD).split(b"BEGIN:VEVENT\r\nUID:b")
    return first + broken.encode() + b"BEGIN:VEVENT\r\nUID:b" + second


def _uids(read: ReadInput) -> list[str]:
    return [str(e.component["UID"]) for e in read.events]


def test_misspelled_end_of_a_vtodo_skips_that_vtodo_with_its_line() -> None:
    read = read_input("x.ics", _between_two_vevents("BEGIN:VTODO\r\nUID:t\r\nEND:VTOOD\r\n"))
    assert _uids(read) == ["a", "b"]
    assert [e.line for e in read.events] == [4, 11]
    assert read.warnings == ["x.ics:8: BEGIN:VTODO ends with END:VTOOD (line 10): VTODO skipped"]


def test_end_vcalendar_in_the_middle_is_skipped_with_its_line() -> None:
    read = read_input("x.ics", _between_two_vevents("END:VCALENDAR\r\n"))
    assert _uids(read) == ["a", "b"]
    assert read.warnings == ["x.ics:8: END:VCALENDAR before the end of the calendar: line "
                             "skipped"]
    assert len(read.calendars) == 1


def test_broken_vtimezone_nobody_references_is_skipped_with_its_line() -> None:
    broken = ("BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\n"
              "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:+0100\r\n"
              "END:STANDARD\r\nEND:VTIMEZONE\r\n")
    read = read_input("x.ics", _between_two_vevents(broken))
    assert _uids(read) == ["a", "b"]
    assert read.warnings == ["x.ics:8: a VTIMEZONE cannot be read (a property is given twice "
                             "or has the wrong kind of value): VTIMEZONE skipped"]


def test_vtimezone_with_an_unreadable_offset_is_skipped_with_icalendars_reason() -> None:
    broken = ("BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\n"
              "DTSTART:19700101T000000\r\nTZOFFSETFROM:+0100\r\nTZOFFSETTO:soon\r\n"
              "END:STANDARD\r\nEND:VTIMEZONE\r\n")
    read = read_input("x.ics", _between_two_vevents(broken))
    assert _uids(read) == ["a", "b"]
    assert read.warnings == ["x.ics:8: a VTIMEZONE cannot be read (Expected UTC offset, got: "
                             "soon): VTIMEZONE skipped"]


def test_vevent_never_closed_before_the_next_one_is_skipped_with_its_line() -> None:
    read = read_input("x.ics", _between_two_vevents("BEGIN:VEVENT\r\nUID:cut\r\n"))
    assert _uids(read) == ["a", "b"]
    assert [e.line for e in read.events] == [4, 10]
    assert read.warnings == ["x.ics:8: BEGIN:VEVENT is never closed: VEVENT skipped"]


def test_end_vcalendar_after_the_end_is_skipped_with_its_line() -> None:
    read = read_input("x.ics", calendar(*GOOD) + b"END:VCALENDAR\r\n")
    assert _uids(read) == ["a", "b"]
    assert read.warnings == ["x.ics:13: END:VCALENDAR without a matching BEGIN: line skipped"]


def test_strict_refuses_a_broken_component_with_its_line() -> None:
    with pytest.raises(ParseError) as info:
        read_input("x.ics", _between_two_vevents("END:VCALENDAR\r\n"), strict=True)
    assert (info.value.line, info.value.message) == (8, "END:VCALENDAR before the end of the "
                                                        "calendar")


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


def test_valarm_with_an_unreadable_value_is_skipped_and_its_vevent_kept() -> None:
    data = calendar("UID:a\nDTSTART:20240617T100000Z\nBEGIN:VALARM\nACTION:DISPLAY\n"
                    "TRIGGER:soon\nEND:VALARM")
    read = read_input("x.ics", data)
    assert _uids(read) == ["a"]
    assert read.events[0].component.subcomponents == []
    assert read.warnings == ["x.ics:7: a VALARM cannot be read (Expected datetime, date, or "
                             "time. Got: 'soon'): VALARM skipped"]


def test_unknown_x_wr_timezone_is_left_out_with_a_warning() -> None:
    data = calendar(EVENT, header="X-WR-TIMEZONE:Mars/Olympus")
    read = read_input("x.ics", data)
    assert _uids(read) == ["a"]
    assert read.warnings == ["x.ics: X-WR-TIMEZONE 'Mars/Olympus' cannot be applied (no known "
                             "time zone, or a date it would move cannot be read): its times are "
                             "read as they are written"]


def test_python_words_about_internals_never_reach_a_message() -> None:
    unpack = ValueError("not enough values to unpack (expected 2, got 1)")
    compare = TypeError("'>' not supported between instances of 'vBroken' and 'float'")
    line = ValueError("Content line could not be parsed into parts: 'TZ;FFSETTO:+0100': "
                      "'FFSETTO' is not a valid parameter string: not enough values to unpack")
    assert plain_reason(unpack) == plain_reason(compare) == "a value in it cannot be read"
    assert plain_reason(line) == "'TZ;FFSETTO:+0100' is not a NAME:VALUE line"
    assert plain_reason(ValueError("Invalid month: 'abc'")) == "Invalid month: 'abc'"


def test_misspelled_begin_vcalendar_reads_the_vevents_with_a_warning_per_line() -> None:
    data = calendar(EVENT).replace(b"BEGIN:VCALENDAR", b"BEGN:VCALENDAR")
    read = read_input("x.ics", data)
    assert _uids(read) == ["a"]
    assert read.warnings[:2] == [
        "x.ics:9: END:VCALENDAR without a matching BEGIN: line skipped",
        "x.ics:1: a line outside any component (is BEGIN:VCALENDAR missing?): line skipped"]


def test_old_mac_cr_line_endings_are_read_with_their_line_numbers() -> None:
    data = calendar(EVENT, "UID:b\nDTSTART:20240618T100000Z").replace(b"\r\n", b"\r")
    read = read_input("mac.ics", data)
    assert [(str(e.component["UID"]), e.line) for e in read.events] == [("a", 4), ("b", 9)]
