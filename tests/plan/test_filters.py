"""A pair's filter (plan/filters.py) keeps or leaves out whole UIDs."""

from __future__ import annotations

import re

from ics2b24.model import DesiredEvent, EventParams
from ics2b24.plan.filters import EventFilter


def _line(uid: str, name: str, *, rid: str | None = None, categories: tuple[str, ...] = (),
          accessibility: str = "busy") -> DesiredEvent:
    kind = "override" if rid else "series"
    return DesiredEvent(uid, rid, kind, EventParams(  # type: ignore[arg-type]
        name=name, date_from="2025-03-03T09:00:00", date_to="2025-03-03T10:00:00",
        accessibility=accessibility), categories=categories)


def test_a_summary_the_exclude_pattern_matches_leaves_its_series_and_its_moved_occurrence_out(
        ) -> None:
    """The moved occurrence was renamed; it goes with its series all the same."""
    events = [_line("a", "Private: gym"), _line("a", "Gym (moved)", rid="2025-03-10T08:00:00Z"),
              _line("b", "Standup")]
    kept = EventFilter(exclude=re.compile(r"^Private")).apply(events)
    assert [(e.uid, e.params.name) for e in kept] == [("b", "Standup")]


def test_include_keeps_only_what_matches() -> None:
    events = [_line("a", "Team call"), _line("b", "Dentist")]
    assert [e.uid for e in EventFilter(include=re.compile("Team")).apply(events)] == ["a"]


def test_categories_keep_events_that_carry_one_of_them_whatever_the_case() -> None:
    events = [_line("a", "A", categories=("WORK", "Travel")), _line("b", "B"),
              _line("c", "C", categories=("Home",))]
    kept = EventFilter(categories=frozenset({"work"})).apply(events)
    assert [e.uid for e in kept] == ["a"]


def test_free_events_are_left_out_when_asked() -> None:
    events = [_line("a", "Holiday", accessibility="free"), _line("b", "Meeting")]
    assert [e.uid for e in EventFilter(skip_free=True).apply(events)] == ["b"]
