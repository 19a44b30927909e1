"""The HTTP edge: one Bitrix24 portal, webhook or OAuth, paced and retried only where safe.

Retry policy: only what can pass on a retry is sent again. A request the portal
refused before running anything is resent — QUERY_LIMIT_EXCEEDED (503) after a growing pause,
OPERATION_TIME_LIMIT (429) once the method's oldest basket has left, expired_token after one
OAuth refresh. A write that may have run (timeout, dropped connection, another 5xx) is never
resent here: it raises `UncertainWriteError` so the pusher can re-read the portal and re-pair
first. Reads are retried with backoff.

What no retry can fix fails at once with `EndpointError` (exit 2), naming the cause: an
untrusted certificate, refused credentials, and — before the portal has answered anything —
an address where nothing listens (after two short retries: a portal may be starting), a server
that is no Bitrix24 (its answer is not the REST API's JSON), one that never answers within
`timeout`, and a redirect, which is never followed (the request carries the credentials).
Once the portal has answered, the same troubles mid-run are treated as passing.

Credentials never leave this module in any text: URLs and messages are redacted, reprs hide
them, and the `-v` log of each request shows the webhook's token as `***`.
"""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import os
import random
import re
import signal
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import unquote, urljoin, urlsplit, urlunsplit

import requests
from urllib3.exceptions import NewConnectionError

from ics2b24.bitrix import answers
from ics2b24.bitrix.encoding import batch_body
from ics2b24.bitrix.limits import Pacer, TimeReport, Wait
from ics2b24.errors import EndpointError, PortalError, UsageError
from ics2b24.paths import make_private_dirs

log = logging.getLogger(__name__)

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info"
Login = tuple[str, str]
"""The `user:password` a URL may carry, as (user, password)."""
WRITE_COST = 0.3
READ_COST = 0.05
"""Operating seconds assumed for a call before the portal has reported one."""

_READ_SUFFIXES = (".get", ".getbyid", ".list", ".current", ".fields", ".nearest")
_WEBHOOK_PATH = re.compile(r"^/rest/(\d+)/([^/]+)/?$")
_RETRYABLE = ("QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT")
_CREDENTIAL_ERRORS = frozenset({
    "NO_AUTH_FOUND", "INVALID_CREDENTIALS", "invalid_token", "expired_token",
    "WRONG_AUTH_TYPE", "insufficient_scope", "ACCESS_DENIED",
})
"""Top-level answers that say the credentials are wrong, used up or lack a scope."""
_GATEWAY_ERRORS = (502, 503, 504)
"""What a proxy in front of a portal answers while the portal restarts: may pass on a retry."""
DEFAULT_TIMEOUT = 60.0
CONNECT_TIMEOUT = 10.0
FIRST_CONTACT_RETRIES = 2
FIRST_CONTACT_PAUSE = 0.5
"""Retries of a refused connection before the portal has answered anything: a portal that is
still starting gets about a second; an address where nothing listens fails within seconds."""
NOTICE_WAIT = 1.0
"""Waits for the operating-time limit at least this long are told to the user."""
TICK = 1.0
"""Seconds between two `on_tick` calls of a wait told to the user."""


class TransientError(PortalError):
    """What may pass when sent again later, once this client's own retries ran out: a portal
    out of reach or without an answer, a 5xx, its request limit."""


class UncertainWriteError(TransientError):
    """A write was sent and no answer says whether the portal carried it out."""


def backoff(attempt: int) -> float:
    """Seconds to wait before the `attempt`-th retry (from 0) of what failed in passing:
    doubling from half a second up to 30, jittered so that clients do not retry together."""
    return min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)


