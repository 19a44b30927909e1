from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from ics2b24.errors import ParseError, UsageError
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.convert import ConvertResult, convert_inputs
from ics2b24.ical.identity import recurrence_id_text
from ics2b24.ical.options import ConvertOptions
from ics2b24.model import PortalTraits, Section, parse_recurrence_id
from tests.ical.ics import calendar

BERLIN = ZoneInfo("Europe/Berlin")


def _options(read_map: Mapping[str, int] | None = None, **changes: Any) -> ConvertOptions:
    """Options for `changes` to the choices; `read_map` as if read from a --user-map file,
    and the machine in UTC."""
    choices = ConvertChoices(**{"tz": "Europe/Berlin", "horizon_end": date(2030, 1, 1),
                                **changes})
    return ConvertOptions.build(choices, system_zone="UTC", read_map=read_map)


def _convert(*events: str, header: str = "", **changes: Any) -> ConvertResult:
    return convert_inputs([("in.ics", calendar(*events, header=header))], _options(**changes))


def _lines(result: ConvertResult) -> list[dict[str, object]]:
    return [event.to_json() for event in result.events]


def test_single_event_is_one_line_as_spec_section_2_shows() -> None:
    result = _convert("""UID:a
        DTSTART;TZID=Europe/Berlin:20240617T100000
        DTEND;TZID=Europe/Berlin:20240617T110000
        SUMMARY:Review
        DESCRIPTION:Agenda
        LOCATION:Room 1
        BEGIN:VALARM
        ACTION:DISPLAY
        TRIGGER:-PT15M
        END:VALARM""")
    assert _lines(result) == [{
        "uid": "a", "recurrence_id": None, "kind": "single",
        "params": {"name": "Review", "from": "2024-06-17T10:00:00",
                   "to": "2024-06-17T11:00:00", "timezone_from": "Europe/Berlin",
                   "timezone_to": "Europe/Berlin", "skip_time": "N", "description": "Agenda",
                   "location": "Room 1", "remind": [{"type": "min", "count": 15}],
                   "accessibility": "busy", "importance": "normal", "private_event": "N"},
        "exdate": [], "warnings": []}]


def test_all_day_single_has_no_zone_keys_and_inclusive_to() -> None:
    params = _lines(_convert("UID:a\nDTSTART;VALUE=DATE:20240617\nDTEND;VALUE=DATE:20240619"))[0][
        "params"]
    assert params == {"name": "(no title)", "from": "2024-06-17", "to": "2024-06-18",
                      "skip_time": "Y", "accessibility": "busy", "importance": "normal",
                      "private_event": "N"}


def test_lines_are_sorted_by_uid() -> None:
    result = _convert("UID:b\nDTSTART:20240617T100000Z", "UID:a\nDTSTART:20240618T100000Z")
    assert [e.uid for e in result.events] == ["a", "b"]


def test_higher_sequence_wins_over_input_order_with_a_warning() -> None:
    result = _convert("UID:a\nSEQUENCE:2\nDTSTART:20240617T100000Z\nSUMMARY:new",
                      "UID:a\nSEQUENCE:1\nDTSTART:20240616T100000Z\nSUMMARY:old")
    assert [e.params.name for e in result.events] == ["new"]
    assert result.warnings == ["in.ics:4: UID a: 2 versions of this event; the one at "
                               "in.ics:4 (SEQUENCE 2) is used"]
    assert result.events[0].warnings == ["2 versions of this event; the one at in.ics:4 "
                                         "(SEQUENCE 2) is used"]


def test_equal_sequence_takes_the_first_version_as_recurring_ical_events_does() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nSUMMARY:first",
                      "UID:a\nDTSTART:20240617T100000Z\nSUMMARY:last")
    assert [e.params.name for e in result.events] == ["first"]
    assert result.warnings == ["in.ics:4: UID a: 2 versions of this event; the one at "
                               "in.ics:4 (no SEQUENCE) is used"]


def test_equal_sequence_takes_the_first_version_of_a_changed_occurrence_too() -> None:
    series = "UID:a\nDTSTART:20240617T100000Z\nRRULE:FREQ=DAILY;COUNT=3"
    moved = "UID:a\nRECURRENCE-ID:20240618T100000Z\nSEQUENCE:1\nDTSTART:20240618T{}0000Z"
    result = _convert(series, moved.format("12"), moved.format("14"))
    assert [e.params.date_from for e in result.events if e.kind == "override"] == [
        "2024-06-18T12:00:00"]


def test_explicit_sequence_0_wins_over_none() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nSUMMARY:none",
                      "UID:a\nSEQUENCE:0\nDTSTART:20240617T100000Z\nSUMMARY:zero")
    assert [e.params.name for e in result.events] == ["zero"]


