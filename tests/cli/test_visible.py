"""What a run shows while it works: waits for the portal's operating-time limit (in the bar at
a terminal, one line each under cron), an ETA that includes the waits, `plan`'s cost of the
writes, `-v`'s line per HTTP request (never a token), and -q/-v after the subcommand."""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.bitrix.limits import Pacer, Rate
from ics2b24.cli.console import Console, clock_time
from ics2b24.portal.limits import LimitSettings
from ics2b24.portal.server import Portal
from tests.clock import FakeClock
from tests.helpers import Cli, run_on_a_terminal, target_args, vcalendar, vevent, write

TIGHT = LimitSettings(rate=100_000, burst=100_000, operating_limit=0.5, operating_window=3.0,
                      time_scale=2.0)
"""Two adds (0.15 s each at this scale) fit; the third waits about 1.5 s for the reset."""


def events(count: int) -> str:
    return vcalendar(*(vevent(f"w{i}@test", f"202505{1 + i % 28:02d}T{8 + i % 9:02d}0000",
                              f"Event {i}") for i in range(count)))


def tight_push(make_portal: Callable[..., Portal], tmp_path: Path) -> tuple[Portal, list[str]]:
    """A portal whose operating-time limit binds after two adds, and a push of four events
    whose own pacing leaves the limit to the portal (it then waits for the reset)."""
    portal = make_portal(limits=TIGHT)
    source = write(tmp_path / "four.ics", events(4))
    return portal, ["push", str(source), *target_args(portal, tmp_path / "s.sqlite3"),
                    "--operating-limit", "1000"]


def test_without_a_terminal_each_wait_for_the_operating_time_limit_is_one_line(
        make_portal: Callable[..., Portal], cli: Cli, tmp_path: Path) -> None:
    portal, args = tight_push(make_portal, tmp_path)
    code, _, err = cli(*args)
    assert code == 0, err
    waits = [line for line in err.splitlines() if "operating-time limit" in line]
    assert len(waits) >= 1
    assert re.fullmatch(r"ics2b24: waiting for the portal's operating-time limit "
                        r"\(calendar\.event\.add\), resumes at \d\d:\d\d \(in \d+ s\)", waits[0])
    assert portal.counters().operation_time_limit > 0


def test_quiet_shows_no_wait(make_portal: Callable[..., Portal], cli: Cli,
                             tmp_path: Path) -> None:
    _, args = tight_push(make_portal, tmp_path)
    code, _, err = cli(*args, "-q")
    assert (code, err) == (0, "")


def test_at_a_terminal_the_bar_says_it_waits_and_when_it_resumes(
        make_portal: Callable[..., Portal], tmp_path: Path) -> None:
    _, args = tight_push(make_portal, tmp_path)
    code, screen = run_on_a_terminal(args)
    assert code == 0, screen
    assert re.search(r"waiting for the portal's operating-time limit, resumes at \d\d:\d\d",
                     screen), screen
    assert "100%" in screen and "4 added" in screen


def test_at_a_terminal_the_run_says_what_it_reads_before_the_bar_appears(
        portal: Portal, tmp_path: Path) -> None:
    source = write(tmp_path / "big.ics", events(300))
    code, screen = run_on_a_terminal(["push", str(source),
                                      *target_args(portal, tmp_path / "s.sqlite3")])
    assert code == 0, screen
    reading = screen.index(f"reading {source} (")
    assert reading < screen.index("reading the target's events…") < screen.index("pushing")


def test_the_eta_adds_the_waits_the_limits_will_still_cause() -> None:
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    console = Console(quiet=False, verbose=0, stream=stream)
    console.progress(1600, 2000, 600.0)
    assert "ETA 0:10:00" in stream.getvalue() or "ETA 0:09:59" in stream.getvalue()
    eta = console.eta()
    assert eta is not None and eta >= 599


def test_the_pacer_estimates_the_wait_of_more_adds_than_one_window_allows() -> None:
    pacer = Pacer(Rate(2, 50), operating_limit=480)
    requests = [{"calendar.event.add": 50 * 0.3}] * 40
    assert pacer.estimate(requests) == pytest.approx(600, abs=1)
    assert pacer.estimate(requests[:30]) == pytest.approx(0, abs=1)
    assert pacer.delay({"calendar.event.add": 15.0}) == 0


def test_plan_prints_the_write_calls_and_the_time_the_limits_make_them_take(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "many.ics", events(1700))
    code, out, err = cli("plan", str(source), *target_args(portal, tmp_path / "s.sqlite3"))
    assert code == 0, err
    assert ("1700 write call(s) in 34 request(s); the portal's limits make them take at "
            "least 10 min") in out
    source = write(tmp_path / "few.ics", events(3))
    code, out, _ = cli("plan", str(source), *target_args(portal, tmp_path / "s.sqlite3"))
    assert "3 write call(s) in 1 request(s); the portal's limits add no waiting" in out


