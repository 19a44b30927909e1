"""The portal's table columns: `b_calendar_event` keeps NAME, LOCATION and the serialized REMIND
in `varchar(255)` columns and MySQL cuts longer values without a word (docs/test-portal.md,
behaviour 24)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

VARCHAR = 255


def cut(text: str) -> str:
    """A text column's value as stored: its first 255 characters."""
    return text[:VARCHAR]


def stored_reminders(reminders: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """REMIND is PHP-serialized into varchar(255): a longer serialization (six reminders or
    more) is cut, fails to unserialize on reading, and the event has no reminders at all."""
    if len(php_serialize([dict(r) for r in reminders]).encode()) > VARCHAR:
        return []
    return [dict(r) for r in reminders]


def php_serialize(value: Any) -> str:
    """PHP's `serialize` for the values a reminder list holds."""
    if isinstance(value, bool):
        return f"b:{int(value)};"
    if isinstance(value, int):
        return f"i:{value};"
    if isinstance(value, str):
        return f's:{len(value.encode())}:"{value}";'
    items = value.items() if isinstance(value, Mapping) else enumerate(value)
    body = "".join(php_serialize(k) + php_serialize(v) for k, v in items)
    return f"a:{len(value)}:{{{body}}}"
