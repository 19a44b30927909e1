"""The sync commands' contract at the command line: exit codes, --json, stdin,
--prune and its guard, STATUS:CANCELLED, the reject file, one run per state DB, secrets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import icalendar
import pytest

from ics2b24.portal.server import Portal
from ics2b24.store.state import StateDB
from tests.helpers import (
    Cli,
    MethodLog,
    closed_port,
    portal_rows,
    run_on_a_terminal,
    sample_files,
    spy_on,
    target_args,
    vcalendar,
    vevent,
    write,
)


@pytest.fixture
def state(tmp_path: Path) -> Path:
    return tmp_path / "state" / "state.sqlite3"


@pytest.fixture
def spy(portal: Portal) -> MethodLog:
    return spy_on(portal)


ONE = vevent("one@test", "20250303T090000", "One")
TWO = vevent("two@test", "20250304T090000", "Two")
THREE = vevent("three@test", "20250305T090000", "Three")
FOUR = vevent("four@test", "20250306T090000", "Four")


def names(portal: Portal) -> set[str]:
    return {row["NAME"] for row in portal_rows(portal)}


def add_foreign(portal: Portal, name: str) -> int:
    return int(portal.api.call(portal.first_user, "calendar.event.add", {
        "type": "user", "ownerId": 1, "section": 1, "name": name,
        "from": "2025-03-04T12:00:00", "to": "2025-03-04T13:00:00",
        "timezone_from": "Europe/Berlin", "timezone_to": "Europe/Berlin"}))


def test_second_run_on_a_locked_state_db_exits_3(portal: Portal, state: Path, cli: Cli,
                                                 tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    with StateDB.open(state):
        code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 3
    assert "another ics2b24 run" in err
    assert portal_rows(portal) == []


def test_prune_deletes_only_events_the_tool_created(portal: Portal, state: Path, cli: Cli,
                                                    tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE, TWO, THREE, FOUR))
    cli("push", str(source), *target_args(portal, state))
    add_foreign(portal, "Someone else's")
    write(source, vcalendar(ONE, TWO, THREE))
    code, _, err = cli("push", str(source), *target_args(portal, state), "--prune")
    assert code == 0, err
    assert names(portal) == {"One", "Two", "Three", "Someone else's"}


def test_without_prune_an_event_removed_from_the_input_stays(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE, TWO))
    cli("push", str(source), *target_args(portal, state))
    write(source, vcalendar(ONE))
    cli("push", str(source), *target_args(portal, state))
    assert names(portal) == {"One", "Two"}


def test_prune_refuses_to_delete_more_than_half_without_force_delete(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE, TWO, THREE, FOUR))
    cli("push", str(source), *target_args(portal, state))
    write(source, vcalendar(ONE))
    code, _, err = cli("push", str(source), *target_args(portal, state), "--prune")
    assert code == 3
    assert "--force-delete" in err
    assert names(portal) == {"One", "Two", "Three", "Four"}
    code, _, err = cli("push", str(source), *target_args(portal, state), "--prune",
                       "--force-delete")
    assert code == 0, err
    assert names(portal) == {"One"}


def test_prune_refuses_to_empty_the_target(portal: Portal, state: Path, cli: Cli,
                                           tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    cli("push", str(source), *target_args(portal, state))
    write(source, vcalendar(vevent("other@test", "20250310T090000", "Other")))
    code, _, _ = cli("push", str(source), *target_args(portal, state), "--prune")
    assert code == 3
    assert names(portal) == {"One"}


def test_cancelled_event_is_deleted_without_prune(portal: Portal, state: Path, cli: Cli,
                                                  tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE, TWO))
    cli("push", str(source), *target_args(portal, state))
    cancelled = TWO.replace("SUMMARY:Two\n", "SUMMARY:Two\nSTATUS:CANCELLED\nSEQUENCE:1\n")
    write(source, vcalendar(ONE, cancelled))
    code, out, err = cli("push", str(source), *target_args(portal, state), "--json")
    assert code == 0, err
    assert json.loads(out)["deleted"] == 1
    assert names(portal) == {"One"}


def test_cancelled_event_the_tool_did_not_create_is_left_alone(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    add_foreign(portal, "Two")
    cancelled = TWO.replace("SUMMARY:Two\n", "SUMMARY:Two\nSTATUS:CANCELLED\n")
    source = write(tmp_path / "a.ics", vcalendar(ONE, cancelled))
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert names(portal) == {"One", "Two"}


def test_push_json_is_one_summary_object(portal: Portal, state: Path, cli: Cli) -> None:
    code, out, _ = cli("push", *sample_files(), *target_args(portal, state), "--json")
    assert code == 0
    summary = json.loads(out)
    assert set(summary) >= {"added", "updated", "deleted", "unchanged", "failed",
                            "requests", "seconds"}
    assert summary["failed"] == 0 and summary["added"] > 0


def test_plan_json_lines_name_the_write_calls(portal: Portal, state: Path, cli: Cli,
                                              tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    code, out, _ = cli("plan", str(source), *target_args(portal, state), "--json")
    assert code == 0
    (line,) = [json.loads(text) for text in out.splitlines()]
    assert set(line) == {"op", "uid", "recurrence_id", "event_id", "method",
                         "recurrence_mode", "params"}
    assert (line["op"], line["uid"], line["method"]) == ("add", "one@test",
                                                         "calendar.event.add")
    assert line["params"]["from"] == "2025-03-03T09:00:00"


def test_dry_run_is_plan(portal: Portal, spy: MethodLog, state: Path, cli: Cli) -> None:
    plan = cli("plan", *sample_files(), *target_args(portal, state), "--json")
    dry = cli("push", *sample_files(), *target_args(portal, state), "--json", "--dry-run")
    assert plan == dry
    assert spy.writes() == Counter()


def test_plan_table_lists_each_change(portal: Portal, state: Path, cli: Cli,
                                      tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE, TWO))
    code, out, _ = cli("plan", str(source), *target_args(portal, state))
    assert code == 0
    assert "one@test" in out and "two@test" in out
    assert "2 write call(s)" in out


def test_unreadable_input_exits_65(portal: Portal, state: Path, cli: Cli) -> None:
    code, _, err = cli("push", "/nonexistent.ics", *target_args(portal, state))
    assert code == 65
    assert "Traceback" not in err


def test_missing_section_choice_exits_2(portal: Portal, state: Path, cli: Cli,
                                       tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    args = target_args(portal, state)
    args.remove("--section")
    args.remove("1")
    code, _, _ = cli("push", str(source), *args)
    assert code == 2


def test_section_name_is_created_and_used(portal: Portal, state: Path, cli: Cli,
                                          tmp_path: Path) -> None:
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    args = target_args(portal, state)
    args[args.index("--section"):args.index("--section") + 2] = ["--section-name", "Imported"]
    code, _, err = cli("push", str(source), *args)
    assert code == 0, err
    sections = portal.api.call(portal.first_user, "calendar.section.get",
                               {"type": "user", "ownerId": 1})
    imported = [s for s in sections if s["NAME"] == "Imported"]
    assert len(imported) == 1
    assert [r["SECTION_ID"] for r in portal_rows(portal)] == [imported[0]["ID"]]
    code, out, _ = cli("plan", str(source), *args, "--json")
    assert (code, out) == (0, "")


REFUSED = (
    "BEGIN:VEVENT\nUID:zones@test\nDTSTAMP:20250101T000000Z\n"
    "DTSTART;TZID=Europe/Berlin:20250303T100000\n"
    "DTEND;TZID=America/New_York:20250303T050000\nSUMMARY:Across zones\nEND:VEVENT\n"
)


def test_refused_event_exits_1_after_the_rest_is_done_and_goes_to_the_reject_file(
        portal: Portal, state: Path, cli: Cli, tmp_path: Path) -> None:
    """The portal compares wall clocks across zones and refuses this (valid) event."""
    source = write(tmp_path / "a.ics", vcalendar(ONE, REFUSED))
    rejects = tmp_path / "rejects.ics"
    code, _, err = cli("push", str(source), *target_args(portal, state),
                       "--reject-file", str(rejects))
    assert code == 1
    assert "refused" in err
    assert names(portal) == {"One"}
    calendar = icalendar.Calendar.from_ical(rejects.read_bytes())
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "zones@test"
    assert "error occurred" in str(event["X-ICS2B24-ERROR"]).lower()


def test_push_from_stdin(portal: Portal, state: Path, tmp_path: Path) -> None:
    data = vcalendar(ONE, TWO).replace("\n", "\r\n").encode()
    result = subprocess.run(
        [sys.executable, "-m", "ics2b24", "push", "-", *target_args(portal, state), "--json"],
        input=data, capture_output=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["added"] == 2
    assert names(portal) == {"One", "Two"}


def test_no_secret_in_output_logs_errors_or_files(portal: Portal, tmp_path: Path) -> None:
    token = portal.first_user.webhook_token
    state_db = tmp_path / "state.sqlite3"
    rejects = tmp_path / "rejects.ics"
    source = write(tmp_path / "a.ics", vcalendar(ONE, REFUSED))
    env = {**os.environ, "B24_WEBHOOK": portal.webhook_url}
    args = ["--type", "user", "--owner", "1", "--section", "1", "--state", str(state_db)]
    outputs = []
    for command in (["-v", "push", str(source), *args, "--reject-file", str(rejects)],
                    ["-v", "plan", str(source), *args, "--json"],
                    ["-v", "push", str(source), *args, "--json", "--section", "999"],
                    ["-v", "undo", *args, "--yes"]):
        result = subprocess.run([sys.executable, "-m", "ics2b24", *command], env=env,
                                capture_output=True, timeout=60)
        outputs += [result.stdout, result.stderr]
    assert any(b"refused" in out for out in outputs)
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file()]
    assert len(files) >= 3
    for blob in outputs + files:
        assert token.encode() not in blob


def test_push_reads_a_file_with_space_indented_lines_before_begin_vcalendar(
        portal: Portal, state: Path, tmp_path: Path, cli: Cli) -> None:
    source = write(tmp_path / "pasted.ics", "\n   \n  " + vcalendar(ONE))
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert names(portal) == {"One"}


def test_push_section_from_ics_with_a_zip_of_several_calendars_is_refused_with_exit_2(
        portal: Portal, state: Path, tmp_path: Path, cli: Cli, spy: MethodLog) -> None:
    export = tmp_path / "export.zip"
    with zipfile.ZipFile(export, "w") as archive:
        archive.writestr("work.ics", vcalendar(ONE))
        archive.writestr("home.ics", vcalendar(TWO))
    code, out, err = cli("push", str(export), *target_args(portal, state),
                         "--section-from-ics")
    assert (code, out) == (2, "")
    assert err.strip().splitlines() == [
        f"ics2b24: --section-from-ics: {export} holds 2 calendars; name one .ics file"]
    assert spy.calls == []


def test_a_login_in_the_webhook_url_is_never_echoed_nor_kept(
        portal: Portal, tmp_path: Path) -> None:
    """`https://user:password@PORTAL/rest/…` in every command that prints an address, on
    success and on failure (a closed port), with -v: neither part of the login, nor any part
    of the token, in what any of them prints or in any file written."""
    token = portal.first_user.webhook_token
    login = "someone:pa55w0rd@"
    webhook = portal.webhook_url.replace("http://", f"http://{login}")
    closed = webhook.replace(f":{portal.port}/", f":{closed_port()}/")
    source = write(tmp_path / "a.ics", vcalendar(ONE, REFUSED))
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    target = ["--type", "user", "--owner", "1", "--section", "1",
              "--state", str(tmp_path / "state.sqlite3")]
    outputs = []
    for command in (["push", str(source), *target, "--reject-file", str(tmp_path / "r.ics")],
                    ["plan", str(source), *target, "--json"],
                    ["verify", str(source), *target], ["undo", *target, "--yes"],
                    ["section", "list", "--type", "user"], ["doctor"],
                    ["push", str(source), "--type", "user", "--section-name", "x"]):
        for address in (webhook, closed):
            result = subprocess.run([sys.executable, "-m", "ics2b24", "-v", *command,
                                     "--webhook", address], env=env, capture_output=True,
                                    timeout=60)
            outputs += [result.stdout, result.stderr]
    assert any(b"cannot reach" in out for out in outputs)
    files = [p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p != source]
    assert len(files) >= 3
    for blob in outputs + files:
        for secret in ("someone", "pa55w0rd", token[:6], token[-6:]):
            assert secret.encode() not in blob, (secret, blob[:300])


TWO_USERS = {"users": [{"id": 1, "name": "Ann"}, {"id": 2, "name": "Bob"}]}
"""Neither an administrator: an administrator may write every user's calendar."""
WEEKLY = vevent("weekly@test", "20250303T090000", "Weekly", "RRULE:FREQ=WEEKLY;COUNT=3")


