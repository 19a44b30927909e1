"""The file renewed OAuth tokens are kept in: a refresh token works once, so the pair that
replaced it must be where the next run looks (0600, written atomically).
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

from ics2b24.errors import UsageError
from ics2b24.paths import make_private_dirs


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