def test_cancelled_single_is_listed_as_cancelled_not_as_an_event() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nSTATUS:CANCELLED")
    assert (result.events, result.cancelled) == ([], [("a", None)])


def test_override_without_master_is_an_occurrence_with_its_recurrence_id() -> None:
    result = _convert("UID:a\nRECURRENCE-ID;TZID=Europe/Berlin:20240617T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20240617T120000\nSUMMARY:moved")
    assert [(e.kind, e.recurrence_id, e.params.date_from) for e in result.events] == [
        ("occurrence", "2024-06-17T08:00:00Z", "2024-06-17T12:00:00")]


def test_cancelled_override_without_master_is_cancelled() -> None:
    result = _convert("UID:a\nRECURRENCE-ID;VALUE=DATE:20240617\nDTSTART;VALUE=DATE:20240617\n"
                      "STATUS:CANCELLED")
    assert (result.events, result.cancelled) == ([], [("a", "2024-06-17")])


def test_override_of_a_single_events_only_occurrence_replaces_it() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nSUMMARY:planned",
                      "UID:a\nRECURRENCE-ID:20240617T100000Z\nDTSTART:20240617T140000Z\n"
                      "SUMMARY:moved")
    assert [(e.kind, e.recurrence_id, e.params.name, e.params.date_from)
            for e in result.events] == [("single", None, "moved", "2024-06-17T14:00:00")]


def test_since_leaves_out_singles_that_end_before_it() -> None:
    result = _convert("UID:old\nDTSTART:20240101T100000Z\nDTEND:20240101T110000Z",
                      "UID:spans\nDTSTART;VALUE=DATE:20240105\nDTEND;VALUE=DATE:20240111",
                      "UID:ended\nDTSTART;VALUE=DATE:20240105\nDTEND;VALUE=DATE:20240110",
                      since=datetime(2024, 1, 10))
    assert [e.uid for e in result.events] == ["spans"]


def test_broken_vevent_is_skipped_with_a_warning_naming_uid_and_line() -> None:
    result = _convert("UID:bad\nDTSTART:2024013T100000", "UID:good\nDTSTART:20240617T100000Z")
    assert [e.uid for e in result.events] == ["good"]
    assert result.warnings == ["in.ics:4: UID bad: VEVENT skipped: DTSTART cannot be read"]


def test_vevent_without_dtstart_is_skipped_with_a_warning() -> None:
    result = _convert("UID:nostart\nSUMMARY:x")
    assert result.events == []
    assert result.warnings == ["in.ics:4: UID nostart: VEVENT skipped: it has no DTSTART"]


def test_strict_turns_a_skipped_vevent_into_a_parse_error() -> None:
    with pytest.raises(ParseError) as info:
        _convert("UID:bad\nDTSTART:2024013T100000", strict=True)
    assert (info.value.file, info.value.line) == ("in.ics", 4)
    assert "UID bad" in info.value.message


def test_vevent_without_uid_gets_a_stable_one() -> None:
    first = _convert("DTSTART:20240617T100000Z\nSUMMARY:x")
    again = _convert("DTSTART:20240617T100000Z\nSUMMARY:x")
    assert first.events[0].uid == again.events[0].uid
    assert first.events[0].uid.startswith("ics2b24-")


def test_undefined_tzid_is_read_in_tz_with_a_warning() -> None:
    result = _convert("UID:a\nDTSTART;TZID=Mars/Olympus:20240617T100000", tz="Asia/Tokyo")
    event = result.events[0]
    assert event.params.timezone_from == "Asia/Tokyo"
    assert event.warnings == ["time zone 'Mars/Olympus' is not defined; read in Asia/Tokyo"]


def test_section_comes_from_the_first_calendar_with_metadata() -> None:
    data = calendar("UID:a\nDTSTART:20240617T100000Z") + calendar(
        "UID:b\nDTSTART:20240617T100000Z", header="X-WR-CALNAME:Second")
    result = convert_inputs([("in.ics", data)], _options())
    assert result.section == Section("Second", None, None)


def test_attendees_in_the_user_map_make_a_meeting_only_with_invite_attendees() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nATTENDEE:mailto:ann@example.org",
                      read_map={"ann@example.org": 7}, invite_attendees=True)
    params = result.events[0].to_json()["params"]
    assert (params["is_meeting"], params["attendees"], params["meeting"]) == (
        "Y", [7], {"notify": False, "reinvite": False, "allow_invite": False,
                   "hide_guests": False})


