"""The portal's expansion of the recurrence model (docs/convert-contract.md): each rule, then
two independent cross-checks (a day-by-day brute force written from the model's sentences, and
python-dateutil where RFC 5545 and the model agree)."""

from __future__ import annotations

import calendar
import itertools
from datetime import date, datetime, time, timedelta, timezone
from typing import Any

import pytest
from dateutil import rrule as du
from hypothesis import given, settings
from hypothesis import strategies as st

from ics2b24.portal.rrule_contract import expand, parse_rule
from ics2b24.portal.rrule_terms import WEEKDAYS

FAR = date(2100, 1, 1)


def _all(start: date | datetime, rule: dict[str, Any], **kw: Any) -> list[date | datetime]:
    kw.setdefault("before", FAR)
    return list(expand(start, rule, timezone=kw.pop("timezone", "Europe/Berlin"), **kw))


def test_first_occurrence_is_the_start() -> None:
    start = datetime(2024, 6, 17, 10, 0)
    assert _all(start, {"FREQ": "DAILY", "COUNT": 1}) == [start]


def test_daily_steps_interval_days() -> None:
    assert _all(date(2024, 1, 30), {"FREQ": "DAILY", "INTERVAL": 3, "COUNT": 3}) == [
        date(2024, 1, 30),
        date(2024, 2, 2),
        date(2024, 2, 5),
    ]


def test_weekly_without_byday_repeats_the_start_weekday() -> None:
    got = _all(date(2024, 6, 19), {"FREQ": "WEEKLY", "COUNT": 3})
    assert got == [date(2024, 6, 19), date(2024, 6, 26), date(2024, 7, 3)]


def test_weekly_never_yields_a_day_before_the_start() -> None:
    got = _all(date(2024, 6, 19), {"FREQ": "WEEKLY", "BYDAY": ["MO", "WE", "FR"], "COUNT": 3})
    assert got == [date(2024, 6, 19), date(2024, 6, 21), date(2024, 6, 24)]


def test_weekly_interval_counts_weeks_starting_on_monday() -> None:
    # Sunday 16 June 2024 belongs to the week of Monday 10 June; the next week in the series
    # (INTERVAL=2) is the one of Monday 24 June. With weeks starting on Sunday it would differ.
    got = _all(date(2024, 6, 16), {"FREQ": "WEEKLY", "INTERVAL": 2, "BYDAY": ["SU", "MO"]},
               before=date(2024, 7, 2))
    assert got == [date(2024, 6, 16), date(2024, 6, 24), date(2024, 6, 30)]


def test_monthly_skips_months_that_lack_the_day() -> None:
    got = _all(date(2024, 1, 31), {"FREQ": "MONTHLY", "COUNT": 4})
    assert got == [date(2024, 1, 31), date(2024, 3, 31), date(2024, 5, 31), date(2024, 7, 31)]


def test_yearly_29_february_only_in_leap_years() -> None:
    got = _all(date(2024, 2, 29), {"FREQ": "YEARLY", "COUNT": 3})
    assert got == [date(2024, 2, 29), date(2028, 2, 29), date(2032, 2, 29)]


def test_yearly_29_february_skips_century_years_that_are_not_leap() -> None:
    got = _all(date(2096, 2, 29), {"FREQ": "YEARLY", "COUNT": 2}, before=date(2300, 1, 1))
    assert got == [date(2096, 2, 29), date(2104, 2, 29)]


def test_count_includes_the_first_occurrence() -> None:
    assert len(_all(date(2024, 1, 1), {"FREQ": "DAILY", "COUNT": 5})) == 5


def test_excluded_days_still_count_towards_count() -> None:
    got = _all(date(2024, 1, 1), {"FREQ": "DAILY", "COUNT": 3}, exdates=[date(2024, 1, 2)])
    assert got == [date(2024, 1, 1), date(2024, 1, 3)]


def test_exdate_removes_the_whole_day_of_a_timed_occurrence() -> None:
    start = datetime(2024, 1, 1, 23, 30)
    got = _all(start, {"FREQ": "DAILY", "COUNT": 2}, exdates=[date(2024, 1, 2)])
    assert got == [start]


def test_until_is_inclusive_by_date() -> None:
    start = datetime(2024, 1, 1, 23, 0)
    got = _all(start, {"FREQ": "DAILY", "UNTIL": "2024-01-03"})
    assert got[-1] == datetime(2024, 1, 3, 23, 0)
    assert len(got) == 3


def test_wall_clock_time_is_kept_across_dst() -> None:
    got = _all(datetime(2024, 3, 30, 10, 0), {"FREQ": "DAILY", "COUNT": 3})
    assert [d.time() for d in got if isinstance(d, datetime)] == [time(10, 0)] * 3


def test_before_is_exclusive() -> None:
    got = _all(datetime(2024, 1, 1, 9, 0), {"FREQ": "DAILY"}, before=datetime(2024, 1, 3, 9, 0))
    assert got == [datetime(2024, 1, 1, 9, 0), datetime(2024, 1, 2, 9, 0)]


def test_aware_before_is_compared_as_an_instant_in_the_series_zone() -> None:
    # 10:00 in Berlin (CEST) is 08:00 UTC, so a bound of 08:30 UTC on 3 June lets 3 June in.
    got = _all(datetime(2024, 6, 1, 10, 0), {"FREQ": "DAILY"},
               before=datetime(2024, 6, 3, 8, 30, tzinfo=timezone.utc))
    assert got[-1] == datetime(2024, 6, 3, 10, 0)


