from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from ics2b24.ical.fields import NO_TITLE, BrokenEvent, date_params, details, event_span
from ics2b24.ical.read import normalise_event
from tests.ical.ics import vevent

BERLIN = ZoneInfo("Europe/Berlin")


def _dates(body: str, floating: ZoneInfo = BERLIN, header: str = "") -> tuple[str, ...]:
    event = vevent("UID:a\n" + body, header=header)
    normalise_event(event, floating)
    span = event_span(event)
    p = date_params(span.start, span.end, floating)
    return (p.date_from, p.date_to, "Y" if p.skip_time else "N", p.timezone_from or "",
            p.timezone_to or "")


def test_timed_event_in_iana_zone_keeps_wall_clock_and_zone() -> None:
    assert _dates("DTSTART;TZID=Europe/Berlin:20240617T100000\n"
                  "DTEND;TZID=Europe/Berlin:20240617T113000") == (
        "2024-06-17T10:00:00", "2024-06-17T11:30:00", "N", "Europe/Berlin", "Europe/Berlin")


def test_utc_times_are_named_utc() -> None:
    assert _dates("DTSTART:20240617T100000Z\nDTEND:20240617T110000Z") == (
        "2024-06-17T10:00:00", "2024-06-17T11:00:00", "N", "UTC", "UTC")


def test_floating_times_take_the_tz_option() -> None:
    assert _dates("DTSTART:20240617T100000\nDTEND:20240617T110000",
                  floating=ZoneInfo("Asia/Tokyo"))[3:] == ("Asia/Tokyo", "Asia/Tokyo")


def test_start_and_end_may_be_in_different_zones() -> None:
    assert _dates("DTSTART;TZID=Europe/Berlin:20240617T100000\n"
                  "DTEND;TZID=America/New_York:20240617T060000") == (
        "2024-06-17T10:00:00", "2024-06-17T06:00:00", "N", "Europe/Berlin",
        "America/New_York")


def test_windows_zone_names_come_out_as_iana_names() -> None:
    assert _dates("DTSTART;TZID=Tokyo Standard Time:20240617T100000\n"
                  "DTEND;TZID=Tokyo Standard Time:20240617T110000")[3:] == (
        "Asia/Tokyo", "Asia/Tokyo")


def test_all_day_event_to_is_inclusive() -> None:
    assert _dates("DTSTART;VALUE=DATE:20240617\nDTEND;VALUE=DATE:20240618") == (
        "2024-06-17", "2024-06-17", "Y", "", "")


def test_multi_day_event_to_is_its_last_day() -> None:
    assert _dates("DTSTART;VALUE=DATE:20240617\nDTEND;VALUE=DATE:20240621")[:2] == (
        "2024-06-17", "2024-06-20")


def test_all_day_event_without_end_lasts_one_day() -> None:
    assert _dates("DTSTART;VALUE=DATE:20240617")[:2] == ("2024-06-17", "2024-06-17")


def test_all_day_event_with_dtend_equal_to_dtstart_lasts_one_day() -> None:
    assert _dates("DTSTART;VALUE=DATE:20240617\nDTEND;VALUE=DATE:20240617")[:2] == (
        "2024-06-17", "2024-06-17")


def test_duration_gives_the_end() -> None:
    assert _dates("DTSTART;TZID=Europe/Berlin:20240617T230000\nDURATION:PT2H")[:2] == (
        "2024-06-17T23:00:00", "2024-06-18T01:00:00")


def test_all_day_duration_in_days_gives_the_last_day() -> None:
    assert _dates("DTSTART;VALUE=DATE:20240617\nDURATION:P3D")[:2] == (
        "2024-06-17", "2024-06-19")


def test_timed_event_without_end_ends_at_its_start() -> None:
    assert _dates("DTSTART:20240617T100000Z")[:2] == (
        "2024-06-17T10:00:00", "2024-06-17T10:00:00")


def test_event_without_dtstart_is_broken() -> None:
    with pytest.raises(BrokenEvent, match="DTSTART"):
        event_span(vevent("UID:a\nSUMMARY:no start"))


def test_end_before_start_is_the_start() -> None:
    span = event_span(vevent("UID:a\nDTSTART:20240617T100000Z\nDTEND:20240617T090000Z"))
    assert (span.start.hour, span.end.hour, span.backwards) == (10, 10, True)


def test_negative_duration_ends_at_the_start() -> None:
    span = event_span(vevent("UID:a\nDTSTART:20240617T100000Z\nDURATION:-PT1H"))
    assert (span.start, span.backwards) == (span.end, True)


def test_all_day_end_before_start_is_the_first_day() -> None:
    span = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDTEND;VALUE=DATE:20240615"))
    assert (span.start, span.end, span.backwards) == (date(2024, 6, 17), date(2024, 6, 17), True)
    assert date_params(span.start, span.end, BERLIN).date_to == "2024-06-17"


def test_all_day_start_with_timed_end_at_midnight_is_all_day_to_the_day_before() -> None:
    span = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDTEND:20240619T000000"))
    assert (span.start, span.end, span.settled) == (date(2024, 6, 17), date(2024, 6, 19), True)


def test_all_day_start_with_timed_end_is_all_day_through_the_day_it_reaches() -> None:
    span = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDTEND:20240618T120000"))
    assert (span.start, span.end) == (date(2024, 6, 17), date(2024, 6, 19))


