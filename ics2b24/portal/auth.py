"""Who calls and what they may call: a webhook (`/rest/{user}/{token}/`, every scope) or an
OAuth access token (`auth`, the scopes it was granted), as
`settings/how-to-call-rest-api/` describes them; each caller has its own operating-time
ledger (`Caller.key`, `limits.md`)."""

from __future__ import annotations

import hmac
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ics2b24.portal.store import Store, User
from ics2b24.portal.wire import RestError

ALL_SCOPES = frozenset({"calendar", "basic", "user", "sonet_group"})
DEFAULT_SCOPE = "calendar,basic,user,sonet_group"
_METHOD_SCOPES = {"batch": "basic", "user.current": "user", "user.get": "user",
                  "sonet_group.get": "sonet_group"}

NO_AUTH = RestError("NO_AUTH_FOUND", "Wrong authorization data", 401)
EXPIRED = RestError("expired_token", "The access token provided has expired", 401)
INSUFFICIENT_SCOPE = RestError(
    "insufficient_scope",
    "The request requires higher privileges than provided by the webhook token", 403,
)


@dataclass(frozen=True)
class Caller:
    user: User
    scopes: frozenset[str]
    key: str


def _required_scope(method: str) -> str | None:
    if method.startswith("calendar."):
        return "calendar"
    return _METHOD_SCOPES.get(method)


def check_scope(caller: Caller, method: str) -> None:
    scope = _required_scope(method)
    if scope is not None and scope not in caller.scopes:
        raise INSUFFICIENT_SCOPE


def authenticate(store: Store, clock: Callable[[], float], webhook: list[str],
                 params: dict[str, Any]) -> Caller:
    """The caller of a request to `/rest/{webhook…}/method` (`webhook` empty: OAuth, the token
    in `params["auth"]`, which is taken out of them). The caller holds the portal's lock."""
    auth = params.pop("auth", None)
    if webhook:
        user_id, token = webhook
        user = store.user(int(user_id)) if user_id.isdigit() else None
        tokens = store.webhook_tokens(user.id) if user else []
        matches = [hmac.compare_digest(known.encode(), token.encode()) for known in tokens]
        if user is None or not any(matches):
            raise NO_AUTH
        return Caller(user, ALL_SCOPES, f"webhook:{user.id}:{matches.index(True)}")
    if not isinstance(auth, str) or not auth:
        raise NO_AUTH
    found = store.access_token(auth)
    if found is None:
        raise NO_AUTH
    user_id_, scope, expires_at = found
    if clock() >= expires_at:
        raise EXPIRED
    oauth_user = store.user(user_id_)
    if oauth_user is None:
        raise NO_AUTH
    scopes = frozenset(s.strip() for s in scope.split(",") if s.strip())
    return Caller(oauth_user, scopes, f"oauth:{oauth_user.id}")
