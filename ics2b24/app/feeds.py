"""Calendars published at a URL (http://, https://, webcal://): the feeds Outlook, Google and
iCloud publish, fetched as an input like a file.

A feed is pushed nightly by cron or a timer, mostly unchanged: `Feeds.unchanged` asks it with
the validators (ETag, Last-Modified) of the answer the last completed push read, kept in the
state DB per feed and target, so "not modified" (304) costs that one request and nothing of
the portal. Only a push that completed records the new ones (app/run.py), so a failed push
fetches the feed again.

An answer that is not a whole calendar must never be taken for one: `--prune` would delete
what it lacks. An HTTP error, a connection that fails or a feed that does not answer within
`--timeout`, an HTML page (a login or error page), an empty body or one larger than
MAX_FEED_BYTES is a ParseError (exit 65, as unreadable input) saying what came back: status,
content type, size; nothing is pushed. A body cut short (no END:VCALENDAR) is read as a
truncated file is: push prunes nothing (app/session.py says so, with what came back).

Credentials reach the feed only as HTTP auth: `user:password` or `Bearer TOKEN` from an
environment variable (`--feed-auth-env VAR`, else AUTH_VARIABLE) or printed by a command
(`--feed-auth-command CMD`, app/secret_command.py), or a login written in the URL; they are
sent to the feed's own host only (not after a redirect elsewhere) and never shown: a feed is
named by its URL without the login.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import requests

from ics2b24.app.secret_command import printed_secret
from ics2b24.bitrix.auth import without_login
from ics2b24.bitrix.client import CONNECT_TIMEOUT
from ics2b24.bitrix.connect import Transport
from ics2b24.bitrix.failures import Deadline, connect_reason
from ics2b24.errors import ParseError, UsageError
from ics2b24.store.state import FeedValidators, StateDB

log = logging.getLogger(__name__)

MAX_FEED_BYTES = 50_000_000
"""The largest feed read (50 MB): some 100,000 events, twice the largest calendar measured
(bench/RESULTS.md: 50,000 events are 22 MB); refused by its Content-Length before reading, and
while reading one that declares none."""
MAX_REDIRECTS = 5
AUTH_VARIABLE = "ICS2B24_FEED_AUTH"
"""Where a feed's `user:password` or `Bearer TOKEN` is read when no --feed-auth-env names
another variable."""
_SCHEMES = {"http": "http", "https": "https", "webcal": "https"}
"""What each scheme a feed may have is fetched over: webcal:// is https:// for a calendar
program."""
_CHUNK = 64 * 1024

Auth = tuple[str, str] | str
"""Basic auth as (user, password), or a bearer token."""


def is_feed(name: str) -> bool:
    """Whether an input named on the command line is a URL to fetch."""
    scheme, found, _ = name.partition("://")
    return bool(found) and scheme.lower() in _SCHEMES


def shown(url: str) -> str:
    """A feed's name in every line and warning: its URL without a login."""
    return without_login(url)


def feed_target(address: str, calendar_type: str, owner: int | None,
                section_id: int | None, section_name: str | None) -> str:
    """The target a feed's validators are kept for, as the command line names it (the
    portal's `Credentials.address`, without the path that holds a webhook's token): it is
    known before anything is asked of the portal, so "not modified" asks it nothing."""
    section = f"id {section_id}" if section_id is not None else (
        f"name {(section_name or '').strip()}")
    return f"{address} {calendar_type}:{'' if owner is None else owner}:{section}"


@dataclass(frozen=True)
class AuthSource:
    """Where a feed's credentials come from: `--feed-auth-env VAR` or `--feed-auth-command
    CMD` (at most one); neither: AUTH_VARIABLE, if set."""

    variable: str | None = None
    command: str | None = None


def feed_auth(environ: Mapping[str, str], source: AuthSource | None = None) -> Auth | None:
    """The credentials `source` names; a variable named but unset, a command that fails,
    or a value of neither form is a UsageError that never shows the value."""
    source = source or AuthSource()
    if source.variable and source.command:
        raise UsageError("give --feed-auth-env or --feed-auth-command, not both")
    if source.command:
        value: str | None = printed_secret(source.command, "--feed-auth-command")
        where = "what --feed-auth-command printed"
    elif source.variable:
        value = environ.get(source.variable)
        if not value:
            raise UsageError(f"--feed-auth-env {source.variable}: {source.variable} is not set")
        where = source.variable
    else:
        value, where = environ.get(AUTH_VARIABLE), AUTH_VARIABLE
    if not value:
        return None
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    user, colon, password = value.partition(":")
    if not colon or not user:
        raise UsageError(f"{where} must hold user:password (basic auth) or "
                         "Bearer TOKEN; it holds neither (its value is not shown)")
    return user, password


