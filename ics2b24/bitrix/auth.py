"""Who a client calls as: an inbound webhook (or a pool of one user's webhooks) or an OAuth
app's tokens, each refusing an address that would carry them unencrypted over a network.

Credentials never leave this module in any text: reprs hide them, and `without_login` takes
the `user:password@` off any address before it is shown or kept.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlsplit, urlunsplit

from ics2b24.bitrix.tokens import token_digest
from ics2b24.errors import UsageError

DEFAULT_OAUTH_SERVER = "https://oauth.bitrix.info"


Login = tuple[str, str]
"""The `user:password` a URL may carry, as (user, password)."""


_WEBHOOK_PATH = re.compile(r"^/rest/(\d+)/([^/]+)/?$")


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


def ledger_tokens(auth: WebhookAuth | OAuthAuth) -> dict[str, str]:
    """The pacer's ledger names for `auth`: operating time is kept per webhook or per
    application (`limits.md`), so one per webhook token, or the app's for OAuth. Names are
    digests, as the pacer may be shared and is shown in no log, but holds no secret."""
    if isinstance(auth, OAuthAuth):
        return {f"app {token_digest(auth.client_id)[:12]}": ""}
    return {f"webhook {token_digest(token)[:12]}": token for token in auth.tokens}