@pytest.mark.parametrize(("events", "where"), [
    ((ONE, TWO), ["--section", "2"]),
    ((WEEKLY,), ["--section", "2"]),
])
def test_push_to_a_calendar_the_portal_refuses_access_to_exits_2_with_nothing_written(
        make_portal: Callable[..., Portal], tmp_path: Path, cli: Cli,
        events: tuple[str, ...], where: list[str]) -> None:
    """User 1 may read user 2's calendar but not write it: the probe of the portal's
    calendar code (a series) or the events themselves are refused."""
    portal = make_portal(users=TWO_USERS)
    source = write(tmp_path / "a.ics", vcalendar(*events))
    code, _, err = cli("push", str(source), "--webhook", portal.webhook_url, "--type", "user",
                       "--owner", "2", *where, "--state", str(tmp_path / "state.sqlite3"))
    assert code == 2, err
    assert ("the portal refused access to the user calendar 2 (Access denied): nothing was "
            "written") in err.splitlines()[-1]
    assert portal_rows(portal, owner=2) == []
    assert not [s for owner in (1, 2) for s in portal.store.sections("user", owner)
                if s["name"].startswith("ics2b24 probe")]


def test_push_to_a_new_section_in_another_users_calendar_without_admin_adds_no_section(
        make_portal: Callable[..., Portal], tmp_path: Path, cli: Cli) -> None:
    """The current portal adds the section for anyone and then refuses its events: an empty
    section left in a colleague's calendar, so push asks `user.admin` first."""
    portal = make_portal(users=TWO_USERS)
    source = write(tmp_path / "a.ics", vcalendar(ONE))
    code, _, err = cli("push", str(source), "--webhook", portal.webhook_url, "--type", "user",
                       "--owner", "2", "--section-name", "Imported",
                       "--state", str(tmp_path / "state.sqlite3"))
    assert code == 2, err
    assert "needs an administrator's credentials" in err and "nothing was written" in err
    assert "Imported" not in {s["name"] for s in portal.store.sections("user", 2)}