def test_attendees_with_a_portal_user_are_named_and_the_user_told_without_invite_attendees(
) -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nATTENDEE:mailto:ann@example.org",
                      read_map={"ann@example.org": 7})
    params = result.events[0].to_json()["params"]
    assert "is_meeting" not in params and params["description"] == "Attendees: ann@example.org"
    assert result.warnings == [
        "1 attendee(s) with a portal user are named in the events' descriptions, not invited: "
        "add --invite-attendees to make them meeting participants (a real portal then "
        "invites those of meetings that have not ended)"]


def test_unmapped_attendee_warning_names_where_and_uid() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nATTENDEE;CN=Bo:mailto:bo@example.org")
    assert result.warnings == ["in.ics:4: UID a: no portal user for Bo <bo@example.org>: "
                               "named in the description"]
    assert result.events[0].params.description == "Attendees: Bo <bo@example.org>"


def test_events_of_several_inputs_are_merged() -> None:
    inputs = [("one.ics", calendar("UID:a\nDTSTART:20240617T100000Z")),
              ("two.ics", calendar("UID:b\nDTSTART:20240617T100000Z"))]
    result = convert_inputs(inputs, _options())
    assert [(e.uid, e.source) for e in result.events] == [("a", "one.ics:4"), ("b", "two.ics:4")]


def test_unreadable_input_is_a_parse_error_naming_the_file() -> None:
    with pytest.raises(ParseError) as info:
        convert_inputs([("bad.ics", b"not a calendar\n")], _options())
    assert info.value.file == "bad.ics"


def test_recurrence_id_text_is_utc_for_timed_and_a_date_for_all_day() -> None:
    assert recurrence_id_text(datetime(2024, 6, 17, 10, tzinfo=BERLIN), BERLIN) == (
        "2024-06-17T08:00:00Z")
    assert recurrence_id_text(datetime(2024, 1, 17, 10), BERLIN) == "2024-01-17T09:00:00Z"
    assert recurrence_id_text(date(2024, 6, 17), BERLIN) == "2024-06-17"


def test_recurrence_id_text_reads_back_as_the_start_it_names() -> None:
    start = datetime(2024, 6, 17, 10, tzinfo=BERLIN)
    assert parse_recurrence_id(recurrence_id_text(start, BERLIN)) == start
    assert parse_recurrence_id(recurrence_id_text(date(2024, 6, 17), BERLIN)) == date(2024, 6, 17)
    for text in ("2024-06-17T10:00:00", "17.06.2024", ""):
        with pytest.raises(ValueError):
            parse_recurrence_id(text)


def test_unknown_tz_option_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="Mars/Olympus"):
        _options(tz="Mars/Olympus")


def test_default_horizon_is_two_years_ahead() -> None:
    options = _options(horizon_end=None)
    assert 729 <= (options.horizon_end - date.today()).days <= 732


def test_horizon_given_as_a_datetime_is_read_as_its_date() -> None:
    assert _options(horizon_end=datetime(2031, 5, 6)).horizon_end == date(2031, 5, 6)


def test_without_a_zone_for_floating_times_the_machines_zone_is_taken() -> None:
    choices = ConvertChoices(horizon_end=date(2030, 1, 1))
    assert ConvertOptions.build(choices, system_zone="America/Chicago").tz_name == (
        "America/Chicago")


def test_unreadable_line_is_left_out_with_a_warning_and_the_event_kept() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nX-APPLE-RADIUS=49.9")
    assert [e.uid for e in result.events] == ["a"]
    assert result.events[0].warnings == ["a line could not be read and was left out"]


def test_two_vevents_without_uid_stay_two_events() -> None:
    result = _convert("DTSTART:20240617T100000Z\nSUMMARY:x", "DTSTART:20240617T100000Z\nSUMMARY:x")
    assert len({e.uid for e in result.events}) == 2


def test_series_line_carries_its_last_day_as_until_and_byday_for_weekly() -> None:
    result = _convert("UID:w\nDTSTART;TZID=Europe/Berlin:20240606T100000\n"
                      "DTEND;TZID=Europe/Berlin:20240606T110000\n"
                      "RRULE:FREQ=WEEKLY;UNTIL=20240627T235959Z")
    (line,) = [event.to_json() for event in result.events]
    assert (line["kind"], line["params"]["rrule"]) == (
        "series", {"FREQ": "WEEKLY", "INTERVAL": 1, "UNTIL": "2024-06-27", "BYDAY": ["TH"]})


