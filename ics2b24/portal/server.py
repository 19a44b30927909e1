"""The test portal over HTTP: routes, authentication, scopes, limits, faults and the OAuth server
around the calendar methods (`calendar.py`), so that any client meets a portal that answers
like a real one (`settings/how-to-call-rest-api/`, `limits.md`, `settings/oauth/`).

Logs carry the method and the status only: the webhook token is part of the path and the
access token part of the parameters, and neither may reach a log.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import logging
import secrets
import signal
import socket
import struct
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ics2b24.errors import ParseError, UsageError
from ics2b24.portal.batch import CommandOutcome, run_batch
from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.dates import zone
from ics2b24.portal.faults import Draw, Fault, Faults, FaultSpec, parse_faults
from ics2b24.portal.invitations import Notice
from ics2b24.portal.limits import Clock, Limits, LimitSettings, parse_rate, parse_ratio
from ics2b24.portal.profile import DEFAULT_USER_ZONE, Profile
from ics2b24.portal.refusals import MethodError, PortalFault
from ics2b24.portal.store import Store, User
from ics2b24.portal.tls import Certificate, ensure_certificate
from ics2b24.portal.wire import RestError, decode_request, method_name

log = logging.getLogger("ics2b24.portal")

ALL_SCOPES = frozenset({"calendar", "basic", "user", "sonet_group"})
DEFAULT_SCOPE = "calendar,basic,user,sonet_group"
_METHOD_SCOPES = {"batch": "basic", "user.current": "user", "user.get": "user",
                  "sonet_group.get": "sonet_group"}
_NO_FAULT = Draw(fault=Fault.NONE, latency=0.0)

NO_AUTH = RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
EXPIRED = RestError("expired_token", "The access token provided has expired", 401)
INSUFFICIENT_SCOPE = RestError(
    "insufficient_scope",
    "The request requires higher privileges than provided by the webhook token", 403,
)
QUERY_LIMIT = RestError("QUERY_LIMIT_EXCEEDED", "Too many requests", 503)
OPERATION_LIMIT = RestError(
    "OPERATION_TIME_LIMIT", "Method is blocked due to operation time limit.", 429
)
INTERNAL = RestError("INTERNAL_SERVER_ERROR", "Internal server error", 500)
NOT_FOUND = RestError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
CODE_TTL = 30.0
"""Seconds an authorization code can be exchanged (`settings/oauth/index.md`)."""


@dataclass(frozen=True)
class PortalConfig:
    host: str = "127.0.0.1"
    port: int = 0
    data: str | None = None
    users: Mapping[str, Any] | None = None
    tls: bool = False
    faults: FaultSpec | None = None
    limits: LimitSettings = field(default_factory=LimitSettings)
    token_ttl: float = 3600.0
    profile: Profile = field(default_factory=Profile)
    user_zone: str = DEFAULT_USER_ZONE
    webhooks: int = 1
    """Inbound webhooks of the first user, each with its own operating-time ledger."""


@dataclass(frozen=True)
class Counters:
    """What the portal answered so far: tests and benchmarks check a client against these."""

    requests: int
    statuses: Mapping[int, int]
    query_limit_exceeded: int
    operation_time_limit: int
    dropped: int


@dataclass(frozen=True)
class OAuthGrant:
    access_token: str
    refresh_token: str
    client_id: str
    client_secret: str
    user_id: int
    scope: str
    expires_at: float


@dataclass(frozen=True)
class _Caller:
    user: User
    scopes: frozenset[str]
    key: str


@dataclass(frozen=True)
class _Answer:
    status: int
    body: Any
    drop: bool = False

    @classmethod
    def error(cls, exc: RestError) -> _Answer:
        return cls(exc.status, exc.body())


_DROP = _Answer(0, None, drop=True)


def _iso(stamp: float) -> str:
    return dt.datetime.fromtimestamp(stamp, dt.timezone.utc).isoformat(timespec="seconds")


def _required_scope(method: str) -> str | None:
    if method.startswith("calendar."):
        return "calendar"
    return _METHOD_SCOPES.get(method)


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
        self._count_lock = threading.Lock()
        self._requests = 0
        self._statuses: Counter[int] = Counter()
        self._errors: Counter[str] = Counter()
        self._dropped = 0
        self._httpd: _HttpServer | None = None
        self._thread: threading.Thread | None = None
        self.certificate: Certificate | None = None

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> Portal:
        httpd = _HttpServer((self.config.host, self.config.port), _Handler)
        httpd.portal = self
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
        with self._count_lock:
            return Counters(
                requests=self._requests,
                statuses=dict(self._statuses),
                query_limit_exceeded=self._errors["QUERY_LIMIT_EXCEEDED"],
                operation_time_limit=self._errors["OPERATION_TIME_LIMIT"],
                dropped=self._dropped,
            )

    def invitations(self) -> list[Notice]:
        """Invitations and cancellations the portal has sent to meeting attendees, oldest
        first, as `Notice(event_id, user_id, kind)` with kind "invite" or "cancel"
        (CCalendarEvent::Edit and CCalendarEvent::Delete send them; see `CalendarApi`)."""
        with self._lock:
            return self.api.invitations()

    def mint_tokens(self, user_id: int | None = None, scope: str = DEFAULT_SCOPE,
                    client_id: str | None = None, ttl: float | None = None) -> OAuthGrant:
        """Issue a token pair as if the user had just authorised the app (tests start here)."""
        with self._lock:
            apps = dict(self.store.apps())
        chosen = client_id if client_id is not None else next(iter(apps))
        uid = user_id if user_id is not None else self.first_user.id
        return self._issue(uid, scope, chosen, apps[chosen], ttl)

    def _issue(self, user_id: int, scope: str, client_id: str, client_secret: str,
               ttl: float | None = None) -> OAuthGrant:
        lifetime = self.config.token_ttl if ttl is None else ttl
        grant = OAuthGrant(
            access_token=secrets.token_hex(32), refresh_token=secrets.token_hex(32),
            client_id=client_id, client_secret=client_secret, user_id=user_id,
            scope=scope, expires_at=self._clock() + lifetime,
        )
        with self._lock:
            self.store.put_tokens(access=grant.access_token, refresh=grant.refresh_token,
                                  user_id=user_id, client_id=client_id, scope=scope,
                                  expires_at=grant.expires_at)
        return grant

    # -- request handling ------------------------------------------------------------------

    def _count(self, answer: _Answer) -> None:
        with self._count_lock:
            self._requests += 1
            if answer.drop:
                self._dropped += 1
                return
            self._statuses[answer.status] += 1

    def _refuse(self, exc: RestError) -> RestError:
        """Count a limit error (HTTP or inside a batch) on its way to the client."""
        with self._count_lock:
            self._errors[exc.error] += 1
        return exc

    def handle(self, path: str, params: Callable[[], dict[str, Any]]) -> _Answer:
        """Answer one HTTP request; `params` decodes the body lazily, after the cheap checks."""
        parts = [p for p in path.split("/") if p]
        if parts[:2] == ["oauth", "token"] and len(parts) == 2:
            answer = self._oauth(params)
        elif parts[:2] == ["oauth", "authorize"] and len(parts) == 2:
            answer = self._authorize(params)
        elif parts[:1] == ["rest"] and len(parts) in (2, 4):
            answer = self._rest(parts[1:], params)
        else:
            answer = _Answer.error(NOT_FOUND)
        self._count(answer)
        return answer

    def _rest(self, route: list[str], params: Callable[[], dict[str, Any]]) -> _Answer:
        draw = self._faults.draw() if self._faults else _NO_FAULT
        if draw.latency:
            time.sleep(draw.latency)
        if draw.fault is Fault.RESET_BEFORE:
            return _DROP
        if draw.fault is Fault.RATE:
            return _Answer.error(self._refuse(QUERY_LIMIT))
        if draw.fault is Fault.ERROR_BEFORE:
            return _Answer.error(INTERNAL)
        if not self.limits.bucket.try_acquire():
            return _Answer.error(self._refuse(QUERY_LIMIT))
        method = method_name(route[-1])
        start = self._clock()
        try:
            decoded = params()
            caller = self._authenticate(route[:-1], decoded)
            if method == "batch":
                self._check_scope(caller, method)
                result = run_batch(decoded, lambda m, p: self._execute(caller, m, p))
                status = self.limits.operating.status((caller.key, method))
                finish = self._clock()
                time_block = _time_block(start, finish, status.operating, status.reset_at)
            else:
                outcome = self._execute(caller, method, decoded)
                result, time_block = outcome.result, dict(outcome.time)
        except RestError as exc:
            answer = _Answer.error(exc)
        else:
            answer = _Answer(200, {"result": result, "time": time_block})
        log.info("%s %d", method, answer.status)
        if draw.fault is Fault.ERROR_AFTER:
            return _Answer.error(INTERNAL)
        if draw.fault is Fault.RESET_AFTER:
            return _DROP
        return answer

    def _authenticate(self, webhook: list[str], params: dict[str, Any]) -> _Caller:
        auth = params.pop("auth", None)
        with self._lock:
            if webhook:
                user_id, token = webhook
                user = self.store.user(int(user_id)) if user_id.isdigit() else None
                tokens = self.store.webhook_tokens(user.id) if user else []
                matches = [hmac.compare_digest(known.encode(), token.encode())
                           for known in tokens]
                if user is None or not any(matches):
                    raise NO_AUTH
                return _Caller(user, ALL_SCOPES, f"webhook:{user.id}:{matches.index(True)}")
            if not isinstance(auth, str) or not auth:
                raise NO_AUTH
            found = self.store.access_token(auth)
            if found is None:
                raise NO_AUTH
            user_id_, scope, expires_at = found
            if self._clock() >= expires_at:
                raise EXPIRED
            oauth_user = self.store.user(user_id_)
        if oauth_user is None:
            raise NO_AUTH
        scopes = frozenset(s.strip() for s in scope.split(",") if s.strip())
        return _Caller(oauth_user, scopes, f"oauth:{oauth_user.id}")

    @staticmethod
    def _check_scope(caller: _Caller, method: str) -> None:
        scope = _required_scope(method)
        if scope is not None and scope not in caller.scopes:
            raise INSUFFICIENT_SCOPE

    def _execute(self, caller: _Caller, method: str, params: dict[str, Any]) -> CommandOutcome:
        """One method call with its scope, operating-time limit and cost; shared by `batch`."""
        self._check_scope(caller, method)
        if method not in self.api.methods:
            raise NOT_FOUND
        key = (caller.key, method)
        if not self.limits.operating.allowed(key):
            raise self._refuse(OPERATION_LIMIT)
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

    def _authorize(self, params: Callable[[], dict[str, Any]]) -> _Answer:
        """`/oauth/authorize/?client_id=…&state=…` (`settings/oauth/index.md`, step 1) for an
        app without a return address: the portal's first user is signed in, and the page
        shows the one-time code (valid 30 s) with the parameters a redirect would carry."""
        try:
            decoded = params()
        except RestError as exc:
            return _Answer.error(exc)
        client_id = decoded.get("client_id")
        with self._lock:
            known = isinstance(client_id, str) and client_id in dict(self.store.apps())
        if not known:
            log.info("oauth/authorize 400")
            return _Answer(400, _oauth_error("invalid_client", "Unknown client_id"))
        code = secrets.token_hex(16)
        with self._lock:
            self.store.put_code(code, user_id=self.first_user.id, client_id=str(client_id),
                                scope=DEFAULT_SCOPE, expires_at=self._clock() + CODE_TTL)
        log.info("oauth/authorize 200")
        return _Answer(200, {
            "code": code, "state": str(decoded.get("state") or ""),
            "domain": urlsplit(self.base_url).netloc, "member_id": self._member_id(),
            "scope": DEFAULT_SCOPE, "server_domain": urlsplit(self.base_url).netloc,
        })

    def _oauth(self, params: Callable[[], dict[str, Any]]) -> _Answer:
        """`/oauth/token/` as `settings/oauth/index.md` (step 2, `authorization_code`) and
        `auto-renewal.md` (`refresh_token`) describe it; each code and refresh token works
        once."""
        try:
            decoded = params()
        except RestError as exc:
            return _Answer.error(exc)
        grant_type = decoded.get("grant_type")
        proof = {"authorization_code": "code", "refresh_token": "refresh_token"}.get(
            str(grant_type))
        values = {k: decoded.get(k) for k in ("client_id", "client_secret", proof or "")}
        if proof is None and isinstance(grant_type, str) and grant_type:
            return _Answer(400, _oauth_error("invalid_request", "Unsupported grant_type"))
        if proof is None or any(not isinstance(v, str) or not v for v in values.values()):
            return _Answer(400, _oauth_error("invalid_request", "Missing required parameters"))
        client_id = str(values["client_id"])
        with self._lock:
            secret = dict(self.store.apps()).get(client_id)
            if secret is None or not hmac.compare_digest(
                    secret.encode(), str(values["client_secret"]).encode()):
                answer = _Answer(401, _oauth_error("invalid_client", "Invalid client"))
                log.info("oauth/token %d", answer.status)
                return answer
            taken = self._take_grant(proof, str(values[proof]), client_id)
        if taken is None:
            log.info("oauth/token 400")
            what = "authorization code" if proof == "code" else "refresh token"
            return _Answer(400, _oauth_error("invalid_grant", f"Invalid {what}"))
        user_id, scope = taken
        grant = self._issue(user_id, scope, client_id, secret)
        log.info("oauth/token 200")
        return _Answer(200, {
            "access_token": grant.access_token,
            "client_endpoint": f"{self.base_url}/rest/",
            "domain": urlsplit(self.base_url).netloc,
            "expires": int(grant.expires_at),
            "expires_in": int(self.config.token_ttl),
            "member_id": self._member_id(),
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
            "server_endpoint": f"{self.base_url}/rest/",
            "status": "L",
            "user_id": grant.user_id,
        })

    def _take_grant(self, proof: str, value: str, client_id: str) -> tuple[int, str] | None:
        """(user_id, scope) for a code that has not expired, or a refresh token; both used
        up by this."""
        if proof == "refresh_token":
            return self.store.take_refresh_token(value, client_id)
        taken = self.store.take_code(value, client_id)
        if taken is None or self._clock() >= taken[2]:
            return None
        return taken[0], taken[1]

    def _member_id(self) -> str:
        with self._lock:
            first_app = self.store.apps()[0][0]
        return hashlib.md5(first_app.encode(), usedforsecurity=False).hexdigest()


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


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


class _HttpServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128
    """socketserver's default listen backlog is 5: clients that open 50 connections at once
    (fast-bitrix24 does) then meet dropped connections no real portal would cause."""
    portal: Portal

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up or rejects the certificate is worth one line, not a trace."""
        exc = sys.exc_info()[1]
        log.info("connection failed: %s", type(exc).__name__)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _HttpServer
    server_version = "ics2b24-portal"

    def log_message(self, format: str, *args: Any) -> None:
        """Silenced: the default line holds the path, and the path holds the webhook token."""

    def do_GET(self) -> None:
        self._serve()

    def do_POST(self) -> None:
        self._serve()

    def _serve(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length > 0 else b""
        content_type = self.headers.get("Content-Type", "")
        answer = self.server.portal.handle(
            url.path, lambda: decode_request(url.query, body, content_type)
        )
        if answer.drop:
            self._drop()
            return
        payload = json.dumps(answer.body, ensure_ascii=False).encode("utf-8")
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def _drop(self) -> None:
        """Close without an answer, with a TCP reset: the client cannot tell what happened."""
        self.close_connection = True
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            return


# -- `ics2b24 portal serve` ----------------------------------------------------------------


def _read_users(path: str | None) -> Mapping[str, Any] | None:
    if path is None:
        return None
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ParseError(exc.strerror or "cannot be read", file=path) from exc
    except ValueError as exc:
        raise ParseError(f"not valid JSON: {exc}", file=path) from exc
    if not isinstance(data, dict):
        raise ParseError('expected {"users": [...], "apps": [...]}', file=path)
    return data


def config_from_cli(*, host: str, port: int, data: str | None, users: str | None, tls: bool,
                    faults: str | None, rate: str, operating: str, time_scale: float,
                    token_ttl: int, generation: int, server_zone: str,
                    user_zone: str, unlisted_zones: tuple[str, ...] = (),
                    webhooks: int = 1) -> PortalConfig:
    """The `portal serve` flags as a PortalConfig; bad values are usage errors."""
    per_second, burst = parse_rate(rate)
    limit, window = parse_ratio(operating, "--operating")
    if time_scale <= 0:
        raise UsageError(f"--time-scale must be positive, got {time_scale}")
    if token_ttl <= 0:
        raise UsageError(f"--token-ttl must be positive, got {token_ttl}")
    if webhooks < 1:
        raise UsageError(f"--webhooks must be at least 1, got {webhooks}")
    for flag, name in (("--server-zone", server_zone), ("--user-zone", user_zone),
                       *(("--unlisted-zone", name) for name in unlisted_zones)):
        try:
            zone(name)
        except ValueError:
            raise UsageError(f"{flag} {name!r} is not a time zone") from None
    return PortalConfig(
        host=host, port=port, data=data, users=_read_users(users), tls=tls,
        profile=Profile(generation=generation, server_zone=server_zone,
                        unlisted_zones=frozenset(unlisted_zones)),
        user_zone=user_zone,
        faults=parse_faults(faults) if faults else None,
        limits=LimitSettings(rate=per_second, burst=burst, operating_limit=limit,
                             operating_window=window, time_scale=time_scale),
        token_ttl=float(token_ttl), webhooks=webhooks,
    )


def serve_from_cli(**kwargs: Any) -> None:
    """Run the portal until SIGTERM or SIGINT; stdout is the webhook URLs, one a line."""
    config = config_from_cli(**kwargs)
    if not logging.getLogger().handlers:
        logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                            format="%(asctime)s %(name)s %(message)s")
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        try:
            portal = Portal(config).start()
        except OSError as exc:
            where = f"{config.host}:{config.port}"
            raise UsageError(f"cannot listen on {where}: {exc.strerror}") from exc
        try:
            if portal.certificate is not None:
                log.info("TLS certificate: %s", portal.certificate.cert_path)
            sys.stdout.write("".join(url + "\n" for url in portal.webhook_urls))
            sys.stdout.flush()
            while not stop.wait(0.5):
                pass
        finally:
            portal.stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
