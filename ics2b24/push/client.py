"""The HTTP edge: one Bitrix24 portal, webhook or OAuth, paced and retried only where safe.

Retry policy (SPEC §7): a request the portal refused before running anything is resent —
QUERY_LIMIT_EXCEEDED (503) after a growing pause, OPERATION_TIME_LIMIT (429) once the
method's oldest basket has left, expired_token after one OAuth refresh. A write that may
have run (timeout, dropped connection, another 5xx) is never resent here: it raises
`UncertainWriteError` so the pusher can re-read the portal and re-pair first. Reads are
retried with backoff. Credentials never leave this module in any text: URLs and messages
are redacted, reprs hide them.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from urllib3.exceptions import NewConnectionError

from ics2b24.errors import PortalError, UsageError
from ics2b24.push.encoding import batch_body
from ics2b24.push.limits import Pacer, TimeReport

log = logging.getLogger(__name__)

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info"
WRITE_COST = 0.3
READ_COST = 0.05
"""Operating seconds assumed for a call before the portal has reported one (SPEC §7)."""

_READ_SUFFIXES = (".get", ".getbyid", ".list", ".current", ".fields", ".nearest")
_WEBHOOK_PATH = re.compile(r"^/rest/(\d+)/([^/]+)/?$")
_RETRYABLE = ("QUERY_LIMIT_EXCEEDED", "OPERATION_TIME_LIMIT")


class UncertainWriteError(PortalError):
    """A write was sent and no answer says whether the portal carried it out."""


@dataclass(frozen=True)
class WebhookAuth:
    """`https://PORTAL/rest/USER_ID/TOKEN/`."""

    base_url: str
    user_id: int
    token: str = field(repr=False)

    @classmethod
    def parse(cls, url: str) -> WebhookAuth:
        parts = urlsplit(url.strip())
        match = _WEBHOOK_PATH.match(parts.path)
        if not parts.hostname or not match:
            raise UsageError("--webhook must look like https://PORTAL/rest/USER_ID/TOKEN/")
        base = f"{parts.scheme}://{parts.netloc}"
        _check_transport(base, "--webhook")
        return cls(base, int(match.group(1)), match.group(2))


@dataclass
class OAuthAuth:
    """An OAuth app's tokens for one portal; the tokens change at every refresh."""

    base_url: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    client_id: str = field(repr=False)
    client_secret: str = field(repr=False)
    oauth_server: str = DEFAULT_OAUTH_SERVER
    token_file: Path | None = None

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url.strip())
        if not parts.hostname:
            raise UsageError("--portal must look like https://PORTAL/")
        self.base_url = f"{parts.scheme}://{parts.netloc}"
        _check_transport(self.base_url, "--portal")
        _check_transport(self.oauth_server, "--oauth-server")