def test_an_older_portal_is_sent_the_count_of_a_bounded_part() -> None:
    result = _convert("UID:w\nDTSTART;TZID=Europe/Berlin:20240606T100000\n"
                      "RRULE:FREQ=WEEKLY;UNTIL=20240627T235959Z")
    older = PortalTraits(reads_iso_until=False, honours_recurrence_mode=False)
    assert result.events[0].params.to_call(older)["rrule"] == {
        "FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 4, "BYDAY": ["TH"]}


def test_monthly_on_the_31st_is_written_as_occurrence_lines_with_a_warning() -> None:
    result = _convert("UID:m\nDTSTART;VALUE=DATE:20240131\nRRULE:FREQ=MONTHLY;COUNT=3")
    assert [(e.kind, e.recurrence_id) for e in result.events] == [
        ("occurrence", "2024-01-31"), ("occurrence", "2024-03-31"), ("occurrence", "2024-05-31")]
    assert result.events[0].warnings == [
        "rule written out as 3 occurrences: MONTHLY on day 31 cannot be held by Bitrix24 (a "
        "portal moves it to the 1st of the next month in months without that day)"]


WEEKLY_MEETING = """UID:m
    DTSTART;TZID=Europe/Berlin:20240603T100000
    DTEND;TZID=Europe/Berlin:20240603T110000
    RRULE:FREQ=WEEKLY;BYDAY=MO,WE;COUNT=10
    SUMMARY:Weekly"""


def _summary(result: ConvertResult) -> list[tuple[object, ...]]:
    lines = [event.to_json() for event in result.events]
    return [(e["kind"], e["recurrence_id"], e["params"]["from"], e["params"].get("rrule"),
             e["exdate"]) for e in lines]


def _weekly(until: str | None) -> dict[str, object]:
    rule: dict[str, object] = {"FREQ": "WEEKLY", "INTERVAL": 1}
    if until is not None:
        rule["UNTIL"] = until
    rule["BYDAY"] = ["MO", "WE"]
    return rule


def test_exdate_splits_the_series_into_bounded_series_lines() -> None:
    result = _convert(WEEKLY_MEETING + "\nEXDATE;TZID=Europe/Berlin:20240612T100000")
    assert _summary(result) == [
        ("series", None, "2024-06-03T10:00:00", _weekly("2024-06-10"), []),
        ("series", "2024-06-17T08:00:00Z", "2024-06-17T10:00:00", _weekly("2024-07-03"), []),
    ]
    later = result.events[1].to_json()
    assert later["params"]["to"] == "2024-06-17T11:00:00"
    assert later["params"]["name"] == "Weekly"
    assert "range" not in later


def test_all_day_parts_have_date_recurrence_ids() -> None:
    result = _convert("UID:d\nDTSTART;VALUE=DATE:20240603\nRRULE:FREQ=DAILY\n"
                      "EXDATE;VALUE=DATE:20240605")
    assert _summary(result) == [
        ("series", None, "2024-06-03", {"FREQ": "DAILY", "INTERVAL": 1, "UNTIL": "2024-06-04"},
         []),
        ("series", "2024-06-06", "2024-06-06", {"FREQ": "DAILY", "INTERVAL": 1}, []),
    ]


def test_cancelled_occurrence_splits_the_series_and_is_listed_as_cancelled() -> None:
    result = _convert(WEEKLY_MEETING, "UID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20240605T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20240605T100000\nSTATUS:CANCELLED")
    assert _summary(result) == [
        ("series", None, "2024-06-03T10:00:00", _weekly("2024-06-03"), []),
        ("series", "2024-06-10T08:00:00Z", "2024-06-10T10:00:00", _weekly("2024-07-03"), []),
    ]
    assert result.cancelled == [("m", "2024-06-05T08:00:00Z")]


def test_thisandfuture_is_a_new_series_line_with_its_own_fields() -> None:
    result = _convert(WEEKLY_MEETING, "UID:m\n"
                      "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20240617T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20240617T120000\n"
                      "DTEND;TZID=Europe/Berlin:20240617T123000\nSUMMARY:Shorter")
    assert _summary(result) == [
        ("series", None, "2024-06-03T10:00:00", _weekly("2024-06-12"), []),
        ("series", "2024-06-17T08:00:00Z", "2024-06-17T12:00:00", _weekly("2024-07-03"), []),
    ]
    tail = result.events[1]
    assert (tail.params.name, tail.params.date_to, tail.kind) == (
        "Shorter", "2024-06-17T12:30:00", "series")


def test_override_stays_an_override_line_beside_the_parts() -> None:
    result = _convert(WEEKLY_MEETING + "\nEXDATE;TZID=Europe/Berlin:20240605T100000",
                      "UID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20240612T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20240612T150000\nSUMMARY:Moved")
    assert _summary(result) == [
        ("series", None, "2024-06-03T10:00:00", _weekly("2024-06-03"), []),
        ("series", "2024-06-10T08:00:00Z", "2024-06-10T10:00:00", _weekly("2024-07-03"), []),
        ("override", "2024-06-12T08:00:00Z", "2024-06-12T15:00:00", None, []),
    ]


def test_override_of_a_later_parts_first_occurrence_is_an_occurrence_line() -> None:
    """A part and an override never share (uid, recurrence_id): the moved occurrence becomes
    an event of its own and the part starts after it."""
    result = _convert(WEEKLY_MEETING + "\nEXDATE;TZID=Europe/Berlin:20240605T100000",
                      "UID:m\nRECURRENCE-ID;TZID=Europe/Berlin:20240610T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20240611T150000\nSUMMARY:Moved")
    assert _summary(result) == [
        ("series", None, "2024-06-03T10:00:00", _weekly("2024-06-03"), []),
        ("occurrence", "2024-06-10T08:00:00Z", "2024-06-11T15:00:00", None, []),
        ("series", "2024-06-12T08:00:00Z", "2024-06-12T10:00:00", _weekly("2024-07-03"), []),
    ]
    assert result.events[1].params.name == "Moved"


def test_a_rule_every_two_weeks_on_two_days_is_one_part_per_weekday() -> None:
    """The current portal's estimate of where a view starts lands in a week without
    occurrences for such a rule (docs/test-portal.md, behaviour 18); one weekday is exact."""
    result = _convert("UID:b\nDTSTART;TZID=Europe/Berlin:20250106T100000\n"
                      "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6")
    assert [(e.recurrence_id, e.params.date_from, e.params.to_params()["rrule"])
            for e in result.events] == [
        (None, "2025-01-06T10:00:00",
         {"FREQ": "WEEKLY", "INTERVAL": 2, "UNTIL": "2025-02-03", "BYDAY": ["MO"]}),
        ("2025-01-08T09:00:00Z", "2025-01-08T10:00:00",
         {"FREQ": "WEEKLY", "INTERVAL": 2, "UNTIL": "2025-02-05", "BYDAY": ["WE"]}),
    ]


def test_a_moved_occurrence_of_a_weekday_part_is_an_override_of_that_part() -> None:
    result = _convert("UID:b\nDTSTART;TZID=Europe/Berlin:20250106T100000\n"
                      "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6",
                      "UID:b\nRECURRENCE-ID;TZID=Europe/Berlin:20250120T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20250120T150000\nSUMMARY:Moved")
    assert [(e.kind, e.recurrence_id) for e in result.events] == [
        ("series", None), ("series", "2025-01-08T09:00:00Z"),
        ("override", "2025-01-20T09:00:00Z")]


def test_the_first_occurrence_of_a_later_weekday_part_moved_is_an_occurrence_line() -> None:
    result = _convert("UID:b\nDTSTART;TZID=Europe/Berlin:20250106T100000\n"
                      "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=MO,WE;COUNT=6",
                      "UID:b\nRECURRENCE-ID;TZID=Europe/Berlin:20250108T100000\n"
                      "DTSTART;TZID=Europe/Berlin:20250109T150000\nSUMMARY:Moved")
    assert [(e.kind, e.recurrence_id, e.params.date_from) for e in result.events] == [
        ("series", None, "2025-01-06T10:00:00"),
        ("occurrence", "2025-01-08T09:00:00Z", "2025-01-09T15:00:00"),
        ("series", "2025-01-22T09:00:00Z", "2025-01-22T10:00:00")]


def test_a_monthly_rule_is_cut_into_parts_before_the_portals_month_estimate_drifts() -> None:
    """The current portal counts 30-day months from a part's start to a view's first day
    (behaviour 18): after about 32 occurrences it would walk from the month after."""
    result = _convert("UID:m\nDTSTART;TZID=Europe/Berlin:20200101T090000\n"
                      "RRULE:FREQ=MONTHLY;COUNT=100")
    starts = [e.params.date_from[:10] for e in result.events]
    assert starts == ["2020-01-01", "2022-09-01", "2025-02-01", "2028-01-01"]
    assert [e.params.rrule.count for e in result.events if e.params.rrule] == [32, 29, 35, 4]


def test_an_endless_monthly_rule_has_parts_up_to_the_portals_last_day() -> None:
    result = _convert("UID:m\nDTSTART;TZID=Europe/Berlin:20300115T090000\n"
                      "RRULE:FREQ=MONTHLY")
    assert [(e.params.date_from[:10], e.params.rrule and e.params.rrule.until)
            for e in result.events] == [("2030-01-15", date(2032, 8, 15)),
                                        ("2032-09-15", date(2035, 7, 15)),
                                        ("2035-08-15", date(2037, 12, 15))]


def test_a_daily_rule_in_a_zone_twelve_hours_from_utc_goes_as_every_weekday() -> None:
    """The current portal shows such a daily rule a day before its start (behaviour 19)."""
    result = _convert("UID:n\nDTSTART;TZID=Pacific/Auckland:20250725T090000\n"
                      "RRULE:FREQ=DAILY;COUNT=3")
    assert result.events[0].params.to_params()["rrule"] == {
        "FREQ": "WEEKLY", "INTERVAL": 1, "UNTIL": "2025-07-27",
        "BYDAY": ["MO", "TU", "WE", "TH", "FR", "SA", "SU"]}


def test_since_drops_the_parts_that_end_before_it() -> None:
    result = _convert(WEEKLY_MEETING + "\nEXDATE;TZID=Europe/Berlin:20240612T100000",
                      since=datetime(2024, 6, 13))
    assert _summary(result) == [
        ("series", "2024-06-17T08:00:00Z", "2024-06-17T10:00:00", _weekly("2024-07-03"), [])]


def _dates(result: ConvertResult) -> list[tuple[str, ...]]:
    return [(e.kind, e.params.date_from, e.params.date_to, e.params.timezone_from or "",
             e.params.timezone_to or "") for e in result.events]


def test_floating_dtend_of_a_zoned_series_is_read_in_its_zone_not_in_tz() -> None:
    result = _convert("UID:a\nDTSTART;TZID=America/Chicago:20240617T100000\n"
                      "DTEND:20240617T110000\nRRULE:FREQ=DAILY;COUNT=2", tz="UTC")
    assert _dates(result) == [("series", "2024-06-17T10:00:00", "2024-06-17T11:00:00",
                               "America/Chicago", "America/Chicago")]


def test_floating_exdate_of_a_zoned_series_is_read_in_its_zone() -> None:
    result = _convert("UID:a\nDTSTART;TZID=America/Chicago:20240617T100000\n"
                      "EXDATE:20240618T100000\nRRULE:FREQ=DAILY;COUNT=3", tz="UTC")
    assert [e.params.date_from for e in result.events] == ["2024-06-17T10:00:00",
                                                           "2024-06-19T10:00:00"]


CHICAGO_AS_WINDOWS_NAMES_IT = """BEGIN:VTIMEZONE
TZID:Central Standard Time
BEGIN:STANDARD
DTSTART:16011104T020000
RRULE:FREQ=YEARLY;BYDAY=1SU;BYMONTH=11
TZOFFSETFROM:-0500
TZOFFSETTO:-0600
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010311T020000
RRULE:FREQ=YEARLY;BYDAY=2SU;BYMONTH=3
TZOFFSETFROM:-0600
TZOFFSETTO:-0500
END:DAYLIGHT
END:VTIMEZONE"""


def test_rdate_periods_are_written_in_their_own_zone() -> None:
    result = _convert("UID:a\nDTSTART;TZID=Central Standard Time:20240101T100000\n"
                      "DTEND;TZID=Central Standard Time:20240101T110000\n"
                      "RDATE;TZID=Central Standard Time;VALUE=PERIOD:20240105T100000/"
                      "20240105T120000,20240106T100000/PT1H",
                      header=CHICAGO_AS_WINDOWS_NAMES_IT, tz="UTC")
    chicago = "America/Chicago"
    assert _dates(result) == [
        ("occurrence", "2024-01-01T10:00:00", "2024-01-01T11:00:00", chicago, chicago),
        ("occurrence", "2024-01-05T10:00:00", "2024-01-05T12:00:00", chicago, chicago),
        ("occurrence", "2024-01-06T10:00:00", "2024-01-06T11:00:00", chicago, chicago)]


def test_exdate_on_the_start_of_an_event_without_rule_removes_it() -> None:
    timed = _convert("UID:a\nDTSTART;TZID=Europe/Berlin:20240617T100000\n"
                     "EXDATE:20240617T080000Z")
    all_day = _convert("UID:b\nDTSTART;VALUE=DATE:20240617\nEXDATE;VALUE=DATE:20240617")
    assert (timed.events, timed.cancelled) == ([], [("a", None)])
    assert (all_day.events, all_day.cancelled) == ([], [("b", None)])


def test_exdate_on_another_day_of_an_event_without_rule_leaves_it() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nEXDATE:20240618T100000Z")
    assert [e.uid for e in result.events] == ["a"]


def test_event_ending_before_it_starts_ends_at_its_start_with_a_warning() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nDTEND:20240617T090000Z")
    assert _dates(result) == [("single", "2024-06-17T10:00:00", "2024-06-17T10:00:00", "UTC",
                               "UTC")]
    assert result.warnings == ["in.ics:4: UID a: its end is before its start: it ends at its "
                               "start"]


def test_series_ending_before_it_starts_is_written_out_ending_at_each_start() -> None:
    result = _convert("UID:a\nDTSTART:20240603T100000Z\nDURATION:-PT1H\n"
                      "RRULE:FREQ=MONTHLY;BYDAY=1MO;COUNT=2")
    assert [(e.params.date_from, e.params.date_to) for e in result.events] == [
        ("2024-06-03T10:00:00", "2024-06-03T10:00:00"),
        ("2024-07-01T10:00:00", "2024-07-01T10:00:00")]


def test_override_ending_before_it_starts_lasts_as_long_as_its_series() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nDTEND:20240617T103000Z\n"
                      "RRULE:FREQ=DAILY;COUNT=3",
                      "UID:a\nRECURRENCE-ID:20240618T100000Z\nDTSTART:20240618T140000Z\n"
                      "DTEND:20240618T090000Z")
    [override] = [e for e in result.events if e.kind == "override"]
    assert (override.params.date_from, override.params.date_to) == ("2024-06-18T14:00:00",
                                                                    "2024-06-18T14:30:00")
    assert "its end is before its start: it lasts as long as its series" in override.warnings


