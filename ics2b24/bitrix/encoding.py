"""The wire form of a REST call inside `batch`: `method?query` with PHP-style nested keys.

A `batch` command is a string, so structured parameters must be flattened the way PHP's
`parse_str` reads them back (`rrule[BYDAY][0]=MO`). PHP's own `http_build_query` loses
what a calendar update depends on: it drops empty arrays (so "remove every reminder" would
read as "leave reminders alone") and a Python `str(False)` would arrive as the truthy string
`"False"`. The choices here keep those values:

- booleans are `1` / `0`, the values PHP itself reads as true / false;
- an empty list or mapping is `key[]=`, the form the Bitrix24 reference prescribes for empty
  arrays (an empty mapping and an empty list are the same thing to PHP);
- an empty string is `key=`;
- every value and key segment is percent-encoded in full (`#` as `%23`, spaces as `%20`,
  non-ASCII as UTF-8), only the structural `[`, `]`, `=`, `&` stay literal. A `$` is `%24`,
  so no value can become a `$result[…]` reference: a real portal resolves one into the
  answer of an update to the series' id (and deletes the series), so this client writes none.

The batch body itself goes as JSON, where the reference says `cmd` strings travel as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

MAX_BATCH_COMMANDS = 50
_COMMAND_KEY = re.compile(r"[A-Za-z0-9_]+")
_METHOD = re.compile(r"[A-Za-z0-9_.]+")


def _scalar(value: object) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (int, float, str)):
        return quote(str(value), safe="")
    raise TypeError(f"no wire form for {type(value).__name__} value {value!r}")


def _key(segment: object) -> str:
    text = str(segment)
    if not text or "[" in text or "]" in text:
        raise ValueError(f"parameter name {text!r} cannot be written as a PHP-style key")
    return quote(text, safe="")


def _flatten(prefix: str, value: object, out: list[str]) -> None:
    if isinstance(value, Mapping):
        items: list[tuple[object, object]] = list(value.items())
    elif isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        items = list(enumerate(value))
    else:
        out.append(f"{prefix}={_scalar(value)}")
        return
    if not items:
        out.append(f"{prefix}[]=")
        return
    for sub, item in items:
        _flatten(f"{prefix}[{_key(sub)}]", item, out)


def encode_query(params: Mapping[str, Any]) -> str:
    """`params` as a query string that PHP's `parse_str` reads back to the same structure."""
    out: list[str] = []
    for name, value in params.items():
        _flatten(_key(name), value, out)
    return "&".join(out)


def encode_command(method: str, params: Mapping[str, Any]) -> str:
    """One `cmd` entry: `method?query`, or the bare method when it takes no parameters."""
    if not _METHOD.fullmatch(method):
        raise ValueError(f"{method!r} is not a REST method name")
    query = encode_query(params)
    return f"{method}?{query}" if query else method


def batch_body(
    commands: Mapping[str, tuple[str, Mapping[str, Any]]], *, halt: bool = False
) -> dict[str, Any]:
    """The JSON body of one `batch` request. Keys must be plain names so that later commands
    can refer to them with `$result[key]`; more than 50 commands is a programming error,
    since the portal would fail the excess with ERROR_BATCH_LENGTH_EXCEEDED."""
    if not commands:
        raise ValueError("a batch needs at least one command")
    if len(commands) > MAX_BATCH_COMMANDS:
        raise ValueError(
            f"a batch holds at most {MAX_BATCH_COMMANDS} commands, got {len(commands)}"
        )
    cmd: dict[str, str] = {}
    for key, (method, params) in commands.items():
        if not _COMMAND_KEY.fullmatch(key):
            raise ValueError(f"batch command key {key!r} must be letters, digits or _")
        cmd[key] = encode_command(method, params)
    return {"halt": 1 if halt else 0, "cmd": cmd}
