"""Credentials → a ready, paced `Client`, shared by every command that talks to a portal.
Flags win over the environment, so secrets can live in the environment alone."""

from __future__ import annotations

import ssl
from collections.abc import Callable, Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from ics2b24.bitrix.auth import DEFAULT_OAUTH_SERVER, OAuthAuth, WebhookAuth, without_login
from ics2b24.bitrix.client import DEFAULT_TIMEOUT, Client, WaitHook
from ics2b24.bitrix.limits import DEFAULT_RATE, OPERATING_LIMIT, Pacer, Rate
from ics2b24.bitrix.tokens import kept_tokens, token_digest
from ics2b24.errors import UsageError
from ics2b24.paths import data_dir


@dataclass(frozen=True)
class Credentials:
    """Either a webhook URL or the OAuth set; `repr` hides every secret."""

    webhook: str | None = field(default=None, repr=False)
    portal: str | None = None
    access_token: str | None = field(default=None, repr=False)
    refresh_token: str | None = field(default=None, repr=False)
    client_id: str | None = field(default=None, repr=False)
    client_secret: str | None = field(default=None, repr=False)
    oauth_server: str = DEFAULT_OAUTH_SERVER
    token_file: Path | None = None

    @classmethod
    def from_options(cls, env: Mapping[str, str], **flags: str | Path | None) -> Credentials:
        """Merge flags with `B24_*` variables: a flag given on the command line wins, also
        over the other kind of credentials in the environment (`--portal` over B24_WEBHOOK,
        `--webhook` over B24_PORTAL)."""

        def pick(name: str, var: str) -> str | None:
            value = flags.get(name)
            return str(value) if value else (env.get(var) or None)

        token_file = flags.get("token_file")
        webhook, portal = pick("webhook", "B24_WEBHOOK"), pick("portal", "B24_PORTAL")
        if webhook and portal and bool(flags.get("webhook")) != bool(flags.get("portal")):
            webhook, portal = (webhook, None) if flags.get("webhook") else (None, portal)
        return cls(
            webhook=webhook,
            portal=portal,
            access_token=pick("access_token", "B24_ACCESS_TOKEN"),
            refresh_token=pick("refresh_token", "B24_REFRESH_TOKEN"),
            client_id=pick("client_id", "B24_CLIENT_ID"),
            client_secret=pick("client_secret", "B24_CLIENT_SECRET"),
            oauth_server=str(flags.get("oauth_server") or DEFAULT_OAUTH_SERVER),
            token_file=Path(token_file) if token_file else None,
        )

    @property
    def address(self) -> str:
        """The portal these credentials reach, as `scheme://host[:port]` (no login, no
        token): what shares one request bucket."""
        first = (self.webhook or self.portal or "").split()
        parts = urlsplit(without_login(first[0] if first else ""))
        return f"{parts.scheme.lower()}://{parts.netloc.lower()}"

    def auth(self) -> WebhookAuth | OAuthAuth:
        """Exactly one kind of credentials, or a UsageError that says what is missing."""
        if self.webhook and self.portal:
            raise UsageError("give either --webhook or --portal with OAuth tokens, not both")
        if self.webhook:
            return WebhookAuth.parse(self.webhook)
        if not self.portal:
            raise UsageError(
                "no credentials: give --webhook URL (or B24_WEBHOOK), or --portal with "
                "--access-token, --refresh-token, --client-id and --client-secret"
            )
        access, refresh = self.access_token, self.refresh_token
        replaces = token_digest(refresh) if refresh else None
        token_file = self.token_file or self._default_token_file()
        kept = kept_tokens(token_file, refresh) if token_file is not None else None
        if kept is not None:
            access, refresh, kept_replaces = kept
            replaces = replaces or kept_replaces
        missing = [
            flag
            for flag, value in (
                ("--access-token", access),
                ("--refresh-token", refresh),
                ("--client-id", self.client_id),
                ("--client-secret", self.client_secret),
            )
            if not value
        ]
        if missing:
            raise UsageError(f"OAuth needs {', '.join(missing)} (or their B24_* variables)")
        assert access and refresh and self.client_id and self.client_secret
        return OAuthAuth(
            base_url=self.portal,
            access_token=access,
            refresh_token=refresh,
            client_id=self.client_id,
            client_secret=self.client_secret,
            oauth_server=self.oauth_server,
            token_file=token_file,
            replaces=replaces,
            announce=self.token_file is None,
        )

    def _default_token_file(self) -> Path | None:
        """Where renewed tokens are kept without --token-file: one file per portal and app in
        the user's data dir, since a refresh token works once and the next run needs the
        pair that replaced it."""
        if not self.portal or not self.client_id:
            return None
        parts = urlsplit(self.portal.strip())
        host = f"{parts.hostname or 'portal'}{f'_{parts.port}' if parts.port else ''}"
        return data_dir() / "tokens" / f"{host}-{token_digest(self.client_id)[:12]}.json"