@dataclass(frozen=True)
class WebhookAuth:
    """`https://PORTAL/rest/USER_ID/TOKEN/`, or a pool of them: several inbound webhooks of
    one user on one portal, whose tokens each have their own operating time (`limits.md`),
    so a pool lets a large run spend that many times the limit."""

    base_url: str
    user_id: int
    tokens: tuple[str, ...] = field(repr=False)
    login: Login | None = field(default=None, repr=False)

    @classmethod
    def parse(cls, text: str) -> WebhookAuth:
        """One webhook URL, or several separated by whitespace (repeated `--webhook`, or
        B24_WEBHOOK holding a pool): all of the same portal and user, as a pool acts as one
        caller whose calls may go through any of them."""
        pool = [cls._parse_one(url) for url in text.split()]
        if not pool:
            raise UsageError("--webhook must look like https://PORTAL/rest/USER_ID/TOKEN/")
        first = pool[0]
        for other in pool[1:]:
            if (other.base_url, other.user_id, other.login) != (first.base_url, first.user_id,
                                                                first.login):
                raise UsageError(
                    f"--webhook: a pool of webhooks must be one user's on one portal, got "
                    f"{first.base_url}/rest/{first.user_id}/ and "
                    f"{other.base_url}/rest/{other.user_id}/")
        tokens = tuple(dict.fromkeys(token for hook in pool for token in hook.tokens))
        return cls(first.base_url, first.user_id, tokens, first.login)

    @classmethod
    def _parse_one(cls, url: str) -> WebhookAuth:
        parts = urlsplit(url.strip())
        match = _WEBHOOK_PATH.match(parts.path)
        if parts.scheme and parts.hostname:
            _check_transport(f"{parts.scheme}://{parts.netloc}", "--webhook")
        if not parts.hostname or not match:
            raise UsageError("--webhook must look like https://PORTAL/rest/USER_ID/TOKEN/")
        base_url, login = _split_login(f"{parts.scheme}://{parts.netloc}")
        return cls(base_url, int(match.group(1)), (match.group(2),), login)


@dataclass
class OAuthAuth:
    """An OAuth app's tokens for one portal; the tokens change at every refresh. Renewed pairs
    go to `token_file` (with `replaces`, the digest of the refresh token the user gave, so a
    later run given that same token knows the kept pair continues it); `announce` says where
    when the user did not choose the file."""

    base_url: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    oauth_server: str = DEFAULT_OAUTH_SERVER
    token_file: Path | None = None
    replaces: str | None = field(default=None, repr=False)
    announce: bool = False
    login: Login | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url.strip())
        if not parts.hostname:
            raise UsageError("--portal must look like https://PORTAL/")
        _check_transport(f"{parts.scheme}://{parts.netloc}", "--portal")
        self.base_url, self.login = _split_login(f"{parts.scheme}://{parts.netloc}")
        _check_transport(self.oauth_server, "--oauth-server")


