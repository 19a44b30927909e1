"""calendar.event.* in-process, checked against the reference pages' texts and examples."""

from __future__ import annotations

import re
from typing import Any

import pytest

from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.store import Store, User

CONFIG = {"users": [
    {"id": 1, "name": "Ann", "last_name": "Lee", "time_zone": "Europe/Berlin", "admin": True},
    {"id": 2, "name": "Bob", "time_zone": "Europe/Riga"},
]}


@pytest.fixture
def api() -> CalendarApi:
    """A current portal whose server is in the users' zone: these tests are about what the
    methods do, not about the user's offset from the server (tests/portal/test_zones.py)."""
    store = Store()
    store.seed(CONFIG)
    return CalendarApi(store, host="b24.test", profile=Profile(server_zone="Europe/Berlin"))


def _user(api: CalendarApi, user_id: int = 1) -> User:
    user = api.store.user(user_id)
    assert user is not None
    return user


def _call(api: CalendarApi, method: str, *, as_user: int = 1, **params: Any) -> Any:
    return api.call(_user(api, as_user), method, params)


def _error(api: CalendarApi, method: str, *, as_user: int = 1, **params: Any) -> MethodError:
    with pytest.raises(MethodError) as caught:
        _call(api, method, as_user=as_user, **params)
    return caught.value


def _add(api: CalendarApi, *, as_user: int = 1, **params: Any) -> int:
    base: dict[str, Any] = {"type": "user", "ownerId": as_user, "name": "Event",
                            "from": "2024-12-11T17:59:00", "to": "2024-12-11T18:59:00",
                            "timezone_from": "Europe/Riga",
                            "section": api.store.sections("user", as_user)[0]["id"]}
    result = _call(api, "calendar.event.add", as_user=as_user, **{**base, **params})
    assert isinstance(result, int)
    return result


def _get(api: CalendarApi, event_id: int) -> dict[str, Any]:
    row = _call(api, "calendar.event.getbyid", id=event_id)
    assert isinstance(row, dict)
    return row


def _window(api: CalendarApi, first: str, last: str, **params: Any) -> list[dict[str, Any]]:
    rows = _call(api, "calendar.event.get", type="user", ownerId=1, to=last,
                 **{"from": first}, **params)
    assert isinstance(rows, list)
    return rows


# --- errors -------------------------------------------------------------------------------


@pytest.mark.parametrize("missing", ["type", "ownerId", "name", "from", "to"])
def test_event_add_names_the_missing_required_parameter(api: CalendarApi, missing: str) -> None:
    params = {"type": "user", "ownerId": 1, "name": "E", "from": "2024-06-17",
              "to": "2024-06-17", "skip_time": "Y"}
    del params[missing]
    error = _error(api, "calendar.event.add", **params)
    assert (error.error, error.status) == ("", 400)
    assert error.description == (
        f'The required parameter "{missing}" for the method "calendar.event.add" is not set')


def test_event_add_takes_from_ts_and_to_ts_instead_of_from_and_to(api: CalendarApi) -> None:
    event_id = _add(api, **{"from": None, "to": None}, from_ts=1733932740, to_ts=1733936340)
    row = _get(api, event_id)
    assert (row["DATE_FROM"], row["DATE_TO"]) == ("12/11/2024 05:59:00 pm",
                                                  "12/11/2024 06:59:00 pm")


@pytest.mark.parametrize("field", ["name", "description"])
def test_event_add_refuses_a_name_or_description_that_is_not_a_string(
        api: CalendarApi, field: str) -> None:
    params = {"type": "user", "ownerId": 1, "name": "E", "from": "2024-06-17",
              "to": "2024-06-17", field: {"x": 1}}
    error = _error(api, "calendar.event.add", **params)
    assert error.description == f'Invalid value for the parameter "{field}"'


def test_event_add_in_another_users_calendar_is_denied(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.add", as_user=2, type="user", ownerId=1, name="E",
                   **{"from": "2024-06-17", "to": "2024-06-17"})
    assert error.description == "Access denied"


def test_event_add_in_a_section_of_another_calendar_is_refused(api: CalendarApi) -> None:
    bobs = api.store.sections("user", 2)[0]["id"]
    error = _error(api, "calendar.event.add", type="user", ownerId=1, name="E", section=bobs,
                   **{"from": "2024-06-17", "to": "2024-06-17"})
    assert error.description == (
        "You specified an invalid calendar section ID or the user does not have access to it")