def read_token_file(path: Path) -> tuple[str, str] | None:
    """(access, refresh) kept by an earlier run, or None when the file does not exist yet."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return str(data["access_token"]), str(data["refresh_token"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--token-file {path} cannot be read: {type(exc).__name__}") from None


def write_token_file(path: Path, access: str, refresh: str) -> None:
    """Replace the token file atomically; it is created 0600 and never wider."""
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"access_token": access, "refresh_token": refresh}, out)
    os.replace(tmp, path)


def _check_transport(url: str, option: str) -> None:
    parts = urlsplit(url)
    if parts.scheme == "https":
        return
    if parts.scheme == "http" and _is_loopback(parts.hostname or ""):
        return
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
    status: int
    body: Any


class Client:
    """Calls one portal as one user. `sleep` and `pacer` are injectable for tests."""

    def __init__(
        self,
        auth: WebhookAuth | OAuthAuth,
        *,
        pacer: Pacer | None = None,
        timeout: float = 60.0,
        max_retries: int = 6,
        verify: bool | str = True,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._auth = auth
        self.pacer = pacer or Pacer()
        self._timeout = timeout
        self._max_retries = max_retries
        self._sleep = sleep
        self._session = requests.Session()
        self._session.verify = verify
        self._reset_at: dict[str, float] = {}
        self._user_id: int | None = auth.user_id if isinstance(auth, WebhookAuth) else None
        self.requests_sent = 0

    def __repr__(self) -> str:
        return f"Client({self.base_url})"

    @property
    def base_url(self) -> str:
        return self._auth.base_url

    def user_id(self) -> int:
        """The user this client calls as (from the webhook URL, or `user.current`)."""
        if self._user_id is None:
            self._user_id = int(self.call("user.current")["ID"])
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

    def _batch_round(self, pending: Mapping[str, tuple[str, Mapping[str, Any]]],
                     results: dict[str, Any], times: dict[str, TimeReport]
                     ) -> dict[str, PortalError]:
        costs: dict[str, float] = {}
        for method, _params in pending.values():
            costs[method] = costs.get(method, 0.0) + self._expected(method)
        write = any(is_write(method) for method, _ in pending.values())
        answer = self._send("batch", batch_body(pending), costs, write=write)
        outer = answer.body.get("result") or {}
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

    def _expected(self, method: str) -> float:
        return self.pacer.expected_cost(method, WRITE_COST if is_write(method) else READ_COST)

    def _learn(self, method: str, report: TimeReport) -> None:
        self.pacer.record(method, report)
        if report.reset_at is not None:
            self._reset_at[method] = report.reset_at

    def _limited(self, error: str, method: str, attempt: int) -> None:
        if error == "QUERY_LIMIT_EXCEEDED":
            self.pacer.query_limited()
            self._sleep(self._backoff(attempt))
        else:
            self.pacer.operation_limited(method, self._reset_at.get(method))

    def _backoff(self, attempt: int) -> float:
        return min(30.0, 0.5 * 2**attempt) * random.uniform(0.5, 1.0)

    def _send(self, method: str, body: dict[str, Any], costs: Mapping[str, float], *,
              write: bool) -> _Answer:
        refreshed = False
        attempt = 0
        while True:
            self._sleep(self.pacer.delay(costs))
            self.pacer.sent()
            try:
                answer = self._post(method, body)
            except _NotSent:
                if attempt >= self._max_retries:
                    raise PortalError("", f"{method}: cannot reach {self.base_url}") from None
                attempt += 1
                self._sleep(self._backoff(attempt))
                continue
            except _MaybeSent as exc:
                if write:
                    raise UncertainWriteError(
                        "", f"{method}: {exc.reason}; the portal may or may not have done it"
                    ) from None
                if attempt >= self._max_retries:
                    raise PortalError("", f"{method}: {exc.reason}") from None
                attempt += 1
                self._sleep(self._backoff(attempt))
                continue
            error = answer.body.get("error") if isinstance(answer.body, Mapping) else None
            if answer.status == 200 and isinstance(answer.body, Mapping) and not error:
                return answer
            code = str(error or "")
            description = ""
            if isinstance(answer.body, Mapping):
                description = str(answer.body.get("error_description", ""))
            if code == "expired_token" and isinstance(self._auth, OAuthAuth) and not refreshed:
                self._refresh()
                refreshed = True
                continue
            if code in _RETRYABLE and attempt < self._max_retries:
                self._limited(code, method, attempt)
                attempt += 1
                continue
            if answer.status >= 500 and code not in _RETRYABLE:
                if write:
                    raise UncertainWriteError(
                        code, self._redact(f"{method}: HTTP {answer.status} {description}".strip())
                        + "; the portal may or may not have done it",
                        status=answer.status,
                    )
                if attempt < self._max_retries:
                    attempt += 1
                    self._sleep(self._backoff(attempt))
                    continue
            raise PortalError(code, self._redact(description or f"{method}: HTTP "
                                                 f"{answer.status}"), status=answer.status)

    def _post(self, method: str, body: dict[str, Any]) -> _Answer:
        if isinstance(self._auth, WebhookAuth):
            auth = self._auth
            url = f"{auth.base_url}/rest/{auth.user_id}/{auth.token}/{method}.json"
            payload = body
        else:
            url = f"{self._auth.base_url}/rest/{method}.json"
            payload = {**body, "auth": self._auth.access_token}
        self.requests_sent += 1
        try:
            response = self._session.post(url, json=payload, timeout=self._timeout)
        except requests.ConnectTimeout:
            raise _NotSent() from None
        except requests.ConnectionError as exc:
            if _never_connected(exc):
                raise _NotSent() from None
            raise _MaybeSent("the connection dropped before an answer") from None
        except requests.Timeout:
            raise _MaybeSent(f"no answer within {self._timeout:g} s") from None
        except requests.RequestException as exc:
            raise _MaybeSent(f"request failed ({type(exc).__name__})") from None
        log.debug("%s -> HTTP %d", method, response.status_code)
        try:
            data = response.json()
        except ValueError:
            data = None
        if data is None and response.status_code == 200:
            raise _MaybeSent("the answer was not JSON")
        return _Answer(response.status_code, data if data is not None else {})

    def _refresh(self) -> None:
        auth = self._auth
        assert isinstance(auth, OAuthAuth)
        params = {
            "grant_type": "refresh_token",
            "client_id": auth.client_id,
            "client_secret": auth.client_secret,
            "refresh_token": auth.refresh_token,
        }
        try:
            response = self._session.get(
                f"{auth.oauth_server.rstrip('/')}/oauth/token/", params=params,
                timeout=self._timeout,
            )
            data = response.json()
        except (requests.RequestException, ValueError):
            raise PortalError("", "the OAuth server could not renew the access token") from None
        if not isinstance(data, Mapping) or "access_token" not in data:
            body = data if isinstance(data, Mapping) else {}
            raise PortalError(
                str(body.get("error", "")),
                self._redact(str(body.get("error_description") or "token renewal refused")),
                status=response.status_code,
            )
        auth.access_token = str(data["access_token"])
        auth.refresh_token = str(data["refresh_token"])
        if auth.token_file is not None:
            write_token_file(auth.token_file, auth.access_token, auth.refresh_token)
        log.info("OAuth access token renewed")

    def _redact(self, text: str) -> str:
        secrets: list[str] = []
        if isinstance(self._auth, WebhookAuth):
            secrets.append(self._auth.token)
        else:
            secrets += [self._auth.access_token, self._auth.refresh_token,
                        self._auth.client_secret]
        for secret in secrets:
            if secret:
                text = text.replace(secret, "***")
        return text


class _NotSent(Exception):
    """The request never reached the portal: safe to send again."""


class _MaybeSent(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _never_connected(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _as_dict(value: Any) -> dict[str, Any]:
    """`result`, `result_error`, `result_time` are `[]` in JSON when empty."""
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}
