"""`push` against an older self-hosted portal (the test portal's generation 1), which reads
`UNTIL` only in its display format and takes every update as the whole series: push finds
that out once, writes what that code shows exactly, and never sends `recurrence_mode`."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from tests.helpers import (
    Cli,
    ics_occurrences,
    portal_occurrences,
    spy_on,
    target_args,
    vcalendar,
    write,
)

SERIES = vcalendar(
    "BEGIN:VEVENT\nUID:weekly\nDTSTAMP:20250101T000000Z\n"
    "DTSTART;TZID=Europe/Berlin:20250303T100000\nDTEND;TZID=Europe/Berlin:20250303T110000\n"
    "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20250331T090000Z\nEXDATE;TZID=Europe/Berlin:"
    "20250317T100000\nSUMMARY:Weekly\nEND:VEVENT\n",
    "BEGIN:VEVENT\nUID:weekly\nDTSTAMP:20250101T000000Z\n"
    "RECURRENCE-ID;TZID=Europe/Berlin:20250310T100000\n"
    "DTSTART;TZID=Europe/Berlin:20250311T150000\nDTEND;TZID=Europe/Berlin:20250311T160000\n"
    "SUMMARY:Weekly (moved)\nEND:VEVENT\n")


def older_portal(make_portal: Callable[..., Portal]) -> Portal:
    return make_portal(profile=Profile(generation=1))


def push(cli: Cli, portal: Portal, state: Path, path: Path) -> str:
    code, _, err = cli("push", str(path), *target_args(portal, state))
    assert code == 0, err
    return err


def test_a_series_with_a_moved_occurrence_is_shown_exactly_on_an_older_portal(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_portal(make_portal)
    push(cli, portal, state, write(tmp_path / "a.ics", SERIES))
    assert portal_occurrences(portal) == ics_occurrences(
        SERIES.encode(), date(2024, 1, 1), date(2027, 1, 1))


def test_an_older_portal_gets_count_and_no_recurrence_mode(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_portal(make_portal)
    spy = spy_on(portal)
    push(cli, portal, state, write(tmp_path / "a.ics", SERIES))
    written = spy.sent("calendar.event.add") + spy.sent("calendar.event.update")
    assert written
    assert all("recurrence_mode" not in p for p in written)
    rules = [p["rrule"] for p in written if p.get("rrule")]
    assert rules and all("COUNT" in r and "UNTIL" not in r for r in rules)


def test_push_names_the_generation_it_found(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    err = push(cli, older_portal(make_portal), state, write(tmp_path / "a.ics", SERIES))
    assert "the portal runs the older self-hosted (generation 1) calendar code" in err


def test_the_generation_is_found_once_per_portal(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_portal(make_portal)
    path = write(tmp_path / "a.ics", SERIES)
    spy = spy_on(portal)
    push(cli, portal, state, path)
    assert spy.probed
    spy.clear()
    err = push(cli, portal, state, path)
    assert spy.probed == []
    assert spy.writes() == Counter()
    assert "calendar code" not in err


def test_plan_before_any_push_says_which_generation_it_assumes(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_portal(make_portal)
    spy = spy_on(portal)
    code, _, err = cli("plan", str(write(tmp_path / "a.ics", SERIES)),
                       *target_args(portal, state))
    assert code == 0, err
    assert "assumes the current one" in err
    assert spy.writes() == Counter()
    assert spy.probed == []


def test_a_calendar_without_series_needs_no_probe(
        make_portal: Callable[..., Portal], tmp_path: Path, state: Path, cli: Cli) -> None:
    portal = older_portal(make_portal)
    spy = spy_on(portal)
    single = vcalendar("BEGIN:VEVENT\nUID:one\nDTSTAMP:20250101T000000Z\n"
                       "DTSTART;TZID=Europe/Berlin:20250304T100000\n"
                       "DTEND;TZID=Europe/Berlin:20250304T110000\nSUMMARY:One\nEND:VEVENT\n")
    push(cli, portal, state, write(tmp_path / "a.ics", single))
    assert spy.probed == []