def test_date_start_with_date_time_end_is_all_day_single_or_recurring() -> None:
    single = _convert("UID:a\nDTSTART;VALUE=DATE:20240617\nDTEND:20240618T120000Z")
    weekly = _convert("UID:b\nDTSTART;VALUE=DATE:20240617\nDTEND:20240618T120000Z\n"
                      "RRULE:FREQ=WEEKLY;COUNT=2")
    monthly = _convert("UID:c\nDTSTART;VALUE=DATE:20240617\nDTEND:20240618T120000Z\n"
                       "RRULE:FREQ=MONTHLY;BYDAY=3MO;COUNT=2")
    assert _dates(single) == [("single", "2024-06-17", "2024-06-18", "", "")]
    assert _dates(weekly) == [("series", "2024-06-17", "2024-06-18", "", "")]
    assert _dates(monthly) == [("occurrence", "2024-06-17", "2024-06-18", "", ""),
                               ("occurrence", "2024-07-15", "2024-07-16", "", "")]


def test_unreadable_recurrence_is_one_sentence_about_the_input_with_line_and_uid() -> None:
    result = _convert("UID:a\nDTSTART:20210302T000000Z\nRDATE;VALUE=TIME:133000Z",
                      "UID:b\nDTSTART:20210302T000000Z")
    assert [e.uid for e in result.events] == ["b"]
    assert result.warnings == ["in.ics:4: UID a: VEVENT skipped: its recurrence (RRULE, RDATE "
                               "or EXDATE) has a value that cannot be read"]


