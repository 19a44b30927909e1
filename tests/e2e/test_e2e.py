"""`push`, `plan` and `undo` end to end: the CLI against the embedded portal over loopback
HTTP."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.hooks import Call
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from tests.helpers import (
    BERLIN,
    MEETING,
    Cli,
    MethodLog,
    ics_occurrences,
    meeting,
    meeting_expected,
    portal_occurrences,
    portal_rows,
    sample_files,
    target_args,
    thousand_events,
    vcalendar,
    vevent,
    write,
)


def test_second_push_of_unchanged_input_sends_no_write_call(
        portal: Portal, spy: MethodLog, state: Path, cli: Cli) -> None:
    code, _, err = cli("push", *sample_files(), *target_args(portal, state))
    assert code == 0, err
    assert sum(spy.writes().values()) > 0
    spy.clear()
    code, _, err = cli("push", *sample_files(), *target_args(portal, state))
    assert code == 0, err
    assert spy.writes() == Counter()
    assert "0 added, 0 updated, 0 deleted" in err


def test_plan_after_push_shows_nothing(portal: Portal, state: Path, cli: Cli) -> None:
    cli("push", *sample_files(), *target_args(portal, state))
    code, out, _ = cli("plan", *sample_files(), *target_args(portal, state), "--json")
    assert code == 0
    assert out == ""


def test_plan_sends_no_write_call(portal: Portal, spy: MethodLog, state: Path,
                                  cli: Cli) -> None:
    code, out, _ = cli("plan", *sample_files(), *target_args(portal, state), "--json")
    assert code == 0
    assert out.count("\n") > 0
    assert spy.writes() == Counter()
    assert portal_rows(portal) == []


def test_push_with_a_new_state_db_adopts_instead_of_duplicating(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    cli("push", *sample_files(), *target_args(portal, state))
    before = portal_occurrences(portal)
    spy.clear()
    code, _, err = cli("push", *sample_files(), *target_args(portal, tmp_path / "other.db"))
    assert code == 0, err
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == before


def test_undo_removes_exactly_what_the_tool_created(portal: Portal, state: Path,
                                                    cli: Cli) -> None:
    user = portal.first_user
    foreign = portal.api.call(user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Dentist",
        "from": "2025-03-05T08:00:00", "to": "2025-03-05T09:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin"})
    cli("push", *sample_files(), *target_args(portal, state))
    assert len({row["ID"] for row in portal_rows(portal)}) > 1
    code, _, err = cli("undo", *target_args(portal, state)[:-2], "--state", str(state), "--yes")
    assert code == 0, err
    assert {int(row["ID"]) for row in portal_rows(portal)} == {foreign}


def test_undo_then_push_creates_everything_again(portal: Portal, state: Path,
                                                 cli: Cli) -> None:
    cli("push", *sample_files(), *target_args(portal, state))
    first = portal_occurrences(portal)
    cli("undo", *target_args(portal, state), "--yes")
    code, _, err = cli("push", *sample_files(), *target_args(portal, state))
    assert code == 0, err
    assert portal_occurrences(portal) == first


def test_undo_of_a_series_deleted_meanwhile_forgets_its_moved_occurrences_too(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    """The series goes from the portal between undo's read and its delete: the delete is
    refused, the series is gone, and every state row that went with it goes as well, so the
    next push writes the whole meeting again."""
    source = write(tmp_path / "meeting.ics", MEETING)
    assert cli("push", str(source), *target_args(portal, state))[0] == 0

    def deleted_meanwhile(call_next: Call, user: User, method: str,
                          params: dict[str, Any]) -> Any:
        if method == "calendar.event.delete":
            call_next(user, method, params)
        return call_next(user, method, params)

    with portal.api.hook(deleted_meanwhile):
        code, _, err = cli("undo", *target_args(portal, state), "--yes")
    assert code == 0, err
    assert portal_rows(portal) == []
    with sqlite3.connect(state) as db:
        assert db.execute("SELECT uid, recurrence_id FROM events").fetchall() == []
    assert cli("push", str(source), *target_args(portal, state))[0] == 0
    assert portal_occurrences(portal) == meeting_expected()


def test_recurring_meeting_with_moved_cancelled_and_later_change_matches_the_input(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    expected = meeting_expected()
    assert sum(expected.values()) == 8
    assert portal_occurrences(portal) == expected


def test_recurring_meeting_pushed_twice_stays_as_the_input(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    spy.clear()
    cli("push", str(source), *target_args(portal, state))
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == meeting_expected()


def test_samples_end_in_the_portal_as_recurring_ical_events_reads_them(
        portal: Portal, state: Path, cli: Cli) -> None:
    code, _, err = cli("push", *sample_files(), *target_args(portal, state))
    assert code == 0, err
    expected: Counter[tuple[str, str]] = Counter()
    for path in sample_files():
        expected += ics_occurrences(Path(path).read_bytes(), date(2000, 1, 1),
                                    date(2037, 12, 31))
    got = portal_occurrences(portal)
    assert set(got) == set(expected)
    assert all(count == 1 for count in got.values())


def test_editing_one_event_of_a_thousand_sends_exactly_one_update(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "bulk.ics", thousand_events())
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert spy.writes() == Counter({"calendar.event.add": 1000})
    write(source, thousand_events(changed=617))
    spy.clear()
    code, out, err = cli("push", str(source), *target_args(portal, state), "--json")
    assert code == 0, err
    assert spy.writes() == Counter({"calendar.event.update": 1})
    summary = json.loads(out)
    assert (summary["updated"], summary["unchanged"]) == (1, 999)
    names = {row["NAME"] for row in portal_rows(portal)}
    assert "Meeting 617 (edited)" in names and "Meeting 617" not in names


def test_reminders_removed_from_the_input_are_removed_in_the_portal(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    alarm = "BEGIN:VALARM\nACTION:DISPLAY\nTRIGGER:-PT15M\nEND:VALARM\n"
    source = tmp_path / "review.ics"
    write(source, vcalendar(vevent("review@test", "20250305T140000", "Review", alarm)))
    cli("push", str(source), *target_args(portal, state))
    assert [row["REMIND"] for row in portal_rows(portal)] == [[{"type": "min", "count": 15}]]
    write(source, vcalendar(vevent("review@test", "20250305T140000", "Review")))
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert [row["REMIND"] for row in portal_rows(portal)] == [[]]


def test_recurring_meeting_pushed_again_with_a_new_state_db_pairs_every_part(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    """Without the state DB, the series pairs by DAV_XML_ID, the moved occurrence as the
    series' detached event, and the this-and-future part through RELATIONS: nothing is
    written again, nothing duplicated."""
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    spy.clear()
    code, _, err = cli("push", str(source), *target_args(portal, tmp_path / "fresh.sqlite3"))
    assert code == 0, err
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == meeting_expected()


def standup_at(day: int) -> tuple[str, str]:
    """The standup's plain occurrence on that day of March 2025, at its usual 09:00."""
    return ("Standup", str(int(datetime(2025, 3, day, 9, tzinfo=BERLIN).timestamp())))


