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

Credentials (bitrix/auth.py) never leave this module in any text: URLs and messages are
redacted, and the `-v` log of each request shows the webhook's token as `***`. What a failed
request means is bitrix/failures.py's; where renewed OAuth tokens are kept, bitrix/tokens.py's.

The module is longer than 500 lines for one reason: `Client` is one retry policy — what may be
sent again, when, and what each failure tells the user — and split up it would no longer read
as one.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urljoin

import requests

from ics2b24.bitrix import answers
from ics2b24.bitrix.auth import OAuthAuth, WebhookAuth, ledger_tokens, without_login
from ics2b24.bitrix.encoding import batch_body
from ics2b24.bitrix.failures import (
    Deadline,
    Expired,
    MaybeSent,
    NotSent,
    connect_reason,
    never_connected,
    redirected,
    renewal_hint,
    tls_problem,
)
from ics2b24.bitrix.limits import Pacer, TimeReport, Wait
from ics2b24.bitrix.tokens import write_token_file
from ics2b24.errors import EndpointError, PortalError, UsageError

log = logging.getLogger(__name__)


WRITE_COST = 0.3


READ_COST = 0.05
"""Operating seconds assumed for a call before the portal has reported one."""


_READ_SUFFIXES = (".get", ".getbyid", ".list", ".current", ".fields", ".nearest")


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
    `on_wait` hears of long waits (and `on_tick` of the seconds left, every `TICK` of them),
    `idle` may spend a long wait's seconds on other work and says how many it took (migrate
    converts the calendars to come: app/read_ahead.py), and `notify` gets the lines a user
    should read (where renewed tokens are kept); `admin` is what the run knows already of
    `user.admin`."""

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
        idle: Callable[[float], float] | None = None,
        admin: bool | None = None,
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
        self._idle = idle
        self._notify = notify or (lambda text: None)
        self._session = requests.Session()
        self._verify = verify
        """Passed with each request: a session's own `verify` loses to REQUESTS_CA_BUNDLE."""
        self._tokens = ledger_tokens(auth)
        """Each pacer ledger this client's calls may go through → the webhook token it is
        (OAuth: one ledger, the app's, and no token here)."""
        self.pacer.choose({}, list(self._tokens))
        self._reset_at: dict[tuple[str, str], float] = {}
        self._user_id: int | None = auth.user_id if isinstance(auth, WebhookAuth) else None
        self._admin = admin
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

    def is_admin(self) -> bool | None:
        """Whether that user is an administrator (`user.admin`), asked once per client; None
        when the portal cannot say (no `user` scope, no such method)."""
        if self._admin is None:
            try:
                self._admin = self.call("user.admin") is True
            except PortalError:
                return None
        return self._admin

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
        long = wait.operating and wait.seconds >= NOTICE_WAIT
        if long and self._on_wait is not None:
            self._on_wait(wait.seconds, wait.method or method)
        left = wait.seconds
        if long and self._idle is not None:
            left = max(0.0, left - self._idle(left))
        if not (long and self._on_wait is not None):
            self._sleep(left)
            return
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
            except NotSent as exc:
                self._unreached(method, exc.reason, attempt)
            except MaybeSent as exc:
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

    def _unanswered(self, method: str, exc: MaybeSent, attempt: int, *, write: bool) -> None:
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
        except (requests.RequestException, Expired) as exc:
            failure = self._failure(exc, deadline)
            log.info("POST %s -> %s (%.2f s)", shown, failure.reason,
                     time.monotonic() - started)
            raise failure from None
        target = self._redirect_target(response)
        log.info("POST %s -> HTTP %d%s (%.2f s)", shown, response.status_code,
                 f" to {target}" if target else "", time.monotonic() - started)
        if target:
            raise redirected(self.base_url, target, response.status_code,
                              "--webhook or --portal")
        try:
            data = response.json()
        except ValueError:
            data = None
        if data is None and response.status_code == 200 and self._answered:
            raise MaybeSent("the answer was not JSON")
        content_type = response.headers.get("Content-Type", "").split(";")[0].strip()
        return _Answer(response.status_code, data, content_type)

    def _redirect_target(self, response: requests.Response) -> str | None:
        """Where a redirect points, as it may be shown: without a login, token as ***."""
        if not response.is_redirect:
            return None
        return self._redact(without_login(urljoin(response.url, response.headers["Location"])))

    def _failure(self, exc: requests.RequestException | Expired,
                 deadline: Deadline | None = None) -> NotSent | MaybeSent:
        """What a failed request means: never sent, sent without an answer (also when the
        whole answer missed its deadline, whatever the exception it caused on the way), or
        a certificate that no retry will make trusted (raised at once)."""
        if isinstance(exc, Expired) or (deadline is not None and deadline.expired):
            return MaybeSent(f"no answer within {self._timeout:g} s", timed_out=True)
        if isinstance(exc, requests.exceptions.SSLError):
            raise EndpointError(tls_problem(self.base_url, exc, self._verify)) from None
        if isinstance(exc, requests.ConnectTimeout):
            return NotSent(f"no connection within {min(CONNECT_TIMEOUT, self._timeout):g} s")
        if isinstance(exc, requests.ConnectionError):
            if never_connected(exc):
                return NotSent(connect_reason(exc))
            return MaybeSent("the connection dropped before an answer")
        if isinstance(exc, requests.Timeout):
            return MaybeSent(f"no answer within {self._timeout:g} s", timed_out=True)
        return MaybeSent(f"request failed ({type(exc).__name__})")

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
            raise EndpointError(tls_problem(server, exc, self._verify)) from None
        except (requests.RequestException, Expired) as exc:
            raise EndpointError(f"the OAuth server {server} could not renew the access token: "
                                f"{self._failure(exc, deadline).reason}") from None
        target = self._redirect_target(response)
        log.info("GET %s/oauth/token/ -> HTTP %d%s (%.2f s)", server, response.status_code,
                 f" to {target}" if target else "", time.monotonic() - started)
        if target:
            raise redirected(f"the OAuth server {server}", target, response.status_code,
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
                                + renewal_hint(code, auth), error=code)
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


def _as_dict(value: Any) -> dict[str, Any]:
    """`result`, `result_error`, `result_time` by command key. PHP writes an array keyed
    exactly 0, 1, 2… as a JSON list (`[]` when empty), so a list's positions are its keys."""
    if isinstance(value, list):
        return {str(index): item for index, item in enumerate(value)}
    return {str(k): v for k, v in value.items()} if isinstance(value, Mapping) else {}
