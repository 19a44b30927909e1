"""Flags that cannot mean anything are refused before anything is written, in one line that
says what is wrong (exit 2; a user map the JSON reader cannot take is input, exit 65)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from tests.helpers import Cli, portal_rows, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


def push(cli: Cli, portal: Portal, tmp_path: Path, *args: str) -> tuple[int, str]:
    source = write(tmp_path / "one.ics", ONE)
    code, _, err = cli("push", str(source), "--webhook", portal.webhook_url, "--type", "user",
                       "--state", str(tmp_path / "state.sqlite3"), *args)
    return code, err


@pytest.mark.parametrize("name", ["", "   "])
def test_an_empty_section_name_is_one_line_and_exit_2(
        portal: Portal, cli: Cli, tmp_path: Path, name: str) -> None:
    code, err = push(cli, portal, tmp_path, "--section-name", name)
    assert code == 2
    assert "--section-name must not be empty" in one_line(err)
    assert portal.counters().requests == 0


def test_no_attendees_with_invite_attendees_is_one_line_and_exit_2(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    code, err = push(cli, portal, tmp_path, "--section", "1", "--no-attendees",
                     "--invite-attendees")
    assert code == 2
    assert "--no-attendees and --invite-attendees" in one_line(err)
    assert portal_rows(portal) == []


def test_a_json_array_user_map_is_one_line_naming_the_object_it_expects(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    users = tmp_path / "users.json"
    users.write_text(json.dumps([{"email": "ann@example.com", "user_id": 2}]))
    code, err = push(cli, portal, tmp_path, "--section", "1", "--user-map", str(users))
    assert code == 65
    assert one_line(err) == (f"ics2b24: {users}: expected a JSON object {{email: user_id}}, "
                             "not an array\n")


@pytest.mark.parametrize(("rate", "said"), [
    ("1/0.5", "the burst X must be at least 1"), ("0/5", "Y must be a positive number"),
    ("inf/5", "Y must be a positive number"), ("2/nan", "the burst X must be at least 1"),
    ("2", "must be Y/X"),
])
def test_a_malformed_push_rate_is_one_line_and_exit_2(
        portal: Portal, cli: Cli, tmp_path: Path, rate: str, said: str) -> None:
    code, err = push(cli, portal, tmp_path, "--section", "1", "--rate", rate)
    assert code == 2
    assert said in one_line(err) and repr(rate) in err
    assert portal.counters().requests == 0


@pytest.mark.parametrize(("rate", "said"), [
    ("1/0.5", "the burst X must be at least 1"), ("nan/5", "with positive numbers"),
    ("inf/5", "with positive numbers"), ("x", "with positive numbers"),
])
def test_a_malformed_portal_rate_is_one_line_and_exit_2(rate: str, said: str) -> None:
    done = subprocess.run([sys.executable, "-m", "ics2b24", "portal", "serve", "--port", "0",
                           "--rate", rate], capture_output=True, text=True, timeout=30,
                          check=False)
    assert done.returncode == 2
    assert done.stdout == ""
    assert said in one_line(done.stderr) and repr(rate) in done.stderr
