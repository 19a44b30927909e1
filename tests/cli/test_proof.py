"""`verify`, `push --verify` and `doctor` at the command line, against the test portal over
loopback HTTP: exit codes, the lines that name what differs, --json (a doctor run interrupted is in
test_signals.py)."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.hooks import Call
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from tests.helpers import portal_rows, run_cli, sample_files, vcalendar, vevent, write

TARGET = ["--type", "user", "--owner", "1", "--section", "1", "--tz", "Europe/Berlin"]


def cli(capsys: pytest.CaptureFixture[str], portal: Portal, *args: str) -> tuple[int, str, str]:
    return run_cli(capsys, *args, "--webhook", portal.webhook_url)


def push(capsys: pytest.CaptureFixture[str], portal: Portal, state: Path, *flags: str) -> str:
    code, _, err = cli(capsys, portal, "push", *sample_files(), *TARGET, "--state", str(state),
                       *flags)
    assert code == 0, err
    return err


def test_verify_after_push_exits_0_and_says_so(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    push(capsys, portal, tmp_path / "s.db")
    code, out, err = cli(capsys, portal, "verify", *sample_files(), *TARGET)
    assert (code, out) == (0, "")
    assert "the portal shows exactly what the input implies" in err


def test_verify_names_the_uid_whose_occurrence_the_portal_dropped(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    push(capsys, portal, tmp_path / "s.db")
    series = next(int(r["ID"]) for r in portal_rows(portal) if r["NAME"] == "Apollo weekly")
    stored = portal.api.store.event(series)
    assert stored is not None
    portal.api.store.put_event({**stored, "exdate": ["2025-03-11"]})
    code, out, err = cli(capsys, portal, "verify", *sample_files(), *TARGET)
    assert code == 1
    assert out.splitlines() == [
        "UID apollo-weekly@example.org (Apollo weekly): 1 missing: "
        "2025-03-11T13:00:00Z..2025-03-11T14:00:00Z (UTC) 'Apollo weekly'"]
    assert err.strip().endswith("ics2b24: 1 of 14 UID(s) differ")


def test_verify_names_the_month_view_that_shows_other_days(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A rule every two weeks on two days written as one event, as the RFC has it: the
    current portal shows it right from before the series and in weeks between in the view of
    February 2024 (behaviour 18)."""
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": "Review",
        "from": "2024-01-02T09:00:00", "to": "2024-01-02T10:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin",
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": 2, "BYDAY": ["TU", "TH"], "COUNT": 6}})
    source = write(tmp_path / "review.ics", vcalendar(vevent(
        "review@example.org", "20240102T090000", "Review",
        "RRULE:FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH;COUNT=6")))
    code, out, err = cli(capsys, portal, "verify", str(source), *TARGET)
    assert code == 1
    assert out.splitlines() == [
        "month view 2024-02 (2024-01-29..2024-03-10): UID review@example.org (Review): "
        "2 missing: 2024-01-30T08:00:00Z..2024-01-30T09:00:00Z (UTC) 'Review'; "
        "2024-02-01T08:00:00Z..2024-02-01T09:00:00Z (UTC) 'Review' | "
        "1 extra: 2024-02-06T08:00:00Z..2024-02-06T09:00:00Z (UTC) 'Review'"]
    assert err.strip().endswith("ics2b24: 1 UID(s) differ in 1 of 2 month view(s)")


def test_verify_json_is_one_object(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    push(capsys, portal, tmp_path / "s.db")
    code, out, _ = cli(capsys, portal, "verify", *sample_files(), *TARGET, "--json")
    answer = json.loads(out)
    assert code == 0 and answer["equal"] is True and answer["differing"] == []
    assert answer["requests"] >= 1


def test_push_with_verify_reads_back_after_pushing(
        portal: Portal, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    err = push(capsys, portal, tmp_path / "s.db", "--verify")
    assert "the portal shows exactly what the input implies" in err


def test_doctor_prints_the_generation_and_one_line_per_behaviour_and_exits_0_when_all_hold(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = cli(capsys, portal, "doctor")
    assert code == 0, err
    generation, *lines = out.splitlines()
    assert generation == "the portal runs the current (generation 2 or 3) calendar code"
    assert len(lines) == 13 and all(line.startswith("ok ") for line in lines)


def test_doctor_exits_1_naming_the_behaviour_that_differs(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    """As a portal would whose handler took every update of a single event as one to a
    series (`all`): the moved single event keeps its old day."""
    def keeps_dates(call_next: Call, user: User, method: str, params: Any) -> Any:
        if method == "calendar.event.update" and "recurrence_mode" not in params:
            params = {**params, "recurrence_mode": "all"}
        return call_next(user, method, params)

    portal.api.hook(keeps_dates)
    code, out, err = cli(capsys, portal, "doctor")
    assert code == 1
    different = [line.split(":")[0] for line in out.splitlines()
                 if line.startswith("DIFFERENT")]
    assert different[0] == "DIFFERENT  a single event updated to another day moves there"
    assert f"{len(different)} of 13 behaviour(s) push relies on differ" in err


def test_doctor_on_a_calendar_the_portal_refuses_access_to_exits_2(
        make_portal: Callable[..., Portal], capsys: pytest.CaptureFixture[str]) -> None:
    portal = make_portal(users={"users": [{"id": 1}, {"id": 2}]})
    code, out, err = cli(capsys, portal, "doctor", "--owner", "2")
    assert code == 2
    assert err == ("ics2b24: a new section in the user calendar 2 needs an administrator's "
                   "credentials: the portal would add it for anyone but let only its owner and "
                   "administrators write in it or delete it; nothing was written\n")
    assert out == ""
