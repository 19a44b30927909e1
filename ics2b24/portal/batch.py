"""The portal side of `batch` (`settings/how-to-call-rest-api/batch.md`).

Commands run in order; each is a `method?query` string with PHP-style nested keys, may refer to
earlier answers with `$result[name][field]…`, and answers in its own slot of `result`,
`result_error` and `result_time`. How one command is authorised, limited and run is the
caller's business (`execute`), so the same rules apply inside and outside a batch.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ics2b24.portal.wire import RestError, json_array, method_name, php_string, split_command

MAX_COMMANDS = 50

_REFERENCE = re.compile(
    r"\$(result|result_error|result_total|result_next|result_time)((?:\[[^\]]*\])+)"
)
_INDEX = re.compile(r"\[([^\]]*)\]")


@dataclass(frozen=True)
class CommandOutcome:
    """A command that succeeded: its result and its own `time` block (with `operating`)."""

    result: Any
    time: Mapping[str, Any]


Execute = Callable[[str, dict[str, Any]], CommandOutcome]


def _truthy(value: Any) -> bool:
    return value is True or php_string(value).strip().lower() in ("1", "true", "y")


def _commands(cmd: Any) -> list[tuple[str, Any]]:
    if isinstance(cmd, Mapping):
        return [(str(name), command) for name, command in cmd.items()]
    if isinstance(cmd, list):
        return [(str(index), command) for index, command in enumerate(cmd)]
    return []


def _lookup(tables: Mapping[str, Mapping[str, Any]], table: str, path: str) -> Any:
    node: Any = tables[table]
    for key in _INDEX.findall(path):
        if isinstance(node, Mapping) and key in node:
            node = node[key]
        elif isinstance(node, list) and key.isdigit() and int(key) < len(node):
            node = node[int(key)]
        else:
            raise LookupError(key)
    return node


def _substitute(value: Any, tables: Mapping[str, Mapping[str, Any]]) -> Any:
    """Replace `$result[name][field]` references in parameter values; a value that is one whole
    reference takes the referred value itself (an array stays an array)."""
    if isinstance(value, dict):
        return {k: _substitute(v, tables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, tables) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    whole = _REFERENCE.fullmatch(value)
    if whole:
        try:
            found = _lookup(tables, whole.group(1), whole.group(2))
        except LookupError:
            return value
        return found if isinstance(found, (dict, list)) else php_string(found)

    def replace(match: re.Match[str]) -> str:
        try:
            found = _lookup(tables, match.group(1), match.group(2))
        except LookupError:
            return match.group(0)
        return match.group(0) if isinstance(found, (dict, list)) else php_string(found)

    return _REFERENCE.sub(replace, value)


def run_batch(params: Mapping[str, Any], execute: Execute) -> dict[str, Any]:
    """Run `params["cmd"]` and shape the answer exactly as batch.md shows it."""
    halt = _truthy(params.get("halt", False))
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    times: dict[str, Any] = {}
    tables: dict[str, Mapping[str, Any]] = {
        "result": results, "result_error": errors, "result_time": times,
        "result_total": {}, "result_next": {},
    }
    for index, (name, command) in enumerate(_commands(params.get("cmd"))):
        try:
            if index >= MAX_COMMANDS:
                raise RestError("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
            method, command_params = split_command(php_string(command))
            method = method_name(method)
            if method == "batch":
                raise RestError("ERROR_BATCH_METHOD_NOT_ALLOWED",
                                "Method is not allowed for batch usage", 405)
            outcome = execute(method, _substitute(command_params, tables))
        except RestError as exc:
            errors[name] = exc.body()
            if halt:
                break
            continue
        results[name] = outcome.result
        times[name] = dict(outcome.time)
    return {
        "result": json_array(results),
        "result_error": json_array(errors),
        "result_total": [],
        "result_next": [],
        "result_time": json_array(times),
    }
