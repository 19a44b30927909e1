"""What a current (G3) portal stores where it differs from what was sent: all-day dates moved by
the user's offset from the server, zone names it does not list replaced by the server's, times
rounded to the minute, long texts and many reminders cut, and `recurrence_mode` as each
generation reads it (docs/test-portal.md, behaviours 7, 8, 20, 21, 23, 24). Each over HTTP."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import requests

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal

WEST = {"users": [{"id": 1, "admin": True, "time_zone": "America/New_York"}]}
EAST = {"users": [{"id": 1, "admin": True, "time_zone": "Asia/Tokyo"}]}


def _call(portal: Portal, method: str, **params: Any) -> Any:
    answer = requests.post(portal.webhook_url + method, json=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _add(portal: Portal, **params: Any) -> int:
    base: dict[str, Any] = {"type": "user", "ownerId": 1, "name": "Event",
                            "from": "2025-03-04T10:00:00", "to": "2025-03-04T11:00:00",
                            "timezone_from": "Europe/Berlin"}
    result = _call(portal, "calendar.event.add", **{**base, **params})
    assert isinstance(result, int)
    return result


def _get(portal: Portal, event_id: int) -> Any:
    return _call(portal, "calendar.event.getbyid", id=event_id)


def _all_day(portal: Portal, day: str) -> tuple[str, str]:
    row = _get(portal, _add(portal, skip_time="Y", **{"from": day, "to": day}))
    return row["DATE_FROM"], row["DATE_TO"]


def test_all_day_date_moves_a_day_early_for_a_user_west_of_the_server(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=WEST)
    assert _all_day(portal, "2025-03-04") == ("03/03/2025", "03/03/2025")


def test_all_day_date_of_the_default_user_in_berlin_moves_on_a_server_in_moscow(
        portal: Portal) -> None:
    assert portal.first_user.time_zone == "Europe/Berlin"
    assert _all_day(portal, "2025-03-04") == ("03/03/2025", "03/03/2025")


def test_all_day_date_stays_for_a_user_east_of_the_server(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=EAST)
    assert _all_day(portal, "2025-03-04") == ("03/04/2025", "03/04/2025")


def test_all_day_value_at_midday_keeps_its_date_for_a_user_west_of_the_server(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(users=WEST)
    assert _all_day(portal, "2025-03-04T12:00:00") == ("03/04/2025", "03/04/2025")


def test_all_day_date_stays_when_user_and_server_share_a_zone(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(server_zone="Europe/Berlin"))
    assert _all_day(portal, "2025-03-04") == ("03/04/2025", "03/04/2025")


@pytest.mark.parametrize("name", ["Asia/Calcutta", "Europe/Kiev", "Etc/GMT-2", "Asia/Saigon"])
def test_zone_name_php_does_not_list_becomes_the_servers_keeping_the_wall_clock(
        portal: Portal, name: str) -> None:
    row = _get(portal, _add(portal, timezone_from=name))
    assert (row["TZ_FROM"], row["TZ_TO"], row["DATE_FROM"]) == (
        "Europe/Moscow", "Europe/Moscow", "03/04/2025 10:00:00 am")


@pytest.mark.parametrize(("name", "kept"), [("Asia/Kolkata", "Asia/Kolkata"),
                                            ("Europe/Kyiv", "Europe/Kyiv"),
                                            ("UTC", "UTC"),
                                            ("US/Eastern", "America/New_York")])
def test_canonical_and_windows_mapped_zone_names_are_kept(portal: Portal, name: str,
                                                          kept: str) -> None:
    assert _get(portal, _add(portal, timezone_from=name))["TZ_FROM"] == kept


def test_a_listed_name_the_servers_older_zone_data_lacks_becomes_the_servers_zone(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(unlisted_zones=frozenset({"Europe/Kyiv"})))
    row = _get(portal, _add(portal, timezone_from="Europe/Kyiv"))
    assert (row["TZ_FROM"], row["DATE_FROM"]) == ("Europe/Moscow", "03/04/2025 10:00:00 am")
    assert _get(portal, _add(portal, timezone_from="Europe/Athens"))["TZ_FROM"] == (
        "Europe/Athens")


def test_times_are_stored_to_the_minute(portal: Portal) -> None:
    row = _get(portal, _add(portal, **{"from": "2025-03-04T01:20:30",
                                       "to": "2025-03-04T01:50:29"}))
    assert (row["DATE_FROM"], row["DATE_TO"]) == ("03/04/2025 01:21:00 am",
                                                  "03/04/2025 01:50:00 am")


def test_name_and_location_are_cut_at_255_characters(portal: Portal) -> None:
    row = _get(portal, _add(portal, name="N" * 300, location="L" * 300))
    assert (row["NAME"], row["LOCATION"]) == ("N" * 255, "L" * 255)


def test_five_reminders_are_kept(portal: Portal) -> None:
    remind = [{"type": "min", "count": n} for n in (5, 10, 15, 20, 30)]
    assert len(_get(portal, _add(portal, remind=remind))["REMIND"]) == 5


def test_six_reminders_overflow_their_column_and_become_none(portal: Portal) -> None:
    remind = [{"type": "min", "count": n} for n in (5, 10, 15, 20, 30, 45)]
    assert _get(portal, _add(portal, remind=remind))["REMIND"] == []


def _weekly(portal: Portal) -> int:
    return _add(portal, rrule={"FREQ": "WEEKLY", "BYDAY": ["TU"], "UNTIL": "2025-03-25"})


def _rows(portal: Portal) -> list[tuple[str, str]]:
    rows = _call(portal, "calendar.event.get", type="user", ownerId=1,
                 **{"from": "2025-03-01", "to": "2025-03-31"})
    return sorted((r["DATE_FROM"][:10], r["NAME"]) for r in rows)


def test_generation_1_ignores_recurrence_mode_this_and_rewrites_the_series(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    series = _weekly(portal)
    _call(portal, "calendar.event.update", id=series, type="user", ownerId=1, name="Moved",
          recurrence_mode="this", current_date_from="2025-03-11")
    assert _rows(portal) == [("03/04/2025", "Moved"), ("03/11/2025", "Moved"),
                             ("03/18/2025", "Moved"), ("03/25/2025", "Moved")]


def test_current_portal_detaches_one_occurrence_with_recurrence_mode_this(
        portal: Portal) -> None:
    series = _weekly(portal)
    _call(portal, "calendar.event.update", id=series, type="user", ownerId=1, name="Moved",
          recurrence_mode="this", current_date_from="2025-03-11")
    assert _rows(portal) == [("03/04/2025", "Event"), ("03/11/2025", "Moved"),
                             ("03/18/2025", "Event"), ("03/25/2025", "Event")]


def test_empty_recurrence_mode_is_no_mode_and_moves_the_date_as_sent(portal: Portal) -> None:
    single = _add(portal)
    _call(portal, "calendar.event.update", id=single, type="user", ownerId=1,
          recurrence_mode="", **{"from": "2025-03-06T10:00:00", "to": "2025-03-06T11:00:00"})
    assert _get(portal, single)["DATE_FROM"] == "03/06/2025 10:00:00 am"


def test_add_never_reads_host_a_meeting_is_hosted_by_the_caller(portal: Portal) -> None:
    row = _get(portal, _add(portal, type="group", ownerId=7, is_meeting="Y", host=5,
                            attendees=[1]))
    assert row["MEETING_HOST"] == "1"


def test_an_event_that_is_no_meeting_is_hosted_by_its_group(portal: Portal) -> None:
    row = _get(portal, _add(portal, type="group", ownerId=7))
    assert row["MEETING_HOST"] == "7"


def test_the_older_generation_takes_host_on_add(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    row = _get(portal, _add(portal, type="group", ownerId=7, is_meeting="Y", host=5,
                            attendees=[1]))
    assert row["MEETING_HOST"] == "5"
