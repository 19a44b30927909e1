"""The portal side of `batch` (`settings/how-to-call-rest-api/batch.md`).

Commands run in order; each is a `method?query` string with PHP-style nested keys, may refer to
earlier answers with `$result[name][field]…`, and answers in its own slot of `result`,
`result_error` and `result_time`. How one command is authorised, limited and run is the
caller's business (`execute`), so the same rules apply inside and outside a batch.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from ics2b24.portal.wire import (
    RestError,
    json_array,
    method_name,
    php_bool,
    php_string,
    split_command,
)

MAX_COMMANDS = 50

_INDEX = re.compile(r"\[([^\]]+)\]")
_CANONICAL_INT = re.compile(r"^(?:0|-?[1-9][0-9]*)$")


@dataclass(frozen=True)
class CommandOutcome:
    """A command that succeeded: its result and its own `time` block (with `operating`)."""

    result: Any
    time: Mapping[str, Any]


Execute = Callable[[str, dict[str, Any]], CommandOutcome]


def _commands(cmd: Any) -> list[tuple[str, Any]]:
    if isinstance(cmd, Mapping):
        return [(str(name), command) for name, command in cmd.items()]
    if isinstance(cmd, list):
        return [(str(index), command) for index, command in enumerate(cmd)]
    return []


class _PhpTypeError(Exception):
    """PHP 8 stops the whole batch request on this."""


def _isset(node: Any, key: str) -> tuple[bool, Any]:
    """PHP's `isset($node[$key])` and the value it guards."""
    if isinstance(node, Mapping):
        value = node.get(key)
        return value is not None, value
    if isinstance(node, (list, str)) and _CANONICAL_INT.match(key):
        index = int(key)
        if isinstance(node, list) and 0 <= index < len(node) and node[index] is not None:
            return True, node[index]
        if isinstance(node, str) and -len(node) <= index < len(node):
            return True, node[index]
    return False, None


def _substitute(value: Any, tables: Mapping[str, Mapping[str, Any]]) -> Any:
    """CRestUtil::processBatchStructure/processBatchElement (modules/rest/classes/general/
    rest_util.php) on one decoded parameter value.

    A reference is `$` + a table name of CRestProvider::methodsBatch's `$arResult` (`result`,
    `next`, `total`, `time`, `error`, in that order, matched case-insensitively with the first
    name that fits - so `$result_error[x]` reads the `result` table) followed by everything up to
    the next whitespace. The `[key]` parts of that path are walked while `isset()` holds and the
    walk stops at the deepest node found: `$result[c0][recEventId]` on an integer result is the
    integer, and a reference to a command that has no result is the whole `result` table. A
    value that is exactly one reference takes the node itself (array, integer, ...); inside a
    longer value the whole match (trailing characters included) is replaced by the node as a
    string, and an array there is PHP 8's TypeError in str_replace: the batch fails.
    """
    if isinstance(value, dict):
        return {k: _substitute(v, tables) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, tables) for v in value]
    if not isinstance(value, str) or "$" not in value:
        return value
    names = "|".join(re.escape(name) for name in tables)
    pattern = re.compile(rf"\$({names})([^\s]*)", re.IGNORECASE)
    query: Any = value
    for match in pattern.finditer(value):
        keys = _INDEX.findall(match.group(2))
        if not keys:
            continue
        node: Any = tables.get(match.group(1))
        for key in keys:
            found, child = _isset(node, key)
            if not found:
                break
            node = child
        if not isinstance(query, str):
            break
        if match.group(0) == query:
            query = copy.deepcopy(node)
        elif isinstance(node, (dict, list)):
            raise _PhpTypeError("str_replace(): Argument #2 ($replace) must be of type string")
        else:
            query = query.replace(match.group(0), php_string(node))
    return query


def _run_one(index: int, command: Any, tables: Mapping[str, Mapping[str, Any]],
             execute: Execute) -> CommandOutcome | None:
    if index >= MAX_COMMANDS:
        raise RestError("ERROR_BATCH_LENGTH_EXCEEDED", "Max batch length exceeded", 400)
    if not isinstance(command, str):
        return None
    method, command_params = split_command(command)
    method = method_name(method)
    if method == "batch":
        raise RestError("ERROR_BATCH_METHOD_NOT_ALLOWED",
                        "Method is not allowed for batch usage", 405)
    resolved = _substitute(command_params, tables)
    return execute(method, resolved if isinstance(resolved, dict) else {})


def run_batch(params: Mapping[str, Any], execute: Execute) -> dict[str, Any]:
    """Run `params["cmd"]` and shape the answer exactly as batch.md shows it.

    CRestProvider::methodsBatch (modules/rest/classes/general/rest.php): parameter names are
    case-insensitive, `halt` is read with PHP's (bool) ("false" is true), a command that is not
    a string is skipped (but counts towards the 50), and the references of each command are
    resolved against everything answered so far (`_substitute`)."""
    upper = {str(key).upper(): value for key, value in params.items()}
    halt = php_bool(upper.get("HALT", False))
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    times: dict[str, Any] = {}
    tables: dict[str, dict[str, Any]] = {
        "result": results, "next": {}, "total": {}, "time": times, "error": errors,
    }
    for index, (name, command) in enumerate(_commands(upper.get("CMD"))):
        try:
            outcome = _run_one(index, command, tables, execute)
        except RestError as exc:
            errors[name] = exc.body()
            tables.setdefault("error_description", {})[name] = exc.description
            if halt:
                break
            continue
        except _PhpTypeError:
            raise RestError("INTERNAL_SERVER_ERROR", "Internal server error", 500) from None
        if outcome is None:
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