FLOATING = vcalendar("BEGIN:VEVENT\nUID:floating@test\nDTSTAMP:20250101T000000Z\n"
                     "DTSTART:20250310T090000\nDTEND:20250310T100000\nSUMMARY:Floating\n"
                     "END:VEVENT\n")


def test_floating_times_default_to_the_portal_users_zone_with_a_warning_naming_it(
        portal: Portal, state: Path, tmp_path: Path, cli: Cli) -> None:
    source = write(tmp_path / "floating.ics", FLOATING)
    code, _, err = cli("push", str(source), *target_args(portal, state))
    zone = portal.first_user.time_zone
    assert code == 0, err
    assert [row["TZ_FROM"] for row in portal_rows(portal)] == [zone]
    assert f"  {source}:4: UID floating@test: floating times (without a zone) taken in {zone} " \
           "(the portal user's zone; --tz ZONE sets another)\n" in err


@pytest.mark.parametrize(("header", "flags", "zone"), [
    ("X-WR-TIMEZONE:America/New_York\n", [], "America/New_York"),
    ("", ["--tz", "Asia/Tokyo"], "Asia/Tokyo")], ids=["X-WR-TIMEZONE", "--tz"])
def test_convert_plan_and_push_read_floating_times_in_one_zone(
        portal: Portal, state: Path, tmp_path: Path, cli: Cli, header: str, flags: list[str],
        zone: str) -> None:
    source = write(tmp_path / "floating.ics", FLOATING.replace(
        "VERSION:2.0\n", f"VERSION:2.0\n{header}"))
    code, converted, err = cli("convert", str(source), *flags)
    assert code == 0, err
    code, planned, err = cli("plan", str(source), *target_args(portal, state), "--json", *flags)
    assert code == 0, err
    code, _, err = cli("push", str(source), *target_args(portal, state), *flags)
    assert code == 0, err
    assert json.loads(converted)["params"]["timezone_from"] == zone
    assert json.loads(planned)["params"]["timezone_from"] == zone
    assert [row["TZ_FROM"] for row in portal_rows(portal)] == [zone]


