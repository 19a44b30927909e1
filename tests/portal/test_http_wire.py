"""PHP-style parameter decoding (`data-encoding.md`): what `parse_str` and `json_encode` do."""

from __future__ import annotations

from ics2b24.portal.wire import json_array, method_name, parse_query, split_command


def test_nested_keys_build_nested_maps() -> None:
    assert parse_query("rrule[FREQ]=WEEKLY&rrule[INTERVAL]=2") == {
        "rrule": {"FREQ": "WEEKLY", "INTERVAL": "2"}
    }


def test_keys_zero_to_n_become_a_list() -> None:
    assert parse_query("rrule[BYDAY][0]=MO&rrule[BYDAY][1]=WE") == {
        "rrule": {"BYDAY": ["MO", "WE"]}
    }


def test_empty_brackets_append() -> None:
    assert parse_query("attendees[]=1&attendees[]=5") == {"attendees": ["1", "5"]}


def test_list_of_maps_as_in_data_encoding_md() -> None:
    query = ("fields[PHONE][0][VALUE]=112233&fields[PHONE][0][VALUE_TYPE]=WORK"
             "&fields[PHONE][1][VALUE]=555888112&fields[PHONE][1][VALUE_TYPE]=OTHER")
    assert parse_query(query) == {"fields": {"PHONE": [
        {"VALUE": "112233", "VALUE_TYPE": "WORK"},
        {"VALUE": "555888112", "VALUE_TYPE": "OTHER"},
    ]}}


def test_sparse_numeric_keys_stay_a_map() -> None:
    assert parse_query("a[1]=x&a[3]=y") == {"a": {"1": "x", "3": "y"}}


def test_encoded_ampersand_stays_in_the_value() -> None:
    assert parse_query("fields[TITLE]=John%26Martin") == {"fields": {"TITLE": "John&Martin"}}


def test_empty_value_survives() -> None:
    assert parse_query("description=&name=x") == {"description": "", "name": "x"}


def test_text_after_the_last_bracket_is_dropped_as_php_does() -> None:
    assert parse_query("a[b]c=1") == {"a": {"b": "1"}}


def test_unclosed_bracket_keeps_the_whole_key() -> None:
    assert parse_query("a[b=1") == {"a[b": "1"}


def test_batch_command_splits_method_and_double_encoded_query() -> None:
    command = "calendar.event.add?name=John%26Martin&rrule%5BFREQ%5D=DAILY"
    assert split_command(command) == (
        "calendar.event.add", {"name": "John&Martin", "rrule": {"FREQ": "DAILY"}}
    )


def test_method_names_ignore_case_and_json_suffix() -> None:
    assert method_name("Calendar.Event.Get.json") == "calendar.event.get"


def test_php_arrays_encode_as_lists_only_when_keyed_zero_to_n() -> None:
    assert json_array({}) == []
    assert json_array({"0": "a", "1": "b"}) == ["a", "b"]
    assert json_array({"1": "b"}) == {"1": "b"}
    assert json_array({"x": 1}) == {"x": 1}