def token_digest(token: str) -> str:
    """What a token file remembers of the refresh token a pair was renewed from."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _token_data(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if not isinstance(data, dict):
            raise TypeError("not an object")
        str(data["access_token"]), str(data["refresh_token"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"token file {path} cannot be read: {type(exc).__name__}") from None
    return data


def read_token_file(path: Path) -> tuple[str, str] | None:
    """(access, refresh) kept by an earlier run, or None when the file does not exist yet."""
    data = _token_data(path)
    return None if data is None else (str(data["access_token"]), str(data["refresh_token"]))


def kept_tokens(path: Path, given_refresh: str | None) -> tuple[str, str, str | None] | None:
    """(access, refresh, replaces) an earlier run kept in `path`, when they continue what the
    user gives now: no refresh token, the kept one, or the one the kept pair was renewed from
    (the user's flags still hold the first pair after renewals). Any other refresh token is
    a new authorisation and wins (None). A file without `replaces` always wins, as the
    `/oauth/token/` answer saved by hand has none."""
    data = _token_data(path)
    if data is None:
        return None
    access, refresh = str(data["access_token"]), str(data["refresh_token"])
    replaces = data.get("replaces")
    continues = (given_refresh is None or given_refresh == refresh or replaces is None
                 or replaces == token_digest(given_refresh))
    return (access, refresh, str(replaces) if replaces else None) if continues else None


def write_token_file(path: Path, access: str, refresh: str, replaces: str | None = None) -> None:
    """Replace the token file atomically; it is created 0600 (its directory 0700) and never
    wider."""
    make_private_dirs(path.parent)
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    kept: dict[str, str] = {"access_token": access, "refresh_token": refresh}
    if replaces:
        kept["replaces"] = replaces
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump(kept, out)
    os.replace(tmp, path)


def without_login(url: str) -> str:
    """`url` without the `user:password@` a URL may carry, which is never shown or kept."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=parts.netloc.rpartition("@")[2]))


def _split_login(url: str) -> tuple[str, Login | None]:
    """`url` without its `user:password@`, and that login (sent as HTTP basic auth to a
    portal behind a proxy that asks for one), so that no address shown or kept holds it."""
    parts = urlsplit(url)
    login = (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
    return without_login(url), login


def _check_transport(url: str, option: str) -> None:
    """https://, or http:// on this machine, with a port a socket can have."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https"):
        shown = f"{parts.scheme}://" if parts.scheme else "an address without https://"
        raise UsageError(f"{option}: a Bitrix24 portal is reached over https:// (or http:// on "
                         f"this machine), not {shown}")
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise UsageError(f"{option}: the port must be a number from 1 to 65535")
    if parts.scheme == "http" and not _is_loopback(parts.hostname or ""):
        raise UsageError(
            f"{option}: plain http:// is refused except for loopback addresses "
            "(a real portal requires HTTPS); use https://"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_write(method: str) -> bool:
    """Anything not plainly a read may change the portal."""
    return not method.lower().endswith(_READ_SUFFIXES)


@dataclass(frozen=True)
class BatchResult:
    """Per command: its result, or its error (calendar errors keep their empty `error`)."""

    results: dict[str, Any]
    errors: dict[str, PortalError]
    times: dict[str, TimeReport]


@dataclass
class _Answer:
    """One HTTP answer. `bitrix` says it is the REST API's JSON: an object with `result`, or
    with `error` and `error_description` as every portal error has them (`error-codes.md`);
    anything else comes from a server that is no Bitrix24 (`{"error": "Not Found"}` is many a
    web framework's 404), or from a proxy."""

    status: int
    body: Any
    content_type: str = ""

    @property
    def bitrix(self) -> bool:
        return isinstance(self.body, Mapping) and ("result" in self.body or (
            isinstance(self.body.get("error"), str) and "error_description" in self.body))

    @property
    def error(self) -> str:
        return str(self.body.get("error") or "") if isinstance(self.body, Mapping) else ""

    @property
    def ok(self) -> bool:
        return self.status == 200 and self.bitrix and not self.error


WaitHook = Callable[[float, str], None]
"""Told `(seconds, method)` before the client sleeps for the operating-time limit."""


class Client:
    """Calls one portal as one user. `sleep` and `pacer` are injectable for tests; `timeout`
    bounds each whole answer (`Deadline`); `verify` is True or a CA file (`--ca-cert`);
    `on_wait` hears of long waits (and `on_tick` of the seconds left, every `TICK` of them)
    and `notify` gets the lines a user should read (where renewed tokens are kept)."""

    def __init__(
        self,
        auth: WebhookAuth | OAuthAuth,
        *,
        pacer: Pacer | None = None,
        timeout: float = DEFAULT_TIMEOUT,
        max_retries: int = 6,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
        on_wait: WaitHook | None = None,
        on_tick: Callable[[float], None] | None = None,
        notify: Callable[[str], None] | None = None,
    ) -> None:
        if not timeout > 0:
            raise UsageError(f"--timeout must be a positive number of seconds, got {timeout}")
        self._auth = auth
        self.pacer = pacer or Pacer()
        self._timeout = timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._on_wait = on_wait
        self._on_tick = on_tick
        self._notify = notify or (lambda text: None)
        self._session = requests.Session()
        self._verify = verify
        """Passed with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE."""
        self._tokens = _ledger_tokens(auth)
        """Each pacer ledger this client's calls may go through → the webhook token it is
        (OAuth: one ledger, the app's, and no token here)."""
        self.pacer.choose({}, list(self._tokens))
        self._reset_at: dict[tuple[str, str], float] = {}
        self._user_id: int | None = auth.user_id if isinstance(auth, WebhookAuth) else None
        self._answered = False
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"Client({self.base_url})"

    @property
    def base_url(self) -> str:
        return self._auth.base_url

    def user_id(self) -> int:
        """The user this client calls as (from the webhook URL, or `user.current`)."""
        if self._user_id is None:
            self._user_id = int(answers.user(self.call("user.current"))["ID"])
        return self._user_id

    def close(self) -> None:
        self._session.close()

    def call(self, method: str, params: Mapping[str, Any] | None = None) -> Any:
        """One method; its `result`, or PortalError."""
        body = dict(params or {})
        costs = {method: self._expected(method)}
        answer = self._send(method, body, costs, write=is_write(method))
        report = TimeReport.from_json(answer.body.get("time") or {})
        if report is not None:
            self._learn(method, report)
        return answer.body.get("result")

    def batch(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]]) -> BatchResult:
        """Up to 50 commands in one request with halt=0. Commands the portal refused for a
        limit before running them are resent; every other outcome is reported per command."""
        pending = dict(commands)
        results: dict[str, Any] = {}
        errors: dict[str, PortalError] = {}
        times: dict[str, TimeReport] = {}
        for attempt in range(self._max_retries + 1):
            round_errors = self._batch_round(pending, results, times)
            retry = {
                key: pending[key] for key, exc in round_errors.items()
                if exc.error in _RETRYABLE
            }
            errors.update({k: e for k, e in round_errors.items() if k not in retry})
            if not retry or attempt == self._max_retries:
                errors.update({k: round_errors[k] for k in retry})
                break
            for key, exc in round_errors.items():
                if key in retry:
                    self._limited(exc.error, pending[key][0], attempt)
            pending = retry
        return BatchResult(results, errors, times)

    def wait_turn(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]]) -> None:
        """Wait now as long as the portal's limits make these commands wait (then they go
        out without waiting): a run that holds a write from sending to recording waits
        before it holds, so a stop does not wait for the limits."""
        self._wait("batch", self._costs(commands))

    def _costs(self, commands: Mapping[str, tuple[str, Mapping[str, Any]]]
               ) -> dict[str, float]:
        costs: dict[str, float] = {}
        for method, _params in commands.values():
            costs[method] = costs.get(method, 0.0) + self._expected(method)
        return costs

    def _batch_round(self, pending: Mapping[str, tuple[str, Mapping[str, Any]]],
                     results: dict[str, Any], times: dict[str, TimeReport]
                     ) -> dict[str, PortalError]:
        write = any(is_write(method) for method, _ in pending.values())
        answer = self._send("batch", batch_body(pending), self._costs(pending), write=write)
        outer = answer.body.get("result") or {}
        if not isinstance(outer, Mapping):
            raise self._unexpected_batch(outer, write=write)
        for key, value in _as_dict(outer.get("result")).items():
            results[key] = value
        for key, block in _as_dict(outer.get("result_time")).items():
            report = TimeReport.from_json(block) if isinstance(block, Mapping) else None
            if report is not None and key in pending:
                times[key] = report
                self._learn(pending[key][0], report)
        round_errors: dict[str, PortalError] = {}
        for key, err in _as_dict(outer.get("result_error")).items():
            data = err if isinstance(err, Mapping) else {}
            round_errors[key] = PortalError(
                str(data.get("error", "")), self._redact(str(data.get("error_description", "")))
            )
        return round_errors

    @staticmethod
    def _unexpected_batch(outer: Any, *, write: bool) -> PortalError:
        """A batch answer that is no object of results: for writes, whether they ran is
        unknown."""
        error = answers.unexpected("batch", outer, "the results of its calls")
        if write:
            return UncertainWriteError(
                error.error, f"{error.description}; the portal may or may not have done it")
        return error

    def _expected(self, method: str) -> float:
        return self.pacer.expected_cost(method, WRITE_COST if is_write(method) else READ_COST)

    def _learn(self, method: str, report: TimeReport) -> None:
        self.pacer.record(method, report)
        if report.reset_at is not None:
            self._reset_at[self.pacer.ledger, method] = report.reset_at

    def _limited(self, error: str, method: str, attempt: int) -> None:
        if error == "QUERY_LIMIT_EXCEEDED":
            self.pacer.query_limited()
            self._sleep(backoff(attempt))
        else:
            self.pacer.operation_limited(method, self._reset_at.get((self.pacer.ledger, method)))

    def estimate_waits(self, requests_ahead: Sequence[Mapping[str, int]]) -> float:
        """Seconds the portal's limits will make these requests wait (each a mapping method →
        number of calls in it), from what the pacer knows now."""
        return self.pacer.estimate([{method: count * self._expected(method)
                                     for method, count in calls.items()}
                                    for calls in requests_ahead], among=list(self._tokens))

    def _pace(self, method: str, costs: Mapping[str, float]) -> None:
        """Wait as the pacer says, and count the request that follows."""
        self._wait(method, costs)
        self.pacer.sent()

    def _wait(self, method: str, costs: Mapping[str, float]) -> None:
        """Wait as the pacer says, through the webhook of the pool that lets these calls go
        soonest, telling `on_wait` of a wait for the operating-time limit."""
        self.pacer.choose(costs, list(self._tokens))
        wait: Wait = self.pacer.wait(costs)
        if not (wait.operating and wait.seconds >= NOTICE_WAIT and self._on_wait is not None):
            self._sleep(wait.seconds)
            return
        self._on_wait(wait.seconds, wait.method or method)
        left = wait.seconds
        while left > 0:
            self._sleep(min(left, TICK))
            left = max(0.0, left - TICK)
            if self._on_tick is not None:
                self._on_tick(left)

    def _send(self, method: str, body: dict[str, Any], costs: Mapping[str, float], *,
              write: bool) -> _Answer:
        refreshed = False
        attempt = 0
        while True:
            self._pace(method, costs)
            try:
                answer = self._post(method, body)
            except _NotSent as exc:
                self._unreached(method, exc.reason, attempt)
            except _MaybeSent as exc:
                self._unanswered(method, exc, attempt, write=write)
            else:
                if answer.ok:
                    self._answered = True
                    return answer
                if not answer.bitrix:
                    self._foreign(method, answer, attempt, write=write)
                else:
                    self._answered = True
                    code = answer.error
                    if (code == "expired_token" and isinstance(self._auth, OAuthAuth)
                            and not refreshed):
                        self._refresh()
                        refreshed = True
                        continue
                    if code in _RETRYABLE and attempt < self._max_retries:
                        self._limited(code, method, attempt)
                        attempt += 1
                        continue
                    self._refused(method, answer, attempt, write=write)
            attempt += 1
            self._sleep(backoff(attempt) if self._answered else FIRST_CONTACT_PAUSE)

    def _unreached(self, method: str, reason: str, attempt: int) -> None:
        """Nothing was sent: retried, briefly while the portal has never answered."""
        if not self._answered:
            if attempt >= FIRST_CONTACT_RETRIES:
                raise EndpointError(f"cannot reach {self.base_url}: {reason}; check the "
                                    "address (--webhook or --portal)")
            return
        if attempt >= self._max_retries:
            raise TransientError("", f"{method}: cannot reach {self.base_url}: {reason}")

    def _unanswered(self, method: str, exc: _MaybeSent, attempt: int, *, write: bool) -> None:
        """Sent, and no answer: a write is uncertain; a read is retried, except at first
        contact with a server that never answers."""
        if write:
            raise UncertainWriteError(
                "", f"{method}: {exc.reason}; the portal may or may not have done it")
        if not self._answered and exc.timed_out:
            raise EndpointError(f"{self.base_url} accepted the connection but gave {exc.reason}"
                                " (--timeout); is it the address of a Bitrix24 portal?")
        if not self._answered and attempt >= FIRST_CONTACT_RETRIES:
            raise EndpointError(f"{self.base_url}: {exc.reason}; is it the address of a "
                                "Bitrix24 portal?")
        if attempt >= self._max_retries:
            raise TransientError("", f"{method}: {exc.reason}")

    def _foreign(self, method: str, answer: _Answer, attempt: int, *, write: bool) -> None:
        """An answer that is not the REST API's: from a gateway while a portal that answered
        before restarts (passes on a retry), else from a server that is no Bitrix24."""
        shown = f"HTTP {answer.status}" + (f" ({answer.content_type})"
                                           if answer.content_type else "")
        if not (self._answered and answer.status in _GATEWAY_ERRORS):
            raise EndpointError(f"{self.base_url} is not a Bitrix24 REST endpoint: it "
                                f"answered {shown} where a portal answers JSON; check the "
                                "address (--webhook or --portal)")
        if write:
            raise UncertainWriteError("", f"{method}: {shown}; the portal may or may not "
                                      "have done it", status=answer.status)
        if attempt >= self._max_retries:
            raise TransientError("", f"{method}: {shown}", status=answer.status)

    def _refused(self, method: str, answer: _Answer, attempt: int, *, write: bool) -> None:
        """The portal's own error: credentials (exit 2), a 5xx (uncertain for a write,
        retried for a read), or a refusal of this call."""
        code = answer.error
        description = str(answer.body.get("error_description", ""))
        if code in _CREDENTIAL_ERRORS:
            raise EndpointError(self._redact(
                f"{self.base_url} refused the credentials: {code}: {description}".rstrip(": ")
                + ("; check the webhook's token and scopes (calendar, user)"
                   if isinstance(self._auth, WebhookAuth) else
                   "; check the OAuth app's tokens and scopes (calendar, user)")), error=code)
        if answer.status >= 500 and code not in _RETRYABLE:
            if write:
                raise UncertainWriteError(
                    code, self._redact(f"{method}: HTTP {answer.status} {description}".strip())
                    + "; the portal may or may not have done it", status=answer.status)
            if attempt < self._max_retries:
                return
        kind = TransientError if answer.status >= 500 or code in _RETRYABLE else PortalError
        raise kind(code, self._redact(description or f"{method}: HTTP {answer.status}"),
                   status=answer.status)

    def _url(self, method: str) -> tuple[str, str]:
        """The request URL, and the same with the webhook's token as *** for the log."""
        if isinstance(self._auth, WebhookAuth):
            auth = self._auth
            path = f"/rest/{auth.user_id}/{{}}/{method}.json"
            token = self._tokens[self.pacer.ledger]
            return (auth.base_url + path.format(token), auth.base_url + path.format("***"))
        url = f"{self._auth.base_url}/rest/{method}.json"
        return url, url

    def _post(self, method: str, body: dict[str, Any]) -> _Answer:
        url, shown = self._url(method)
        payload = body if isinstance(self._auth, WebhookAuth) else {
            **body, "auth": self._auth.access_token}
        self.requests_sent += 1
        started = time.monotonic()
        deadline = Deadline(self._timeout)
        try:
            with deadline:
                response = self._session.post(url, json=payload, verify=self._verify,
                                              timeout=(min(CONNECT_TIMEOUT, self._timeout),
                                                       self._timeout),
                                              allow_redirects=False, auth=self._auth.login)
        except (requests.RequestException, _Expired) as exc:
            failure = self._failure(exc, deadline)
            log.info("POST %s -> %s (%.2f s)", shown, failure.reason,
                     time.monotonic() - started)
            raise failure from None
        target = self._redirect_target(response)
        log.info("POST %s -> HTTP %d%s (%.2f s)", shown, response.status_code,
                 f" to {target}" if target else "", time.monotonic() - started)
        if target:
            raise _redirected(self.base_url, target, response.status_code,
                              "--webhook or --portal")
        try:
            data = response.json()
        except ValueError:
            data = None
        if data is None and response.status_code == 200 and self._answered:
            raise _MaybeSent("the answer was not JSON")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return _Answer(response.status_code, data, content_type)

    def _redirect_target(self, response: requests.Response) -> str | None:
        """Where a redirect points, as it may be shown: without a login, token as ***."""
        if not response.is_redirect:
            return None
        return self._redact(without_login(urljoin(response.url, response.headers["Location"])))

    def _failure(self, exc: requests.RequestException | _Expired,
                 deadline: Deadline | None = None) -> _NotSent | _MaybeSent:
        """What a failed request means: never sent, sent without an answer (also when the
        whole answer missed its deadline, whatever the exception it caused on the way), or
        a certificate that no retry will make trusted (raised at once)."""
        if isinstance(exc, _Expired) or (deadline is not None and deadline.expired):
            return _MaybeSent(f"no answer within {self._timeout:g} s", timed_out=True)
        if isinstance(exc, requests.exceptions.SSLError):
            raise EndpointError(_tls_problem(self.base_url, exc, self._verify)) from None
        if isinstance(exc, requests.ConnectTimeout):
            return _NotSent(f"no connection within {min(CONNECT_TIMEOUT, self._timeout):g} s")
        if isinstance(exc, requests.ConnectionError):
            if _never_connected(exc):
                return _NotSent(connect_reason(exc))
            return _MaybeSent("the connection dropped before an answer")
        if isinstance(exc, requests.Timeout):
            return _MaybeSent(f"no answer within {self._timeout:g} s", timed_out=True)
        return _MaybeSent(f"request failed ({type(exc).__name__})")

    def _refresh(self) -> None:
        auth = self._auth
        assert isinstance(auth, OAuthAuth)
        params = {
            "grant_type": "refresh_token",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "refresh_token": auth.refresh_token,
        }
        url = f"{auth.oauth_server.rstrip('/')}/oauth/token/"
        server = without_login(auth.oauth_server.rstrip("/"))
        started = time.monotonic()
        deadline = Deadline(self._timeout)
        try:
            with deadline:
                response = self._session.get(url, params=params,
                                             verify=self._verify, timeout=(
                                                 min(CONNECT_TIMEOUT, self._timeout),
                                                 self._timeout), allow_redirects=False)
        except requests.exceptions.SSLError as exc:
            raise EndpointError(_tls_problem(server, exc, self._verify)) from None
        except (requests.RequestException, _Expired) as exc:
            raise EndpointError(f"the OAuth server {server} could not renew the access token: "
                                f"{self._failure(exc, deadline).reason}") from None
        target = self._redirect_target(response)
        log.info("GET %s/oauth/token/ -> HTTP %d%s (%.2f s)", server, response.status_code,
                 f" to {target}" if target else "", time.monotonic() - started)
        if target:
            raise _redirected(f"the OAuth server {server}", target, response.status_code,
                              "--oauth-server")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, Mapping) or "access_token" not in data:
            body = data if isinstance(data, Mapping) else {}
            code = str(body.get("error", ""))
            description = self._redact(str(body.get("error_description") or
                                           f"HTTP {response.status_code}"))
            raise EndpointError(f"the OAuth server {server} refused to renew the access "
                                f"token: {code + ': ' if code else ''}{description}"
                                + _renewal_hint(code, auth), error=code)
        auth.access_token = str(data["access_token"])
        auth.refresh_token = str(data["refresh_token"])
        if auth.token_file is not None:
            write_token_file(auth.token_file, auth.access_token, auth.refresh_token,
                             auth.replaces)
            if auth.announce:
                self._notify(f"the portal renewed the OAuth tokens (a refresh token works "
                             f"once): the new pair is kept in {auth.token_file} (0600) and "
                             "used from there on the next run")
        log.info("OAuth access token renewed")

    def _redact(self, text: str) -> str:
        secrets: list[str] = []
        if isinstance(self._auth, WebhookAuth):
            secrets += self._auth.tokens
        else:
            secrets += [self._auth.access_token, self._auth.refresh_token,
                        self._auth.client_secret]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


