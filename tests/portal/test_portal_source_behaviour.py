"""The portal behaves like Bitrix24's own PHP source where it differs from the REST reference
(docs/test-portal.md, behaviours 1-16), each checked over HTTP as a client meets it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import requests

from ics2b24.portal.invitations import Notice
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal

USERS = {"users": [
    {"id": 1, "name": "Ann", "time_zone": "Europe/Berlin", "admin": True},
    {"id": 2, "name": "Bob", "time_zone": "Europe/Berlin"},
    {"id": 3, "name": "Cid", "time_zone": "Europe/Berlin"},
]}
DECEMBER = {"from": "2024-12-01", "to": "2025-01-31"}


def _post(portal: Portal, method: str, **params: Any) -> requests.Response:
    return requests.post(portal.webhook_url + method, json=params, timeout=10)


def _call(portal: Portal, method: str, **params: Any) -> Any:
    answer = _post(portal, method, **params)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _form(portal: Portal, method: str, body: str) -> Any:
    answer = requests.post(portal.webhook_url + method, data=body, timeout=10,
                           headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _batch(portal: Portal, cmd: dict[str, str]) -> dict[str, Any]:
    result = _call(portal, "batch", halt=0, cmd=cmd)
    assert isinstance(result, dict)
    return result


def _add(portal: Portal, **params: Any) -> int:
    base: dict[str, Any] = {"type": "user", "ownerId": 1, "name": "Event",
                            "from": "2024-12-11T17:59:00", "to": "2024-12-11T18:59:00",
                            "timezone_from": "Europe/Berlin"}
    result = _call(portal, "calendar.event.add", **{**base, **params})
    assert isinstance(result, int)
    return result


def _series(portal: Portal, **rule: Any) -> int:
    """Mondays and Wednesdays from Wednesday 11 December 2024, 17:59 in Berlin."""
    return _add(portal, rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], **rule})


def _update(portal: Portal, event_id: int, **params: Any) -> Any:
    return _call(portal, "calendar.event.update", id=event_id, type="user", ownerId=1,
                 **{"name": "Event", **params})


def _get(portal: Portal, event_id: int) -> Any:
    return _call(portal, "calendar.event.getbyid", id=event_id)


def _rows(portal: Portal, window: dict[str, str] = DECEMBER) -> list[dict[str, Any]]:
    rows = _call(portal, "calendar.event.get", type="user", ownerId=1, **window)
    assert isinstance(rows, list)
    return rows


def _days(rows: list[dict[str, Any]], event_id: int | None = None) -> list[str]:
    return [r["DATE_FROM"][:10] for r in rows if event_id is None or r["ID"] == str(event_id)]


def _detached(portal: Portal, series: int) -> list[int]:
    return [int(e["id"]) for e in portal.store.detached(series)]


# 1 -----------------------------------------------------------------------------------------


def test_deleting_a_detached_occurrence_deletes_its_series(portal: Portal) -> None:
    series = _series(portal, COUNT=6)
    _update(portal, series, recurrence_mode="this", current_date_from="2024-12-16",
            name="Moved")
    _update(portal, series, recurrence_mode="this", current_date_from="2024-12-23",
            name="Moved too")
    first, second = _detached(portal, series)
    assert _call(portal, "calendar.event.delete", id=first) is True
    assert _get(portal, series) is None
    assert _get(portal, second) is None
    assert _rows(portal) == []


# 2 -----------------------------------------------------------------------------------------


def test_update_this_answers_the_series_id_as_an_integer(portal: Portal) -> None:
    series = _series(portal, COUNT=6)
    answer = _update(portal, series, recurrence_mode="this", current_date_from="2024-12-16",
                     name="Moved")
    assert answer == series and isinstance(answer, int)
    split = _update(portal, series, recurrence_mode="next", current_date_from="2024-12-23")
    assert set(split) == {"originalDate", "originalDavXmlId", "instanceTz", "recEventId", "id"}
    assert split["id"] == series and split["recEventId"] != series


# 3 -----------------------------------------------------------------------------------------


def test_batch_reference_into_an_integer_result_stops_there_and_deletes_the_series(
        portal: Portal) -> None:
    series = _series(portal, COUNT=6)
    answer = _batch(portal, {
        "c0": (f"calendar.event.update?id={series}&type=user&ownerId=1&name=Moved"
               "&recurrence_mode=this&current_date_from=2024-12-16"),
        "c1": "calendar.event.delete?id=$result[c0][recEventId]",
    })
    assert answer["result"] == {"c0": series, "c1": True}
    assert _get(portal, series) is None
    assert _rows(portal) == []


# 4 -----------------------------------------------------------------------------------------


def test_until_is_read_in_the_display_date_format_and_an_iso_until_never_ends(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    shown = _add(portal, rrule={"FREQ": "DAILY", "UNTIL": "12/13/2024", "COUNT": "9x"})
    iso = _add(portal, rrule={"FREQ": "DAILY", "UNTIL": "2024-12-13"})
    weekly = _add(portal, rrule={"FREQ": "WEEKLY", "BYDAY": "we,FR,xx", "COUNT": "2"})
    assert _get(portal, shown)["RRULE"]["UNTIL"] == "12/13/2024"
    assert _get(portal, shown)["RRULE"]["COUNT"] == 9
    assert (_get(portal, iso)["RRULE"]["UNTIL"], _get(portal, iso)["RRULE"]["~UNTIL"]) == (
        "01/01/2038", "")
    rows = _rows(portal, {"from": "2024-12-01", "to": "2025-12-31"})
    assert _days(rows, shown) == ["12/11/2024", "12/12/2024", "12/13/2024"]
    assert len(_days(rows, iso)) > 300
    assert _get(portal, weekly)["RRULE"]["BYDAY"] == {"WE": "WE", "FR": "FR"}
    assert _days(rows, weekly) == ["12/11/2024", "12/13/2024"]


# 5 -----------------------------------------------------------------------------------------


def test_weekly_without_byday_reads_back_and_expands_as_monday(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    weekly = _add(portal, rrule={"FREQ": "WEEKLY", "COUNT": 3})  # starts on a Wednesday
    assert _get(portal, weekly)["RRULE"]["BYDAY"] == {"MO": "MO"}
    assert _days(_rows(portal)) == ["12/16/2024", "12/23/2024", "12/30/2024"]


# 6 -----------------------------------------------------------------------------------------


def test_monthly_on_the_31st_and_yearly_29_february_roll_over_to_the_1st(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(server_zone="Europe/Berlin"))
    monthly = _add(portal, rrule={"FREQ": "MONTHLY", "COUNT": 5},
                   **{"from": "2024-01-31T10:00:00", "to": "2024-01-31T11:00:00"})
    yearly = _add(portal, skip_time="Y", rrule={"FREQ": "YEARLY", "COUNT": 5},
                  **{"from": "2024-02-29", "to": "2024-02-29"})
    rows = _rows(portal, {"from": "2024-01-01", "to": "2028-12-31"})
    assert _days(rows, monthly) == ["01/31/2024", "03/01/2024", "03/31/2024", "05/01/2024",
                                    "05/31/2024"]
    assert _days(rows, yearly) == ["02/29/2024", "03/01/2025", "03/01/2026", "03/01/2027",
                                   "02/29/2028"]


# 7 -----------------------------------------------------------------------------------------


def test_update_all_keeps_the_old_date_and_takes_only_the_new_time(portal: Portal) -> None:
    single = _add(portal)
    moved = {"from": "2024-12-20T14:00:00", "to": "2024-12-20T15:00:00"}
    _update(portal, single, recurrence_mode="all", **moved)
    row = _get(portal, single)
    assert (row["DATE_FROM"], row["DATE_TO"]) == ("12/11/2024 02:00:00 pm",
                                                  "12/11/2024 03:00:00 pm")
    _update(portal, single, **moved)
    assert _get(portal, single)["DATE_FROM"] == "12/20/2024 02:00:00 pm"


def test_update_all_rewrites_detached_occurrences_with_the_series_fields(
        portal: Portal) -> None:
    series = _series(portal, COUNT=4)
    _update(portal, series, recurrence_mode="this", current_date_from="2024-12-16",
            name="Moved", location="Room 2", **{"from": "2024-12-16T08:00:00",
                                                 "to": "2024-12-16T08:30:00"})
    _update(portal, series, recurrence_mode="all", name="All", location="Hall",
            **{"from": "2024-12-11T09:00:00", "to": "2024-12-11T10:00:00"})
    [copy] = _detached(portal, series)
    row = _get(portal, copy)
    assert (row["NAME"], row["LOCATION"]) == ("All", "Hall")
    assert (row["DATE_FROM"], row["DATE_TO"]) == ("12/16/2024 09:00:00 am",
                                                  "12/16/2024 10:00:00 am")
    assert row["ORIGINAL_DATE_FROM"] == "12/16/2024 09:00:00 am"


# 8 -----------------------------------------------------------------------------------------


def test_update_this_copy_takes_the_series_reminders_whatever_was_sent(
        portal: Portal) -> None:
    series = _add(portal, rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], "COUNT": 4},
                  remind=[{"type": "min", "count": 15}])
    _update(portal, series, recurrence_mode="this", current_date_from="2024-12-16",
            name="Moved", remind=[{"type": "hour", "count": 1}])
    [copy] = _detached(portal, series)
    row = _get(portal, copy)
    assert row["REMIND"] == [{"type": "min", "count": 15}]
    assert (row["RECURRENCE_ID"], row["RRULE"]) == (series, "")
    assert row["ORIGINAL_DATE_FROM"] == "12/16/2024 05:59:00 pm"
    assert _get(portal, series)["EXDATE"] == "12/16/2024"


# 9 -----------------------------------------------------------------------------------------


def test_update_next_subtracts_the_past_occurrences_from_the_count_sent(
        portal: Portal) -> None:
    series = _series(portal, COUNT=6)  # 11, 16, 18, 23, 25, 30 December
    # A client that sends the 4 occurrences still to come...
    answer = _update(portal, series, recurrence_mode="next", current_date_from="2024-12-18",
                     rrule={"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"], "COUNT": 4,
                            "INTERVAL": 1})
    old, new = _get(portal, series)["RRULE"], _get(portal, answer["recEventId"])["RRULE"]
    assert ("COUNT" not in old, old["UNTIL"]) == (True, "12/17/2024")
    # ...gets 4 minus the 2 before the split (11 and 16 December) - and the end estimate of a
    # two-day COUNT rule (behaviour 17) then also drops 23 December.
    assert new["COUNT"] == 2
    assert _days(_rows(portal)) == ["12/11/2024", "12/16/2024", "12/18/2024"]


# 10 ----------------------------------------------------------------------------------------


def test_generation_1_refuses_an_update_without_name(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    event_id = _add(portal)
    answer = _post(portal, "calendar.event.update", id=event_id, type="user", ownerId=1,
                   location="Elsewhere")
    assert answer.status_code == 400
    assert answer.json() == {"error": "",
                             "error_description": 'Invalid value for the "name" parameter.'}
    assert _get(portal, event_id)["LOCATION"] == ""


# 11 ----------------------------------------------------------------------------------------


def test_update_without_name_keeps_the_name(portal: Portal) -> None:
    event_id = _add(portal, name="Kept")
    _call(portal, "calendar.event.update", id=event_id, type="user", ownerId=1,
          location="Elsewhere")
    assert (_get(portal, event_id)["NAME"], _get(portal, event_id)["LOCATION"]) == (
        "Kept", "Elsewhere")


def test_event_get_rows_keep_description_but_not_its_html(portal: Portal) -> None:
    _add(portal, description="Agenda <1>\nLunch")
    [row] = _rows(portal)
    assert (row["DESCRIPTION"], "~DESCRIPTION" in row) == ("Agenda <1>\nLunch", False)


def test_getbyid_shows_the_description_as_html(portal: Portal) -> None:
    row = _get(portal, _add(portal, description="Agenda <1>\nLunch"))
    assert (row["DESCRIPTION"], row["~DESCRIPTION"]) == ("Agenda <1>\nLunch",
                                                         "Agenda &lt;1&gt;<br>Lunch")


def test_generation_1_rows_have_no_description_and_keep_the_series_timestamps(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    series = _series(portal, COUNT=3, UNTIL="12/31/2024")
    _update(portal, series, description="Agenda")
    whole = _get(portal, series)
    assert whole["DESCRIPTION"] == "Agenda"
    rows = _rows(portal)
    assert all("DESCRIPTION" not in r and "~DESCRIPTION" not in r for r in rows)
    assert [(r["ID"], r["RINDEX"], r["DATE_FROM"]) for r in rows] == [
        (str(series), 0, "12/11/2024 05:59:00 pm"), (str(series), 1, "12/16/2024 05:59:00 pm"),
        (str(series), 2, "12/18/2024 05:59:00 pm")]
    assert {(r["DATE_FROM_TS_UTC"], r["DATE_TO_TS_UTC"]) for r in rows} == {
        (whole["DATE_FROM_TS_UTC"], whole["DATE_TO_TS_UTC"])}
    # checkRecurringRuleField: a series' DATE_TO_TS_UTC is the day after its UNTIL.
    assert whole["DATE_TO_TS_UTC"] == "1735689600"


# 12 ----------------------------------------------------------------------------------------


def test_dav_xml_id_is_generated_and_one_sent_is_ignored(portal: Portal) -> None:
    event_id = _add(portal, dav_xml_id="mine@example.com", DAV_XML_ID="mine@example.com")
    generated = _get(portal, event_id)["DAV_XML_ID"]
    assert generated.startswith("20241211T165900Z-") and "mine" not in generated


# 13 ----------------------------------------------------------------------------------------


def test_form_encoded_empty_remind_is_a_reminder_at_the_start(portal: Portal) -> None:
    form = _form(portal, "calendar.event.add",
                 "type=user&ownerId=1&name=Form&from=2024-12-11T10:00:00"
                 "&to=2024-12-11T11:00:00&remind[]=")
    assert _get(portal, form)["REMIND"] == [{"type": "min", "count": 0}]
    batch = _batch(portal, {"b": ("calendar.event.add?type=user&ownerId=1&name=Batch"
                                  "&from=2024-12-11T10:00:00&to=2024-12-11T11:00:00"
                                  "&remind[]=")})["result"]["b"]
    assert _get(portal, batch)["REMIND"] == [{"type": "min", "count": 0}]
    cleared = _add(portal, remind=[{"type": "min", "count": 15}])
    _update(portal, cleared, remind=[])
    assert _get(portal, cleared)["REMIND"] == []


# 14 ----------------------------------------------------------------------------------------


def test_meeting_attendees_are_invited_whatever_notify_says_and_cancelled_on_delete(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=USERS)
    year = date.today().year + 2
    meeting: dict[str, Any] = {
        "is_meeting": "Y", "attendees": [1, 2, 3],
        "meeting": {"notify": False, "allow_invite": True, "hide_guests": True},
        "from": f"{year}-06-17T10:00:00", "to": f"{year}-06-17T11:00:00"}
    future = _add(portal, **meeting)
    past = _add(portal, **{**meeting, "from": "2020-06-17T10:00:00",
                           "to": "2020-06-17T11:00:00"})
    assert portal.invitations() == [Notice(future, 2, "invite"), Notice(future, 3, "invite")]
    flags = _get(portal, future)["MEETING"]
    assert (flags["NOTIFY"], flags["ALLOW_INVITE"], flags["HIDE_GUESTS"]) == (False, False,
                                                                              False)
    _call(portal, "calendar.event.delete", id=future)
    _call(portal, "calendar.event.delete", id=past)
    assert portal.invitations()[2:] == [Notice(future, 2, "cancel"),
                                        Notice(future, 3, "cancel")]


# 15 ----------------------------------------------------------------------------------------


def test_section_update_ignores_export_and_takes_an_unreadable_colour_as_default(
        portal: Portal) -> None:
    section = _call(portal, "calendar.section.add", type="user", ownerId=1, name="Kept",
                    description="Old", export={"ALLOW": False, "SET": "3_9"})
    _call(portal, "calendar.section.update", type="user", ownerId=1, id=section, name="  ",
          description="", color="red", text_color="#123456",
          export={"ALLOW": True, "SET": "all"})
    [row] = [r for r in _call(portal, "calendar.section.get", type="user", ownerId=1)
             if r["ID"] == str(section)]
    assert (row["NAME"], row["DESCRIPTION"]) == ("Kept", "Old")
    assert row["EXPORT"] == {"ALLOW": False, "SET": "3_9"}
    assert (row["COLOR"], row["TEXT_COLOR"]) == ("#9dcf00", "#123456")


# 16 ----------------------------------------------------------------------------------------


def test_user_settings_set_merges_the_keys_given_and_validates_nothing(
        portal: Portal) -> None:
    assert _call(portal, "calendar.user.settings.set",
                 settings={"showWeekNumbers": "Y", "view": "week"}) is True
    assert _call(portal, "calendar.user.settings.set",
                 settings={"view": "year", "syncPeriodPast": "soon", "invented": 1}) is True
    settings = _call(portal, "calendar.user.settings.get")
    assert (settings["view"], settings["syncPeriodPast"], settings["showWeekNumbers"]) == (
        "year", "soon", "Y")
    assert "invented" not in settings
