"""The test portal over HTTP: routes, authentication, scopes, limits and faults around the
calendar methods (`calendar.py`), so that any client meets a portal that answers like a real
one (`settings/how-to-call-rest-api/`, `limits.md`). Who calls is `auth.py`, the OAuth server
`oauth.py`, the HTTP side `http_server.py`, the configuration `config.py`.

Logs carry the method and the status only: the webhook token is part of the path and the
access token part of the parameters, and neither may reach a log.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from ics2b24.portal.answer import DROP, Answer
from ics2b24.portal.auth import DEFAULT_SCOPE, Caller, authenticate, check_scope
from ics2b24.portal.batch import CommandOutcome, run_batch
from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.config import PortalConfig
from ics2b24.portal.counters import Counters, Tally
from ics2b24.portal.faults import Draw, Fault, Faults
from ics2b24.portal.http_server import HttpServer
from ics2b24.portal.invitations import Notice
from ics2b24.portal.limits import Clock, Limits
from ics2b24.portal.oauth import OAuthGrant, OAuthServer
from ics2b24.portal.refusals import MethodError, PortalFault
from ics2b24.portal.store import Store, User
from ics2b24.portal.tls import Certificate, ensure_certificate
from ics2b24.portal.wire import RestError, method_name

log = logging.getLogger("ics2b24.portal")

_NO_FAULT = Draw(fault=Fault.NONE, latency=0.0)

QUERY_LIMIT = RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
OPERATION_LIMIT = RestError(
    "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429
)
INTERNAL = RestError("INTERNAL_SERVER_ERROR", "Internal server error", 500)
NOT_FOUND = RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")


class Portal:
    """One portal: its store, limits and faults, served on a loopback port by `start()`."""

    def __init__(self, config: PortalConfig | None = None, *, clock: Clock = time.time) -> None:
        self.config = config or PortalConfig()
        self._clock = clock
        self.store = Store(self.config.data)
        self.store.seed(self.config.users, self.config.user_zone)
        self.api = CalendarApi(self.store, self.config.host, self.config.profile)
        self.limits = Limits(self.config.limits, clock)
        self._faults = Faults(self.config.faults) if self.config.faults else None
        self._lock = threading.RLock()
        self.store.add_webhooks(self.first_user.id, self.config.webhooks)
        self._tally = Tally()
        self._oauth = OAuthServer(self.store, self._lock, clock, self.config.token_ttl,
                                  lambda: self.base_url, lambda: self.first_user.id)
        self._httpd: HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.certificate: Certificate | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Portal:
        httpd = HttpServer((self.config.host, self.config.port), self.handle)
        if self.config.tls:
            self.certificate = ensure_certificate(self.config.data)
            httpd.socket = self.certificate.server_context().wrap_socket(
                httpd.socket, server_side=True, do_handshake_on_connect=False
            )
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05},
            name="ics2b24-portal", daemon=True,
        )
        self._thread.start()
        log.info("portal listening on %s", self.base_url)
        return self

    def stop(self) -> None:
        if self._httpd is None:
            return
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join()
        self._httpd = None
        self.store.close()
        log.info("portal stopped")

    def __enter__(self) -> Portal:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    # -- addresses and test helpers --------------------------------------------------------

    @property
    def port(self) -> int:
        if self._httpd is None:
            raise RuntimeError("the portal is not started")
        return int(self._httpd.server_address[1])

    @property
    def base_url(self) -> str:
        host = self.config.host
        if host in ("", "0.0.0.0", "::"):
            host = "127.0.0.1"
        if ":" in host:
            host = f"[{host}]"
        scheme = "https" if self.config.tls else "http"
        return f"{scheme}://{host}:{self.port}"

    @property
    def first_user(self) -> User:
        with self._lock:
            return min(self.store.users(), key=lambda user: user.id)

    @property
    def webhook_url(self) -> str:
        return self.webhook_urls[0]

    @property
    def webhook_urls(self) -> list[str]:
        """The first user's webhooks (`PortalConfig.webhooks` of them), `webhook_url` first."""
        user_id = self.first_user.id
        with self._lock:
            tokens = self.store.webhook_tokens(user_id)
        return [f"{self.base_url}/rest/{user_id}/{token}/" for token in tokens]

    def webhook_url_for(self, user_id: int) -> str:
        with self._lock:
            user = self.store.user(user_id)
        if user is None:
            raise KeyError(user_id)
        return f"{self.base_url}/rest/{user.id}/{user.webhook_token}/"

    def counters(self) -> Counters:
        return self._tally.counters()

    def invitations(self) -> list[Notice]:
        """Invitations and cancellations the portal has sent to meeting attendees, oldest
        first, as `Notice(event_id, user_id, kind)` with kind "invite" or "cancel"
        (CCalendarEvent::Edit and CCalendarEvent::Delete send them; see `CalendarApi`)."""
        with self._lock:
            return self.api.invitations()

    def mint_tokens(self, user_id: int | None = None, scope: str = DEFAULT_SCOPE,
                    client_id: str | None = None, ttl: float | None = None) -> OAuthGrant:
        """Issue a token pair as if the user had just authorised the app (tests start here)."""
        return self._oauth.mint(user_id, scope, client_id, ttl)

    # -- request handling ------------------------------------------------------------------

    def handle(self, path: str, params: Callable[[], dict[str, Any]]) -> Answer:
        """Answer one HTTP request; `params` decodes the body lazily, after the cheap checks."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["oauth", "token"] and len(parts) == 2:
            answer = self._oauth.token(params)
        elif parts[:2] == ["oauth", "authorize"] and len(parts) == 2:
            answer = self._oauth.authorize(params)
        elif parts[:1] == ["rest"] and len(parts) in (2, 4):
            answer = self._rest(parts[1:], params)
        else:
            answer = Answer.error(NOT_FOUND)
        self._tally.count(answer)
        return answer

    def _rest(self, route: list[str], params: Callable[[], dict[str, Any]]) -> Answer:
        draw = self._faults.draw() if self._faults else _NO_FAULT
        if draw.latency:
            time.sleep(draw.latency)
        if draw.fault is Fault.RESET_BEFORE:
            return DROP
        if draw.fault is Fault.RATE:
            return Answer.error(self._tally.refuse(QUERY_LIMIT))
        if draw.fault is Fault.ERROR_BEFORE:
            return Answer.error(INTERNAL)
        if not self.limits.bucket.try_acquire():
            return Answer.error(self._tally.refuse(QUERY_LIMIT))
        method = method_name(route[-1])
        start = self._clock()
        try:
            decoded = params()
            with self._lock:
                caller = authenticate(self.store, self._clock, route[:-1], decoded)
            if method == "batch":
                check_scope(caller, method)
                result = run_batch(decoded, lambda m, p: self._execute(caller, m, p))
                status = self.limits.operating.status((caller.key, method))
                finish = self._clock()
                time_block = _time_block(start, finish, status.operating, status.reset_at)
            else:
                outcome = self._execute(caller, method, decoded)
                result, time_block = outcome.result, dict(outcome.time)
        except RestError as exc:
            answer = Answer.error(exc)
        else:
            answer = Answer(200, {"result": result, "time": time_block})
        log.info("%s %d", method, answer.status)
        if draw.fault is Fault.ERROR_AFTER:
            return Answer.error(INTERNAL)
        if draw.fault is Fault.RESET_AFTER:
            return DROP
        return answer

    def _execute(self, caller: Caller, method: str, params: dict[str, Any]) -> CommandOutcome:
        """One method call with its scope, operating-time limit and cost; shared by `batch`."""
        check_scope(caller, method)
        if method not in self.api.methods:
            raise NOT_FOUND
        key = (caller.key, method)
        if not self.limits.operating.allowed(key):
            raise self._tally.refuse(OPERATION_LIMIT)
        start = self._clock()
        try:
            with self._lock:
                result = self.api.call(caller.user, method, params)
        except MethodError as exc:
            raise RestError(exc.error, exc.description, exc.status) from exc
        except PortalFault as exc:
            log.warning("%s: the portal's own code fails here: %s", method, exc)
            raise INTERNAL from exc
        except Exception as exc:
            log.error("%s failed inside the portal: %s: %s", method, type(exc).__name__, exc)
            log.debug("portal failure", exc_info=True)
            raise INTERNAL from exc
        finally:
            status = self.limits.operating.record(key, self.limits.cost(method))
        finish = self._clock()
        return CommandOutcome(result, _time_block(start, finish, status.operating,
                                                  status.reset_at))


def _time_block(start: float, finish: float, operating: float,
                reset_at: float) -> dict[str, Any]:
    return {
        "start": start,
        "finish": finish,
        "duration": finish - start,
        "processing": finish - start,
        "date_start": _iso(start),
        "date_finish": _iso(finish),
        "operating": operating,
        "operating_reset_at": reset_at,
    }
