"""The systemd units shipped in contrib/ run a push ics2b24 understands and keep no secret."""

from __future__ import annotations

import shlex
from pathlib import Path

from ics2b24.cli.sync import push

CONTRIB = Path(__file__).resolve().parents[1] / "contrib"


def settings(unit: str) -> dict[str, str]:
    lines = (CONTRIB / unit).read_text(encoding="utf-8").splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def test_the_feed_service_runs_a_push_with_prune_that_the_cli_parses() -> None:
    command = shlex.split(settings("ics2b24-feed.service")["ExecStart"])
    assert command[0].endswith("/ics2b24") and command[1] == "push"
    args = [arg.replace("${FEED_URL}", "https://feed.example/a.ics").replace("${SECTION}", "T")
            for arg in command[2:]]
    context = push.make_context("push", args)
    assert context.params["files"] == ("https://feed.example/a.ics",)
    assert context.params["prune"]


def test_the_feed_service_reads_the_webhook_from_an_environment_file_only() -> None:
    unit = settings("ics2b24-feed.service")
    assert unit["EnvironmentFile"].startswith("%h/")
    assert "Environment" not in unit
    assert "/rest/" not in unit["ExecStart"] and "--webhook" not in unit["ExecStart"]


def test_the_feed_timer_runs_every_night_and_catches_up_a_missed_run() -> None:
    timer = settings("ics2b24-feed.timer")
    assert timer["OnCalendar"] == "*-*-* 03:15:00"
    assert timer["Persistent"] == "true"
    assert timer["WantedBy"] == "timers.target"
