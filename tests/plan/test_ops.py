"""How a plan's writes travel (plan/ops.py): the one rule both the pusher and `plan`'s count
follow."""

from __future__ import annotations

from typing import get_args

from ics2b24.plan.ops import KINDS, Op, OpKind, Phase, phase_requests, write_requests


def add(uid: str, phase: Phase = Phase.EVENT, **params: object) -> Op:
    return Op("add", uid, None, phase, params={"name": uid, **params})


def uids(requests: list[list[Op]]) -> list[list[str]]:
    return [[op.uid for op in request] for request in requests]


def test_a_phase_goes_in_batches_of_the_given_size() -> None:
    ops = [add(f"e{n}") for n in range(5)]
    assert uids(phase_requests(ops, 2)) == [["e0", "e1"], ["e2", "e3"], ["e4"]]


def test_a_call_that_must_not_go_through_batch_goes_alone_and_first() -> None:
    ops = [add("a"), add("empty", remind=[]), add("b"), add("ref", name="$result[c0]")]
    assert uids(phase_requests(ops, 50)) == [["empty"], ["ref"], ["a", "b"]]


def test_writes_go_phase_after_phase_and_state_only_ops_not_at_all() -> None:
    deleted = Op("delete", "old", None, Phase.DELETE, event_id=7)
    recorded = Op("record", "kept", None, Phase.EVENT, event_id=8)
    ops = [add("new"), recorded, deleted]
    assert uids(write_requests(ops, 50)) == [["new"], ["old"]]


def test_every_op_kind_has_a_rule() -> None:
    assert set(KINDS) == set(get_args(OpKind))


def test_the_summary_counts_writes_only_under_its_three_words() -> None:
    counted = {kind: rule.counted_as for kind, rule in KINDS.items() if rule.counted_as}
    assert set(counted.values()) == {"added", "updated", "deleted"}
    assert all(KINDS[kind].is_write for kind in counted)


def test_an_occurrence_change_is_sent_this_and_a_portal_that_reads_no_mode_is_sent_none() -> None:
    change = Op("override", "s", "2025-03-10", Phase.OCCURRENCE, event_id=7)
    assert change.call_params(7) == {"id": 7, "recurrence_mode": "this"}
    unread = Op("override", "s", "2025-03-10", Phase.OCCURRENCE, event_id=7, modes=False)
    assert unread.call_params(7) == {"id": 7}


def test_only_an_add_is_sent_without_an_id() -> None:
    assert "id" not in add("new").call_params(None)
    assert Op("delete", "old", None, Phase.DELETE, event_id=7).call_params(7) == {"id": 7}