def _ledger_tokens(auth: WebhookAuth | OAuthAuth) -> dict[str, str]:
    """The pacer's ledger names for `auth`: operating time is kept per webhook or per
    application (`limits.md`), so one per webhook token, or the app's for OAuth. Names are
    digests, as the pacer may be shared and is shown in no log, but holds no secret."""
    if isinstance(auth, OAuthAuth):
        return {f"app {token_digest(auth.client_id)[:12]}": ""}
    return {f"webhook {token_digest(token)[:12]}": token for token in auth.tokens}


class _Expired(TimeoutError):
    """The whole answer did not come within the deadline. A TimeoutError, so urllib3 and
    requests treat it as the socket timing out wherever it lands."""


class Deadline:
    """A deadline for one whole answer, in the main thread (where the CLI runs; signals go
    there only): requests' timeout bounds each read of the socket, so a server that sends a
    byte every few seconds would hold a run for as long as it keeps sending. An alarm
    raises `_Expired` where the run waits; elsewhere, each read alone is bounded."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._armed = threading.current_thread() is threading.main_thread()
        self._previous: Any = None
        self.expired = False

    def __enter__(self) -> None:
        if self._armed:
            self._previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self._seconds)

    def __exit__(self, *exc_info: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        self.expired = True
        raise _Expired(f"no answer within {self._seconds:g} s")


class _NotSent(Exception):
    """The request never reached the portal: safe to send again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _MaybeSent(Exception):
    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