@pytest.mark.parametrize("where", ["before", "after"])
def test_verbose_shows_each_http_request_without_the_token(
        portal: Portal, cli: Cli, tmp_path: Path, where: str) -> None:
    source = write(tmp_path / "one.ics", events(1))
    args = ["push", str(source), *target_args(portal, tmp_path / "s.sqlite3")]
    code, _, err = cli("-v", *args) if where == "before" else cli(*args, "-v")
    assert code == 0, err
    token = portal.first_user.webhook_token
    assert token not in err
    lines = [line for line in err.splitlines() if line.startswith("ics2b24: POST")]
    assert any(re.fullmatch(r"ics2b24: POST http://127\.0\.0\.1:\d+/rest/1/\*\*\*/batch\.json "
                            r"-> HTTP 200 \(\d+\.\d\d s\)", line) for line in lines), err
    assert any("user.current.json" in line for line in lines)


def test_quiet_after_the_subcommand_keeps_quiet(portal: Portal, cli: Cli,
                                                tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", events(1))
    code, out, err = cli("push", str(source), *target_args(portal, tmp_path / "s.sqlite3"),
                         "--json", "-q")
    assert (code, err) == (0, "")
    assert json.loads(out)["added"] == 1


def terminal() -> io.StringIO:
    stream = io.StringIO()
    stream.isatty = lambda: True  # type: ignore[method-assign]
    return stream


def waiting_at_a_terminal() -> tuple[Console, io.StringIO, FakeClock]:
    """A console at a terminal, 100 of 200 writes done in 100 s, then told to wait 600 s
    for the operating-time limit."""
    clock = FakeClock(0.0)
    stream = terminal()
    console = Console(quiet=False, verbose=0, stream=stream, clock=clock)
    console.progress(0, 200, 0.0)
    clock.now = 100.0
    console.progress(100, 200, 600.0)
    console.waiting(600.0, "calendar.event.add")
    return console, stream, clock


def test_a_wait_draws_the_eta_and_the_resume_time_again_as_it_passes() -> None:
    """They were drawn once, then froze for the whole wait (up to ten minutes)."""
    console, stream, clock = waiting_at_a_terminal()
    clock.now = 400.0
    console.tick(300.0)
    drawn = stream.getvalue().split("\r")[-1]
    assert f"resumes at {clock_time(300.0)}" in drawn
    assert "ETA 0:06:40" in drawn  # 300 s of wait left, 100 writes at 1 s each


def test_the_client_tells_the_seconds_left_of_a_long_wait_every_second() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)

    def sleep(seconds: float) -> None:
        clock.now += seconds

    ticks: list[float] = []
    client = Client(WebhookAuth("http://127.0.0.1:1", 1, ("token",)), pacer=pacer, sleep=sleep,
                    on_wait=lambda seconds, method: None, on_tick=ticks.append)
    pacer.operation_limited("calendar.event.add", None)
    client.wait_turn({"c": ("calendar.event.add", {})})
    assert ticks == [float(left) for left in range(59, -1, -1)]


def test_without_a_terminal_a_long_run_says_how_far_it_is_about_once_a_minute() -> None:
    clock = FakeClock(0.0)
    stream = io.StringIO()
    console = Console(quiet=False, verbose=0, stream=stream, clock=clock)
    for second in range(0, 181, 10):
        clock.now = float(second)
        console.progress(second, 3000, 0.0)
    lines = stream.getvalue().splitlines()
    assert [line.split("  ")[2] for line in lines] == ["60/3000", "120/3000", "180/3000"]
    assert lines[0] == "ics2b24: pushing   2%  60/3000  ETA 0:49:00"


def test_without_a_terminal_waits_in_a_row_are_one_line() -> None:
    """A run held by the operating-time limit basket after basket printed a line for each."""
    clock = FakeClock(0.0)
    stream = io.StringIO()
    console = Console(quiet=False, verbose=0, stream=stream, clock=clock)
    console.progress(0, 3000, 0.0)
    for _ in range(8):
        console.waiting(40.0, "calendar.event.add")
        clock.now += 40.0
        console.progress(console.done + 50, 3000, 0.0)
    waits = [line for line in stream.getvalue().splitlines() if "resumes at" in line]
    assert sum("(calendar.event.add)" in line for line in waits) == 1


def test_at_a_terminal_undo_shows_its_reads_before_it_deletes(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    """3,096 events were 42 s of an empty line before the bar appeared."""
    state = tmp_path / "s.sqlite3"
    source = write(tmp_path / "many.ics", events(120))
    assert cli("push", str(source), *target_args(portal, state))[0] == 0
    code, screen = run_on_a_terminal(["undo", *target_args(portal, state), "--yes"])
    assert code == 0, screen
    asked = screen.index("asking the portal who we are…")
    assert asked < screen.index("reading the events it created… 100/120") < screen.index(
        "deleting")


def test_at_80_columns_a_wait_keeps_its_eta_and_resume_time_on_the_line(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The long label left the ETA cut off at 80 columns (and the test above failed wherever
    the terminal was that narrow)."""
    monkeypatch.setenv("COLUMNS", "80")
    _, stream, _ = waiting_at_a_terminal()
    drawn = stream.getvalue().split("\r")[-1]
    assert f"resumes at {clock_time(600.0)}" in drawn and "ETA 0:11:40" in drawn
    assert len(drawn.rstrip()) <= 79
