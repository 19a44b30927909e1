"""`ics2b24 events list`: what the target section holds, as the calendar shows it (the
occurrences `calendar.event.get` returns for a window), one line per occurrence or a JSON
list, read from the test portal over loopback HTTP."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

from ics2b24.portal.server import Portal
from tests.helpers import Cli, meeting, portal_rows, target_args, vcalendar, vevent, write

HOLIDAY = ("BEGIN:VEVENT\nUID:holiday@test\nDTSTAMP:20250101T000000Z\n"
           "DTSTART;VALUE=DATE:20250319\nDTEND;VALUE=DATE:20250321\nSUMMARY:Holiday\n"
           "END:VEVENT\n")
MARCH = ["--from", "2025-03-15", "--to", "2025-03-31"]


def pushed(portal: Portal, cli: Cli, tmp_path: Path, text: str) -> list[str]:
    """Push `text` into section 1; the target's arguments."""
    args = target_args(portal, tmp_path / "state.sqlite3")
    code, _, err = cli("push", str(write(tmp_path / "in.ics", text)), *args)
    assert code == 0, err
    return args


def ids(portal: Portal) -> dict[str, int]:
    return {row["NAME"]: int(row["ID"]) for row in portal_rows(portal)}


def standup(portal: Portal, cli: Cli, tmp_path: Path) -> list[str]:
    """A weekly series with one occurrence moved (24 → 25 March), a single event and a
    two-day all-day event."""
    text = meeting(exdate=False, cancelled=False, later=False)
    text = text.replace("END:VCALENDAR", vevent("one@test", "20250320T090000", "One")
                        + HOLIDAY + "END:VCALENDAR")
    return pushed(portal, cli, tmp_path, text)


def test_events_list_prints_one_line_per_occurrence_sorted_by_start(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = standup(portal, cli, tmp_path)
    code, out, err = cli("events", "list", *args, *MARCH)
    assert code == 0, err
    event = ids(portal)
    series, moved = f"#{event['Standup']}", f"#{event['Standup (moved)']}"
    one, holiday = f"#{event['One']}", f"#{event['Holiday']}"
    lines = out.splitlines()
    assert [re.split(r"\s{2,}", line) for line in lines] == [
        ["2025-03-17 09:00..10:00 Europe/Berlin", series, "series", "Standup"],
        ["2025-03-19..2025-03-20 all day", holiday, "single", "Holiday"],
        ["2025-03-20 09:00..10:00 Europe/Berlin", one, "single", "One"],
        ["2025-03-25 09:30..10:30 Europe/Berlin", moved, f"moved from {series}",
         "Standup (moved)"],
        ["2025-03-31 09:00..10:00 Europe/Berlin", series, "series", "Standup"],
    ]
    assert len({line.rindex(name) for line, name in zip(lines, [
        "Standup", "Holiday", "One", "Standup (moved)", "Standup"], strict=True)}) == 1
    assert err == ("ics2b24: 5 occurrence(s) of 4 event(s) in section 1 ('Admin') from "
                   "2025-03-15 to 2025-03-31\n")


def test_events_list_json_is_one_list_with_an_object_per_occurrence(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = standup(portal, cli, tmp_path)
    code, out, _ = cli("events", "list", *args, *MARCH, "--json")
    assert code == 0
    listed = json.loads(out)
    event = ids(portal)
    assert [(o["id"], o["kind"], o["series"]) for o in listed] == [
        (event["Standup"], "series", None), (event["Holiday"], "single", None),
        (event["One"], "single", None), (event["Standup (moved)"], "moved", event["Standup"]),
        (event["Standup"], "series", None)]
    assert listed[3] == {
        "id": event["Standup (moved)"], "name": "Standup (moved)", "kind": "moved",
        "series": event["Standup"], "all_day": False, "from": "2025-03-25T09:30:00",
        "to": "2025-03-25T10:30:00", "timezone_from": "Europe/Berlin",
        "timezone_to": "Europe/Berlin"}
    assert listed[1] == {
        "id": event["Holiday"], "name": "Holiday", "kind": "single", "series": None,
        "all_day": True, "from": "2025-03-19", "to": "2025-03-20", "timezone_from": None,
        "timezone_to": None}


def test_events_list_reads_from_30_days_ago_to_365_days_ahead_by_default(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    today = date.today()
    events = [vevent(f"d{days}@test", (today + timedelta(days=days)).strftime("%Y%m%dT120000"),
                     f"Day {days}") for days in (-32, -29, 364, 367)]
    args = pushed(portal, cli, tmp_path, vcalendar(*events))
    code, out, err = cli("events", "list", *args, "--json")
    assert code == 0, err
    assert [o["name"] for o in json.loads(out)] == ["Day -29", "Day 364"]


def test_events_list_of_a_name_no_section_has_exits_2_saying_so(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    code, out, err = cli("events", "list", "--webhook", portal.webhook_url, "--type", "user",
                         "--section-name", "Nowhere", "--state", str(tmp_path / "s.db"))
    assert (code, out) == (2, "")
    assert err == "ics2b24: no section named 'Nowhere' in this calendar (push creates it)\n"


def test_events_list_follows_the_section_push_remembers_for_a_renamed_name(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    state = str(tmp_path / "s.db")
    target = ["--webhook", portal.webhook_url, "--type", "user", "--section-name", "Imported",
              "--state", state]
    source = write(tmp_path / "in.ics", vcalendar(vevent("one@test", "20250320T090000", "One")))
    assert cli("push", str(source), *target)[0] == 0
    section = next(int(row["SECTION_ID"]) for row in portal_rows(portal))
    portal.api.call(portal.first_user, "calendar.section.update",
                    {"type": "user", "ownerId": 1, "id": section, "name": "Renamed"})
    code, out, err = cli("events", "list", *target, *MARCH, "--json")
    assert code == 0, err
    assert [o["name"] for o in json.loads(out)] == ["One"]


def test_events_list_with_to_before_from_is_one_line_and_exit_2(
        portal: Portal, tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "ics2b24", "events", "list",
         *target_args(portal, tmp_path / "s.db"), "--from", "2025-03-31", "--to", "2025-03-01"],
        capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == "ics2b24: --to 2025-03-01 is before --from 2025-03-31\n"
