"""`ics2b24 portal serve` as a process: one stdout line per webhook URL; clean stop
on SIGTERM/SIGINT; `--data` survives a restart; `--tls` serves HTTPS with its own certificate."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

WEBHOOK = re.compile(r"^(https?)://127\.0\.0\.1:(\d+)/rest/1/([0-9a-zA-Z]+)/$")
SECTION = {"type": "user", "ownerId": 1, "name": "Survives"}


@contextmanager
def serving(*args: str, stop: signal.Signals = signal.SIGTERM,
            lines: int = 1) -> Iterator[tuple[str, list[int]]]:
    """Run the portal; yield the `lines` it printed (its webhook URLs) and, after the block,
    the exit code in the list."""
    process = subprocess.Popen(
        [sys.executable, "-m", "ics2b24", "portal", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    exit_code: list[int] = []
    try:
        assert process.stdout is not None
        printed = "".join(process.stdout.readline() for _ in range(lines))
        yield printed, exit_code
    finally:
        process.send_signal(stop)
        try:
            _, err = process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            raise
        rest = process.stdout.read() if process.stdout and not process.stdout.closed else ""
        exit_code.append(process.returncode)
        assert rest == "", "only the webhook URLs may be written to stdout"
        assert "Traceback" not in err


def test_prints_the_webhook_url_and_stops_on_sigterm() -> None:
    with serving() as (line, code):
        assert WEBHOOK.match(line.strip())
        answer = requests.post(line.strip() + "calendar.section.add", json=SECTION, timeout=5)
        assert answer.status_code == 200
    assert code == [0]


def test_stops_cleanly_on_sigint() -> None:
    with serving(stop=signal.SIGINT) as (line, code):
        assert WEBHOOK.match(line.strip())
    assert code == [0]


def test_log_goes_to_stderr_without_the_token() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "ics2b24", "portal", "serve", "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    assert process.stdout is not None
    url = process.stdout.readline().strip()
    requests.post(url + "calendar.section.add", json=SECTION, timeout=5)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=10)
    token = WEBHOOK.match(url).group(3)  # type: ignore[union-attr]
    assert "calendar.section.add 200" in err
    assert token not in err


def test_data_file_survives_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "portal.sqlite")
    with serving("--data", data) as (first, _):
        requests.post(first.strip() + "calendar.section.add", json=SECTION, timeout=5)
    with serving("--data", data) as (second, _):
        assert WEBHOOK.match(second.strip()).group(3) == WEBHOOK.match(  # type: ignore[union-attr]
            first.strip()).group(3)  # type: ignore[union-attr]
        sections = requests.post(second.strip() + "calendar.section.get",
                                 json={"type": "user", "ownerId": 1}, timeout=5).json()
        assert "Survives" in [s["NAME"] for s in sections["result"]]


def test_tls_serves_https_trusted_through_its_certificate(tmp_path: Path) -> None:
    data = tmp_path / "portal.sqlite"
    with serving("--tls", "--data", str(data)) as (line, code):
        url = line.strip()
        assert url.startswith("https://")
        cert = tmp_path / "portal.sqlite.pem"
        answer = requests.post(url + "calendar.section.get", json={"type": "user", "ownerId": 1},
                               verify=str(cert), timeout=5)
        assert answer.status_code == 200
        with pytest.raises(requests.exceptions.SSLError):
            requests.post(url + "calendar.section.get", json={}, timeout=5)
    assert code == [0]


def test_bad_faults_spec_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ics2b24", "portal", "serve", "--port", "0",
         "--faults", "explode=1"], capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0 and "--faults" in result.stderr


def test_bad_rate_is_a_usage_error() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ics2b24", "portal", "serve", "--port", "0", "--rate", "fast"],
        capture_output=True, text=True, timeout=20,
    )
    assert result.returncode == 2
    assert "--rate" in result.stderr


def test_server_zone_and_generation_are_flags() -> None:
    day = {"type": "user", "ownerId": 1, "name": "Day", "from": "2025-03-04",
           "to": "2025-03-04", "skip_time": "Y"}
    with serving("--generation", "1", "--server-zone", "America/New_York",
                 "--user-zone", "Europe/Berlin") as (line, _):
        url = line.strip()
        event_id = requests.post(url + "calendar.event.add", json=day, timeout=5).json()["result"]
        row = requests.post(url + "calendar.event.getbyid", json={"id": event_id},
                            timeout=5).json()["result"]
        assert (row["DATE_FROM"], row["TZ_FROM"]) == ("03/04/2025", "Europe/Berlin")


def _refused(*args: str) -> list[str]:
    """The stderr lines of a `portal serve` that must stop at once with exit 2, printing no
    URL."""
    done = subprocess.run([sys.executable, "-m", "ics2b24", "portal", "serve", *args],
                          capture_output=True, text=True, timeout=30, check=False)
    assert (done.returncode, done.stdout) == (2, "")
    return done.stderr.strip().splitlines()


def test_an_unknown_server_zone_is_one_line_and_exit_2() -> None:
    assert _refused("--server-zone", "Mars/Olympus") == [
        "ics2b24: --server-zone 'Mars/Olympus' is not a time zone"]


def test_webhooks_flag_prints_one_url_per_webhook() -> None:
    with serving("--webhooks", "3", lines=3) as (lines, code):
        urls = lines.splitlines()
        assert len(set(urls)) == 3 and all(WEBHOOK.match(url) for url in urls)
        for url in urls:
            assert requests.post(url + "calendar.section.add", json=SECTION,
                                 timeout=5).status_code == 200
    assert code == [0]


def test_webhooks_survive_a_restart(tmp_path: Path) -> None:
    data = str(tmp_path / "portal.sqlite")
    with serving("--data", data, "--webhooks", "2", lines=2) as (first, _):
        pass
    with serving("--data", data, "--webhooks", "2", lines=2) as (second, _):
        tokens = [urlsplit(url).path for url in second.splitlines()]
        assert len(tokens) == 2 and tokens == [urlsplit(url).path for url in first.splitlines()]


def test_fewer_than_one_webhook_is_one_line_and_exit_2() -> None:
    assert _refused("--webhooks", "0") == ["ics2b24: --webhooks must be at least 1, got 0"]
