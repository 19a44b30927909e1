"""A request value as a PHP portal reads it: what counts as "not set", what (int) makes of it,
how a list arrives, and what CCalendar::Color keeps of a colour.

Section and event methods read their parameters the same way; the readers live here so that
neither kind of method has to import the other for them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ics2b24.portal.refusals import MethodError
from ics2b24.portal.wire import php_int, php_string

DEFAULT_COLOR = "#9dcf00"
_NOT_WORD = re.compile(r"[^A-Za-z0-9_]")


def empty(value: Any) -> bool:
    """PHP's empty(): what a portal treats as "not set"."""
    return value is None or value is False or value in ("", "0", 0, [], {})


def as_int(value: Any) -> int | None:
    """PHP's (int) of a parameter (None when it was not sent): "12abc" is 12, a non-empty
    array is 1 - which is what an id taken from a batch reference to a whole result becomes."""
    if value is None:
        return None
    return php_int(value.strip() if isinstance(value, str) else value)


def as_list(value: Any) -> list[Any]:
    """A list as JSON gives it, or as PHP-style form keys decode it (`{"0": …}`). A form can
    only say "empty array" as `key[]=`, which decodes to one empty string: that is no item."""
    if isinstance(value, Mapping):
        items = list(value.values())
    elif isinstance(value, (list, tuple)):
        items = list(value)
    else:
        items = [value]
    return [item for item in items if item != ""]


def check_strings(p: Mapping[str, Any], *, name_required: bool, invalid: str) -> None:
    """`name` and `description` must be strings (the reference's "Invalid value" errors)."""
    name = p.get("name")
    if (name_required or name is not None) and not isinstance(name, str):
        raise MethodError("", invalid.format(name="name"))
    if p.get("description") is not None and not isinstance(p["description"], str):
        raise MethodError("", invalid.format(name="description"))


def bitrix_color(value: Any, default: str = DEFAULT_COLOR) -> str:
    """CCalendar::Color (modules/calendar/classes/general/calendar.php): non-word characters
    dropped, longer than 6 cut to 6, shorter than 6 is no colour - and no colour is the
    default (#9dcf00 unless the caller names another). Hex digits are not checked."""
    text = php_string(value)
    if text != "":
        text = _NOT_WORD.sub("", text).strip().lstrip("#")
        if len(text) > 6:
            text = text[:6]
        elif len(text) < 6:
            text = ""
    return f"#{text}" if text else default