def test_recurrence_id_given_as_a_period_skips_that_vevent() -> None:
    result = _convert("UID:a\nDTSTART:20240617T100000Z\nRRULE:FREQ=DAILY;COUNT=2\n"
                      "RECURRENCE-ID;VALUE=PERIOD:20240618T100000Z/PT1H")
    assert result.warnings == ["in.ics:4: UID a: VEVENT skipped: its RECURRENCE-ID is not a "
                               "date or date-time"]
    assert result.events == []


@pytest.mark.parametrize(("tzid", "kept"), [("Asia/Calcutta", "Asia/Kolkata"),
                                            ("Europe/Kiev", "Europe/Kyiv"),
                                            ("Asia/Saigon", "Asia/Ho_Chi_Minh"),
                                            ("US/Eastern", "America/New_York")])
def test_zone_names_a_portal_would_replace_are_written_as_their_listed_zone(
        tzid: str, kept: str) -> None:
    [line] = _lines(_convert(f"""UID:a
        DTSTART;TZID={tzid}:20240617T100000
        DTEND;TZID={tzid}:20240617T110000
        SUMMARY:Call"""))
    params = line["params"]
    assert isinstance(params, dict)
    assert (params["timezone_from"], params["timezone_to"], params["from"]) == (
        kept, kept, "2024-06-17T10:00:00")


