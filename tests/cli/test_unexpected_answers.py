"""An answer of a shape no Bitrix24 portal gives, to any read the tool makes, is one line
naming the method and what came instead, with exit 1 (the portal failed the work), before
anything is written: read as "nothing", a list that is not one would make push add every
event again. The CLI runs as a user runs it, in a subprocess; the odd answers come from
the test portal with one method answered otherwise, or from a loopback server that answers
every call alike."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from ics2b24.portal.hooks import Call
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from tests.helpers import WRITES, target_args, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))
SHAPES = ["surprise", 5, None, {"a": 1}, [1, 2]]


def ics2b24(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "ics2b24", *args], capture_output=True,
                          text=True, timeout=60, check=False)


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, done.stderr
    return done.stderr


class _Surprise(BaseHTTPRequestHandler):
    """Answers every call with the JSON object in the server's `answer`."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = json.dumps(self.server.answer).encode()  # type: ignore[attr-defined]
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def surprise() -> Iterator[str]:
    """The webhook of a loopback server answering `{"result": "surprise"}` to every call."""
    server = HTTPServer(("127.0.0.1", 0), _Surprise)
    server.answer = {"result": "surprise"}  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/rest/1/s3cr3ttoken/"
    server.shutdown()
    server.server_close()


def answering(portal: Portal, method: str, shape: Any) -> list[str]:
    """The portal runs every call, and answers `method` with `shape` instead; the list
    returned fills with the writes it ran."""
    writes: list[str] = []

    def odd(call_next: Call, user: User, called: str, params: Any) -> Any:
        result = call_next(user, called, params)
        if called in WRITES:
            writes.append(called)
        return shape if called == method else result

    portal.api.hook(odd)
    return writes


@pytest.mark.parametrize("command", [
    ["section", "list", "--type", "user"],
    ["section", "add", "--type", "user", "--name", "New"],
    ["settings", "get"],
    ["push", "{source}", "--type", "user", "--section", "1", "--state", "{state}"],
    ["push", "{source}", "--type", "user", "--section-name", "New", "--state", "{state}"],
    ["verify", "{source}", "--type", "user", "--section", "1"],
    ["doctor", "--type", "user"],
])
def test_a_json_endpoint_answering_surprise_is_one_line_and_exit_1(
        surprise: str, tmp_path: Path, command: list[str]) -> None:
    source = write(tmp_path / "one.ics", ONE)
    args = [arg.format(source=source, state=tmp_path / "state.sqlite3") for arg in command]
    done = ics2b24(*args, "--webhook", surprise)
    assert done.returncode == 1
    assert "answered 'surprise' instead of" in one_line(done)
    assert "s3cr3ttoken" not in done.stderr


@pytest.mark.parametrize("shape", SHAPES)
def test_a_section_list_answered_in_an_unexpected_shape_is_one_line_and_exit_1(
        portal: Portal, shape: Any) -> None:
    answering(portal, "calendar.section.get", shape)
    done = ics2b24("section", "list", "--type", "user", "--webhook", portal.webhook_url)
    assert done.returncode == 1
    assert "calendar.section.get answered" in one_line(done)


@pytest.mark.parametrize("shape", ["surprise", 5, [1, 2]])
def test_settings_answered_in_an_unexpected_shape_are_one_line_and_exit_1(
        portal: Portal, shape: Any) -> None:
    answering(portal, "calendar.user.settings.get", shape)
    done = ics2b24("settings", "get", "--webhook", portal.webhook_url)
    assert done.returncode == 1
    assert "calendar.user.settings.get answered" in one_line(done)


@pytest.mark.parametrize("shape", ["surprise", 5, [1, 2], {"a": 1}])
def test_a_user_read_answered_in_an_unexpected_shape_is_one_line_and_exit_1(
        portal: Portal, tmp_path: Path, shape: Any) -> None:
    writes = answering(portal, "user.current", shape)
    source = write(tmp_path / "one.ics", ONE)
    done = ics2b24("push", str(source), "--webhook", portal.webhook_url, "--type", "user",
                   "--section", "1", "--state", str(tmp_path / "state.sqlite3"))
    assert done.returncode == 1
    assert "user.current answered" in one_line(done)
    assert writes == []


@pytest.mark.parametrize("command", ["push", "plan", "verify"])
@pytest.mark.parametrize("shape", ["surprise", {"a": 1}, [1, 2]])
def test_an_event_read_answered_in_an_unexpected_shape_is_one_line_and_exit_1(
        portal: Portal, tmp_path: Path, command: str, shape: Any) -> None:
    writes = answering(portal, "calendar.event.get", shape)
    source = write(tmp_path / "one.ics", ONE)
    done = ics2b24(command, str(source), *target_args(portal, tmp_path / "state.sqlite3"))
    assert done.returncode == 1
    assert "calendar.event.get answered" in one_line(done)
    assert writes == []
