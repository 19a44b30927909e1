"""What one test portal is: its address, seed, limits, faults, token lifetime and the
generation of Bitrix24 code it plays, as `Portal` takes it and as the `portal serve` flags
give it (`config_from_cli`)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ics2b24.errors import ParseError, UsageError
from ics2b24.portal.dates import zone
from ics2b24.portal.faults import FaultSpec, parse_faults
from ics2b24.portal.limits import LimitSettings, parse_rate, parse_ratio
from ics2b24.portal.profile import DEFAULT_USER_ZONE, Profile


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
