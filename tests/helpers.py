"""What the sync tests share: the CLI run in-process, the portal's view of the calendar,
the input's meaning as recurring-ical-events reads it, and the calendars the tests push."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
import recurring_ical_events

from ics2b24.app.traits import PROBE
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.rows import date_order, parse_event
from ics2b24.cli import main
from ics2b24.portal.hooks import Call
from ics2b24.portal.method_log import WRITES, MethodLog
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User

SAMPLES = Path(__file__).resolve().parents[1] / "samples"
BERLIN = ZoneInfo("Europe/Berlin")


def spy_on(portal: Portal) -> MethodLog:
    """The portal's method log with the one-time generation probe in its scratch section
    (ics2b24/app/traits.py) kept apart in `probed`, since the tests count what push writes to
    the user's calendar."""
    return MethodLog(portal, apart=PROBE)


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    """The CLI in-process with main()'s exit code mapping: (code, stdout, stderr)."""
    try:
        main(list(args))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out = capsys.readouterr()
    return code, out.out, out.err


def target_args(portal: Portal, state: Path) -> list[str]:
    return ["--webhook", portal.webhook_url, "--type", "user", "--owner", "1",
            "--section", "1", "--state", str(state)]


def sample_files() -> list[str]:
    return sorted(str(p) for p in SAMPLES.glob("*.ics"))


def portal_rows(portal: Portal, first: str = "2000-01-01", last: str = "2037-12-31",
                owner: int = 1) -> list[dict[str, Any]]:
    """The portal's expanded calendar (one row per occurrence), read as a user would."""
    user = portal.first_user
    rows = portal.api.call(user, "calendar.event.get",
                           {"type": "user", "ownerId": owner, "from": first, "to": last})
    return list(rows)


def portal_occurrences(portal: Portal) -> Counter[tuple[str, str]]:
    """(name, start as UTC timestamp) of every occurrence the portal shows. The start is
    the row's own DATE_FROM in its TZ_FROM (an all-day one at midnight in Berlin): a real
    portal's expanded rows all carry the series' DATE_FROM_TS_UTC."""
    out: Counter[tuple[str, str]] = Counter()
    rows = portal_rows(portal)
    order = date_order(rows)
    for row in rows:
        params = parse_event(row, order).params
        wall = datetime.fromisoformat(params.date_from)
        zone = BERLIN if params.skip_time else ZoneInfo(params.timezone_from or "UTC")
        out[(row["NAME"], str(int(wall.replace(tzinfo=zone).timestamp())))] += 1
    return out


def ics_occurrences(data: bytes, first: date, last: date) -> Counter[tuple[str, str]]:
    """What recurring-ical-events makes of the input, in the same shape; it keeps cancelled
    occurrences (with STATUS:CANCELLED), which must not exist."""
    calendar = icalendar.Calendar.from_ical(data)
    out: Counter[tuple[str, str]] = Counter()
    for event in recurring_ical_events.of(calendar).between(first, last):
        if str(event.get("STATUS", "")).upper() == "CANCELLED":
            continue
        start = event["DTSTART"].dt
        if not isinstance(start, datetime):
            start = datetime(start.year, start.month, start.day, tzinfo=BERLIN)
        out[(str(event["SUMMARY"]), str(int(start.timestamp())))] += 1
    return out


def write(path: Path, text: str) -> Path:
    path.write_text(text.replace("\n", "\r\n"), encoding="utf-8")
    return path


def vcalendar(*events: str) -> str:
    body = "".join(events)
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//test//EN\n{body}END:VCALENDAR\n"


