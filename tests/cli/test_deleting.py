"""Deleting is never a surprise: `plan --prune` names what it would delete; `undo` names how
many events of each kind it deletes and asks; "n" deletes nothing (exit 0); with no one at a
terminal to ask, it needs --yes (exit 2 with the reason)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from ics2b24.portal.server import Portal
from tests.helpers import (
    MEETING,
    Cli,
    portal_rows,
    run_on_a_terminal,
    target_args,
    vcalendar,
    vevent,
    write,
)

ONE = vevent("one@test", "20250303T090000", "One")
TWO = vevent("two@test", "20250304T090000", "Two")
THREE = vevent("three@test", "20250305T090000", "Three")


def pushed(portal: Portal, cli: Cli, tmp_path: Path, *texts: str) -> list[str]:
    """Push each text as its own file into one target; the target's arguments."""
    args = target_args(portal, tmp_path / "state.sqlite3")
    files = [str(write(tmp_path / f"in{i}.ics", text)) for i, text in enumerate(texts)]
    code, _, err = cli("push", *files, *args)
    assert code == 0, err
    return args


def test_plan_prune_names_each_event_it_would_delete(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE, TWO, THREE))
    source = write(tmp_path / "in0.ics", vcalendar(ONE, TWO))
    code, out, err = cli("plan", str(source), *args, "--prune")
    assert code == 0, err
    (row,) = [line.split() for line in out.splitlines() if line.startswith("delete")]
    assert row[2:] == ["three@test", "Three"]


def test_plan_prune_offers_a_backup_before_it_deletes(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE, TWO, THREE))
    source = write(tmp_path / "in0.ics", vcalendar(ONE, TWO))
    _, out, _ = cli("plan", str(source), *args, "--prune")
    assert out.splitlines()[-1] == ("Before these 1 delete(s): push --backup FILE saves what "
                                    "the section holds first (as `backup` writes it).")


def test_a_plan_without_deletes_offers_no_backup(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE))
    source = write(tmp_path / "in0.ics", vcalendar(ONE, TWO))
    _, out, _ = cli("plan", str(source), *args, "--prune")
    assert "--backup" not in out


def test_undo_names_what_it_deletes_by_kind_and_asks(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE, TWO), MEETING)
    code, screen = run_on_a_terminal(["undo", *args], answer="y\n")
    assert code == 0, screen
    assert ("Delete 5 event(s) ics2b24 created in this target (2 single event(s), 3 series, "
            "1 moved occurrence(s) that go with their series)? [y/N]") in screen
    assert portal_rows(portal) == []


def test_answering_no_to_undo_deletes_nothing_and_exits_0(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE, TWO))
    code, screen = run_on_a_terminal(["undo", *args], answer="n\n")
    assert code == 0, screen
    assert "nothing deleted" in screen and "interrupted" not in screen
    assert len(portal_rows(portal)) == 2


def test_undo_without_a_terminal_and_without_yes_exits_2_with_the_reason(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = pushed(portal, cli, tmp_path, vcalendar(ONE, TWO))
    done = subprocess.run([sys.executable, "-m", "ics2b24", "undo", *args],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=60, check=False)
    assert done.returncode == 2
    assert done.stderr == ("ics2b24: undo would delete 2 event(s) ics2b24 created in this "
                           "target (2 single event(s), 0 series); there is no terminal to "
                           "ask: add --yes to delete them\n")
    assert len(portal_rows(portal)) == 2


# --- the section push created, left empty by undo ----------------------------------------


def into_new_section(portal: Portal, cli: Cli, tmp_path: Path, name: str = "Imported"
                     ) -> list[str]:
    """Push two events into a section named `name` (created unless it exists); the target's
    arguments."""
    args = ["--webhook", portal.webhook_url, "--type", "user", "--owner", "1",
            "--section-name", name, "--state", str(tmp_path / "state.sqlite3")]
    code, _, err = cli("push", str(write(tmp_path / "in.ics", vcalendar(ONE, TWO))), *args)
    assert code == 0, err
    return args


def section_names(portal: Portal) -> list[str]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return [row["NAME"] for row in rows]


def test_undo_at_a_terminal_offers_to_delete_the_emptied_section_push_created(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    code, screen = run_on_a_terminal(["undo", *args], answer="y\ny\n")
    assert code == 0, screen
    assert ("Section 2 ('Imported'), which push created, holds no event now. Delete it too? "
            "[y/N]") in screen
    assert "section 2 ('Imported'), which push created and undo left empty: deleted" in screen
    assert section_names(portal) == ["Admin"]


def test_undo_at_a_terminal_keeps_the_emptied_section_unless_told_to_delete_it(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    code, screen = run_on_a_terminal(["undo", *args], answer="y\n\n")
    assert code == 0, screen
    assert "left empty: kept (undo --delete-section deletes it)" in screen
    assert section_names(portal) == ["Admin", "Imported"]


def test_undo_with_yes_keeps_the_emptied_section_and_says_so(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    code, _, err = cli("undo", *args, "--yes")
    assert code == 0, err
    assert err.endswith("; section 2 ('Imported'), which push created and undo left empty: "
                        "kept (undo --delete-section deletes it)\n")
    assert section_names(portal) == ["Admin", "Imported"]


def test_undo_with_yes_and_delete_section_deletes_the_emptied_section(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    code, out, err = cli("undo", *args, "--yes", "--delete-section", "--json")
    assert code == 0, err
    assert json.loads(out)["section"] == {"id": 2, "name": "Imported", "deleted": True}
    assert section_names(portal) == ["Admin"]


def test_undo_never_deletes_a_section_push_found_rather_than_created(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    portal.api.call(portal.first_user, "calendar.section.add",
                    {"type": "user", "ownerId": 1, "name": "Mine"})
    args = into_new_section(portal, cli, tmp_path, "Mine")
    code, out, err = cli("undo", *args, "--yes", "--delete-section", "--json")
    assert code == 0, err
    assert "section" not in json.loads(out)
    assert section_names(portal) == ["Admin", "Mine"]


def test_undo_never_deletes_a_section_push_created_that_still_holds_an_event(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 2, "name": "The user's own",
        "from": "2025-03-06T09:00:00", "to": "2025-03-06T10:00:00"})
    code, _, err = cli("undo", *args, "--yes", "--delete-section")
    assert code == 0, err
    assert "section 2" not in err
    assert section_names(portal) == ["Admin", "Imported"]


def test_undo_with_nothing_left_to_delete_still_deletes_the_emptied_section_when_told(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    args = into_new_section(portal, cli, tmp_path)
    assert cli("undo", *args, "--yes")[0] == 0
    code, _, err = cli("undo", *args, "--yes", "--delete-section")
    assert code == 0, err
    assert "section 2 ('Imported'), which push created and undo left empty: deleted" in err
    assert section_names(portal) == ["Admin"]