@dataclass(frozen=True)
class FeedAnswer:
    """What one feed gave this run: its name, what came back in a few words ("HTTP 200,
    text/calendar, 1,234 bytes"), and the validators to remember once a push of it has
    completed."""

    name: str
    said: str
    validators: FeedValidators


class _BearerAuth(requests.auth.AuthBase):
    def __init__(self, token: str) -> None:
        self._token = token

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers["Authorization"] = f"Bearer {self._token}"
        return request


class Feeds:
    """The feeds one command reads, with its credentials and `--timeout`. `target` (from
    `feed_target`) is where a push keeps their validators; empty for a command that keeps
    none (plan, verify, convert)."""

    def __init__(self, *, auth: Auth | None = None, transport: Transport | None = None,
                 target: str = "") -> None:
        self._auth = auth
        self._transport = transport or Transport()
        self._target = target
        self._bodies: dict[str, bytes] = {}
        """What `unchanged` fetched, for `read` to take rather than fetch again."""
        self.answers: dict[str, FeedAnswer] = {}
        """Every feed read, by name."""

    def unchanged(self, inputs: Sequence[str], state: Path | None) -> bool:
        """Whether every input is a feed that answers "not modified" since the last
        completed push into the target read it (as the state DB at `state` says): then there
        is nothing to do. Each is asked with its validators, and the first one that changed
        ends the asking (its answer is kept for `read`); a file among the inputs may have
        changed unseen, so then none is asked."""
        if not inputs or not all(is_feed(name) for name in inputs):
            return False
        with StateDB.open(state, readonly=True) as db:
            known = [db.feed_validators(_digest(url), self._target) for url in inputs]
        for url, validators in zip(inputs, known, strict=True):
            body = self._get(url, validators)
            if body is not None:
                self._bodies[url] = body
                return False
        return True

    def read(self, url: str) -> tuple[str, bytes]:
        """The feed's name and body, fetched whole (or as `unchanged` found it changed)."""
        body = self._bodies.pop(url, None)
        if body is None:
            body = self._get(url, None)
        assert body is not None
        return shown(url), body

    def _get(self, url: str, validators: FeedValidators | None) -> bytes | None:
        """The body, or None when the feed answers 304 to `validators`."""
        name = shown(url)
        headers = {"User-Agent": "ics2b24",
                   "Accept": "text/calendar, text/plain;q=0.5, */*;q=0.1"}
        if validators is not None and validators.etag:
            headers["If-None-Match"] = validators.etag
        if validators is not None and validators.last_modified:
            headers["If-Modified-Since"] = validators.last_modified
        started = time.monotonic()
        deadline = Deadline(self._transport.timeout)
        try:
            with deadline:
                response = self._follow(url, headers)
                with response:
                    said = _said(response)
                    log.info("GET %s -> %s (%.2f s)", name, said, time.monotonic() - started)
                    if response.status_code == 304 and validators is not None:
                        return None
                    _check_answer(name, response, said)
                    body = _body(name, response)
        except (requests.RequestException, TimeoutError) as exc:
            raise ParseError(self._failure(exc, deadline), file=name) from None
        said = _said(response, len(body))
        _check_body(name, response, body, said)
        self.answers[name] = FeedAnswer(name, said, FeedValidators(
            _digest(url), self._target, response.headers.get("ETag", ""),
            response.headers.get("Last-Modified", "")))
        return body

    def _follow(self, url: str, headers: Mapping[str, str]) -> requests.Response:
        """The answer at `url` after up to MAX_REDIRECTS redirects, each to http(s) and
        never from https:// down to http://; credentials go to the feed's own host only."""
        first = _fetched_url(url)
        login = _login(url)
        current = first
        for _ in range(MAX_REDIRECTS + 1):
            auth = (login or self._auth) if _same_host(first, current) else None
            response = requests.get(
                current, headers=headers, stream=True, allow_redirects=False,
                auth=_BearerAuth(auth) if isinstance(auth, str) else auth,
                timeout=(min(CONNECT_TIMEOUT, self._transport.timeout),
                         self._transport.timeout),
                verify=self._transport.verify())
            if not response.is_redirect:
                return response
            target = urljoin(current, response.headers["Location"])
            response.close()
            _check_redirect(shown(url), current, target)
            current = target
        raise ParseError(f"redirects more than {MAX_REDIRECTS} times: refused", file=shown(url))

    def _failure(self, exc: requests.RequestException | TimeoutError,
                 deadline: Deadline) -> str:
        timeout = self._transport.timeout
        if deadline.expired or isinstance(exc, TimeoutError | requests.Timeout):
            return f"the feed did not answer within {timeout:g} s (--timeout)"
        if isinstance(exc, requests.exceptions.SSLError):
            return "the feed's certificate is not trusted (--ca-cert names a CA to trust)"
        if isinstance(exc, requests.ConnectionError):
            return f"the feed cannot be fetched: {connect_reason(exc)}"
        return f"the feed cannot be fetched ({type(exc).__name__})"