def test_all_day_start_with_an_hours_duration_is_all_day_through_the_day_it_reaches() -> None:
    one = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDURATION:PT1H"))
    two = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDURATION:P1DT1H"))
    days = event_span(vevent("UID:a\nDTSTART;VALUE=DATE:20240617\nDURATION:P2D"))
    assert (one.end, two.end, days.end) == (date(2024, 6, 18), date(2024, 6, 19),
                                            date(2024, 6, 19))
    assert not days.settled


def test_timed_start_with_date_end_ends_at_that_days_midnight_in_the_start_zone() -> None:
    event = vevent("UID:a\nDTSTART;TZID=Europe/Berlin:20240617T100000\n"
                   "DTEND;VALUE=DATE:20240618")
    normalise_event(event, ZoneInfo("UTC"))
    span = event_span(event)
    assert span.end == datetime(2024, 6, 18, tzinfo=BERLIN)
    assert span.settled


def test_floating_end_beside_a_zoned_start_is_read_in_the_start_zone() -> None:
    assert _dates("DTSTART;TZID=America/Chicago:20240617T100000\nDTEND:20240617T110000",
                  floating=ZoneInfo("UTC")) == (
        "2024-06-17T10:00:00", "2024-06-17T11:00:00", "N", "America/Chicago", "America/Chicago")


def _details(body: str) -> object:
    return details(vevent("UID:a\nDTSTART:20240617T100000Z\n" + body), [])


def test_summary_is_the_name() -> None:
    assert _details("SUMMARY:Team sync").name == "Team sync"


def test_empty_summary_gets_a_placeholder_name() -> None:
    assert _details("SUMMARY:").name == NO_TITLE
    assert _details("").name == NO_TITLE


def test_non_ascii_text_is_kept() -> None:
    assert _details("SUMMARY:Встреча 会議 ☕").name == "Встреча 会議 ☕"


def test_description_and_location_are_carried() -> None:
    d = _details("DESCRIPTION:Line one\\nLine two\nLOCATION:Room 1\\, floor 2")
    assert d.description == "Line one\nLine two"
    assert d.location == "Room 1, floor 2"


def test_url_is_appended_to_the_description() -> None:
    d = _details("DESCRIPTION:Agenda\nURL:https://example.org/m/1")
    assert d.description == "Agenda\n\nhttps://example.org/m/1"


def test_url_already_in_the_description_is_not_repeated() -> None:
    d = _details("DESCRIPTION:See https://example.org/m/1\nURL:https://example.org/m/1")
    assert d.description == "See https://example.org/m/1"


def test_people_lines_are_appended_to_the_description() -> None:
    event = vevent("UID:a\nDTSTART:20240617T100000Z\nDESCRIPTION:Agenda")
    assert details(event, ["Attendees: Ann <ann@x.org>"]).description == (
        "Agenda\n\nAttendees: Ann <ann@x.org>")


@pytest.mark.parametrize(("value", "private"), [
    ("PRIVATE", True), ("CONFIDENTIAL", True), ("PUBLIC", False), (None, False)])
def test_class_private_or_confidential_is_private_event(value: str | None,
                                                          private: bool) -> None:
    body = f"CLASS:{value}" if value else ""
    assert _details(body).private_event is private


def test_transparent_event_is_free() -> None:
    assert _details("TRANSP:TRANSPARENT").accessibility == "free"


def test_tentative_event_is_quest() -> None:
    assert _details("STATUS:TENTATIVE").accessibility == "quest"


def test_event_is_busy_by_default() -> None:
    assert _details("TRANSP:OPAQUE\nSTATUS:CONFIRMED").accessibility == "busy"


@pytest.mark.parametrize(("status", "expected"), [
    ("FREE", "free"), ("TENTATIVE", "quest"), ("BUSY", "busy"), ("OOF", "absent")])
def test_outlook_busy_status_sets_accessibility(status: str, expected: str) -> None:
    body = f"X-MICROSOFT-CDO-BUSYSTATUS:{status}\nTRANSP:TRANSPARENT"
    assert _details(body).accessibility == expected


@pytest.mark.parametrize(("priority", "expected"), [
    (1, "high"), (4, "high"), (5, "normal"), (0, "normal"), (None, "normal"),
    (6, "low"), (9, "low")])
def test_priority_sets_importance(priority: int | None, expected: str) -> None:
    body = f"PRIORITY:{priority}" if priority is not None else ""
    assert _details(body).importance == expected


@pytest.mark.parametrize(("value", "expected"), [
    ("turquoise", "#40e0d0"), ("#FF8800", "#ff8800"), ("#f80", "#ff8800"),
    ("#1BADF8FF", "#1badf8"), ("not-a-colour", None)])
def test_color_becomes_hex_rgb(value: str, expected: str | None) -> None:
    assert _details(f"COLOR:{value}").color == expected


def test_dates_of_a_timed_event_are_aware_after_normalising() -> None:
    event = vevent("UID:a\nDTSTART;TZID=Europe/Berlin:20240617T100000")
    normalise_event(event, BERLIN)
    assert event_span(event).start == datetime(2024, 6, 17, 10, tzinfo=BERLIN)
