"""Runs that go wrong on the way: injected portal faults, and a
push killed with SIGKILL, each re-run until done, end with the portal equal to the input —
nothing lost, nothing duplicated."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from ics2b24.portal.faults import parse_faults
from ics2b24.portal.server import Portal
from ics2b24.store.keys import portal_identity, target_key
from ics2b24.store.state import StateDB
from tests.helpers import (
    MEETING,
    Cli,
    ics_occurrences,
    meeting_expected,
    portal_occurrences,
    target_args,
    thousand_events,
    vcalendar,
    vevent,
    write,
)


def expected_of(text: str) -> Counter[tuple[str, str]]:
    return ics_occurrences(text.encode(), date(2000, 1, 1), date(2037, 12, 31))


def push_until_done(cli: Cli, *args: str, attempts: int = 4) -> int:
    """Re-run as the user would after exit 1 ("run the same command again")."""
    code = -1
    for _ in range(attempts):
        code, _, _ = cli("push", *args)
        if code == 0:
            break
    return code


@pytest.mark.parametrize("seed", [1, 2])
def test_push_under_portal_faults_ends_equal_to_the_input(
        make_portal: Callable[..., Portal], tmp_path: Path, cli: Cli, seed: int) -> None:
    portal = make_portal(faults=parse_faults(f"rate=0.1,error=0.02,reset=0.01,seed={seed}"))
    events = [vevent(f"f{i}@test", f"202504{1 + i % 28:02d}T{8 + i % 10:02d}0000",
                     f"Event {i}") for i in range(240)]
    source = write(tmp_path / "many.ics", vcalendar(*events))
    meeting = write(tmp_path / "meeting.ics", MEETING)
    state = tmp_path / "state.sqlite3"
    code = push_until_done(cli, str(source), str(meeting), *target_args(portal, state))
    assert code == 0
    assert portal_occurrences(portal) == expected_of(vcalendar(*events)) + meeting_expected()
    assert portal.counters().query_limit_exceeded > 0


def push_in_background(portal: Portal, source: Path, state: Path,
                       stderr: int) -> subprocess.Popen[str]:
    """`python -m ics2b24 push`, slowed to 8 requests per second, returned once the portal
    has seen its first 8 requests: mid-run, with work done and work left."""
    args = ["push", str(source), *target_args(portal, state), "--rate", "8/1"]
    process = subprocess.Popen([sys.executable, "-m", "ics2b24", *args],
                               stdout=subprocess.DEVNULL, stderr=stderr, text=True)
    deadline = time.monotonic() + 30
    while portal.counters().requests < 8 and process.poll() is None:
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


def test_push_killed_mid_run_and_run_again_ends_equal_to_the_input(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    text = thousand_events()
    source = write(tmp_path / "bulk.ics", text)
    state = tmp_path / "state.sqlite3"
    process = push_in_background(portal, source, state, stderr=subprocess.DEVNULL)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    partial = sum(portal_occurrences(portal).values())
    assert 0 < partial < 1000
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    got = portal_occurrences(portal)
    assert got == expected_of(text)
    assert set(got.values()) == {1}


def test_creation_sent_but_never_recorded_is_adopted_as_the_tools_own(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    """A run killed after the portal created an event but before the answer was recorded:
    the next run adopts the event (no duplicate) and `undo` still knows it is ours."""
    source = write(tmp_path / "one.ics", vcalendar(vevent("lost@test", "20250402T100000",
                                                          "Lost answer")))
    state = tmp_path / "state.sqlite3"
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Lost answer",
        "from": "2025-04-02T10:00:00", "to": "2025-04-02T11:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin"})
    identity = portal_identity(portal.base_url, 1)
    with StateDB.open(state) as db, db.scoped(identity,
                                              target_key("user", 1, 1)).transaction() as tx:
        tx.intend(("lost@test", None))
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert sum(portal_occurrences(portal).values()) == 1
    code, _, err = cli("undo", *target_args(portal, state), "--yes")
    assert code == 0, err
    assert portal_occurrences(portal) == Counter()


def test_ctrl_c_mid_push_exits_130_saying_what_was_kept_and_a_rerun_finishes(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    text = thousand_events()
    source = write(tmp_path / "bulk.ics", text)
    state = tmp_path / "state.sqlite3"
    process = push_in_background(portal, source, state, stderr=subprocess.PIPE)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=30)
    assert process.returncode == 130
    assert "Traceback" not in err
    last = err.strip().splitlines()[-1]
    assert re.fullmatch(r"ics2b24: interrupted after \d+ of 1000 change\(s\); every change "
                        r"the portal confirmed is recorded in .*state\.sqlite3: run the same "
                        r"command again to continue", last), last
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert portal_occurrences(portal) == expected_of(text)