def _never_connected(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def connect_reason(exc: requests.ConnectionError) -> str:
    """"connection refused", "name not resolved"… from urllib3's wrapped OSError."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    for needle, said in (("refused", "connection refused (nothing listens there)"),
                         ("Name or service not known", "the host name is not known"),
                         ("nodename nor servname", "the host name is not known"),
                         ("Temporary failure in name resolution", "the host name is not known"),
                         ("unreachable", "the network is unreachable")):
        if needle in text:
            return said
    return "the connection failed"


def _redirected(source: str, target: str, status: int, option: str) -> EndpointError:
    """A redirect is never followed: a POST sent on to another host would carry the webhook
    token or OAuth tokens there."""
    return EndpointError(f"{source} redirects to {target} (HTTP {status}); ics2b24 follows no "
                         f"redirect, which would take the credentials elsewhere: give that "
                         f"address ({option}) if it is the right one")


def _tls_problem(base_url: str, exc: requests.exceptions.SSLError,
                 verify: bool | str) -> str:
    """One line about the certificate (or TLS handshake) of `base_url`, trusted through the
    system's CAs or the `--ca-cert` file `verify` names."""
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(]+?)\s*\(", text)
    if match or "CERTIFICATE_VERIFY_FAILED" in text:
        why = match.group(1).strip() if match else "it cannot be verified"
        if isinstance(verify, str):
            return (f"the certificate of {base_url} is not signed by the CA in --ca-cert "
                    f"{verify} ({why}); give the CA that signed it, or the certificate itself")
        return (f"the certificate of {base_url} is not trusted ({why}); if it is the portal "
                "you mean, give --ca-cert FILE with its certificate or CA")
    return (f"the TLS handshake with {base_url} failed; is it an https:// address, and does "
            "the server speak TLS there?")


def _renewal_hint(code: str, auth: OAuthAuth) -> str:
    if code not in ("invalid_grant", "invalid_client"):
        return ""
    if code == "invalid_client":
        return "; check --client-id and --client-secret"
    where = f" (ics2b24 keeps renewed pairs in {auth.token_file})" if auth.token_file else ""
    return f"; a refresh token works once: give the latest pair{where}, or authorise the app again"


def _as_dict(value: Any) -> dict[str, Any]:
    """`result`, `result_error`, `result_time` are `[]` in JSON when empty."""
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}