@dataclass(frozen=True)
class Transport:
    """How requests travel: `--timeout` for each whole answer, `--ca-cert` to trust a certificate
    no system CA signed (a test portal's `--tls`, a company CA)."""

    timeout: float = DEFAULT_TIMEOUT
    ca_cert: Path | None = None

    def verify(self) -> bool | str:
        """True, or the `--ca-cert` file once it is known to hold a certificate: what else a
        user may give there (its key, any other file) would fail every handshake as one
        that has nothing to do with the file."""
        if self.ca_cert is None:
            return True
        if not self.ca_cert.is_file():
            raise UsageError(f"--ca-cert {self.ca_cert}: no such file")
        try:
            text = self.ca_cert.read_bytes()
            ssl.create_default_context().load_verify_locations(cafile=str(self.ca_cert))
        except ssl.SSLError:
            said = ("is a private key, not a CA certificate" if b"PRIVATE KEY-----" in text
                    else "holds no certificate in PEM form (-----BEGIN CERTIFICATE-----)")
            raise UsageError(f"--ca-cert {self.ca_cert}: {said}") from None
        except OSError as exc:  # ssl.SSLError is one too, and is caught above
            raise UsageError(f"--ca-cert {self.ca_cert}: cannot be read ({exc.strerror})"
                             ) from None
        return str(self.ca_cert)


@dataclass(frozen=True)
class Hooks:
    """What the user hears while a run works: long waits, notes such as where renewed tokens
    are kept (a line each), and `status`, what it is busy with before there is progress to
    show ("reading FILE…"; on a terminal only). Each defaults to silence. `hold` is the block
    in which a write is sent and its answer recorded: the CLI lets no signal cut it short.
    `on_tick` hears, about every second of a long wait, how many seconds are left; `idle` is
    given a long wait's seconds for other work and says how many it took."""

    on_wait: WaitHook | None = None
    on_tick: Callable[[float], None] | None = None
    notify: Callable[[str], None] | None = None
    status: Callable[[str], None] | None = None
    hold: Callable[[], AbstractContextManager[None]] = nullcontext
    idle: Callable[[float], float] | None = None


def make_pacer(rate: str = DEFAULT_RATE, operating_limit: float = OPERATING_LIMIT) -> Pacer:
    """A pacer for `--rate` and `--operating-limit`."""
    return Pacer(Rate.parse(rate), operating_limit)


def make_client(
    credentials: Credentials, *, rate: str = DEFAULT_RATE,
    operating_limit: float = OPERATING_LIMIT,
    transport: Transport | None = None, hooks: Hooks | None = None,
    pacer: Pacer | None = None, admin: bool | None = None,
) -> Client:
    """A client paced for the portal's two limits: by its own pacer, or by `pacer` when
    several runs share the portal's limits (every pair of one `sync`)."""
    pacer = pacer or make_pacer(rate, operating_limit)
    transport = transport or Transport()
    hooks = hooks or Hooks()
    return Client(credentials.auth(), pacer=pacer, timeout=transport.timeout,
                  verify=transport.verify(), on_wait=hooks.on_wait, on_tick=hooks.on_tick,
                  idle=hooks.idle, notify=hooks.notify, admin=admin)


def caller_id(credentials: Credentials, transport: Transport | None = None,
              hooks: Hooks | None = None) -> int:
    """The user the credentials act as: from a webhook's URL, else from `user.current`."""
    auth = credentials.auth()
    if isinstance(auth, WebhookAuth):
        return auth.user_id
    client = make_client(credentials, transport=transport, hooks=hooks)
    try:
        return client.user_id()
    finally:
        client.close()
