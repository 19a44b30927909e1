"""`batch` as `settings/how-to-call-rest-api/batch.md` describes it, run against a recording
stand-in for one method call (the HTTP tests run the same rules through the real portal)."""

from __future__ import annotations

from typing import Any

import pytest

from ics2b24.portal.batch import MAX_COMMANDS, CommandOutcome, run_batch
from ics2b24.portal.wire import RestError

TIME = {"start": 1.0, "finish": 1.5, "duration": 0.5, "processing": 0.5,
        "date_start": "x", "date_finish": "x", "operating": 0.3, "operating_reset_at": 601}


class Recorder:
    """Answers `echo` with its params, `add` with the next id, and fails `fail`."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.next_id = 100

    def __call__(self, method: str, params: dict[str, Any]) -> CommandOutcome:
        self.calls.append((method, params))
        if method == "fail":
            raise RestError("", "Event not found", 400)
        if method == "add":
            self.next_id += 1
            return CommandOutcome(self.next_id, TIME)
        return CommandOutcome(params, TIME)


def test_named_commands_answer_under_their_names() -> None:
    answer = run_batch({"cmd": {"a": "echo?x=1", "b": "echo?y[0]=2"}}, Recorder())
    assert answer["result"] == {"a": {"x": "1"}, "b": {"y": ["2"]}}
    assert answer["result_error"] == []
    assert set(answer["result_time"]) == {"a", "b"}


def test_list_of_commands_answers_as_a_list() -> None:
    answer = run_batch({"cmd": ["add", "add"]}, Recorder())
    assert answer["result"] == [101, 102]
    assert answer["result_time"] == [TIME, TIME]


def test_result_time_is_each_commands_own_time_with_operating() -> None:
    answer = run_batch({"cmd": {"a": "add"}}, Recorder())
    assert answer["result_time"]["a"]["operating"] == 0.3
    assert answer["result_time"]["a"]["operating_reset_at"] == 601


def test_empty_answer_parts_are_empty_lists_as_php_writes_them() -> None:
    answer = run_batch({"cmd": {"a": "add"}}, Recorder())
    assert answer["result_error"] == [] and answer["result_total"] == []
    assert answer["result_next"] == []


def test_halt_zero_runs_every_command_and_collects_errors() -> None:
    recorder = Recorder()
    answer = run_batch({"halt": 0, "cmd": {"a": "fail", "b": "add"}}, recorder)
    assert answer["result"] == {"b": 101}
    assert answer["result_error"] == {"a": {"error": "", "error_description": "Event not found"}}
    assert "a" not in answer["result_time"]


@pytest.mark.parametrize("halt", [1, "1", "true", "false", True])
def test_halt_one_stops_at_the_first_error(halt: object) -> None:
    recorder = Recorder()
    answer = run_batch({"halt": halt, "cmd": {"a": "add", "b": "fail", "c": "add"}}, recorder)
    assert answer["result"] == {"a": 101}
    assert list(answer["result_error"]) == ["b"]
    assert [m for m, _ in recorder.calls] == ["add", "fail"]


def test_reference_to_an_earlier_result_takes_its_value() -> None:
    answer = run_batch({"cmd": {"s": "add", "e": "echo?section=$result[s]"}}, Recorder())
    assert answer["result"]["e"] == {"section": 101}


def test_reference_into_a_field_of_an_earlier_result() -> None:
    answer = run_batch({"cmd": {
        "a": "echo?user[ID]=7&user[LIST][0]=x",
        "b": "echo?id=$result[a][user][ID]&first=$result[a][user][LIST][0]",
    }}, Recorder())
    assert answer["result"]["b"] == {"id": "7", "first": "x"}


def test_url_encoded_reference_is_resolved() -> None:
    answer = run_batch({"cmd": {"s": "add", "e": "echo?section=%24result%5Bs%5D"}}, Recorder())
    assert answer["result"]["e"] == {"section": 101}


def test_reference_inside_a_longer_value_takes_everything_up_to_whitespace() -> None:
    # CRestUtil::processBatchElement matches `\$(result|...)([^\s]*)`: the "!" is part of the
    # reference and goes with it.
    answer = run_batch({"cmd": {"s": "add", "e": "echo?name=after $result[s]! end"}},
                       Recorder())
    assert answer["result"]["e"] == {"name": "after 101 end"}


def test_reference_to_a_whole_map_keeps_the_map() -> None:
    answer = run_batch({"cmd": {"a": "echo?r[FREQ]=DAILY", "b": "echo?rrule=$result[a][r]"}},
                       Recorder())
    assert answer["result"]["b"] == {"rrule": {"FREQ": "DAILY"}}


def test_reference_to_a_command_without_result_is_the_whole_result_table() -> None:
    answer = run_batch({"cmd": {"s": "add", "a": "fail", "b": "echo?id=$result[a]"}},
                       Recorder())
    assert answer["result"]["b"] == {"id": {"s": 101}}


def test_reference_to_a_missing_field_stops_at_the_deepest_node_found() -> None:
    answer = run_batch({"cmd": {"s": "add", "b": "echo?id=$result[s][recEventId]"}},
                       Recorder())
    assert answer["result"]["b"] == {"id": 101}


def test_result_error_reference_reads_the_result_table() -> None:
    # The table names are result|next|total|time|error and the first that fits wins.
    answer = run_batch({"cmd": {"s": "add", "b": "echo?x=$result_error[s]"}}, Recorder())
    assert answer["result"]["b"] == {"x": 101}


def test_whole_array_inside_a_longer_value_fails_the_batch() -> None:
    with pytest.raises(RestError) as caught:
        run_batch({"cmd": {"a": "echo?r[x]=1", "b": "echo?y=see $result[a]"}}, Recorder())
    assert caught.value.status == 500


def test_commands_past_the_fiftieth_end_with_batch_length_exceeded() -> None:
    recorder = Recorder()
    answer = run_batch({"cmd": ["add"] * (MAX_COMMANDS + 2)}, recorder)
    assert len(recorder.calls) == MAX_COMMANDS
    assert set(answer["result_error"]) == {"50", "51"}
    assert answer["result_error"]["50"] == {
        "error": "ERROR_BATCH_LENGTH_EXCEEDED", "error_description": "Max batch length exceeded"}
    assert len(answer["result"]) == MAX_COMMANDS


def test_nested_batch_is_refused() -> None:
    recorder = Recorder()
    answer = run_batch({"cmd": {"inner": "batch?cmd[0]=add"}}, recorder)
    assert answer["result_error"]["inner"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert recorder.calls == []


def test_method_names_in_commands_ignore_case_and_json_suffix() -> None:
    recorder = Recorder()
    run_batch({"cmd": {"a": "ADD.json"}}, recorder)
    assert recorder.calls == [("add", {})]


def test_missing_cmd_gives_an_empty_batch() -> None:
    answer = run_batch({}, Recorder())
    assert answer == {"result": [], "result_error": [], "result_total": [],
                      "result_next": [], "result_time": []}