def test_a_fixed_offset_zone_is_written_as_a_listed_zone_with_that_offset() -> None:
    [line] = _lines(_convert("""UID:a
        DTSTART;TZID=Etc/GMT-2:20240617T100000
        DTEND;TZID=Etc/GMT-2:20240617T110000
        SUMMARY:Call"""))
    params = line["params"]
    assert isinstance(params, dict)
    zone = ZoneInfo(str(params["timezone_from"]))
    assert not str(params["timezone_from"]).startswith("Etc/")
    assert all(zone.utcoffset(datetime(year, month, 1)) == ZoneInfo("Etc/GMT-2").utcoffset(
        datetime(year, month, 1)) for year in range(2008, 2031) for month in range(1, 13))


def _alarm(minutes: int) -> str:
    return f"""BEGIN:VALARM
        ACTION:DISPLAY
        TRIGGER:-PT{minutes}M
        END:VALARM"""


def test_six_reminders_are_written_as_the_five_nearest_the_start_with_a_warning() -> None:
    alarms = "\n        ".join(_alarm(m) for m in (5, 10, 15, 20, 30, 45))
    result = _convert(f"""UID:a
        DTSTART;TZID=Europe/Berlin:20240617T100000
        DTEND;TZID=Europe/Berlin:20240617T110000
        SUMMARY:Call
        {alarms}""")
    [event] = result.events
    assert [r.count for r in event.params.remind] == [5, 10, 15, 20, 30]
    assert any("6 reminders" in w for w in result.warnings)


