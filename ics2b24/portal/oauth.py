"""The portal's OAuth server: `/oauth/authorize/` and `/oauth/token/` as
`settings/oauth/index.md` (steps 1 and 2) and `auto-renewal.md` describe them, and the token
pairs tests mint directly (`mint`). Each code and refresh token works once; a code for
`CODE_TTL` seconds."""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ics2b24.portal.answer import Answer
from ics2b24.portal.auth import DEFAULT_SCOPE
from ics2b24.portal.store import Store
from ics2b24.portal.wire import RestError

log = logging.getLogger("ics2b24.portal")

CODE_TTL = 30.0
"""Seconds an authorization code can be exchanged (`settings/oauth/index.md`)."""


@dataclass(frozen=True)
class OAuthGrant:
    access_token: str
    refresh_token: str
    client_id: str
    client_secret: str
    user_id: int
    scope: str
    expires_at: float


def _oauth_error(error: str, description: str) -> dict[str, str]:
    return {"error": error, "error_description": description}


class OAuthServer:
    """Codes and tokens over the portal's store, under the portal's lock; `base_url` and
    `first_user` are asked when needed (the port is known only once the portal listens)."""

    def __init__(self, store: Store, lock: threading.RLock, clock: Callable[[], float],
                 token_ttl: float, base_url: Callable[[], str],
                 first_user: Callable[[], int]) -> None:
        self.store = store
        self._lock = lock
        self._clock = clock
        self._token_ttl = token_ttl
        self._base_url = base_url
        self._first_user = first_user

    def mint(self, user_id: int | None = None, scope: str = DEFAULT_SCOPE,
             client_id: str | None = None, ttl: float | None = None) -> OAuthGrant:
        """Issue a token pair as if the user had just authorised the app (tests start here)."""
        with self._lock:
            apps = dict(self.store.apps())
        chosen = client_id if client_id is not None else next(iter(apps))
        uid = user_id if user_id is not None else self._first_user()
        return self._issue(uid, scope, chosen, apps[chosen], ttl)

    def _issue(self, user_id: int, scope: str, client_id: str, client_secret: str,
               ttl: float | None = None) -> OAuthGrant:
        lifetime = self._token_ttl if ttl is None else ttl
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

    def authorize(self, params: Callable[[], dict[str, Any]]) -> Answer:
        """`/oauth/authorize/?client_id=…&state=…` (`settings/oauth/index.md`, step 1) for an
        app without a return address: the portal's first user is signed in, and the page
        shows the one-time code (valid 30 s) with the parameters a redirect would carry."""
        try:
            decoded = params()
        except RestError as exc:
            return Answer.error(exc)
        client_id = decoded.get("client_id")
        with self._lock:
            known = isinstance(client_id, str) and client_id in dict(self.store.apps())
        if not known:
            log.info("oauth/authorize 400")
            return Answer(400, _oauth_error("invalid_client", "Unknown client_id"))
        code = secrets.token_hex(16)
        with self._lock:
            self.store.put_code(code, user_id=self._first_user(), client_id=str(client_id),
                                scope=DEFAULT_SCOPE, expires_at=self._clock() + CODE_TTL)
        log.info("oauth/authorize 200")
        return Answer(200, {
            "code": code, "state": str(decoded.get("state") or ""),
            "domain": urlsplit(self._base_url()).netloc, "member_id": self._member_id(),
            "scope": DEFAULT_SCOPE, "server_domain": urlsplit(self._base_url()).netloc,
        })

    def token(self, params: Callable[[], dict[str, Any]]) -> Answer:
        """`/oauth/token/` as `settings/oauth/index.md` (step 2, `authorization_code`) and
        `auto-renewal.md` (`refresh_token`) describe it; each code and refresh token works
        once."""
        try:
            decoded = params()
        except RestError as exc:
            return Answer.error(exc)
        grant_type = decoded.get("grant_type")
        proof = {"authorization_code": "code", "refresh_token": "refresh_token"}.get(
            str(grant_type))
        values = {k: decoded.get(k) for k in ("client_id", "client_secret", proof or "")}
        if proof is None and isinstance(grant_type, str) and grant_type:
            return Answer(400, _oauth_error("invalid_request", "Unsupported grant_type"))
        if proof is None or any(not isinstance(v, str) or not v for v in values.values()):
            return Answer(400, _oauth_error("invalid_request", "Missing required parameters"))
        client_id = str(values["client_id"])
        with self._lock:
            secret = dict(self.store.apps()).get(client_id)
            if secret is None or not hmac.compare_digest(
                    secret.encode(), str(values["client_secret"]).encode()):
                answer = Answer(401, _oauth_error("invalid_client", "Invalid client"))
                log.info("oauth/token %d", answer.status)
                return answer
            taken = self._take_grant(proof, str(values[proof]), client_id)
        if taken is None:
            log.info("oauth/token 400")
            what = "authorization code" if proof == "code" else "refresh token"
            return Answer(400, _oauth_error("invalid_grant", f"Invalid {what}"))
        user_id, scope = taken
        grant = self._issue(user_id, scope, client_id, secret)
        log.info("oauth/token 200")
        return Answer(200, {
            "access_token": grant.access_token,
            "client_endpoint": f"{self._base_url()}/rest/",
            "domain": urlsplit(self._base_url()).netloc,
            "expires": int(grant.expires_at),
            "expires_in": int(self._token_ttl),
            "member_id": self._member_id(),
            "refresh_token": grant.refresh_token,
            "scope": grant.scope,
            "server_endpoint": f"{self._base_url()}/rest/",
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