def test_event_add_without_section_auto_detects_the_personal_one(api: CalendarApi) -> None:
    event_id = _add(api, section=None)
    assert _get(api, event_id)["SECTION_ID"] == str(api.store.sections("user", 1)[0]["id"])


def test_event_add_with_auto_detect_off_needs_a_section(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.add", type="user", ownerId=1, name="E",
                   auto_detect_section="N", **{"from": "2024-06-17", "to": "2024-06-17"})
    assert error.description == (
        'The required parameter "section" for the method "calendar.event.add" is not set')


def test_company_calendar_takes_owner_zero_from_an_admin(api: CalendarApi) -> None:
    api.store.add_section("company_calendar", 0, {"name": "Company"})
    event_id = _call(api, "calendar.event.add", type="company_calendar", ownerId=0, name="E",
                     **{"from": "2024-06-17", "to": "2024-06-17", "skip_time": "Y"})
    assert _get(api, event_id)["CAL_TYPE"] == "company_calendar"


def test_company_calendar_is_read_only_for_other_users(api: CalendarApi) -> None:
    api.store.add_section("company_calendar", 0, {"name": "Company"})
    error = _error(api, "calendar.event.add", as_user=2, type="company_calendar", ownerId=0,
                   name="E", **{"from": "2024-06-17", "to": "2024-06-17"})
    assert error.description == "Access denied"


@pytest.mark.parametrize("missing", ["id", "ownerId", "type"])
def test_event_update_names_the_missing_required_parameter(api: CalendarApi,
                                                           missing: str) -> None:
    params = {"id": 1, "type": "user", "ownerId": 1}
    del params[missing]
    error = _error(api, "calendar.event.update", **params)
    assert error.description == (
        f'The required parameter "{missing}" for the method "calendar.event.update" is not set.')


def test_event_update_refuses_an_unknown_recurrence_mode(api: CalendarApi) -> None:
    event_id = _add(api)
    error = _error(api, "calendar.event.update", id=event_id, type="user", ownerId=1,
                   name="Event", recurrence_mode="some")
    assert error.description == "An invalid editing type for the recurring event is specified."


def test_event_update_name_must_be_a_string(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.update", id=_add(api), type="user", ownerId=1,
                   name=["x"])
    assert error.description == 'Invalid value for the "name" parameter.'


def test_event_update_of_another_users_event_is_denied(api: CalendarApi) -> None:
    event_id = _add(api)
    error = _error(api, "calendar.event.update", as_user=2, id=event_id, type="user", ownerId=1,
                   name="mine")
    assert error.description == "Access denied."


def test_event_update_returns_the_id_as_an_integer(api: CalendarApi) -> None:
    event_id = _add(api)
    assert _call(api, "calendar.event.update", id=str(event_id), type="user", ownerId="1",
                 name="Renamed") == event_id
    assert _get(api, event_id)["NAME"] == "Renamed"


def test_event_delete_without_id(api: CalendarApi) -> None:
    assert _error(api, "calendar.event.delete").description == "Event id not specified"


