"""What used to end in a Python traceback is one line and a documented exit code, with
nothing lost: output that cannot be written, a reader that stops reading, a test portal
pointed at someone else's database, an event in year 1."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from ics2b24.store.state import StateDB
from tests.helpers import Cli, portal_rows, target_args, vcalendar, vevent, write

YEAR_ONE = vcalendar(
    "BEGIN:VEVENT\nUID:y1@test\nDTSTAMP:20250101T000000Z\n"
    "DTSTART;TZID=Europe/Berlin:00010101T090000\nDTEND;TZID=Europe/Berlin:00010101T100000\n"
    "SUMMARY:Year one\nEND:VEVENT\n")


def many_events(tmp_path: Path, count: int = 400) -> Path:
    """Enough output (about 200 KB) that a pipe's buffer cannot hold it."""
    return write(tmp_path / "many.ics", vcalendar(*(
        vevent(f"m{i}@test", f"202505{1 + i % 28:02d}T{8 + i % 9:02d}0000", f"Event {i}")
        for i in range(count))))


def ics2b24(*args: str, **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ics2b24", *args], capture_output=True,
                          text=True, timeout=60, check=False, **kwargs)  # type: ignore[call-overload]


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_convert_to_a_full_disk_is_one_line_and_exit_74(tmp_path: Path) -> None:
    source = many_events(tmp_path)
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "ics2b24", "convert", str(source)],
                              stdout=full, stderr=subprocess.PIPE, text=True, timeout=60,
                              check=False)
    assert done.returncode == 74
    assert done.stderr == "ics2b24: cannot write the output: No space left on device\n"


def test_convert_into_a_pipe_its_reader_closes_early_exits_0_quietly(tmp_path: Path) -> None:
    source = many_events(tmp_path)
    process = subprocess.Popen([sys.executable, "-m", "ics2b24", "convert", str(source)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stderr is not None
    assert json.loads(process.stdout.readline())["uid"].startswith("m")
    process.stdout.close()
    err = process.stderr.read()
    assert process.wait(timeout=60) == 0
    assert err == ""


def test_portal_serve_refuses_a_state_db_as_its_data_and_leaves_it_alone(
        tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    StateDB.open(state).close()
    before = state.read_bytes()
    done = ics2b24("portal", "serve", "--port", "0", "--data", str(state))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"ics2b24: --data {state}: not a test portal's database (it holds "
                           "other tables); give a new file, or one `portal serve` made\n")
    assert state.read_bytes() == before
    tables = {row[0] for row in sqlite3.connect(state).execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    assert "users" not in tables


def test_portal_serve_refuses_a_file_that_is_not_a_database(tmp_path: Path) -> None:
    data = tmp_path / "notes.txt"
    data.write_text("not a database, just text\n" * 100)
    done = ics2b24("portal", "serve", "--port", "0", "--data", str(data))
    assert done.returncode == 2
    assert "not a test portal's database" in done.stderr
    assert "Traceback" not in done.stderr



def test_portal_serve_with_data_in_a_directory_that_does_not_exist_is_one_line_and_exit_2(
        tmp_path: Path) -> None:
    data = tmp_path / "nonexistent" / "dir" / "x.sqlite3"
    done = ics2b24("portal", "serve", "--port", "0", "--data", str(data))
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr == (f"ics2b24: --data {data}: cannot be opened: the directory "
                           f"{data.parent} does not exist\n")

def test_a_timed_event_in_year_1_converts_to_iso_and_pushes(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "year-one.ics", YEAR_ONE)
    code, out, err = cli("convert", str(source))
    assert code == 0, err
    params = json.loads(out)["params"]
    assert (params["from"], params["to"]) == ("0001-01-01T09:00:00", "0001-01-01T10:00:00")
    state = tmp_path / "state.sqlite3"
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert [row["NAME"] for row in portal_rows(portal, first="0001-01-01")] == ["Year one"]
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0 and "1 unchanged" in err


def test_a_calendar_without_events_says_so_and_exits_0(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "empty.ics", vcalendar())
    code, out, err = cli("convert", str(source))
    assert (code, out, err) == (0, "", "ics2b24: no events in the input\n")
    code, _, err = cli("push", str(source), *target_args(portal, tmp_path / "s.sqlite3"))
    assert code == 0
    assert "no events in the input: there is nothing to add or update" in err


def edge_event(start: str, end: str, *extra: str) -> str:
    """One event in Berlin from `start` to `end` (vevent's strftime cannot write year 1)."""
    return vcalendar("BEGIN:VEVENT\nUID:edge@test\nDTSTAMP:20250101T000000Z\n"
                     f"DTSTART;TZID=Europe/Berlin:{start}\nDTEND;TZID=Europe/Berlin:{end}\n"
                     + "".join(f"{line}\n" for line in extra) + "SUMMARY:Edge\nEND:VEVENT\n")


@pytest.mark.parametrize(("start", "end", "rule", "count"), [
    ("00010101T090000", "00010101T100000", "", 1),
    ("99991230T090000", "99991230T100000", "", 1),
])
def test_verify_of_an_event_at_the_calendars_ends_says_the_portal_shows_it(
        portal: Portal, cli: Cli, tmp_path: Path, start: str, end: str, rule: str,
        count: int) -> None:
    source = write(tmp_path / "edge.ics", edge_event(start, end, *([rule] if rule else [])))
    state = tmp_path / "state.sqlite3"
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0 and "1 added" in err, err
    done = ics2b24("verify", str(source), *target_args(portal, state))
    assert "Traceback" not in done.stderr
    assert done.returncode == 0, done.stderr
    assert (f"{count} occurrence(s) of 1 UID(s): the portal shows exactly what the input "
            "implies") in done.stderr


def test_verify_of_an_event_in_year_1_the_portal_lacks_names_it_missing(
        portal: Portal, tmp_path: Path) -> None:
    source = write(tmp_path / "year-one.ics", YEAR_ONE)
    done = ics2b24("verify", str(source), *target_args(portal, tmp_path / "state.sqlite3"))
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert "1 missing: 0001-01-01T08:06:32Z..0001-01-01T09:06:32Z (UTC)" in done.stdout


def test_verify_of_a_series_in_year_1_names_the_days_the_portal_shows_beyond_it(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    """The portal reads the series' UNTIL 0001-01-03 as PHP's mktime does, as 2001: the
    month view shows it on every day after the third."""
    source = write(tmp_path / "edge.ics", edge_event(
        "00010101T090000", "00010101T100000", "RRULE:FREQ=DAILY;COUNT=3"))
    state = tmp_path / "state.sqlite3"
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    done = ics2b24("verify", str(source), *target_args(portal, state))
    assert "Traceback" not in done.stderr
    assert done.returncode == 1
    assert done.stdout.startswith("month view 0001-01 (0001-01-01..0001-02-11): UID edge@test "
                                  "(Edge): 39 extra: 0001-01-04T08:06:32Z..")
