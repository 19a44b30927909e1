"""`ics2b24 settings get|set`, through `cli.main` against the embedded portal over
loopback HTTP. The portal's `set` replaces the whole object, so every test that
changes one key also shows the others kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.portal.server import Portal
from tests.helpers import SAMPLES, run_on


def client(portal: Portal) -> Client:
    return Client(WebhookAuth.parse(portal.webhook_url))


def current(portal: Portal) -> dict[str, Any]:
    return dict(client(portal).call("calendar.user.settings.get"))


def new_section(portal: Portal, cal_type: str = "user", owner: int = 1) -> str:
    section_id = client(portal).call("calendar.section.add", {
        "type": cal_type, "ownerId": owner, "name": f"S{owner}"})
    return str(section_id)


def settings_set(portal: Portal, capsys: pytest.CaptureFixture[str], *args: str
                 ) -> tuple[int, str, str]:
    return run_on(portal, capsys, "settings", "set", *args)


# --- get ----------------------------------------------------------------------------------


def test_get_shows_each_key_as_it_would_be_typed_back(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_on(portal, capsys, "settings", "get")
    lines = {line.split()[0]: line.split(None, 1)[1] for line in out.splitlines()}
    assert code == 0
    assert lines["view"] == "month"
    assert lines["showDeclined"] == "false"
    assert lines["defaultReminders"] == "withTime 15m; fullDay 15m"
    assert lines["timezoneName"] == "Europe/Berlin"


def test_get_json_is_the_portals_object(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_on(portal, capsys, "settings", "get", "--json")
    assert code == 0
    assert json.loads(out) == current(portal)


# --- set, one flag at a time --------------------------------------------------------------


@pytest.mark.parametrize(("flags", "key", "expected"), [
    (["--view", "week"], "view", "week"),
    (["--show-declined"], "showDeclined", True),
    (["--deny-busy-invitation"], "denyBusyInvitation", True),
    (["--no-collapse-off-hours"], "collapseOffHours", "N"),
    (["--show-week-numbers"], "showWeekNumbers", "Y"),
    (["--no-show-tasks"], "showTasks", "N"),
    (["--sync-tasks"], "syncTasks", "Y"),
    (["--show-completed-tasks"], "showCompletedTasks", "Y"),
    (["--send-from-email", "ann@example.com"], "sendFromEmail", "ann@example.com"),
    (["--sync-period-past", "6"], "syncPeriodPast", "6"),
    (["--sync-period-future", "24"], "syncPeriodFuture", "24"),
    (["--reminder-with-time", "30m"], "defaultReminders",
     {"withTime": [{"type": "min", "count": 30}], "fullDay": [{"type": "min", "count": 15}]}),
    (["--reminder-full-day", "1d", "--reminder-full-day", "2h"], "defaultReminders",
     {"withTime": [{"type": "min", "count": 15}],
      "fullDay": [{"type": "day", "count": 1}, {"type": "hour", "count": 2}]}),
    (["--reminder-with-time", "none"], "defaultReminders",
     {"withTime": [], "fullDay": [{"type": "min", "count": 15}]}),
])
def test_set_changes_the_key_of_each_flag_and_keeps_the_rest(
        portal: Portal, capsys: pytest.CaptureFixture[str], flags: list[str], key: str,
        expected: Any) -> None:
    before = current(portal)
    code, out, _ = settings_set(portal, capsys, *flags)
    after = current(portal)
    assert code == 0
    assert out.startswith(f"{key}: ")
    assert after[key] == expected
    assert {k: v for k, v in after.items() if k != key} == {
        k: v for k, v in before.items() if k != key}


@pytest.mark.parametrize(("flag", "key"), [
    ("--meet-section", "meetSection"), ("--crm-section", "crmSection"),
    ("--last-used-section", "lastUsedSection"),
])
def test_set_a_section_key_to_an_existing_section(
        portal: Portal, capsys: pytest.CaptureFixture[str], flag: str, key: str) -> None:
    section_id = new_section(portal)
    code, _, _ = settings_set(portal, capsys, flag, section_id)
    assert code == 0
    assert current(portal)[key] == section_id


def test_last_used_section_none_is_the_portals_false(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    settings_set(portal, capsys, "--last-used-section", new_section(portal))
    code, _, _ = settings_set(portal, capsys, "--last-used-section", "none")
    assert code == 0
    assert current(portal)["lastUsedSection"] == "false"


def test_empty_send_from_email_clears_it(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    settings_set(portal, capsys, "--send-from-email", "ann@example.com")
    settings_set(portal, capsys, "--send-from-email", "")
    assert current(portal)["sendFromEmail"] == ""


def test_default_sections_of_user_and_group_calendars(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    mine, group = new_section(portal), new_section(portal, "group", 36)
    code, _, _ = settings_set(portal, capsys, "--default-section", f"user1={mine}",
                              "--default-section", f"group36={group}")
    assert code == 0
    assert current(portal)["defaultSections"] == {"user1": mine, "group36": group}


# --- merge --------------------------------------------------------------------------------


def test_keys_set_earlier_survive_a_later_set_of_other_keys(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    settings_set(portal, capsys, "--view", "day", "--show-week-numbers",
                 "--sync-period-future", "6")
    settings_set(portal, capsys, "--reminder-full-day", "1d")
    after = current(portal)
    assert (after["view"], after["showWeekNumbers"], after["syncPeriodFuture"]) == (
        "day", "Y", "6")


def test_default_sections_are_added_entry_by_entry(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    mine, group = new_section(portal), new_section(portal, "group", 5)
    settings_set(portal, capsys, "--default-section", f"user1={mine}")
    settings_set(portal, capsys, "--default-section", f"group5={group}")
    assert current(portal)["defaultSections"] == {"user1": mine, "group5": group}


def test_set_that_changes_nothing_sends_no_set(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    before = portal.counters().requests
    code, out, _ = settings_set(portal, capsys, "--view", "month")
    assert (code, out) == (0, "settings unchanged\n")
    assert portal.counters().requests == before + 1


def test_dry_run_prints_the_whole_call_and_sends_nothing(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    before = current(portal)
    code, out, _ = settings_set(portal, capsys, "--view", "list", "--dry-run")
    call = json.loads(out)
    expected = {k: v for k, v in before.items() if k not in (
        "timezoneName", "timezoneOffsetUTC", "timezoneDefaultName", "work_time_start",
        "work_time_end")}
    assert code == 0
    assert call == {"method": "calendar.user.settings.set",
                    "params": {"settings": {**expected, "view": "list"}}}
    assert current(portal) == before


# --- validation: refused before anything is sent -------------------------------------------


@pytest.mark.parametrize(("flags", "message"), [
    ([], "nothing to set"),
    (["--view", "year"], "'year' is not one of"),
    (["--meet-section", "four"], "'four' is not a valid integer"),
    (["--meet-section", "0"], "--meet-section must be a section id"),
    (["--crm-section", "-3"], "--crm-section must be a section id"),
    (["--last-used-section", "abc"], "--last-used-section 'abc': give a section id or none"),
    (["--sync-period-past", "-1"], "--sync-period-past must be a number of months"),
    (["--sync-period-future", "soon"], "'soon' is not a valid integer"),
    (["--send-from-email", "ann at example.com"], "is not an e-mail address"),
    (["--default-section", "user1"], "give userID=SECTION or groupID=SECTION"),
    (["--default-section", "team1=4"], "give userID=SECTION or groupID=SECTION"),
    (["--reminder-with-time", "3w"], "give a count and a unit"),
    (["--reminder-full-day", "-1d"], "give a count and a unit"),
    (["--show-declined", "yes"], "Got unexpected extra argument (yes)"),
])
def test_invalid_values_are_refused_without_a_request(
        portal: Portal, capsys: pytest.CaptureFixture[str], flags: list[str],
        message: str) -> None:
    code, _, err = settings_set(portal, capsys, *flags)
    assert code == 2
    assert message in err
    assert portal.counters().requests == 0


@pytest.mark.parametrize(("flags", "message"), [
    (["--meet-section", "999"], "--meet-section: section 999 does not exist in the user "
                                "calendar 1"),
    (["--crm-section", "999"], "--crm-section: section 999 does not exist"),
    (["--last-used-section", "999"], "--last-used-section: section 999 does not exist"),
    (["--default-section", "user1=999"], "--default-section user1: section 999 does not "
                                         "exist in the user calendar 1"),
    (["--default-section", "group5=1"], "--default-section group5: section 1 does not exist "
                                        "in the group calendar 5"),
])
def test_section_ids_that_do_not_exist_are_refused_before_the_set(
        portal: Portal, capsys: pytest.CaptureFixture[str], flags: list[str],
        message: str) -> None:
    before = current(portal)
    code, _, err = settings_set(portal, capsys, "--view", "week", *flags)
    assert code == 2
    assert message in err
    assert current(portal) == before


def test_refused_credentials_are_one_line_with_the_portals_description_and_exit_2(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    webhook = f"{portal.base_url}/rest/1/wrongtoken42/"
    code, _, err = run_on(portal, capsys, "settings", "set", "--view", "week", webhook=webhook)
    assert code == 2
    assert err.count("\n") == 1 and "NO_AUTH_FOUND: Wrong authorization data" in err
    assert "wrongtoken42" not in err


# --- --from-ics ---------------------------------------------------------------------------


def test_from_ics_takes_apples_default_alarms_for_both_kinds(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = settings_set(portal, capsys, "--from-ics",
                                str(SAMPLES / "icloud-export.ics"))
    assert code == 0
    assert current(portal)["defaultReminders"] == {
        "withTime": [{"type": "hour", "count": 1}], "fullDay": [{"type": "hour", "count": 15}]}
    assert ("ics2b24: defaultReminders.withTime = 1h, from Apple's default alarm "
            "(X-APPLE-DEFAULT-ALARM) of timed events, set on 1 of the 1 timed events\n") in err


def test_from_ics_says_a_guess_is_the_most_common_alarm(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = settings_set(portal, capsys, "--from-ics",
                                str(SAMPLES / "google-export.ics"))
    assert code == 0
    assert current(portal)["defaultReminders"] == {
        "withTime": [{"type": "min", "count": 10}], "fullDay": [{"type": "min", "count": 15}]}
    assert "from the most common alarm of timed events" in err
    assert "defaultReminders.fullDay: the file has no such alarm; unchanged" in err


def test_from_ics_with_dry_run_only_proposes(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    before = current(portal)
    code, out, _ = settings_set(portal, capsys, "--from-ics", str(SAMPLES / "all-day.ics"),
                                "--dry-run")
    sent = json.loads(out)["params"]["settings"]["defaultReminders"]
    assert code == 0
    assert sent["fullDay"] == [{"type": "day", "count": 1}]
    assert current(portal) == before


def test_from_ics_without_alarms_has_nothing_to_set(
        portal: Portal, capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = settings_set(portal, capsys, "--from-ics", str(SAMPLES / "attendees.ics"))
    assert code == 2
    assert "nothing to set" in err


def test_from_a_missing_ics_is_exit_65(
        portal: Portal, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = settings_set(portal, capsys, "--from-ics", str(tmp_path / "gone.ics"))
    assert code == 65
    assert err.count("\n") == 1 and "gone.ics" in err