def test_event_delete_of_an_unknown_event(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.delete", id=999)
    assert error.description == "An error occurred while deleting the event"


def test_event_delete_answers_true(api: CalendarApi) -> None:
    event_id = _add(api)
    assert _call(api, "calendar.event.delete", id=event_id) is True
    assert _call(api, "calendar.event.getbyid", id=event_id) is None


def test_getbyid_without_id(api: CalendarApi) -> None:
    assert _error(api, "calendar.event.getbyid").description == (
        'The required parameter "id" for the method "calendar.event.getbyid" is not set')


def test_event_get_without_type(api: CalendarApi) -> None:
    assert _error(api, "calendar.event.get", ownerId=1).description == (
        'Required parameter "type" is not specified for method "calendar.event.get"')


def test_unknown_method_is_not_found(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.fly")
    assert (error.error, error.description, error.status) == (
        "ERROR_METHOD_NOT_FOUND", "Method not found!", 404)


# --- fields and formats -----------------------------------------------------------------


def test_event_row_matches_the_reference_example_dates(api: CalendarApi) -> None:
    # calendar.event.getbyid example: 17:59 in Europe/Riga on 11 Dec 2024 = 1733932740 UTC.
    row = _get(api, _add(api))
    assert row["DATE_FROM"] == "12/11/2024 05:59:00 pm"
    assert row["DATE_TO"] == "12/11/2024 06:59:00 pm"
    assert (row["TZ_FROM"], row["TZ_OFFSET_FROM"]) == ("Europe/Riga", "7200")
    assert (row["DATE_FROM_TS_UTC"], row["DATE_TO_TS_UTC"]) == ("1733932740", "1733936340")
    assert row["DT_LENGTH"] == 3600 and row["DT_SKIP_TIME"] == "N"
    assert row["DATE_FROM_FORMATTED"] == "Wed Dec 11 2024 17:59:00"


def test_event_row_ids_are_strings(api: CalendarApi) -> None:
    event_id = _add(api)
    row = _get(api, event_id)
    assert (row["ID"], row["PARENT_ID"], row["OWNER_ID"], row["CREATED_BY"]) == (
        str(event_id), str(event_id), "1", "1")
    assert row["SECTION_ID"] == row["SECT_ID"] == str(api.store.sections("user", 1)[0]["id"])


def test_dav_xml_id_is_the_start_in_utc_a_hex_id_and_the_host(api: CalendarApi) -> None:
    row = _get(api, _add(api))
    assert re.fullmatch(r"20241211T155900Z-[0-9a-f]{32}@b24\.test", row["DAV_XML_ID"])


def test_midnight_and_noon_in_display_format(api: CalendarApi) -> None:
    row = _get(api, _add(api, **{"from": "2024-06-17T00:05:00", "to": "2024-06-17T12:30:00"}))
    assert (row["DATE_FROM"], row["DATE_TO"]) == ("06/17/2024 12:05:00 am",
                                                  "06/17/2024 12:30:00 pm")


def test_all_day_event_to_is_inclusive_and_shown_without_time(api: CalendarApi) -> None:
    row = _get(api, _add(api, skip_time="Y", **{"from": "2024-06-14", "to": "2024-06-16"}))
    assert (row["DATE_FROM"], row["DATE_TO"], row["DT_SKIP_TIME"]) == (
        "06/14/2024", "06/16/2024", "Y")
    assert row["DT_LENGTH"] == 3 * 86400


def test_time_with_offset_is_moved_into_the_callers_zone(api: CalendarApi) -> None:
    row = _get(api, _add(api, timezone_from=None,
                         **{"from": "2025-08-04T23:00:00Z", "to": "2025-08-05T00:00:00Z"}))
    assert (row["TZ_FROM"], row["DATE_FROM"]) == ("Europe/Berlin", "08/05/2025 01:00:00 am")


def test_timezone_to_defaults_to_timezone_from(api: CalendarApi) -> None:
    row = _get(api, _add(api, timezone_from="Asia/Tokyo"))
    assert row["TZ_TO"] == "Asia/Tokyo"


def test_unknown_time_zone_becomes_the_servers_zone(api: CalendarApi) -> None:
    row = _get(api, _add(api, timezone_from="Mars/Olympus"))
    assert (row["TZ_FROM"], row["TZ_TO"]) == ("Europe/Berlin", "Europe/Berlin")


def test_rrule_is_shown_with_byday_object_and_until_in_display_format(api: CalendarApi) -> None:
    row = _get(api, _add(api, rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], "INTERVAL": 1,
                                     "UNTIL": "12/24/2024"}))
    assert row["RRULE"] == {"FREQ": "WEEKLY", "BYDAY": {"MO": "MO", "WE": "WE"}, "INTERVAL": 1,
                            "UNTIL": "12/24/2024", "~UNTIL": "12/24/2024",
                            "UNTIL_TS": 1734998400}


def test_byday_is_dropped_from_rules_that_are_not_weekly(api: CalendarApi) -> None:
    row = _get(api, _add(api, rrule={"FREQ": "DAILY", "BYDAY": ["MO"]}))
    assert "BYDAY" not in row["RRULE"]


def test_form_encoded_params_are_accepted(api: CalendarApi) -> None:
    event_id = _add(api, ownerId="1", rrule={"FREQ": "WEEKLY", "COUNT": "2",
                                             "BYDAY": {"0": "WE"}},
                    remind={"0": {"type": "min", "count": "20"}}, private_event="Y")
    row = _get(api, event_id)
    assert row["RRULE"]["COUNT"] == 2 and row["RRULE"]["BYDAY"] == {"WE": "WE"}
    assert row["REMIND"] == [{"type": "min", "count": 20}]
    assert row["PRIVATE_EVENT"] == "Y"


def test_meeting_lists_host_and_attendees(api: CalendarApi) -> None:
    row = _get(api, _add(api, is_meeting="Y", attendees=[1, 2],
                         meeting={"notify": False, "reinvite": False, "allow_invite": False,
                                  "hide_guests": False}))
    assert row["IS_MEETING"] is True and row["MEETING_HOST"] == "1"
    assert [(a["id"], a["status"]) for a in row["ATTENDEE_LIST"]] == [(1, "H"), (2, "Q")]
    assert row["MEETING"]["HOST_NAME"] == "Ann Lee" and row["MEETING"]["NOTIFY"] is False


