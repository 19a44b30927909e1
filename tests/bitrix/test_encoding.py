"""The `method?query` wire form of batch commands (reference batch.md, data-encoding.md).

The decoder below reads a query the way PHP's `parse_str` does (split on `&` and `=`,
percent-decode the name, then read its `[...]` segments), written independently of the encoder.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ics2b24.bitrix.encoding import (
    batch_body,
    encode_command,
    encode_query,
)


def php_parse_str(query: str) -> dict[str, Any]:
    root: dict[str, Any] = {}
    for pair in query.split("&"):
        raw_name, _, raw_value = pair.partition("=")
        name = unquote(raw_name)
        value = unquote(raw_value)
        head, _, rest = name.partition("[")
        segments = [head, *re.findall(r"\[([^\]]*)\]", "[" + rest)] if rest else [head]
        node: dict[str, Any] = root
        for i, seg in enumerate(segments):
            last = i == len(segments) - 1
            if last:
                node[seg] = value
            elif segments[i + 1] == "" and i + 1 == len(segments) - 1:
                # `key[]=` with an empty value: an empty array
                node[seg] = {} if value == "" else {"0": value}
                break
            else:
                node = node.setdefault(seg, {})
    return _lists(root)


def _lists(node: Any) -> Any:
    """PHP arrays with keys 0..n-1 are lists; an empty array is an empty list."""
    if not isinstance(node, dict):
        return node
    rebuilt = {k: _lists(v) for k, v in node.items()}
    if list(rebuilt) == [str(i) for i in range(len(rebuilt))]:
        return list(rebuilt.values())
    return rebuilt


def wire_view(value: Any) -> Any:
    """What PHP receives for a Python value: strings, with booleans as 1/0."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dict):
        return [] if not value else {k: wire_view(v) for k, v in value.items()}
    if isinstance(value, list):
        return [wire_view(v) for v in value]
    return str(value)


def test_nested_rrule_uses_php_style_keys() -> None:
    query = encode_query({"rrule": {"FREQ": "WEEKLY", "BYDAY": ["MO", "WE"]}})
    assert query == "rrule[FREQ]=WEEKLY&rrule[BYDAY][0]=MO&rrule[BYDAY][1]=WE"


def test_list_of_objects_is_indexed() -> None:
    assert encode_query({"remind": [{"type": "min", "count": 15}]}) == (
        "remind[0][type]=min&remind[0][count]=15"
    )


def test_hash_in_colour_is_percent_encoded() -> None:
    assert encode_query({"color": "#9dcf00"}) == "color=%239dcf00"


def test_non_ascii_is_utf8_percent_encoded() -> None:
    assert encode_query({"name": "Köln"}) == "name=K%C3%B6ln"


def test_separators_inside_values_are_encoded() -> None:
    assert encode_query({"name": "John&Martin=1+1 ok"}) == "name=John%26Martin%3D1%2B1%20ok"


def test_booleans_are_one_and_zero() -> None:
    assert encode_query({"meeting": {"notify": False, "reinvite": True}}) == (
        "meeting[notify]=0&meeting[reinvite]=1"
    )


def test_empty_list_survives_as_empty_array() -> None:
    assert encode_query({"remind": []}) == "remind[]="


def test_empty_string_survives() -> None:
    assert encode_query({"description": ""}) == "description="


def test_none_has_no_wire_form() -> None:
    with pytest.raises(TypeError):
        encode_query({"location": None})


def test_bracket_in_a_key_is_refused() -> None:
    with pytest.raises(ValueError):
        encode_query({"a[b": 1})


def test_command_without_params_is_the_bare_method() -> None:
    assert encode_command("user.current", {}) == "user.current"


def test_command_is_method_question_mark_query() -> None:
    assert encode_command("calendar.event.delete", {"id": 7}) == "calendar.event.delete?id=7"


def test_a_value_that_looks_like_a_result_reference_stays_text() -> None:
    command = encode_command("calendar.event.update", {"id": 7, "name": "$result[c0][id]"})
    assert command == "calendar.event.update?id=7&name=%24result%5Bc0%5D%5Bid%5D"


def test_batch_body_is_a_cmd_map_with_halt_zero() -> None:
    body = batch_body({"a": ("calendar.event.delete", {"id": 1}), "b": ("user.current", {})})
    assert body == {"halt": 0, "cmd": {"a": "calendar.event.delete?id=1", "b": "user.current"}}


def test_batch_refuses_more_than_fifty_commands() -> None:
    commands = {f"c{i}": ("user.current", {}) for i in range(51)}
    with pytest.raises(ValueError, match="at most 50"):
        batch_body(commands)


def test_batch_command_key_must_be_referencable() -> None:
    with pytest.raises(ValueError):
        batch_body({"a b": ("user.current", {})})


def test_event_params_encode_and_decode_back() -> None:
    params = {
        "type": "user", "ownerId": 1, "section": 4, "name": "Stand-up #1",
        "from": "2024-06-17T10:00:00",
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": 1, "BYDAY": ["MO", "WE"]},
        "remind": [{"type": "min", "count": 15}], "attendees": [],
        "meeting": {"notify": False, "reinvite": False},
    }
    assert php_parse_str(encode_query(params)) == wire_view(params)


_text = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12)
_names = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"],
                               exclude_characters="[]"), min_size=1, max_size=8).filter(
    lambda s: not s.isdigit())
_scalars = st.one_of(_text, st.integers(), st.booleans())
_values = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(_names, inner, max_size=4)),
    max_leaves=12,
)


@given(st.dictionaries(_names, _values, min_size=1, max_size=5))
def test_any_params_round_trip_through_php_parsing(params: dict[str, Any]) -> None:
    assert php_parse_str(encode_query(params)) == wire_view(params)
