"""The current generation's (G3) recurrence expansion, over HTTP (docs/test-portal.md, Rules
4, 17, 18, 19): UNTIL read as ISO, the COUNT end estimate, the window-start estimate, and the
phantom day in zones at UTC+12; generation 1 is the walk from the series start."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import requests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal

USERS = {"users": [{"id": 1, "name": "Ann", "time_zone": "Europe/Berlin", "admin": True}]}


def _call(portal: Portal, method: str, **params: Any) -> Any:
    answer = requests.post(portal.webhook_url + method, json=params, timeout=10)
    assert answer.status_code == 200, answer.text
    return answer.json()["result"]


def _add(portal: Portal, start: str, rrule: dict[str, Any], *, zone: str = "Europe/Berlin",
         all_day: bool = False) -> int:
    times = ({"from": start, "to": start, "skip_time": "Y"} if all_day else
             {"from": f"{start}T10:00:00", "to": f"{start}T11:00:00",
              "timezone_from": zone, "timezone_to": zone})
    result = _call(portal, "calendar.event.add", type="user", ownerId=1, name="Series",
                   rrule=rrule, **times)
    assert isinstance(result, int)
    return result


def _rows(portal: Portal, first: str, last: str) -> list[dict[str, Any]]:
    rows = _call(portal, "calendar.event.get", type="user", ownerId=1, **{"from": first,
                                                                          "to": last})
    assert isinstance(rows, list)
    return rows


def _days(portal: Portal, first: str, last: str) -> list[str]:
    return [r["DATE_FROM"][:10] for r in _rows(portal, first, last)]


def test_iso_until_is_read_as_a_date(portal: Portal) -> None:
    _add(portal, "2025-03-03", {"FREQ": "DAILY", "UNTIL": "2025-03-05"})
    assert _days(portal, "2025-03-01", "2025-03-31") == ["03/03/2025", "03/04/2025",
                                                         "03/05/2025"]


def test_generation_1_reads_an_iso_until_as_no_end(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    _add(portal, "2025-03-03", {"FREQ": "DAILY", "UNTIL": "2025-03-05"})
    assert len(_days(portal, "2025-03-01", "2025-03-31")) == 29


def test_weekly_count_with_two_days_loses_its_tail_to_the_end_estimate(
        portal: Portal) -> None:
    _add(portal, "2025-03-06", {"FREQ": "WEEKLY", "BYDAY": ["TU", "TH"], "COUNT": 2})
    assert _days(portal, "2025-03-01", "2025-03-31") == ["03/06/2025"]


def test_generation_1_counts_weekly_count_exactly(make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    _add(portal, "2025-03-06", {"FREQ": "WEEKLY", "BYDAY": ["TU", "TH"], "COUNT": 2})
    assert _days(portal, "2025-03-01", "2025-03-31") == ["03/06/2025", "03/11/2025"]


def test_count_series_rows_show_the_end_estimate_as_date_to_ts_utc(portal: Portal) -> None:
    _add(portal, "2025-03-06", {"FREQ": "WEEKLY", "BYDAY": ["TU", "TH"], "COUNT": 2})
    # 03-06 11:00 (the first end) + round(1/2·7) = 4 days + the hour's length, server clock.
    expected = int((date(2025, 3, 10) - date(1970, 1, 1)).total_seconds()) + 12 * 3600
    assert {r["DATE_TO_TS_UTC"] for r in _rows(portal, "2025-03-01", "2025-03-31")} == {
        str(expected)}


def test_biweekly_two_days_viewed_later_lands_in_the_off_week(portal: Portal) -> None:
    _add(portal, "2025-01-06", {"FREQ": "WEEKLY", "INTERVAL": 2, "BYDAY": ["MO", "WE"]})
    assert _days(portal, "2025-02-10", "2025-02-28") == ["02/10/2025", "02/12/2025",
                                                         "02/24/2025", "02/26/2025"]


def test_generation_1_biweekly_viewed_later_keeps_the_series_weeks(
        make_portal: Callable[..., Portal]) -> None:
    portal = make_portal(profile=Profile(generation=1))
    _add(portal, "2025-01-06", {"FREQ": "WEEKLY", "INTERVAL": 2, "BYDAY": ["MO", "WE"]})
    assert _days(portal, "2025-02-10", "2025-02-28") == ["02/17/2025", "02/19/2025"]


def test_monthly_estimate_skips_the_first_occurrence_of_a_month_view_after_years(
        portal: Portal) -> None:
    _add(portal, "2020-01-15", {"FREQ": "MONTHLY"})
    assert _days(portal, "2020-02-01", "2020-02-29") == ["02/15/2020"]
    assert _days(portal, "2025-11-01", "2025-11-30") == []


def test_count_offset_adds_an_occurrence_to_a_later_window(portal: Portal) -> None:
    _add(portal, "2026-11-10", {"FREQ": "MONTHLY", "INTERVAL": 2, "COUNT": 1})
    assert _days(portal, "2026-11-01", "2026-11-30") == ["11/10/2026"]
    assert _days(portal, "2027-01-01", "2027-01-31") == ["01/10/2027"]


def test_daily_in_auckland_shows_a_phantom_day_before_the_start(portal: Portal) -> None:
    _add(portal, "2025-07-25", {"FREQ": "DAILY", "COUNT": 3}, zone="Pacific/Auckland")
    assert _days(portal, "2025-07-01", "2025-07-31") == ["07/24/2025", "07/25/2025",
                                                         "07/26/2025"]


def test_daily_in_auckland_with_interval_two_has_no_phantom(portal: Portal) -> None:
    # PHP's `%` keeps the sign: -1 % 2 is -1, so the estimate moves back by 0 days.
    _add(portal, "2025-07-25", {"FREQ": "DAILY", "INTERVAL": 2, "COUNT": 2},
         zone="Pacific/Auckland")
    assert _days(portal, "2025-07-01", "2025-07-31") == ["07/25/2025", "07/27/2025"]


_RULES = st.fixed_dictionaries(
    {"FREQ": st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]),
     "INTERVAL": st.integers(1, 3)},
    optional={"BYDAY": st.lists(st.sampled_from(["MO", "TU", "WE", "TH", "FR", "SA", "SU"]),
                                min_size=1, max_size=4, unique=True),
              "UNTIL": st.integers(0, 400)})


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rule=_RULES, start=st.dates(date(2024, 1, 1), date(2026, 12, 31)),
       zone=st.sampled_from(["Europe/Berlin", "America/New_York", "UTC", "Asia/Tokyo"]),
       all_day=st.booleans(), lead=st.integers(0, 40))
def test_windows_before_the_series_start_expand_as_generation_1(
        make_portal: Callable[..., Portal], rule: dict[str, Any], start: date, zone: str,
        all_day: bool, lead: int) -> None:
    """Without COUNT (whose end is estimated) a window that starts before the series start
    shows what generation 1 shows."""
    if "UNTIL" in rule:
        rule = {**rule, "UNTIL": (start + timedelta(days=rule["UNTIL"])).strftime("%m/%d/%Y")}
    first = (start - timedelta(days=lead)).isoformat()
    last = (start + timedelta(days=800)).isoformat()
    shown = []
    for generation in (1, 3):
        portal = make_portal(profile=Profile(generation=generation))
        _add(portal, start.isoformat(), rule, zone=zone, all_day=all_day)
        shown.append(_days(portal, first, last))
        portal.stop()
    assert shown[0] == shown[1]