def test_crm_fields_must_be_an_array(api: CalendarApi) -> None:
    with pytest.raises(MethodError) as caught:
        _add(api, crm_fields="C_5")
    assert caught.value.description == "The list of event links to CRM must be an array"


# --- calendar.event.get -----------------------------------------------------------------


def test_event_get_returns_only_events_that_touch_the_window(api: CalendarApi) -> None:
    inside = _add(api, **{"from": "2024-06-10T10:00:00", "to": "2024-06-10T11:00:00"})
    _add(api, **{"from": "2024-07-10T10:00:00", "to": "2024-07-10T11:00:00"})
    across = _add(api, **{"from": "2024-05-31T22:00:00", "to": "2024-06-01T09:00:00"})
    assert [r["ID"] for r in _window(api, "2024-06-01", "2024-06-30")] == [
        str(across), str(inside)]


def test_event_get_includes_the_whole_last_day(api: CalendarApi) -> None:
    event_id = _add(api, **{"from": "2024-06-30T23:00:00", "to": "2024-06-30T23:30:00"})
    assert [r["ID"] for r in _window(api, "2024-06-01", "2024-06-30")] == [str(event_id)]


def test_event_get_expands_a_series_into_occurrences_with_the_series_id(
        api: CalendarApi) -> None:
    series = _add(api, rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], "UNTIL": "2024-12-23"})
    rows = _window(api, "2024-12-01", "2025-01-31")
    assert [r["ID"] for r in rows] == [str(series)] * 4
    assert [r["DATE_FROM"] for r in rows] == [
        "12/11/2024 05:59:00 pm", "12/16/2024 05:59:00 pm",
        "12/18/2024 05:59:00 pm", "12/23/2024 05:59:00 pm"]
    assert all(r["RRULE"]["UNTIL"] == "12/23/2024" for r in rows)
    assert [r["RINDEX"] for r in rows] == [0, 1, 2, 3]


def test_occurrences_keep_their_wall_clock_time_across_dst(api: CalendarApi) -> None:
    _add(api, timezone_from="Europe/Berlin", rrule={"FREQ": "DAILY", "COUNT": 3},
         **{"from": "2024-03-30T10:00:00", "to": "2024-03-30T11:00:00"})
    rows = _window(api, "2024-03-01", "2024-04-30")
    assert [r["DATE_FROM"][-11:] for r in rows] == ["10:00:00 am"] * 3
    assert [r["DATE_TO"][-11:] for r in rows] == ["11:00:00 am"] * 3


def test_event_get_filters_by_section(api: CalendarApi) -> None:
    other = _call(api, "calendar.section.add", type="user", ownerId=1, name="Other")
    _add(api)
    wanted = _add(api, section=other)
    rows = _window(api, "2024-12-01", "2024-12-31", section=[other])
    assert [r["ID"] for r in rows] == [str(wanted)]


def test_event_get_of_another_users_calendar_is_readable(api: CalendarApi) -> None:
    _add(api, as_user=2)
    rows = _call(api, "calendar.event.get", type="user", ownerId=2,
                 **{"from": "2024-12-01", "to": "2024-12-31"})
    assert len(rows) == 1


# --- recurrence_mode --------------------------------------------------------------------


def _series(api: CalendarApi, **rule: Any) -> int:
    return _add(api, rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], **rule})


def _update(api: CalendarApi, event_id: int, **params: Any) -> Any:
    params.setdefault("name", "Event")
    return _call(api, "calendar.event.update", id=event_id, type="user", ownerId=1, **params)


def _detached(api: CalendarApi, series: int) -> list[int]:
    return [int(e["id"]) for e in api.store.detached(series)]


def test_update_this_detaches_the_occurrence_into_its_own_event(api: CalendarApi) -> None:
    series = _series(api, COUNT=6)
    answer = _update(api, series, recurrence_mode="this", current_date_from="2024-12-16",
                     name="Moved", **{"from": "2024-12-16T19:00:00",
                                      "to": "2024-12-16T20:00:00"})
    series_row = _get(api, series)
    assert answer == series
    assert series_row["EXDATE"] == "12/16/2024"
    [copy] = _detached(api, series)
    single = _get(api, copy)
    assert single["DAV_XML_ID"] == series_row["DAV_XML_ID"]
    assert (single["NAME"], single["DATE_FROM"], single["RRULE"]) == (
        "Moved", "12/16/2024 07:00:00 pm", "")
    assert single["RECURRENCE_ID"] == series
    assert single["ORIGINAL_DATE_FROM"] == "12/16/2024 05:59:00 pm"


