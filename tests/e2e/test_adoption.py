"""Events found in the target that a state DB does not know are adopted, not added again,
and counted as "recovered", so the summary adds up to the input: after a run that died
between sending and recording, after a write of unknown outcome, and when a second state DB
pushes into the same section."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ics2b24.portal.faults import parse_faults
from ics2b24.portal.server import Portal
from tests.helpers import (
    Cli,
    MethodLog,
    portal_rows,
    target_args,
    vcalendar,
    vevent,
    write,
)

EVENTS = [vevent(f"e{i}@test", f"202505{1 + i % 28:02d}T{8 + i % 9:02d}0000", f"Event {i}")
          for i in range(120)]


def summary(cli: Cli, *args: str) -> dict[str, Any]:
    code, out, err = cli("push", *args, "--json")
    assert code == 0, err
    return dict(json.loads(out))


def counted(result: dict[str, Any]) -> int:
    return sum(result[k] for k in ("added", "updated", "unchanged", "recovered", "failed"))


def test_a_second_state_db_adopts_what_the_first_pushed_and_adds_nothing(
        portal: Portal, spy: MethodLog, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "many.ics", vcalendar(*EVENTS))
    first = summary(cli, str(source), *target_args(portal, tmp_path / "a.sqlite3"))
    assert first["added"] == 120
    spy.clear()
    second = summary(cli, str(source), *target_args(portal, tmp_path / "b.sqlite3"))
    assert (second["added"], second["recovered"], counted(second)) == (0, 120, 120)
    assert spy.writes() == {}
    assert len(portal_rows(portal)) == 120
    third = summary(cli, str(source), *target_args(portal, tmp_path / "b.sqlite3"))
    assert (third["unchanged"], third["recovered"]) == (120, 0)


def test_lookalikes_no_state_db_of_this_run_knows_are_named_and_left(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    """Two runs with different state DBs at the same time both add: the next run cannot
    tell whose copy is whose, so it adds nothing more and says so."""
    source = write(tmp_path / "two.ics", vcalendar(*EVENTS[:2]))
    state = tmp_path / "a.sqlite3"
    summary(cli, str(source), *target_args(portal, state))
    for row in portal_rows(portal):
        portal.api.call(portal.first_user, "calendar.event.add", {
            "type": "user", "ownerId": 1, "section": 1, "name": row["NAME"],
            "from": row["DATE_FROM"], "to": row["DATE_TO"],
            "timezone_from": row["TZ_FROM"], "timezone_to": row["TZ_TO"]})
    code, out, err = cli("push", str(source), *target_args(portal, state), "--json")
    assert code == 0, err
    assert json.loads(out)["added"] == 0
    assert "2 event(s) in the target look like events of the input" in err
    assert len(portal_rows(portal)) == 4


def test_the_summary_adds_up_after_a_write_of_unknown_outcome(
        make_portal: Callable[..., Portal], cli: Cli, tmp_path: Path) -> None:
    portal = make_portal(faults=parse_faults("reset=0.15,seed=14"))
    source = write(tmp_path / "many.ics", vcalendar(*EVENTS))
    result = summary(cli, str(source), *target_args(portal, tmp_path / "s.sqlite3"))
    assert result["recovered"] > 0
    assert result["added"] + result["recovered"] == 120
    assert counted(result) == 120
    assert len(portal_rows(portal)) == 120


def test_the_summary_adds_up_after_a_run_that_died_before_recording(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    """What a SIGKILL between sending and recording leaves: events in the portal that the
    state DB never recorded; the next run adopts them."""
    source = write(tmp_path / "many.ics", vcalendar(*EVENTS))
    state = tmp_path / "s.sqlite3"
    summary(cli, str(source), *target_args(portal, tmp_path / "elsewhere.sqlite3"))
    write(source, vcalendar(*EVENTS, vevent("new@test", "20250601T090000", "New")))
    result = summary(cli, str(source), *target_args(portal, state))
    assert (result["added"], result["recovered"], counted(result)) == (1, 120, 121)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert "0 added, 0 updated, 0 deleted, 121 unchanged, 0 failed" in err
