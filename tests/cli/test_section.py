"""`ics2b24 section list|add|update`, run through `cli.main` against the embedded
portal over loopback HTTP, exit codes included."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ics2b24.app.sections import SectionFields
from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.errors import UsageError
from ics2b24.portal.server import Portal
from tests.helpers import SAMPLES, run_on


def sections(portal: Portal, cal_type: str = "user", owner: int = 1) -> dict[str, Any]:
    client = Client(WebhookAuth.parse(portal.webhook_url))
    rows = client.call("calendar.section.get", {"type": cal_type, "ownerId": owner})
    return {row["NAME"]: row for row in rows}


def add(portal: Portal, capsys: pytest.CaptureFixture[str], *args: str) -> str:
    code, out, err = run_on(portal, capsys, "section", "add", "--type", "user", *args)
    assert code == 0, err
    return out.strip()


# --- list ---------------------------------------------------------------------------------


def test_list_prints_a_table_of_the_calendars_sections(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Imported", "--description", "from Google",
                     "--color", "#9cbeee", "--no-export")
    code, out, _ = run_on(portal, capsys, "section", "list", "--type", "user", "--owner", "1")
    lines = out.splitlines()
    assert code == 0
    assert lines[0].split() == ["ID", "NAME", "COLOR", "TEXT", "EXPORT", "DESCRIPTION"]
    assert lines[-1].split() == [section_id, "Imported", "#9cbeee", "#000000", "no", "(all)",
                                 "from", "Google"]


def test_list_json_gives_each_section_with_its_export_object(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Imported", "--export-period", "6_12")
    code, out, _ = run_on(portal, capsys, "section", "list", "--type", "user", "--json")
    listed = {s["id"]: s for s in json.loads(out)}
    assert code == 0
    assert listed[int(section_id)] == {
        "id": int(section_id), "name": "Imported", "description": "", "color": "#E6A469",
        "text_color": "#000000", "export": {"ALLOW": True, "SET": "6_12"}, "type": "user",
        "owner": 1,
    }


def test_list_of_a_group_needs_its_owner(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "list", "--type", "group")
    assert code == 2
    assert "--type group needs --owner GROUP_ID" in err


# --- add ----------------------------------------------------------------------------------


def test_add_sends_every_documented_field(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Trips", "--description", "travel",
                     "--color", "darkorange", "--text-color", "#FFF", "--no-export",
                     "--export-period", "3_9")
    row = sections(portal)["Trips"]
    assert row["ID"] == section_id
    assert (row["DESCRIPTION"], row["COLOR"], row["TEXT_COLOR"]) == ("travel", "#ff8c00",
                                                                     "#ffffff")
    assert row["EXPORT"] == {"ALLOW": False, "SET": "3_9"}


def test_add_to_a_group_calendar(portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_on(portal, capsys, "section", "add", "--type", "group", "--owner", "8",
                       "--name", "Sprints")
    assert code == 0
    assert sections(portal, "group", 8)["Sprints"]["ID"] == out.strip()


def test_add_to_the_company_calendar_is_refused_before_sending(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "add", "--type", "company_calendar",
                       "--name", "Holidays")
    assert code == 2
    assert "cannot be added to the company calendar" in err
    assert portal.counters().requests == 0


def test_add_with_a_colour_that_is_not_one_is_refused_before_sending(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "add", "--type", "user", "--name", "X",
                       "--color", "blurple")
    assert code == 2
    assert "--color 'blurple' is not a colour" in err
    assert portal.counters().requests == 0


def test_add_to_another_users_calendar_without_admin_is_exit_2_and_adds_nothing(
        make_portal: Callable[..., Portal], capsys: pytest.CaptureFixture[str]) -> None:
    portal = make_portal(users={"users": [{"id": 1}, {"id": 2}]})
    code, out, err = run_on(portal, capsys, "section", "add", "--type", "user", "--owner", "2",
                            "--name", "Not mine")
    assert (code, out) == (2, "")
    assert "needs an administrator's credentials" in err
    assert "Not mine" not in [s["name"] for s in portal.store.sections("user", 2)]


def test_an_admin_adds_a_section_to_another_users_calendar(
        make_portal: Callable[..., Portal], capsys: pytest.CaptureFixture[str]) -> None:
    portal = make_portal(users={"users": [{"id": 1, "admin": True}, {"id": 2}]})
    code, _, err = run_on(portal, capsys, "section", "add", "--type", "user", "--owner", "2",
                          "--name", "Moved in")
    assert code == 0, err
    assert "Moved in" in [s["name"] for s in portal.store.sections("user", 2)]


# --- update -------------------------------------------------------------------------------


@pytest.mark.parametrize(("flags", "field", "expected"), [
    (["--name", "Renamed"], "NAME", "Renamed"),
    (["--description", "New words"], "DESCRIPTION", "New words"),
    (["--color", "#ABC"], "COLOR", "#aabbcc"),
    (["--text-color", "navy"], "TEXT_COLOR", "#000080"),
])
def test_update_changes_the_field_of_each_flag_and_keeps_the_rest(
        portal: Portal, capsys: pytest.CaptureFixture[str], flags: list[str], field: str,
        expected: Any) -> None:
    section_id = add(portal, capsys, "--name", "Base", "--description", "words",
                     "--color", "#112233", "--text-color", "#445566",
                     "--export-period", "6_12")
    before = next(r for r in sections(portal).values() if r["ID"] == section_id)
    code, out, _ = run_on(portal, capsys, "section", "update", "--type", "user",
                       "--id", section_id, *flags)
    after = next(r for r in sections(portal).values() if r["ID"] == section_id)
    assert code == 0
    assert out.startswith(f"section {section_id} updated")
    assert after[field] == expected
    fields = ("NAME", "DESCRIPTION", "COLOR", "TEXT_COLOR", "EXPORT")
    assert {f: after[f] for f in fields if f != field} == {f: before[f] for f in fields
                                                           if f != field}


@pytest.mark.parametrize("flags", [["--export"], ["--no-export"], ["--export-period", "all"],
                                   ["--description", ""]])
def test_update_a_real_portal_would_ignore_is_refused_with_exit_2(
        portal: Portal, capsys: pytest.CaptureFixture[str], flags: list[str]) -> None:
    section_id = add(portal, capsys, "--name", "Base", "--description", "words",
                     "--no-export", "--export-period", "3_9")
    before = sections(portal)["Base"]
    code, out, err = run_on(portal, capsys, "section", "update", "--type", "user",
                         "--id", section_id, *flags)
    assert (code, out) == (2, "")
    assert "a Bitrix24 portal ignores" in err
    assert sections(portal)["Base"] == before


def test_update_from_ics_takes_google_name_and_description(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Imported")
    code, _, _ = run_on(portal, capsys, "section", "update", "--type", "user", "--id", section_id,
                     "--from-ics", str(SAMPLES / "google-export.ics"))
    row = sections(portal)["Team Berlin"]
    assert code == 0
    assert (row["ID"], row["DESCRIPTION"]) == (section_id, "Shared calendar of the Berlin team")


def test_update_from_ics_takes_apple_colour_without_its_alpha(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Imported")
    run_on(portal, capsys, "section", "update", "--type", "user", "--id", section_id,
        "--from-ics", str(SAMPLES / "icloud-export.ics"))
    assert sections(portal)["Home"]["COLOR"] == "#ff2968"


def test_update_flags_win_over_the_ics_file(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Imported")
    run_on(portal, capsys, "section", "update", "--type", "user", "--id", section_id,
        "--from-ics", str(SAMPLES / "icloud-export.ics"), "--name", "Family")
    assert sections(portal)["Family"]["COLOR"] == "#ff2968"


def test_update_from_ics_without_calendar_metadata_is_a_usage_error(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "update", "--type", "user", "--id", "1",
                       "--from-ics", str(SAMPLES / "attendees.ics"))
    assert code == 2
    assert "the calendar has no name, description or colour" in err
    assert portal.counters().requests == 0


def test_update_from_an_unreadable_ics_is_exit_65(
        portal: Portal, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    broken = tmp_path / "broken.ics"
    broken.write_text("BEGIN:VCALENDAR\nX-WR-CALNAME:Half\n")
    code, _, err = run_on(portal, capsys, "section", "update", "--type", "user", "--id", "1",
                       "--from-ics", str(broken))
    assert code == 65
    assert err.count("\n") == 1 and "broken.ics" in err


def test_update_that_changes_nothing_sends_no_update(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Same", "--color", "#123456")
    before = portal.counters().requests
    code, out, _ = run_on(portal, capsys, "section", "update", "--type", "user", "--id",
                       section_id, "--name", "Same", "--color", "#123456")
    assert (code, out) == (0, f"section {section_id} unchanged\n")
    assert portal.counters().requests == before + 1


def test_update_of_a_section_not_in_that_calendar_is_a_usage_error(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "update", "--type", "group", "--owner", "3",
                       "--id", "1", "--name", "X")
    assert code == 2
    assert "section 1 does not exist in the group calendar 3" in err


def test_update_without_anything_to_change_is_a_usage_error(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "update", "--type", "user", "--id", "1")
    assert code == 2
    assert "nothing to update" in err


def test_a_wrong_webhook_token_is_one_line_and_exit_2_without_the_token(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    webhook = f"{portal.base_url}/rest/1/notthetoken123/"
    code, _, err = run_on(portal, capsys, "section", "list", "--type", "user", webhook=webhook)
    assert code == 2
    assert err.count("\n") == 1 and "refused the credentials: NO_AUTH_FOUND" in err
    assert "notthetoken123" not in err


# --- fields, without a portal -------------------------------------------------------------


def test_colours_are_normalised_to_lowercase_rrggbb() -> None:
    fields = SectionFields.build(color="#FF2968FF", text_color="White")
    assert (fields.color, fields.text_color) == ("#ff2968", "#ffffff")


def test_an_empty_name_is_refused() -> None:
    with pytest.raises(UsageError, match="--name must not be empty"):
        SectionFields.build(name="  ")


def test_from_ics_naming_a_folder_of_several_calendars_is_refused_with_exit_2(
        portal: Portal, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    folder = tmp_path / "calendars"
    folder.mkdir()
    for name in ("google-export.ics", "icloud-export.ics"):
        (folder / name).write_bytes((SAMPLES / name).read_bytes())
    code, out, err = run_on(portal, capsys, "section", "update", "--type", "user", "--id", "1",
                         "--from-ics", str(folder))
    assert (code, out) == (2, "")
    assert "holds 2 calendars; name one .ics file" in err


# --- delete -------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "day"), [
    ("Twin", "2025-03-04"),
    # Read only up to 2038, a section holding nothing before was called empty (and undo
    # offered it for deletion as one it had left empty).
    ("Later", "2050-03-04"),
])
def test_delete_with_yes_removes_the_section_and_says_how_many_events_went_with_it(
        portal: Portal, capsys: pytest.CaptureFixture[str], name: str, day: str) -> None:
    section_id = add(portal, capsys, "--name", name)
    portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": int(section_id), "name": "Lunch",
        "from": f"{day}T12:00:00", "to": f"{day}T13:00:00"})
    code, out, err = run_on(portal, capsys, "section", "delete", "--type", "user",
                            "--id", section_id, "--yes")
    assert code == 0, err
    assert out.strip() == f"deleted section {section_id} ({name!r}) and the 1 event(s) in it"
    assert name not in sections(portal)


def test_delete_without_a_terminal_or_yes_deletes_nothing(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    section_id = add(portal, capsys, "--name", "Twin")
    code, _, err = run_on(portal, capsys, "section", "delete", "--type", "user",
                          "--id", section_id)
    assert code == 2
    assert "add --yes to confirm" in err
    assert "Twin" in sections(portal)


def test_delete_of_a_section_the_calendar_lacks_is_refused(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_on(portal, capsys, "section", "delete", "--type", "user", "--id", "999",
                          "--yes")
    assert code == 2 and "section 999 does not exist" in err