def test_all_day_series_yields_dates() -> None:
    got = _all(date(2024, 1, 1), {"FREQ": "WEEKLY", "COUNT": 2})
    assert all(type(d) is date for d in got)


def test_endless_rule_is_lazy() -> None:
    gen = expand(date(2024, 1, 1), {"FREQ": "DAILY"}, timezone=None, before=date(9999, 1, 1))
    assert list(itertools.islice(gen, 3))[-1] == date(2024, 1, 3)


def test_endless_rule_stops_at_the_last_representable_year() -> None:
    got = list(expand(date(9990, 3, 1), {"FREQ": "YEARLY"}, timezone=None, before=datetime.max))
    assert got[-1] == date(9999, 3, 1)


def test_form_encoded_rule_with_strings_and_byday_object_is_accepted() -> None:
    rule = {"FREQ": "weekly", "INTERVAL": "1", "COUNT": "2", "BYDAY": {"0": "TU", "1": "TH"}}
    assert _all(date(2024, 6, 18), rule) == [date(2024, 6, 18), date(2024, 6, 20)]


@pytest.mark.parametrize(
    "rule",
    [{"FREQ": "HOURLY"}, {"FREQ": "DAILY", "INTERVAL": 0}, {"FREQ": "DAILY", "COUNT": "x"},
     {"FREQ": "DAILY", "UNTIL": "soon"}, {"FREQ": "WEEKLY", "BYDAY": ["2TU"]}, {}],
)
def test_rule_outside_the_rest_form_is_refused(rule: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        parse_rule(rule)


# --- cross-checks -------------------------------------------------------------------------


def _brute_force(start: date, rule: dict[str, Any], exdates: set[date], before: date) -> list[date]:
    """Walk every day and ask the spec's sentences whether it is an occurrence."""
    interval = rule.get("INTERVAL", 1)
    byday = {WEEKDAYS.index(d) for d in rule.get("BYDAY", [])} or {start.weekday()}
    until = date.fromisoformat(rule["UNTIL"]) if "UNTIL" in rule else None
    members: list[date] = []
    day = start
    while day < before and (until is None or day <= until):
        months = (day.year - start.year) * 12 + day.month - start.month
        weeks = ((day - timedelta(day.weekday())) - (start - timedelta(start.weekday()))).days // 7
        match rule["FREQ"]:
            case "DAILY":
                hit = (day - start).days % interval == 0
            case "WEEKLY":
                hit = day.weekday() in byday and weeks % interval == 0
            case "MONTHLY":
                hit = day.day == start.day and months % interval == 0
            case _:
                hit = (day.month, day.day) == (start.month, start.day) and months % (
                    12 * interval) == 0
        if hit:
            members.append(day)
            if len(members) == rule.get("COUNT", 0):
                break
        day += timedelta(days=1)
    return [d for d in members if d not in exdates]


@st.composite
def _rules(draw: st.DrawFn) -> tuple[date, dict[str, Any], set[date]]:
    freq = draw(st.sampled_from(["DAILY", "WEEKLY", "MONTHLY", "YEARLY"]))
    start = draw(st.dates(date(2020, 1, 1), date(2024, 12, 31)))
    if draw(st.booleans()):
        last = calendar.monthrange(start.year, start.month)[1]
        start = start.replace(day=min(draw(st.sampled_from([29, 30, 31])), last))
    rule: dict[str, Any] = {"FREQ": freq, "INTERVAL": draw(st.integers(1, 4))}
    if freq == "WEEKLY" and draw(st.booleans()):
        rule["BYDAY"] = draw(st.lists(st.sampled_from(WEEKDAYS), min_size=1, unique=True))
    end = draw(st.sampled_from(["count", "until", "none"]))
    if end == "count":
        rule["COUNT"] = draw(st.integers(1, 30))
    elif end == "until":
        rule["UNTIL"] = (start + timedelta(days=draw(st.integers(0, 2000)))).isoformat()
    exdates = set(draw(st.lists(st.dates(start, start + timedelta(days=400)), max_size=5)))
    return start, rule, exdates


@settings(max_examples=150, deadline=None)
@given(_rules())
def test_expansion_equals_a_day_by_day_brute_force(case: tuple[date, dict[str, Any], set[date]]
                                                   ) -> None:
    start, rule, exdates = case
    before = date(2034, 1, 1)
    got = _all(start, rule, exdates=exdates, before=before)
    assert got == _brute_force(start, rule, exdates, before)


@settings(max_examples=150, deadline=None)
@given(_rules(), st.times())
def test_expansion_agrees_with_dateutil(case: tuple[date, dict[str, Any], set[date]],
                                        at: time) -> None:
    start, rule, exdates = case
    dtstart = datetime.combine(start, at.replace(microsecond=0))
    before = datetime(2034, 1, 1)
    freq = {"DAILY": du.DAILY, "WEEKLY": du.WEEKLY, "MONTHLY": du.MONTHLY, "YEARLY": du.YEARLY}
    byday = [du.weekdays[WEEKDAYS.index(d)] for d in rule.get("BYDAY", [])] or None
    until = (datetime.combine(date.fromisoformat(rule["UNTIL"]), time.max)
             if "UNTIL" in rule else None)
    expected = [
        d for d in du.rrule(freq[rule["FREQ"]], dtstart=dtstart, interval=rule["INTERVAL"],
                            count=rule.get("COUNT"), until=until, byweekday=byday, wkst=du.MO)
        .between(datetime.min, before)
        if d.date() not in exdates
    ]
    assert _all(dtstart, rule, exdates=exdates, before=before) == expected
