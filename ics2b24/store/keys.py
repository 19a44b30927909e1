"""The names the state DB files rows under: a portal user (never a token) and a target."""

from __future__ import annotations

from urllib.parse import urlsplit

from ics2b24.errors import UsageError


def portal_identity(url: str, user_id: int | str) -> str:
    """The non-secret name of "this user on this portal": scheme, host and user id, so that
    neither a webhook token nor an OAuth token ever reaches the state DB."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not parts.scheme or not host:
        raise UsageError("portal URL must look like https://HOST/")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}/user/{user_id}"


def target_key(calendar_type: str, owner_id: int | str, section_id: int | str) -> str:
    """`type:owner:section`, the calendar a run writes into."""
    return f"{calendar_type}:{owner_id}:{section_id}"
