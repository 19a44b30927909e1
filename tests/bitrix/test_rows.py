"""Portal event rows → RemoteEvent, on rows shaped exactly as the reference shows them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from ics2b24.bitrix.rows import parse_event, parse_events, shown
from ics2b24.errors import PortalError
from ics2b24.model import EventParams, Meeting, PortalTraits, Reminder, Rrule
from ics2b24.plan.compare import Window
from ics2b24.plan.remote import RemoteEvent

# calendar-event-get-by-id.md, "Response Handling", verbatim.
GETBYID_ROW: dict[str, Any] = {   'ID': '1265',
    'PARENT_ID': '1265',
    'DELETED': 'N',
    'CAL_TYPE': 'user',
    'OWNER_ID': '1',
    'NAME': 'Event Name',
    'DATE_FROM': '12/11/2024 05:59:00 pm',
    'DATE_TO': '12/11/2024 06:59:00 pm',
    'ORIGINAL_DATE_FROM': None,
    'TZ_FROM': 'Europe/Riga',
    'TZ_TO': 'Europe/Riga',
    'TZ_OFFSET_FROM': '7200',
    'TZ_OFFSET_TO': '7200',
    'DATE_FROM_TS_UTC': '1733932740',
    'DATE_TO_TS_UTC': '1733936340',
    'DT_SKIP_TIME': 'N',
    'DT_LENGTH': 3600,
    'EVENT_TYPE': None,
    'CREATED_BY': '1',
    'DATE_CREATE': '12/05/2024 01:48:41 pm',
    'TIMESTAMP_X': '12/05/2024 01:48:41 pm',
    'DESCRIPTION': 'Description for event',
    'PRIVATE_EVENT': '',
    'ACCESSIBILITY': 'free',
    'IMPORTANCE': 'normal',
    'IS_MEETING': True,
    'MEETING_STATUS': 'H',
    'MEETING_HOST': '1',
    'MEETING': {   'HOST_NAME': 'User Name',
                   'NOTIFY': False,
                   'REINVITE': False,
                   'ALLOW_INVITE': False,
                   'HIDE_GUESTS': False,
                   'MEETING_CREATOR': 1,
                   'LANGUAGE_ID': 'de',
                   'MAIL_FROM': ''},
    'LOCATION': 'test location',
    'REMIND': [{'type': 'min', 'count': 50}],
    'COLOR': '#9dcf00',
    'RRULE': {   'FREQ': 'WEEKLY',
                 'BYDAY': {'MO': 'MO', 'WE': 'WE'},
                 'INTERVAL': 1,
                 'UNTIL': '12/24/2024',
                 '~UNTIL': '12/24/2024',
                 'UNTIL_TS': 1734998400},
    'EXDATE': '11/28/2024;12/05/2024;12/12/2024;12/19/2024;12/26/2024',
    'DAV_XML_ID': '20241211T155900Z-534185204b362e9be7e261e92ccd9078@b24evo.lan',
    'G_EVENT_ID': '',
    'DAV_EXCH_LABEL': '',
    'CAL_DAV_LABEL': '',
    'VERSION': '1',
    'ATTENDEES_CODES': ['U1'],
    'RECURRENCE_ID': 1272,
    'RELATIONS': {'ORIGINAL_RECURSION_ID': 1271, 'COMMENT_XML_ID': 'EVENT_1271_12/23/2024'},
    'SECTION_ID': '4',
    'SYNC_STATUS': None,
    'UF_CRM_CAL_EVENT': ['CO_1', 'L_5'],
    'UF_WEBDAV_CAL_EVENT': False,
    'SECTION_DAV_XML_ID': None,
    'DATE_FROM_FORMATTED': 'Wed Dec 11 2024 17:59:00',
    'DATE_TO_FORMATTED': 'Wed Dec 11 2024 18:59:00',
    'SECT_ID': '4',
    'ATTENDEE_LIST': [{'id': 1, 'entryId': '1265', 'status': 'H'}],
    'COLLAB_ID': None,
    '~RRULE_DESCRIPTION': 'every week on: Mon, Wed, from 12/11/2024 to 12/24/2024',
    'attendeesEntityList': [{'entityId': 'user', 'id': 1}],
    '~DESCRIPTION': 'Description for event',
    '~USER_OFFSET_FROM': 7200,
    '~USER_OFFSET_TO': 7200}


def row(**changes: Any) -> dict[str, Any]:
    out = dict(GETBYID_ROW)
    out.update(changes)
    return out


def timed(event_id: str, date_from: str, date_to: str, ts_from: int,
          **more: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "ID": event_id, "DATE_FROM": date_from, "DATE_TO": date_to,
        "DATE_FROM_TS_UTC": str(ts_from), "DATE_TO_TS_UTC": str(ts_from + 3600),
        "TZ_FROM": "UTC", "TZ_TO": "UTC", "RRULE": "", "EXDATE": "",
    }
    fields.update(more)
    return row(**fields)


def test_reference_getbyid_row_reads_completely() -> None:
    assert parse_event(GETBYID_ROW) == RemoteEvent(
        id=1265,
        section_id=4,
        dav_xml_id="20241211T155900Z-534185204b362e9be7e261e92ccd9078@b24evo.lan",
        recurrence_id=1272,
        original_recursion_id=1271,
        original_date_from=None,
        meeting_host=1,
        start_utc=1733932740,
        params=EventParams(
            name="Event Name",
            date_from="2024-12-11T17:59:00",
            date_to="2024-12-11T18:59:00",
            timezone_from="Europe/Riga",
            timezone_to="Europe/Riga",
            description="Description for event",
            location="test location",
            color="#9dcf00",
            remind=(Reminder("min", 50),),
            accessibility="free",
            importance="normal",
            private_event=False,
            rrule=Rrule("WEEKLY", interval=1, until=date(2024, 12, 24), byday=("MO", "WE")),
            is_meeting=True,
            attendees=(1,),
            meeting=Meeting(),
        ),
        exdate=("2024-11-28", "2024-12-05", "2024-12-12", "2024-12-19", "2024-12-26"),
        occurrences=("2024-12-11T17:59:00",),
    )


def test_remote_params_are_written_as_the_converter_writes_them() -> None:
    event = parse_event(GETBYID_ROW).params
    assert event.rrule == Rrule("WEEKLY", until=date(2024, 12, 24), byday=("MO", "WE"))
    params = replace(event, rrule=None).to_params()
    assert params["from"] == "2024-12-11T17:59:00"
    assert params["remind"] == [{"type": "min", "count": 50}]
    assert params["skip_time"] == "N"


def test_a_rule_the_portal_shows_with_until_is_never_sent_to_an_older_portal() -> None:
    """An older portal reads a sent UNTIL in its display format; unreadable, it never ends."""
    older = PortalTraits(reads_iso_until=False, honours_recurrence_mode=False)
    with pytest.raises(ValueError, match="COUNT"):
        parse_event(GETBYID_ROW).params.to_params(older)


def test_a_rule_the_portal_shows_with_until_goes_to_a_current_portal_as_an_iso_until() -> None:
    rule = parse_event(GETBYID_ROW).params.to_params()["rrule"]
    assert rule["UNTIL"] == date.fromisoformat(rule["UNTIL"]).isoformat()


def test_display_time_is_the_wall_clock_even_when_the_timestamp_disagrees() -> None:
    # calendar-event-get.md shows the same row in Europe/Berlin with the Riga timestamp.
    event = parse_event(row(TZ_FROM="Europe/Berlin", TZ_TO="Europe/Berlin"))
    assert event.params.date_from == "2024-12-11T17:59:00"
    assert event.params.timezone_from == "Europe/Berlin"


def test_all_day_event_has_dates_inclusive_end_and_no_zone() -> None:
    event = parse_event(row(DT_SKIP_TIME="Y", DATE_FROM="06/17/2024", DATE_TO="06/18/2024",
                            DATE_FROM_TS_UTC="1718582400", DATE_TO_TS_UTC="1718668800"))
    assert (event.params.skip_time, event.params.date_from, event.params.date_to) == (
        True, "2024-06-17", "2024-06-18")
    assert event.params.timezone_from is None and event.params.timezone_to is None


def test_all_day_event_shown_with_midnight_reads_as_its_day() -> None:
    event = parse_event(row(DT_SKIP_TIME="Y", DATE_FROM="06/17/2024 12:00:00 am",
                            DATE_TO="06/17/2024 12:00:00 am"))
    assert (event.params.date_from, event.params.date_to) == ("2024-06-17", "2024-06-17")


def test_day_first_display_is_settled_by_the_timestamp() -> None:
    # 4 March 2024 10:00 UTC; read month-first it would be 3 April.
    event = parse_event(timed("7", "04/03/2024 10:00:00", "04/03/2024 11:00:00", 1709546400,
                              EXDATE="11/03/2024"))
    assert event.params.date_from == "2024-03-04T10:00:00"
    assert event.exdate == ("2024-03-11",)


def test_a_month_view_of_expanded_rows_only_is_read_in_the_order_given() -> None:
    """The view of October 2026 of an all-day yearly rule from 3 October 2025: its one row
    reads 3 October or 10 March, and carries its series' timestamp (2025-10-03), nearer to
    10 March; the order learnt from the whole window settles it."""
    expanded = row(ID="9", DT_SKIP_TIME="Y", DATE_FROM="10/03/2026", DATE_TO="10/03/2026",
                   DATE_FROM_TS_UTC="1759449600", DATE_TO_TS_UTC="1759449600",
                   RRULE="FREQ=YEARLY;INTERVAL=1", EXDATE="")
    grid = Window(date(2026, 9, 28), date(2026, 11, 8))
    (found,) = shown([expanded], grid, "mdy")[9]
    assert found.start == "2026-10-03"


def test_dotted_display_format_reads() -> None:
    event = parse_event(timed("7", "11.12.2024 17:59:00", "11.12.2024 18:59:00", 1733939940))
    assert event.params.date_from == "2024-12-11T17:59:00"


def test_noon_and_midnight_in_twelve_hour_format() -> None:
    event = parse_event(timed("7", "12/11/2024 12:30:00 pm", "12/12/2024 12:15:00 am",
                              1733920200))
    assert (event.params.date_from, event.params.date_to) == (
        "2024-12-11T12:30:00", "2024-12-12T00:15:00")


def test_count_rule_drops_a_computed_until() -> None:
    event = parse_event(row(RRULE={"FREQ": "DAILY", "COUNT": "5", "INTERVAL": "2",
                                   "UNTIL": "12/19/2024", "UNTIL_TS": 1734566400}))
    assert event.params.rrule == Rrule("DAILY", interval=2, count=5)


def test_until_2038_means_no_end() -> None:
    event = parse_event(row(RRULE={"FREQ": "DAILY", "INTERVAL": 1, "UNTIL": "01/01/2038",
                                   "UNTIL_TS": 2145916800}))
    assert event.params.rrule == Rrule("DAILY")


def test_byday_object_is_read_in_week_order() -> None:
    event = parse_event(row(RRULE={"FREQ": "WEEKLY", "BYDAY": {"SU": "SU", "MO": "MO"},
                                   "INTERVAL": 1}))
    assert event.params.rrule is not None and event.params.rrule.byday == ("MO", "SU")


def test_single_event_has_no_rule_and_no_exdate() -> None:
    event = parse_event(row(RRULE="", EXDATE=""))
    assert event.params.rrule is None and event.exdate == ()


def test_private_event_flag() -> None:
    assert parse_event(row(PRIVATE_EVENT="Y")).params.private_event


def test_event_that_is_not_a_meeting_carries_no_people() -> None:
    params = parse_event(row(IS_MEETING=False)).params
    assert (params.is_meeting, params.attendees, params.meeting) == (False, (), None)


def test_empty_texts_are_left_out() -> None:
    params = parse_event(row(**{"LOCATION": "", "COLOR": "", "DESCRIPTION": "",
                                "~DESCRIPTION": ""})).params
    assert (params.location, params.color, params.description) == (None, None, None)


def test_description_is_the_text_sent_and_its_html_rendering_is_ignored() -> None:
    event = parse_event(row(**{"DESCRIPTION": "a & b\nc", "~DESCRIPTION": "a &amp; b<br>c"}))
    assert event.params.description == "a & b\nc"


def test_rows_with_description_make_the_description_known() -> None:
    [event] = parse_events([row(DESCRIPTION="Agenda")])
    assert (event.description_known, event.params.description) == (True, "Agenda")


def test_rows_without_description_leave_it_unknown() -> None:
    listed = row()
    listed.pop("DESCRIPTION", None)
    [event] = parse_events([listed])
    assert event.description_known is False


def test_detached_occurrence_keeps_its_original_date() -> None:
    event = parse_event(row(ORIGINAL_DATE_FROM="12/23/2024 05:59:00 pm"))
    assert event.original_date_from == "2024-12-23T17:59:00"


def test_unreadable_date_is_a_portal_error_naming_the_event() -> None:
    with pytest.raises(PortalError, match="1265"):
        parse_event(row(DATE_FROM="tomorrow"))


def test_unknown_zone_is_a_portal_error() -> None:
    with pytest.raises(PortalError):
        parse_event(row(TZ_FROM="Mars/Olympus", DATE_FROM="03/04/2024 10:00:00"))


def test_occurrences_of_one_series_become_one_event_from_the_earliest() -> None:
    rows = [
        timed("9", "12/18/2024 10:00:00 am", "12/18/2024 11:00:00 am", 1734516000),
        timed("9", "12/11/2024 10:00:00 am", "12/11/2024 11:00:00 am", 1733911200),
        timed("9", "12/25/2024 10:00:00 am", "12/25/2024 11:00:00 am", 1735120800),
    ]
    [event] = parse_events(rows)
    assert event.params.date_from == "2024-12-11T10:00:00"
    assert event.occurrences == ("2024-12-11T10:00:00", "2024-12-18T10:00:00",
                                 "2024-12-25T10:00:00")


def test_events_are_listed_by_id() -> None:
    rows = [timed("12", "12/11/2024 10:00:00 am", "12/11/2024 11:00:00 am", 1733911200),
            timed("3", "12/12/2024 10:00:00 am", "12/12/2024 11:00:00 am", 1733997600)]
    assert [e.id for e in parse_events(rows)] == [3, 12]


def _yearly_row(display: str) -> dict[str, Any]:
    """An expanded all-day occurrence as a real portal lists it: its own DATE_FROM, the
    series' DATE_FROM_TS_UTC (3 October 2024)."""
    return {"ID": "7", "NAME": "Unity day", "DATE_FROM": display, "DATE_TO": display,
            "DT_SKIP_TIME": "Y", "TZ_FROM": "Europe/Berlin", "TZ_TO": "Europe/Berlin",
            "DATE_FROM_TS_UTC": "1727906400", "DATE_TO_TS_UTC": "1727992800",
            "RRULE": {"FREQ": "YEARLY", "INTERVAL": 1}}


def test_expanded_rows_are_read_in_the_date_order_of_the_series_own_row() -> None:
    """10/03/2026 is 3 October in MM/DD/YYYY, although 10 March is nearer the series'
    timestamp that every expanded row carries."""
    (event,) = parse_events([_yearly_row("10/03/2024"), _yearly_row("10/03/2026")])
    assert event.occurrences == ("2024-10-03", "2026-10-03")
