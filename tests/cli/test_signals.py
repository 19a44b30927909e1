"""SIGINT (Ctrl-C), SIGTERM (`kill`, a service manager) and SIGHUP (the terminal closed)
stop push, undo and doctor the same way, through a subprocess: the write in flight is
recorded once its answer is in, so the state DB holds what the portal holds, the line says
so, and the exit code names the signal (130, 143, 129)."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.hooks import Call
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from ics2b24.store.keys import portal_identity, target_key
from ics2b24.store.state import StateDB
from tests.helpers import Cli, Killer, target_args, vcalendar, vevent, write

SIGNALS = [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)]
EVENTS = 200
"""Four batches of adds: a signal in the second leaves work done and work left."""


def many_events(tmp_path: Path) -> Path:
    return write(tmp_path / "many.ics", vcalendar(*(
        vevent(f"many-{index}@test", f"202504{1 + index // 10:02d}T{8 + index % 10:02d}0000",
               f"Event {index}") for index in range(EVENTS))))


def portal_ids(portal: Portal) -> set[int]:
    return {int(event["id"]) for event in portal.store.events("user", 1, [1])}


def recorded_ids(portal: Portal, state: Path) -> set[int]:
    with StateDB.open(state, readonly=True) as db:
        return {record.event_id for record in db.scoped(
            portal_identity(portal.base_url, 1), target_key("user", 1, 1)).records()}


def last_line(err: str) -> str:
    assert "Traceback" not in err
    return err.strip().splitlines()[-1]


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_a_signal_mid_push_records_the_batch_in_flight_and_exits_with_its_code(
        portal: Portal, tmp_path: Path, signum: int, code: int) -> None:
    state = tmp_path / "state.sqlite3"
    killer = Killer(portal, signum, pause=0.3)
    args = ["push", str(many_events(tmp_path)), *target_args(portal, state)]
    assert killer.run(args, after=60) == code, killer.err
    held = portal_ids(portal)
    assert len(held) == 100
    assert recorded_ids(portal, state) == held
    named = "" if signum == signal.SIGINT else f" by {signal.Signals(signum).name}"
    assert re.fullmatch(
        rf"ics2b24: interrupted{named} after 100 of {EVENTS} change\(s\); every change the "
        r"portal confirmed is recorded in .*state\.sqlite3: run the same command again to "
        r"continue", last_line(killer.err)), killer.err


@pytest.mark.parametrize(("signum", "code"), SIGNALS[1:])
def test_a_signal_mid_undo_records_the_deletions_in_flight(
        portal: Portal, tmp_path: Path, cli: Cli, signum: int, code: int) -> None:
    state = tmp_path / "state.sqlite3"
    args = target_args(portal, state)
    assert cli("push", str(many_events(tmp_path)), *args)[0] == 0
    killer = Killer(portal, signum, pause=0.3)
    assert killer.run(["undo", *args, "--yes"], after=60) == code, killer.err
    held = portal_ids(portal)
    assert len(held) == EVENTS - 100
    assert recorded_ids(portal, state) == held


def sections(portal: Portal) -> list[str]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return [row["NAME"] for row in rows]


@pytest.mark.parametrize(("signum", "code"), SIGNALS)
def test_a_signal_mid_doctor_leaves_no_scratch_section(
        portal: Portal, signum: int, code: int) -> None:
    """The signal arrives while the portal holds doctor's second add (after the generation
    probe's two): its scratch section exists then."""
    before = sections(portal)
    reached, release = threading.Event(), threading.Event()
    adds = 0
    during: list[str] = []

    def hold(call_next: Call, user: User, method: str, params: Any) -> Any:
        nonlocal adds
        if method == "calendar.event.add":
            adds += 1
            if adds == 4:
                during.extend(sections(portal))  # here: the portal's lock is this thread's
                reached.set()
                release.wait(30)
        return call_next(user, method, params)

    portal.api.hook(hold)
    process = subprocess.Popen(
        [sys.executable, "-m", "ics2b24", "doctor", "--webhook", portal.webhook_url],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        assert reached.wait(30)
        process.send_signal(signum)
    finally:
        release.set()
    _, err = process.communicate(timeout=30)
    assert process.returncode == code, err
    assert last_line(err).startswith("ics2b24: interrupted")
    assert len(during) == len(before) + 1
    assert sections(portal) == before


def test_ctrl_c_in_the_first_batch_counts_the_batch_the_portal_holds(
        portal: Portal, tmp_path: Path) -> None:
    """It said "after 0 of 200" while the portal held the 50 events of the batch in flight."""
    state = tmp_path / "state.sqlite3"
    killer = Killer(portal, signal.SIGINT, pause=0.3)
    args = ["push", str(many_events(tmp_path)), *target_args(portal, state)]
    assert killer.run(args, after=10) == 130, killer.err
    assert len(portal_ids(portal)) == 50
    assert " after 50 of 200 change(s);" in last_line(killer.err)


def test_push_json_stopped_still_prints_its_summary(portal: Portal, tmp_path: Path) -> None:
    state = tmp_path / "state.sqlite3"
    killer = Killer(portal, signal.SIGTERM, pause=0.3)
    args = ["push", str(many_events(tmp_path)), *target_args(portal, state), "--json"]
    assert killer.run(args, after=60) == 143, killer.err
    summary = json.loads(killer.out)
    assert (summary["added"], summary["failed"]) == (100, 0)


def test_undo_stopped_says_what_it_deleted_and_how_to_go_on(
        portal: Portal, tmp_path: Path, cli: Cli) -> None:
    state = tmp_path / "state.sqlite3"
    args = target_args(portal, state)
    assert cli("push", str(many_events(tmp_path)), *args)[0] == 0
    killer = Killer(portal, signal.SIGINT, pause=0.3)
    assert killer.run(["undo", *args, "--yes"], after=60) == 130, killer.err
    assert re.fullmatch(
        r"ics2b24: interrupted after deleting 100 of 200 event\(s\); the other 100 are still "
        r"in the portal and recorded in .*state\.sqlite3: run the same undo again to delete "
        r"them", last_line(killer.err)), killer.err