def test_explicit_tz_wins_over_the_portal_users_zone(
        portal: Portal, state: Path, tmp_path: Path, cli: Cli) -> None:
    source = write(tmp_path / "floating.ics", FLOATING)
    assert portal.first_user.time_zone != "America/New_York"
    code, _, err = cli("push", str(source), *target_args(portal, state),
                       "--tz", "America/New_York")
    assert code == 0, err
    assert [row["TZ_FROM"] for row in portal_rows(portal)] == ["America/New_York"]


def test_push_over_oauth_refreshes_an_expired_token_and_keeps_the_new_pair(
        portal: Portal, tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials from the B24_* variables, an access token that has already expired, the
    portal as the OAuth server: the push refreshes once, succeeds, and the renewed pair
    lands in the 0600 token file — and no token appears in the output."""
    grant = portal.mint_tokens(ttl=-1)
    for name, value in (("B24_PORTAL", portal.base_url), ("B24_ACCESS_TOKEN", grant.access_token),
                        ("B24_REFRESH_TOKEN", grant.refresh_token),
                        ("B24_CLIENT_ID", grant.client_id),
                        ("B24_CLIENT_SECRET", grant.client_secret)):
        monkeypatch.setenv(name, value)
    token_file = tmp_path / "tokens.json"
    source = write(tmp_path / "one.ics", vcalendar(ONE))
    code, out, err = cli("push", str(source), "--oauth-server", portal.base_url,
                         "--token-file", str(token_file), "--type", "user", "--owner", "1",
                         "--section", "1", "--state", str(tmp_path / "state.sqlite3"))
    assert code == 0, err
    assert names(portal) == {"One"}
    kept = json.loads(token_file.read_text())
    assert kept["refresh_token"] != grant.refresh_token
    assert oct(token_file.stat().st_mode & 0o777) == "0o600"
    for secret in (grant.access_token, grant.refresh_token, grant.client_secret,
                   kept["access_token"], kept["refresh_token"]):
        assert secret not in out + err
    code, _, err = cli("push", str(source), "--oauth-server", portal.base_url,
                       "--token-file", str(token_file), "--type", "user", "--owner", "1",
                       "--section", "1", "--state", str(tmp_path / "state.sqlite3"))
    assert code == 0, err


def _push_on_a_terminal(portal: Portal, tmp_path: Path, *extra: str) -> str:
    """Run `push` with stderr on a pseudo-terminal, as a user at a terminal sees it."""
    source = write(tmp_path / "many.ics", vcalendar(
        *(vevent(f"tty{i}@test", f"202505{1 + i % 28:02d}T090000", f"Event {i}")
          for i in range(120))))
    code, screen = run_on_a_terminal([*extra, "push", str(source), *target_args(
        portal, tmp_path / "state.sqlite3")])
    assert code == 0, screen
    return screen


def test_progress_bar_is_shown_on_a_terminal(portal: Portal, tmp_path: Path) -> None:
    screen = _push_on_a_terminal(portal, tmp_path)
    assert "pushing" in screen
    assert "100%" in screen
    assert "120 added" in screen


def test_quiet_push_shows_no_progress_bar(portal: Portal, tmp_path: Path) -> None:
    screen = _push_on_a_terminal(portal, tmp_path, "-q")
    assert "pushing" not in screen
