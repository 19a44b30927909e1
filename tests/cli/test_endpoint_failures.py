"""An address that leads nowhere useful fails fast, with one line that names the cause and
exit 2 (the flags must change), and nothing is retried that cannot pass on a retry. The
misbehaving servers are the standard library's, on loopback, and every test is bounded to a
few seconds."""

from __future__ import annotations

import json
import re
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from ics2b24.portal.server import Portal
from ics2b24.portal.tls import ensure_certificate
from tests.helpers import Cli, before_batch, closed_port, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))


def webhook_at(port: int, scheme: str = "http") -> str:
    return f"{scheme}://127.0.0.1:{port}/rest/1/s3cr3ttoken/"


@pytest.fixture(name="closed_port")
def closed_port_fixture() -> int:
    return closed_port()


class _NoPost(BaseHTTPRequestHandler):
    """http.server as it comes: POST is not implemented, so every call answers 501."""

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def not_bitrix() -> Iterator[int]:
    yield from serve(_NoPost)


def serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05},
                              daemon=True)
    thread.start()
    yield int(server.server_address[1])
    server.shutdown()
    server.server_close()


Answer = tuple[int, Mapping[str, str], bytes]


@pytest.fixture
def answering() -> Iterator[Callable[[Answer], int]]:
    """Servers that give every request one canned answer (status, headers, body)."""
    servers: list[Iterator[int]] = []

    def start(answer: Answer) -> int:
        status, headers, body = answer

        class Canned(_NoPost):
            def do_POST(self) -> None:
                self.send_response(status)
                for name, value in {**headers, "Content-Length": str(len(body))}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            do_GET = do_POST

        servers.append(serve(Canned))
        return next(servers[-1])

    yield start
    for server in servers:
        next(server, None)


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A socket that accepts connections (the kernel's backlog) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield int(sock.getsockname()[1])


def timed(cli: Cli, *args: str) -> tuple[int, str, float]:
    started = time.monotonic()
    code, _, err = cli(*args)
    return code, err, time.monotonic() - started


def push_args(tmp_path: Path, webhook: str) -> list[str]:
    source = write(tmp_path / "one.ics", ONE)
    return ["push", str(source), "--webhook", webhook, "--type", "user", "--section", "1",
            "--state", str(tmp_path / "state.sqlite3")]


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    assert "s3cr3ttoken" not in err
    return err


def test_a_closed_port_fails_within_seconds_with_exit_2(closed_port: int, cli: Cli) -> None:
    code, err, seconds = timed(cli, "section", "list", "--type", "user",
                               "--webhook", webhook_at(closed_port))
    assert code == 2
    assert "cannot reach" in one_line(err) and "connection refused" in err
    assert seconds < 5


def test_push_to_a_closed_port_fails_within_seconds_with_exit_2(
        closed_port: int, cli: Cli, tmp_path: Path) -> None:
    code, err, seconds = timed(cli, *push_args(tmp_path, webhook_at(closed_port)))
    assert code == 2
    assert "cannot reach" in one_line(err)
    assert seconds < 5


def test_a_server_that_is_not_bitrix24_is_named_at_once_with_exit_2(
        not_bitrix: int, cli: Cli, tmp_path: Path) -> None:
    code, err, seconds = timed(cli, *push_args(tmp_path, webhook_at(not_bitrix)))
    assert code == 2
    assert "is not a Bitrix24 REST endpoint" in one_line(err) and "HTTP 501" in err
    assert seconds < 2


def test_a_redirect_is_named_with_its_target_and_not_followed(
        answering: Callable[[Answer], int], closed_port: int, cli: Cli) -> None:
    """Followed, the POST would go where the webhook's token was never meant to go; here the
    target is a closed port, which used to be reported as the first address refusing."""
    target = f"http://user:pa55w0rd@127.0.0.1:{closed_port}/rest/1/s3cr3ttoken/user.current"
    port = answering((302, {"Location": target}, b""))
    code, err, seconds = timed(cli, "-v", "section", "list", "--type", "user",
                               "--webhook", webhook_at(port))
    assert code == 2
    [request, message] = err.splitlines()
    assert "HTTP 302" in request and f"127.0.0.1:{closed_port}" in request
    assert "connection refused" not in message
    assert (f"http://127.0.0.1:{port} redirects to http://127.0.0.1:{closed_port}/rest/1/***/"
            "user.current (HTTP 302)") in message
    assert "pa55w0rd" not in err and "user:" not in err and "s3cr3ttoken" not in err
    assert seconds < 2


@pytest.mark.parametrize("body", [{"error": "Not Found"},
                                  {"error": {"code": 404, "message": "Not Found"}},
                                  {"detail": "Not Found"}])
def test_a_json_404_from_a_server_that_is_not_bitrix24_is_named_with_exit_2(
        answering: Callable[[Answer], int], cli: Cli, body: dict[str, object]) -> None:
    port = answering((404, {"Content-Type": "application/json"}, json.dumps(body).encode()))
    code, err, _ = timed(cli, "section", "list", "--type", "user", "--webhook", webhook_at(port))
    assert code == 2
    assert "is not a Bitrix24 REST endpoint" in one_line(err) and "HTTP 404" in err


def test_a_server_that_never_answers_fails_after_the_timeout_in_one_line(
        silent_port: int, cli: Cli) -> None:
    code, err, seconds = timed(cli, "section", "list", "--type", "user", "--timeout", "1",
                               "--webhook", webhook_at(silent_port))
    assert code == 2
    assert "no answer within 1 s" in one_line(err) and "--timeout" in err
    assert seconds < 4


def test_an_untrusted_certificate_is_named_at_once_and_ca_cert_trusts_it_over_the_env(
        make_portal: Callable[..., Portal], cli: Cli, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", requests.certs.where())
    data = tmp_path / "portal.sqlite3"
    portal = make_portal(tls=True, data=str(data))
    assert portal.webhook_url.startswith("https://")
    code, err, seconds = timed(cli, "section", "list", "--type", "user",
                               "--webhook", portal.webhook_url)
    assert code == 2
    assert "certificate" in err and "not trusted" in err and "--ca-cert" in err
    assert portal.first_user.webhook_token not in err
    assert seconds < 2
    code, out, err = cli("section", "list", "--type", "user", "--webhook", portal.webhook_url,
                         "--ca-cert", f"{data}.pem")
    assert code == 0, err
    assert "Admin" in out or "ID" in out


@pytest.fixture
def tls_portal(make_portal: Callable[..., Portal], tmp_path: Path) -> Portal:
    """A portal over HTTPS whose certificate is `portal.sqlite3.pem`, its key beside it."""
    return make_portal(tls=True, data=str(tmp_path / "portal.sqlite3"))


@pytest.mark.parametrize(("name", "said"), [
    ("portal.sqlite3.key.pem", "is a private key, not a CA certificate"),
    ("one.ics", "holds no certificate in PEM form"),
])
def test_ca_cert_given_a_file_that_is_no_certificate_says_so(
        tls_portal: Portal, cli: Cli, tmp_path: Path, name: str, said: str) -> None:
    write(tmp_path / "one.ics", ONE)
    code, err, _ = timed(cli, "section", "list", "--type", "user",
                         "--webhook", tls_portal.webhook_url, "--ca-cert", str(tmp_path / name))
    assert code == 2
    assert f"--ca-cert {tmp_path / name}: {said}" in one_line(err)


def test_ca_cert_of_a_ca_that_does_not_sign_the_server_says_so(
        tls_portal: Portal, cli: Cli, tmp_path: Path) -> None:
    other = ensure_certificate(str(tmp_path / "other")).cert_path
    code, err, _ = timed(cli, "section", "list", "--type", "user",
                         "--webhook", tls_portal.webhook_url, "--ca-cert", str(other))
    assert code == 2
    assert (f"the certificate of {tls_portal.base_url} is not signed by the CA in --ca-cert "
            f"{other}") in one_line(err)


def test_a_wrong_token_on_push_is_exit_2_without_sending_anything(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    webhook = f"{portal.base_url}/rest/1/s3cr3ttoken/"
    code, err, _ = timed(cli, *push_args(tmp_path, webhook))
    assert code == 2
    assert "NO_AUTH_FOUND" in one_line(err)
    assert portal.counters().requests == 1


@pytest.mark.parametrize(("webhook", "said"), [
    ("ftp://portal.example.com/rest/1/s3cr3ttoken/", "not ftp://"),
    ("https://portal.example.com:99999/rest/1/s3cr3ttoken/", "from 1 to 65535"),
    ("http://portal.example.com/rest/1/s3cr3ttoken/", "plain http:// is refused"),
])
def test_an_address_no_portal_can_have_is_refused_before_any_request(
        webhook: str, said: str, cli: Cli) -> None:
    code, err, seconds = timed(cli, "section", "list", "--type", "user", "--webhook", webhook)
    assert code == 2
    assert said in one_line(err)
    assert seconds < 1


@pytest.fixture
def trickling_port() -> Iterator[int]:
    """A server that answers one byte every 0.3 s and never ends its headers: each read of
    the socket gets a byte well within any timeout, the answer never comes."""
    stop = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.settimeout(0.1)

    def serve() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.sendall(b"HTTP/1.1 200 OK\r\nX-Slow: ")
                while not stop.wait(0.3):
                    try:
                        connection.sendall(b"x")
                    except OSError:
                        break

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield int(listener.getsockname()[1])
    stop.set()
    thread.join()
    listener.close()


def test_a_server_that_trickles_its_answer_fails_after_the_timeout_in_one_line(
        trickling_port: int, cli: Cli) -> None:
    """--timeout bounded each read of the socket, so a byte every few seconds hung the run
    for as long as the server kept sending."""
    code, err, seconds = timed(cli, "section", "list", "--type", "user", "--timeout", "1",
                               "--webhook", webhook_at(trickling_port))
    assert code == 2
    assert "no answer within 1 s" in one_line(err)
    assert seconds < 4


def serve_portal(data: Path, port: int = 0) -> tuple[subprocess.Popen[str], str]:
    """`ics2b24 portal serve` keeping its calendar in `data`; the process and its webhook."""
    process = subprocess.Popen([sys.executable, "-m", "ics2b24", "portal", "serve", "--port",
                                str(port), "--data", str(data)],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def test_a_portal_that_dies_mid_push_ends_with_what_was_done_and_how_to_go_on(
        tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    """The portal's process dies after the first batch: the run ends in one line that says
    what was done and to run it again, and running it again (the portal back) finishes."""
    monkeypatch.setattr("ics2b24.bitrix.client.backoff", lambda attempt: 0.0)  # no retry waits
    portal, webhook = serve_portal(tmp_path / "portal.sqlite3")

    def die() -> None:
        portal.kill()
        portal.wait()

    before_batch(monkeypatch, 2, die)
    source = write(tmp_path / "many.ics", vcalendar(*(
        vevent(f"m{i}@test", f"202504{1 + i // 10:02d}T{8 + i % 10:02d}0000", f"E{i}")
        for i in range(200))))
    args = ["push", str(source), "--webhook", webhook, "--type", "user", "--section", "1",
            "--state", str(tmp_path / "state.sqlite3")]
    code, _, err = cli(*args)
    assert code == 1
    assert re.fullmatch(
        r"ics2b24: portal: batch: cannot reach http://127\.0\.0\.1:\d+: connection refused "
        r"\(nothing listens there\); stopped after 50 of 200 change\(s\); every change the "
        r"portal confirmed is recorded in .*state\.sqlite3: run the same command again to "
        r"continue\n", one_line(err))
    portal, _ = serve_portal(tmp_path / "portal.sqlite3", int(urlsplit(webhook).port or 0))
    try:
        code, _, err = cli(*args)
        assert code == 0, err
        assert "150 added, 0 updated, 0 deleted, 50 unchanged" in err
    finally:
        portal.terminate()
        portal.wait()