def test_a_summary_longer_than_the_portals_column_is_cut_with_a_warning() -> None:
    result = _convert(f"""UID:a
        DTSTART;TZID=Europe/Berlin:20240617T100000
        DTEND;TZID=Europe/Berlin:20240617T110000
        SUMMARY:{"S" * 300}
        LOCATION:{"L" * 256}""")
    [event] = result.events
    assert (event.params.name, event.params.location) == ("S" * 255, "L" * 255)
    assert sum("Bitrix24 keeps 255" in w for w in result.warnings) == 2


def test_five_reminders_and_a_255_character_summary_are_kept_without_warning() -> None:
    alarms = "\n        ".join(_alarm(m) for m in (5, 10, 15, 20, 30))
    result = _convert(f"""UID:a
        DTSTART;TZID=Europe/Berlin:20240617T100000
        DTEND;TZID=Europe/Berlin:20240617T110000
        SUMMARY:{"S" * 255}
        {alarms}""")
    [event] = result.events
    assert (len(event.params.remind), len(event.params.name), result.warnings) == (5, 255, [])


def test_times_with_seconds_are_written_as_given_with_a_warning_that_the_portal_rounds() -> None:
    result = _convert("""UID:a
        DTSTART;TZID=Europe/Berlin:20240617T012030
        DTEND;TZID=Europe/Berlin:20240617T020000
        SUMMARY:Call""")
    [event] = result.events
    assert event.params.date_from == "2024-06-17T01:20:30"
    assert result.warnings == ["in.ics:4: UID a: DTSTART 01:20:30: Bitrix24 keeps times to "
                               "the minute (half a minute and more rounds up)"]


@pytest.mark.parametrize("until", ["20250301T000000Z", "20250310", "20250310T073000Z"],
                         ids=["days before", "a date on the day before", "an hour before"])
def test_rule_whose_until_is_before_dtstart_keeps_dtstart_with_a_warning(until: str) -> None:
    """RFC 5545 3.8.5.3: DTSTART is always the first occurrence. Here 09:00 in Berlin is
    08:00 UTC on 10 March: a date UNTIL on that day still reads as UTC midnight, before it."""
    result = _convert(f"""UID:a
        DTSTART;TZID=Europe/Berlin:20250310T090000
        DTEND;TZID=Europe/Berlin:20250310T100000
        RRULE:FREQ=WEEKLY;UNTIL={until}
        SUMMARY:Kick-off""")
    assert [(line["kind"], line["params"]["from"]) for line in _lines(result)] == [  # type: ignore[index]
        ("single", "2025-03-10T09:00:00")]
    assert result.warnings == [
        f"in.ics:4: UID a: an RRULE ends before its start (UNTIL {until}) and is left out; "
        "the start stays, as RFC 5545 makes it the first occurrence"]


def _custom_zone(offset: str) -> str:
    return ("BEGIN:VTIMEZONE\r\nTZID:Custom/Zone\r\nBEGIN:STANDARD\r\nDTSTART:19700101T000000\r\n"
            f"TZOFFSETFROM:{offset}\r\nTZOFFSETTO:{offset}\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n")


def test_two_inputs_defining_a_zone_of_one_name_each_read_their_times_in_their_own() -> None:
    """icalendar kept the first VTIMEZONE of a name for the whole process: the second
    calendar's 09:00 at +03:00 was read at +01:00, two hours off."""
    event = ("UID:{uid}\nDTSTART;TZID=Custom/Zone:20250310T090000\n"
             "DTEND;TZID=Custom/Zone:20250310T100000\nSUMMARY:E")
    inputs = [(f"{uid}.ics", calendar(event.format(uid=uid), header=_custom_zone(offset)))
              for uid, offset in (("a", "+0100"), ("b", "+0300"))]
    result = convert_inputs(inputs, _options())
    starts = {e.uid: datetime.fromisoformat(e.params.date_from).replace(
        tzinfo=ZoneInfo(e.params.timezone_from or "UTC")) for e in result.events}
    utc = ZoneInfo("UTC")
    assert starts == {"a": datetime(2025, 3, 10, 8, tzinfo=utc),
                      "b": datetime(2025, 3, 10, 6, tzinfo=utc)}