def test_update_this_leaves_the_other_occurrences_alone(api: CalendarApi) -> None:
    series = _series(api, UNTIL="2024-12-23")
    _update(api, series, recurrence_mode="this", current_date_from="2024-12-16", name="Moved")
    rows = _window(api, "2024-12-01", "2024-12-31")
    assert [(r["NAME"], r["DATE_FROM"][:10]) for r in rows] == [
        ("Event", "12/11/2024"), ("Moved", "12/16/2024"), ("Event", "12/18/2024"),
        ("Event", "12/23/2024")]


def test_update_this_on_a_day_without_occurrence_still_excludes_and_copies_it(
        api: CalendarApi) -> None:
    # CCalendar::SaveEventEx does not check that current_date_from is an occurrence.
    series = _series(api)
    assert _update(api, series, recurrence_mode="this", current_date_from="2024-12-17",
                   name="Tuesday") == series
    assert _get(api, series)["EXDATE"] == "12/17/2024"
    [copy] = _detached(api, series)
    assert (_get(api, copy)["NAME"], _get(api, copy)["DATE_FROM"]) == (
        "Tuesday", "12/17/2024 05:59:00 pm")


def test_update_this_without_current_date_from_fails(api: CalendarApi) -> None:
    error = _error(api, "calendar.event.update", id=_series(api), type="user", ownerId=1,
                   name="Event", recurrence_mode="this")
    assert error.description == "An error occurred while changing the event."


def test_update_next_ends_the_series_the_day_before_and_starts_a_new_one(
        api: CalendarApi) -> None:
    series = _series(api)
    answer = _update(api, series, recurrence_mode="next", current_date_from="2024-12-23",
                     name="Later")
    old = _get(api, series)
    assert old["RRULE"]["UNTIL"] == "12/22/2024"
    new = _get(api, answer["recEventId"])
    assert answer["id"] == series and answer["originalDavXmlId"] == new["DAV_XML_ID"]
    assert answer["originalDate"] == "12/23/2024 05:59:00 pm"
    assert (new["NAME"], new["DATE_FROM"]) == ("Later", "12/23/2024 05:59:00 pm")
    assert new["RELATIONS"] == {"ORIGINAL_RECURSION_ID": series}
    assert new["DAV_XML_ID"] != old["DAV_XML_ID"]
    assert new["RRULE"]["UNTIL"] == "01/01/2038" and new["RRULE"]["~UNTIL"] == ""


def test_update_next_shares_count_between_the_two_series(api: CalendarApi) -> None:
    series = _add(api, rrule={"FREQ": "WEEKLY", "BYDAY": ["WE"], "COUNT": 6})
    answer = _update(api, series, recurrence_mode="next", current_date_from="2024-12-18")
    old = _get(api, series)["RRULE"]
    assert "COUNT" not in old and old["UNTIL"] == "12/17/2024"
    assert _get(api, answer["recEventId"])["RRULE"]["COUNT"] == 5
    assert len(_window(api, "2024-12-01", "2025-01-31")) == 6


def test_update_next_copies_every_exclusion_to_the_new_series(api: CalendarApi) -> None:
    series = _series(api)
    _update(api, series, recurrence_mode="this", current_date_from="2024-12-30")
    _update(api, series, recurrence_mode="this", current_date_from="2024-12-16")
    answer = _update(api, series, recurrence_mode="next", current_date_from="2024-12-23")
    assert _get(api, series)["EXDATE"] == "12/16/2024"
    assert _get(api, answer["recEventId"])["EXDATE"] == "12/16/2024;12/30/2024"


def test_update_all_changes_every_occurrence(api: CalendarApi) -> None:
    series = _series(api, COUNT=3)
    assert _update(api, series, recurrence_mode="all", name="All") == series
    assert {r["NAME"] for r in _window(api, "2024-12-01", "2024-12-31")} == {"All"}


def test_deleting_a_series_deletes_its_detached_occurrences(api: CalendarApi) -> None:
    series = _series(api, COUNT=4)
    _update(api, series, recurrence_mode="this", current_date_from="2024-12-16")
    [detached] = _detached(api, series)
    _call(api, "calendar.event.delete", id=series)
    assert _call(api, "calendar.event.getbyid", id=detached) is None
    assert _window(api, "2024-12-01", "2024-12-31") == []
