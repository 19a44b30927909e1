"""The REST wire format as a PHP portal sees it: query strings and form bodies with nested keys
(`rrule[BYDAY][0]=MO`), and the JSON shapes PHP's `json_encode` gives back.

Bitrix24 is PHP: `parse_str` turns `a[b][0]=x` into nested arrays, and `json_encode` writes an
array as a JSON list only when its keys are exactly 0..n-1 (an empty array is `[]`, never `{}`).
Clients depend on both, so the portal reproduces them instead of inventing its own rules.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

_KEY = re.compile(r"([^\[]+)((?:\[[^\]]*\])*)")
_SUBKEY = re.compile(r"\[([^\]]*)\]")


@dataclass
class RestError(Exception):
    """One error answer: `{"error": error, "error_description": description}` with `status`."""

    error: str
    description: str
    status: int = 400

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


def _split_key(key: str) -> list[str]:
    """`a[b][]` → ["a", "b", ""]; text after the last `]` is dropped and a key without a
    well-formed bracket stays whole, as PHP's `parse_str` does."""
    match = _KEY.match(key)
    if not match or not match.group(2):
        return [key]
    return [match.group(1), *_SUBKEY.findall(match.group(2))]


def _insert(target: dict[str, Any], path: list[str], value: str) -> None:
    node = target
    for depth, part in enumerate(path):
        last = depth == len(path) - 1
        key = part if part else str(_next_index(node))
        if last:
            node[key] = value
            return
        child = node.get(key)
        if not isinstance(child, dict):
            child = {}
            node[key] = child
        node = child


def _next_index(node: Mapping[str, Any]) -> int:
    """PHP's `a[]=` appends after the largest integer key so far."""
    numbers = [int(k) for k in node if k.lstrip("-").isdigit()]
    return max(numbers) + 1 if numbers else 0


def php_shape(value: Any) -> Any:
    """Turn decoded nested maps into what the same PHP array would be as JSON: maps keyed exactly
    0..n-1 become lists, recursively."""
    if isinstance(value, dict):
        shaped = {k: php_shape(v) for k, v in value.items()}
        if list(shaped) == [str(i) for i in range(len(shaped))]:
            return list(shaped.values())
        return shaped
    if isinstance(value, list):
        return [php_shape(v) for v in value]
    return value


def decode_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Build the parameter tree PHP's `parse_str` would, from already URL-decoded pairs."""
    tree: dict[str, Any] = {}
    for key, value in pairs:
        _insert(tree, _split_key(key), value)
    return {key: php_shape(value) for key, value in tree.items()}


def parse_query(query: str) -> dict[str, Any]:
    """`rrule[FREQ]=WEEKLY&rrule[BYDAY][0]=MO` → {"rrule": {"FREQ": "WEEKLY", "BYDAY": ["MO"]}}."""
    return decode_pairs(parse_qsl(query, keep_blank_values=True))


def split_command(command: str) -> tuple[str, dict[str, Any]]:
    """One batch command `method?query` → (method, params)."""
    method, _, query = command.partition("?")
    return method.strip(), parse_query(query)


def json_array(mapping: Mapping[str, Any]) -> Any:
    """A result map as PHP writes it: `[]` when empty, a list when keyed 0..n-1, else an object."""
    if list(mapping) == [str(i) for i in range(len(mapping))]:
        return list(mapping.values())
    return dict(mapping)


def method_name(raw: str) -> str:
    """Method names are case-insensitive and may carry the `.json` response-format suffix."""
    name = raw.strip().lower()
    return name.removesuffix(".json")


def php_string(value: Any) -> str:
    """A scalar as PHP would write it into a query string (`true` → "1", `false`/null → "",
    `2.0` → "2")."""
    if value is True:
        return "1"
    if value is False or value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (list, tuple, dict)):
        return "Array"
    return str(value)


_PHP_NUMBER = re.compile(r"\s*([+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?)")


def php_int(value: Any) -> int:
    """PHP's `(int)` cast, which the portal applies to ids, COUNT, INTERVAL and reminder counts:
    leading number of a string ("3x" → 3, "abc" → 0), 1/0 for non-empty/empty arrays."""
    if value is None or value is False:
        return 0
    if value is True:
        return 1
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) != float("inf") else 0
    if isinstance(value, (list, tuple, dict)):
        return 1 if value else 0
    match = _PHP_NUMBER.match(str(value))
    if not match:
        return 0
    text = match.group(1)
    if text.lstrip("+-").isdigit():
        return int(text)
    number = float(text)
    return int(number) if abs(number) != float("inf") else 0


def php_bool(value: Any) -> bool:
    """PHP's `(bool)` cast: "", "0", 0, empty arrays and null are false; "false" and "N" are
    true, as they are for a portal reading form-encoded flags."""
    if value is None or value is False:
        return False
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        return value not in ("", "0")
    if isinstance(value, (list, tuple, dict)):
        return bool(value)
    return True


def _form_pairs(body: bytes, content_type: str) -> list[tuple[str, str]]:
    if content_type.lower().startswith("multipart/form-data"):
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
            b"Content-Type: " + content_type.encode("latin-1") + b"\r\n\r\n" + body
        )
        pairs = []
        for part in message.iter_parts():
            name = part.get_param("name", header="content-disposition")
            payload = part.get_payload(decode=True)
            if isinstance(name, str) and isinstance(payload, bytes):
                pairs.append((name, payload.decode("utf-8", errors="replace")))
        return pairs
    return parse_qsl(body.decode("utf-8", errors="replace"), keep_blank_values=True)


def decode_request(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Query string and body as one parameter tree; a JSON body's keys win over the query's."""
    kind = content_type.lower()
    pairs = parse_qsl(query, keep_blank_values=True)
    stripped = body.lstrip()
    if "json" in kind or (not kind and stripped.startswith(b"{")):
        params = decode_pairs(pairs)
        if not stripped:
            return params
        try:
            data = json.loads(body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise RestError("INVALID_REQUEST", "The request body is not valid JSON", 400) from exc
        if not isinstance(data, dict):
            raise RestError("INVALID_REQUEST", "The JSON body must be an object", 400)
        params.update(data)
        return params
    return decode_pairs(pairs + _form_pairs(body, content_type))
