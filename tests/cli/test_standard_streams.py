"""Whatever the shell gives as standard streams, a run does its work and ends with its
documented code: a closed stdout (`>&-`) is output that cannot be written (exit 74, one line
on stderr), a closed stderr (`2>&-`) a quiet run, a closed stdin (`<&-`) no input to read
(exit 65) and no terminal to ask, and an encoding that cannot write every character
(`PYTHONIOENCODING=ascii`) still gets all of the output, JSON kept valid. The CLI runs in a
subprocess, as the shell starts it."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from pathlib import Path

from ics2b24.portal.server import Portal
from tests.helpers import portal_rows, target_args, vcalendar, vevent, write

PARTY = vcalendar(vevent("party@test", "20250303T090000", "Party 🎉 café"))


def in_shell(args: list[str], redirect: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`python -m ics2b24 ARGS REDIRECT` run by sh, so `>&-` really closes the stream."""
    line = " ".join(shlex.quote(arg) for arg in [sys.executable, "-m", "ics2b24", *args])
    return subprocess.run(["sh", "-c", f"{line} {redirect}"], capture_output=True, text=True,
                          timeout=60, check=False, env={**os.environ, **env})


def push_args(portal: Portal, tmp_path: Path) -> list[str]:
    source = write(tmp_path / "party.ics", PARTY)
    return ["push", str(source), *target_args(portal, tmp_path / "state.sqlite3")]


def test_convert_with_stdout_closed_is_one_line_and_exit_74(tmp_path: Path) -> None:
    source = write(tmp_path / "party.ics", PARTY)
    done = in_shell(["convert", str(source)], ">&-")
    assert done.returncode == 74
    assert done.stderr == "ics2b24: cannot write the output: standard output is closed\n"


def test_push_json_with_stdout_closed_pushes_then_exits_74(
        portal: Portal, tmp_path: Path) -> None:
    done = in_shell([*push_args(portal, tmp_path), "--json"], ">&-")
    assert done.returncode == 74
    assert done.stderr == "ics2b24: cannot write the output: standard output is closed\n"
    assert [row["NAME"] for row in portal_rows(portal)] == ["Party 🎉 café"]


def test_push_with_stderr_closed_pushes_and_exits_0(portal: Portal, tmp_path: Path) -> None:
    done = in_shell(push_args(portal, tmp_path), "2>&-")
    assert done.returncode == 0
    assert [row["NAME"] for row in portal_rows(portal)] == ["Party 🎉 café"]
    again = in_shell(push_args(portal, tmp_path), "")
    assert again.returncode == 0
    assert "0 added, 0 updated, 0 deleted, 1 unchanged" in again.stderr



def test_reading_a_closed_stdin_is_one_line_and_exit_65() -> None:
    done = in_shell(["convert", "-"], "<&-")
    assert (done.returncode, done.stderr) == (
        65, "ics2b24: <stdin>: standard input is closed: nothing to read\n")


def test_undo_with_stdin_closed_has_no_terminal_to_ask_and_deletes_nothing(
        portal: Portal, tmp_path: Path) -> None:
    assert in_shell(push_args(portal, tmp_path), "").returncode == 0
    undo = ["undo", *target_args(portal, tmp_path / "state.sqlite3")]
    done = in_shell(undo, "<&-")
    assert done.returncode == 2
    assert done.stderr.startswith("ics2b24: undo would delete 1 event(s)")
    assert done.stderr.count("\n") == 1
    assert [row["NAME"] for row in portal_rows(portal)] == ["Party 🎉 café"]


def test_convert_to_an_ascii_only_stdout_writes_valid_json(tmp_path: Path) -> None:
    source = write(tmp_path / "party.ics", PARTY)
    done = in_shell(["convert", str(source)], "", PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert done.stdout.isascii()
    assert json.loads(done.stdout)["params"]["name"] == "Party 🎉 café"


def test_plan_to_ascii_only_streams_says_everything(portal: Portal, tmp_path: Path) -> None:
    source = write(tmp_path / "party.ics", PARTY)
    done = in_shell(["plan", str(source), "--webhook", portal.webhook_url, "--type", "user",
                     "--section-name", "Fête 🎉", "--state", str(tmp_path / "state.sqlite3")],
                    "", PYTHONIOENCODING="ascii")
    assert done.returncode == 0, done.stderr
    assert "no section is named 'F\\xeate \\U0001f389' yet: push creates it" in done.stderr
    assert "add  new    party@test" in done.stdout
