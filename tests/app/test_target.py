"""The target section: the same one across renames, found the same way by `plan`, `push` and
`undo` (same checks, same exits), and `--owner` defaulting to the caller as elsewhere."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ics2b24.portal.server import Portal
from tests.helpers import Cli, portal_rows, spy_on, vcalendar, vevent, write

ONE = vevent("one@test", "20250303T090000", "One")
TWO = vevent("two@test", "20250304T090000", "Two")


def work_calendar(*events: str) -> str:
    """A calendar that names itself "Work" (X-WR-CALNAME), as Google's exports do."""
    return vcalendar(*events).replace("PRODID:-//test//test//EN\n",
                                      "PRODID:-//test//test//EN\nX-WR-CALNAME:Work\n")


def sections(portal: Portal) -> list[dict[str, Any]]:
    return list(portal.api.call(portal.first_user, "calendar.section.get",
                                {"type": "user", "ownerId": 1}))


def add_section(portal: Portal, name: str) -> int:
    return int(portal.api.call(portal.first_user, "calendar.section.add",
                               {"type": "user", "ownerId": 1, "name": name}))


def args(portal: Portal, state: Path, *target: str) -> list[str]:
    return ["--webhook", portal.webhook_url, "--type", "user", "--owner", "1", *target,
            "--state", str(state)]


def test_a_section_renamed_from_the_ics_stays_the_target_over_three_runs(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "work.ics", work_calendar(ONE, TWO))
    target = args(portal, state, "--section-name", "Whatever")
    for _ in range(3):
        code, _, err = cli("push", str(source), *target, "--section-from-ics")
        assert code == 0, err
    named = [s for s in sections(portal) if s["NAME"] in ("Whatever", "Work")]
    assert [s["NAME"] for s in named] == ["Work"]
    rows = portal_rows(portal)
    assert sorted(r["NAME"] for r in rows) == ["One", "Two"]
    assert {r["SECTION_ID"] for r in rows} == {named[0]["ID"]}
    code, out, err = cli("plan", str(source), *target, "--json")
    assert (code, out) == (0, ""), err
    code, _, err = cli("undo", *target, "--yes")
    assert code == 0, err
    assert portal_rows(portal) == []


def test_a_name_two_sections_carry_is_refused_by_plan_push_and_undo_alike(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    add_section(portal, "Twice")
    add_section(portal, "Twice")
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    target = args(portal, state, "--section-name", "Twice")
    for command in (["plan", str(source)], ["push", str(source)], ["undo", "--yes"]):
        code, _, err = cli(*command, *target)
        assert code == 2, (command, err)
        assert "2 sections are named 'Twice'" in err
    assert portal_rows(portal) == []


def test_a_section_id_that_does_not_exist_is_refused_by_plan_as_by_push(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    for command in ("plan", "push"):
        code, out, err = cli(command, str(source), *args(portal, state, "--section", "999"))
        assert code == 2, (command, out)
        assert "section 999 does not exist" in err


def test_plan_says_a_section_name_that_does_not_exist_yet_is_created_by_push(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    code, out, err = cli("plan", str(source), *args(portal, state, "--section-name", "New"))
    assert code == 0, err
    assert "no section is named 'New' yet: push creates it" in err
    assert "1 write call(s)" in out
    assert not state.exists()


def test_push_defaults_the_owner_to_the_caller_for_a_user_calendar(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    code, out, err = cli("push", str(source), "--webhook", portal.webhook_url, "--type", "user",
                         "--section", "1", "--state", str(state), "--json")
    assert code == 0, err
    assert json.loads(out)["added"] == 1
    assert [r["NAME"] for r in portal_rows(portal)] == ["One"]


def test_a_group_calendar_still_needs_its_owner(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    code, _, err = cli("plan", str(source), "--webhook", portal.webhook_url, "--type", "group",
                       "--section", "1", "--state", str(state))
    assert code == 2
    assert "--owner GROUP_ID" in err


def test_doctor_in_another_users_calendar_asks_user_admin_once(
        make_portal: Callable[..., Portal], cli: Cli) -> None:
    """The probe of the portal's calendar code and the scratch section both need to know
    whether the credentials are an administrator's: one question per run."""
    portal = make_portal(users={"users": [{"id": 1, "name": "Ann", "admin": True},
                                          {"id": 2, "name": "Bob"}]})
    before = portal.store.sections("user", 2)
    log = spy_on(portal)
    code, _, err = cli("doctor", "--webhook", portal.webhook_url, "--type", "user",
                       "--owner", "2")
    assert code == 0, err
    assert (log.calls + log.probed).count("user.admin") == 1
    assert portal.store.sections("user", 2) == before