def push_then_drop(cli: Cli, spy: MethodLog, portal: Portal, tmp_path: Path, state: Path,
                   *, prune: bool, back: int, **dropped: bool) -> Counter[tuple[str, str]]:
    """Push the standup, then the standup with one part left out: the portal must show what
    the edited input means (the occurrence on day `back` among it), and a further run must
    write nothing."""
    source = write(tmp_path / "meeting.ics", MEETING)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert standup_at(back) not in portal_occurrences(portal)
    edited = meeting(**dropped)
    write(source, edited)
    flags = ["--prune"] if prune else []
    code, _, err = cli("push", str(source), *target_args(portal, state), *flags)
    assert code == 0, err
    got = portal_occurrences(portal)
    assert got == meeting_expected(edited)
    assert got[standup_at(back)] == 1
    spy.clear()
    code, _, err = cli("push", str(source), *target_args(portal, state), *flags)
    assert code == 0, err
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == got
    return got


@pytest.mark.parametrize("prune", [False, True], ids=["", "prune"])
def test_removing_a_moved_occurrence_brings_it_back_at_its_original_time(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli,
        prune: bool) -> None:
    got = push_then_drop(cli, spy, portal, tmp_path, state, prune=prune, back=24, moved=False)
    assert "Standup (moved)" not in {name for name, _ in got}


@pytest.mark.parametrize("prune", [False, True], ids=["", "prune"])
def test_removing_an_exdate_brings_the_day_back(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli,
        prune: bool) -> None:
    push_then_drop(cli, spy, portal, tmp_path, state, prune=prune, back=10, exdate=False)


