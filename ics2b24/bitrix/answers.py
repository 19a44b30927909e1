"""The shape each call expects of the portal's `result`, checked before the answer is used.

A server that answers in another shape (a portal's bug, a proxy, something posing as a
portal) stops the command with one line naming the method and what came instead (exit 1,
the portal failed the work), never a traceback, and never a guess: a list of events that is
not one, read as "no events", would make push add every event again.

PHP's JSON writes an empty object as `[]`, so an object read takes `[]` (and no answer at
all) for an empty one; a list read takes nothing but a list of objects.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ics2b24.errors import PortalError

UNEXPECTED = "ERROR_UNEXPECTED_ANSWER"


def unexpected(method: str, result: Any, wanted: str) -> PortalError:
    """The one line for an answer of a shape no Bitrix24 portal gives."""
    return PortalError(UNEXPECTED, f"{method} answered {shown(result)} instead of {wanted}")


def shown(result: Any) -> str:
    """An answer as a line can show it: its repr, cut at 60 characters."""
    text = repr(result)
    return text if len(text) <= 60 else text[:57] + "..."


def rows(method: str, result: Any, wanted: str) -> list[dict[str, Any]]:
    """A list read (`calendar.section.get`, `calendar.event.get`): a list of objects."""
    if not isinstance(result, list) or not all(isinstance(row, Mapping) for row in result):
        raise unexpected(method, result, wanted)
    return [dict(row) for row in result]


def record(method: str, result: Any, wanted: str) -> dict[str, Any]:
    """An object read (`user.current`, `calendar.user.settings.get`)."""
    if result is None or result == []:
        return {}
    if not isinstance(result, Mapping):
        raise unexpected(method, result, wanted)
    return dict(result)


def new_id(result: Any) -> int | None:
    """The id an `add` answers: a positive integer (a digit string passes too)."""
    if isinstance(result, bool):
        return None
    if isinstance(result, int):
        return result if result > 0 else None
    if isinstance(result, str) and result.strip().isdigit():
        return int(result) or None
    return None


def an_id(method: str, result: Any, wanted: str) -> int:
    """An id (what an `add` answers, a row's ID), or the one line about what came instead."""
    found = new_id(result)
    if found is None:
        raise unexpected(method, result, wanted)
    return found


def user(result: Any) -> dict[str, Any]:
    """`user.current`: an object with the user's ID."""
    found = record("user.current", result, "the calling user")
    an_id("user.current", found.get("ID"), "the calling user's ID")
    return found