def vevent(uid: str, start: str, summary: str, *extra: str, minutes: int = 60) -> str:
    begin = datetime.strptime(start, "%Y%m%dT%H%M%S")
    end = begin.replace(hour=begin.hour + minutes // 60, minute=begin.minute + minutes % 60)
    lines = [f"UID:{uid}", "DTSTAMP:20250101T000000Z",
             f"DTSTART;TZID=Europe/Berlin:{start}",
             f"DTEND;TZID=Europe/Berlin:{end.strftime('%Y%m%dT%H%M%S')}",
             f"SUMMARY:{summary}", *extra]
    return "BEGIN:VEVENT\n" + "".join(line + "\n" for line in lines) + "END:VEVENT\n"


Cli = Callable[..., tuple[int, str, str]]


def meeting(*, exdate: bool = True, moved: bool = True, cancelled: bool = True,
            later: bool = True) -> str:
    """A weekly standup with an EXDATE (10 March), an occurrence moved (24 March, the
    second of its part), one cancelled (31 March) and a this-and-future change (7 April);
    each can be left out, as an edited input would."""
    parts = [vevent("standup@test", "20250303T090000", "Standup", "RRULE:FREQ=WEEKLY;COUNT=10",
                    *(["EXDATE;TZID=Europe/Berlin:20250310T090000"] if exdate else []))]
    if moved:
        parts.append(
            "BEGIN:VEVENT\nUID:standup@test\nDTSTAMP:20250101T000000Z\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20250324T090000\n"
            "DTSTART;TZID=Europe/Berlin:20250325T093000\n"
            "DTEND;TZID=Europe/Berlin:20250325T103000\n"
            "SUMMARY:Standup (moved)\nEND:VEVENT\n")
    if cancelled:
        parts.append(
            "BEGIN:VEVENT\nUID:standup@test\nDTSTAMP:20250101T000000Z\n"
            "RECURRENCE-ID;TZID=Europe/Berlin:20250331T090000\nSTATUS:CANCELLED\n"
            "DTSTART;TZID=Europe/Berlin:20250331T090000\n"
            "DTEND;TZID=Europe/Berlin:20250331T100000\n"
            "SUMMARY:Standup\nEND:VEVENT\n")
    if later:
        parts.append(
            "BEGIN:VEVENT\nUID:standup@test\nDTSTAMP:20250101T000000Z\n"
            "RECURRENCE-ID;RANGE=THISANDFUTURE;TZID=Europe/Berlin:20250407T090000\n"
            "DTSTART;TZID=Europe/Berlin:20250407T110000\n"
            "DTEND;TZID=Europe/Berlin:20250407T120000\n"
            "SUMMARY:Standup (later)\nEND:VEVENT\n")
    return vcalendar(*parts)


MEETING = meeting()


def meeting_expected(text: str = MEETING) -> Counter[tuple[str, str]]:
    """recurring-ical-events does not apply RANGE=THISANDFUTURE, so the input's meaning
    (RFC 5545 §3.8.4.4: the change applies to that and every later occurrence) is spelled
    out: from 7 April on, the remaining occurrences move to 11:00 and take the new name."""
    expected: Counter[tuple[str, str]] = Counter()
    split = "RANGE=THISANDFUTURE" in text
    for (name, stamp), count in ics_occurrences(text.encode(), date(2025, 1, 1),
                                                date(2026, 1, 1)).items():
        start = datetime.fromtimestamp(int(stamp), BERLIN)
        if split and start.date() >= date(2025, 4, 7):
            start = start.replace(hour=11)
            name = "Standup (later)"
        expected[(name, str(int(start.timestamp())))] += count
    return expected


def thousand_events(changed: int | None = None) -> str:
    events = []
    for index in range(1000):
        day = date(2025, 1, 1).toordinal() + index // 4
        start = date.fromordinal(day).strftime("%Y%m%d") + f"T{8 + 2 * (index % 4):02d}0000"
        name = f"Meeting {index}" + (" (edited)" if index == changed else "")
        events.append(vevent(f"bulk-{index}@test", start, name))
    return vcalendar(*events)


def run_on_a_terminal(args: Sequence[str], *, answer: str | None = None,
                      timeout: float = 60.0) -> tuple[int, str]:
    """`python -m ics2b24 ARGS` with stdin and stderr on a pseudo-terminal, as a user at a
    terminal runs it; `answer` is typed ahead (the terminal holds it until a prompt reads
    it). Returns the exit code and everything the terminal showed."""
    main_fd, child_fd = pty.openpty()
    process = subprocess.Popen([sys.executable, "-m", "ics2b24", *args], stdin=child_fd,
                               stdout=subprocess.DEVNULL, stderr=child_fd,
                               env={**os.environ, "COLUMNS": "100"})
    os.close(child_fd)
    if answer is not None:
        os.write(main_fd, answer.encode())
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([main_fd], [], [], 0.1)
            if not ready:
                if process.poll() is not None:
                    break
                continue
            try:
                chunk = os.read(main_fd, 4096)
            except OSError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(main_fd)
    return process.wait(timeout=5), b"".join(chunks).decode("utf-8", "replace")


def run_on(portal: Portal, capsys: pytest.CaptureFixture[str], *args: str,
        webhook: str | None = None) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of one command line."""
    with pytest.raises(SystemExit) as exited:
        main([*args, "--webhook", webhook or portal.webhook_url])
    out, err = capsys.readouterr()
    return int(exited.value.code or 0), out, err


class Killer:
    """Runs `python -m ics2b24 ARGS` and kills it (SIGKILL, or `signum`) right after its n-th
    write ran in the portal, before it reads the answer: the moment a run is most often lost.
    With `pause`, the portal answers that many seconds after the signal, so the signal
    surely lands while the run waits for the answer. What the run printed is kept in `out`
    and `err`."""

    def __init__(self, portal: Portal, signum: int = signal.SIGKILL, pause: float = 0.0) -> None:
        self.kill: Callable[[], None] | None = None
        self.writes_left = 0
        self.out = self.err = ""
        self._signum = signum
        self._pause = pause
        portal.api.hook(self._kill_after_write)

    def _kill_after_write(self, call_next: Call, user: User, method: str,
                          params: Mapping[str, Any]) -> Any:
        result = call_next(user, method, params)
        if self.kill is not None and method in WRITES:
            self.writes_left -= 1
            if self.writes_left <= 0:
                self.kill()
                self.kill = None
                time.sleep(self._pause)
        return result

    def run(self, args: Sequence[str], after: int) -> int:
        """The child's exit status (negative: killed)."""
        child = subprocess.Popen([sys.executable, "-m", "ics2b24", *args],
                                 stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.writes_left = after
        self.kill = partial(child.send_signal, self._signum)
        try:
            self.out, self.err = child.communicate(timeout=120)
            return child.returncode
        finally:
            self.kill = None


def closed_port() -> int:
    """A loopback port nothing listens on (bound, then released)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def before_batch(monkeypatch: pytest.MonkeyPatch, number: int,
                 action: Callable[[], None]) -> list[int]:
    """`action()` runs just before the client sends its `number`-th batch; the list holds how
    many batches it has sent (or tried to)."""
    original = Client.batch
    sent = [0]

    def batch(self: Client, commands: Any) -> Any:
        sent[0] += 1
        if sent[0] == number:
            action()
        return original(self, commands)

    monkeypatch.setattr(Client, "batch", batch)
    return sent


BOTH = vcalendar(vevent("one@test", "20250303T090000", "One"),
                 vevent("two@test", "20250304T090000", "Two")).encode()
"""What a `Feed` serves unless told otherwise."""


@dataclass
class Feed:
    """What the feed serves and what it was asked."""

    body: bytes = BOTH
    etag: str = '"v1"'
    last_modified: str = "Mon, 03 Mar 2025 09:00:00 GMT"
    status: int = 200
    content_type: str = "text/calendar; charset=utf-8"
    authorization: str | None = None
    """The Authorization header the feed asks for (401 without it)."""
    redirects: dict[str, str] = field(default_factory=dict)
    declares_length: bool = True
    trickle: float = 0.0
    """Seconds between two bytes of the body."""
    asked: list[dict[str, str]] = field(default_factory=list)
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/feed.ics"

    def handler(self) -> type[BaseHTTPRequestHandler]:
        feed = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                """Quiet."""

            def do_GET(self) -> None:
                feed.asked.append({"path": self.path, **dict(self.headers.items())})
                if self.path in feed.redirects:
                    self._answer(302, {"Location": feed.redirects[self.path]}, b"")
                elif (feed.authorization is not None
                      and self.headers.get("Authorization") != feed.authorization):
                    self._answer(401, {"WWW-Authenticate": 'Basic realm="feed"'}, b"")
                elif self.headers.get("If-None-Match") == feed.etag:
                    self._answer(304, {"ETag": feed.etag}, b"")
                else:
                    self._answer(feed.status, {"Content-Type": feed.content_type,
                                               "ETag": feed.etag,
                                               "Last-Modified": feed.last_modified},
                                 feed.body)

            def _answer(self, status: int, headers: dict[str, str], body: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                if feed.declares_length or status != 200:
                    self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if not feed.trickle:
                    self.wfile.write(body)
                    return
                for byte in body:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(feed.trickle)

        return Handler


COMPANY_USERS = {"users": [
    {"id": 1, "name": "IT", "admin": True, "email": "it@example.com"},
    {"id": 2, "name": "Ann", "email": "ann@example.com"},
    {"id": 3, "name": "Bob", "email": "bob@example.com"},
    {"id": 4, "name": "Cy", "email": "cy@example.com"},
]}
"""A portal for `company_export`: an administrator and the three people of the company."""


def _meeting(uid: str, start: str, summary: str) -> str:
    return vevent(uid, start, summary, "ORGANIZER;CN=Ann:mailto:ann@example.com",
                  "ATTENDEE;CN=Ann:mailto:ann@example.com",
                  "ATTENDEE;CN=Bob:mailto:bob@example.com",
                  "ATTENDEE;CN=Cy:mailto:cy@example.com")


COMPANY_MEETINGS = ("Kick-off", "Planning")
"""Ann's two meetings with Bob and Cy: one that has happened, one still to come."""


def company_export(root: Path) -> Path:
    """A Google Workspace export of three people (Ann and Bob in folders named after them,
    Cy's a Takeout archive whose primary calendar is named after Cy), each holding Ann's two
    meetings with all three, and a calendar or event of their own."""
    meetings = [_meeting("kickoff@example.com", "20250310T100000", "Kick-off"),
                _meeting("planning@example.com", "20300311T100000", "Planning")]
    calendar = ("BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:-//test//test//EN\n"
                "X-WR-CALNAME:{name}\n{body}END:VCALENDAR\n")
    ann = root / "ann@example.com" / "Calendar"
    ann.mkdir(parents=True)
    write(ann / "ann@example.com.ics", calendar.format(
        name="ann@example.com", body="".join([*meetings, vevent(
            "ann-1@example.com", "20250312T090000", "Ann's dentist")])))
    write(ann / "Team.ics", calendar.format(name="Team", body=vevent(
        "team-1@example.com", "20250313T090000", "Team lunch")))
    bob = root / "bob@example.com" / "Calendar"
    bob.mkdir(parents=True)
    write(bob / "bob@example.com.ics", calendar.format(
        name="bob@example.com", body="".join([*meetings, vevent(
            "bob-1@example.com", "20250314T090000", "Bob's gym")])))
    with zipfile.ZipFile(root / "takeout-20261201-001.zip", "w") as archive:
        archive.writestr("Takeout/Calendar/cy@example.com.ics", calendar.format(
            name="cy@example.com", body="".join(meetings)).replace("\n", "\r\n"))
    return root