def _digest(url: str) -> str:
    """What the state DB keeps of a feed's URL (a published calendar's URL is often secret)."""
    return hashlib.sha256(_fetched_url(url).encode("utf-8")).hexdigest()


def _fetched_url(url: str) -> str:
    """The URL as fetched: webcal:// read as https://, the login left out."""
    scheme, _, rest = without_login(url).partition("://")
    return f"{_SCHEMES[scheme.lower()]}://{rest}"


def _login(url: str) -> tuple[str, str] | None:
    parts = urlsplit(url)
    return (unquote(parts.username), unquote(parts.password or "")) if parts.username else None


def _same_host(first: str, current: str) -> bool:
    """Whether a redirect stays with the feed's host: its scheme and port, or from http://
    up to https:// on the default ports (what a browser keeps a login for)."""
    a, b = urlsplit(first), urlsplit(current)
    if a.hostname != b.hostname:
        return False
    return (a.scheme, a.port) == (b.scheme, b.port) or (
        (a.scheme, b.scheme) == ("http", "https") and a.port in (None, 80)
        and b.port in (None, 443))


def _check_redirect(name: str, current: str, target: str) -> None:
    scheme = urlsplit(target).scheme.lower()
    if scheme not in ("http", "https"):
        raise ParseError(f"redirects to {shown(target)}, not an http(s):// address: refused",
                         file=name)
    if urlsplit(current).scheme == "https" and scheme == "http":
        raise ParseError(f"redirects from https:// to plain http:// ({shown(target)}): refused",
                         file=name)


def _said(response: requests.Response, size: int | None = None) -> str:
    """What came back, in a few words: status, content type, size."""
    kind = _content_type(response) or "no content type"
    if size is None:
        declared = response.headers.get("Content-Length", "")
        size = int(declared) if declared.isdigit() else None
    length = "size not given" if size is None else f"{size:,} bytes"
    return f"HTTP {response.status_code}, {kind}, {length}"


def _content_type(response: requests.Response) -> str:
    return response.headers.get("Content-Type", "").split(";")[0].strip().lower()


def _check_answer(name: str, response: requests.Response, said: str) -> None:
    """Refuse before reading an answer that is no calendar: an error, or more than
    MAX_FEED_BYTES declared."""
    if response.status_code != 200:
        raise ParseError(f"{said}: the feed answered with no calendar; nothing was read",
                         file=name)
    declared = response.headers.get("Content-Length", "")
    if declared.isdigit() and int(declared) > MAX_FEED_BYTES:
        raise ParseError(f"{said}: {_too_big()}", file=name)


def _too_big() -> str:
    return f"larger than {MAX_FEED_BYTES // 1_000_000} MB: refused (no calendar is that large)"


def _body(name: str, response: requests.Response) -> bytes:
    """The body, read up to MAX_FEED_BYTES."""
    body = bytearray()
    for chunk in response.iter_content(_CHUNK):
        body += chunk
        if len(body) > MAX_FEED_BYTES:
            raise ParseError(f"{_said(response, len(body))} so far: {_too_big()}", file=name)
    return bytes(body)


def _check_body(name: str, response: requests.Response, body: bytes, said: str) -> None:
    """An empty answer, or an HTML page (a login page, a portal's error page) served with
    200, is no calendar."""
    start = body.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if not start:
        raise ParseError(f"{said}: an empty answer, no calendar in it", file=name)
    if _content_type(response) == "text/html" or start.startswith((b"<!doctype", b"<html")):
        raise ParseError(f"{said}: an HTML page, not a calendar (a login or error page?)",
                         file=name)