@pytest.mark.parametrize("prune", [False, True], ids=["", "prune"])
def test_removing_a_cancelled_override_brings_the_occurrence_back(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli,
        prune: bool) -> None:
    push_then_drop(cli, spy, portal, tmp_path, state, prune=prune, back=31, cancelled=False)


def test_removing_a_this_and_future_change_restores_the_rest_of_the_series(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    edited = meeting(later=False)
    write(source, edited)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    got = portal_occurrences(portal)
    assert got == meeting_expected(edited)
    assert ("Standup", str(int(datetime(2025, 4, 7, 9, tzinfo=BERLIN).timestamp()))) in got
    spy.clear()
    cli("push", str(source), *target_args(portal, state))
    assert spy.writes() == Counter()


def test_occurrence_deleted_in_the_portal_stays_deleted_while_the_input_is_unchanged(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    """Deleting one occurrence in the portal's own interface adds its day to the series'
    EXDATE (REST has no such call: there a detached copy's delete takes the series)."""
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    series = next(int(row["ID"]) for row in portal_rows(portal)
                  if row["NAME"] == "Standup" and row["DATE_FROM"].startswith("03/17/2025"))
    store = portal.api.store
    stored = store.event(series)
    assert stored is not None
    store.put_event({**stored, "exdate": [*stored.get("exdate", []), "2025-03-17"]})
    edited = meeting_expected() - Counter([standup_at(17)])
    assert portal_occurrences(portal) == edited
    spy.clear()
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert spy.writes() == Counter()
    assert portal_occurrences(portal) == edited


def test_series_the_tool_did_not_create_is_left_as_it_is_with_a_warning(
        portal: Portal, spy: MethodLog, tmp_path: Path, state: Path, cli: Cli) -> None:
    """Pushed with another state DB, the series is adopted, not created by this run's
    records: it is not rebuilt, and the user is told why it differs from the input."""
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, tmp_path / "other.sqlite3"))
    write(source, meeting(moved=False))
    spy.clear()
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert "calendar.event.delete" not in spy.writes()
    assert "standup@test" in err and "did not create it" in err
    assert portal_occurrences(portal) == meeting_expected()


def test_rebuild_whose_delete_the_portal_refuses_adds_nothing_and_a_rerun_finishes(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli) -> None:
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    write(source, meeting(moved=False))

    def refuse_deletes(call_next: Call, user: User, method: str, params: Any) -> Any:
        if method == "calendar.event.delete":
            raise MethodError("", "An error occurred while deleting the event")
        return call_next(user, method, params)

    with portal.api.hook(refuse_deletes):
        code, _, err = cli("push", str(source), *target_args(portal, state))
        assert code == 1
        assert "not added again" in err
        assert portal_occurrences(portal) == meeting_expected()
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert portal_occurrences(portal) == meeting_expected(meeting(moved=False))


@pytest.mark.parametrize("recorded", [True, False], ids=["delete-recorded", "answer-lost"])
def test_push_killed_between_deleting_and_adding_a_rebuilt_series_adds_it_on_rerun(
        portal: Portal, tmp_path: Path, state: Path, cli: Cli, recorded: bool) -> None:
    """The run is SIGKILLed while the portal holds its next call: either the add (the
    delete's answer was recorded) or the rebuild's delete (the part gone, the answer never
    read)."""
    source = write(tmp_path / "meeting.ics", MEETING)
    cli("push", str(source), *target_args(portal, state))
    edited = meeting(moved=False)
    write(source, edited)
    reached, release = threading.Event(), threading.Event()
    deletes = 0

    def hold(call_next: Call, user: User, method: str, params: Any) -> Any:
        nonlocal deletes
        if recorded and method == "calendar.event.add":
            reached.set()
            release.wait(30)
            raise MethodError("", "the client is gone")
        result = call_next(user, method, params)
        deletes += method == "calendar.event.delete"
        if not recorded and deletes == 1:
            reached.set()
            release.wait(30)
        return result

    held = portal.api.hook(hold)
    process = subprocess.Popen(
        [sys.executable, "-m", "ics2b24", "push", str(source), *target_args(portal, state)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert reached.wait(30)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
    finally:
        release.set()
    held.remove()
    assert standup_at(17) not in portal_occurrences(portal)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert portal_occurrences(portal) == meeting_expected(edited)
