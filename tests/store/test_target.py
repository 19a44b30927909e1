"""The state DB's rows of one target (store/target.py): what each run pairs, and the
creations it sent whose answer it has not recorded yet."""

from __future__ import annotations

from pathlib import Path

import pytest

from ics2b24.plan.record import Record
from ics2b24.store.state import StateDB
from ics2b24.store.target import TargetState, TargetTransaction

PORTAL = "https://example.bitrix24.com/user/1"
TARGET = "user:1:4"


def rec(uid: str = "a@x", rid: str | None = None, event_id: int = 10, *,
        created: bool = True, fingerprint: str = "f1", target: str = TARGET) -> Record:
    return Record(PORTAL, target, uid, rid, event_id, fingerprint, created)


def keep(tx: TargetTransaction, record: Record) -> None:
    tx.record(record.key, record.event_id, record.fingerprint, record.created)


def rows(db: StateDB, target: str = TARGET) -> TargetState:
    return db.scoped(PORTAL, target)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite3"


def test_recorded_rows_survive_reopening(db_path: Path) -> None:
    with StateDB.open(db_path) as state, rows(state).transaction() as tx:
        keep(tx, rec())
    with StateDB.open(db_path) as state:
        assert rows(state).get(("a@x", None)) == rec()


def test_rows_are_keyed_by_portal_target_uid_and_recurrence_id(db_path: Path) -> None:
    other_target = rec(event_id=11, fingerprint="f", target="user:1:5")
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec())
            keep(tx, rec(rid="2024-06-17T08:00:00Z", event_id=12))
        with rows(state, "user:1:5").transaction() as tx:
            keep(tx, other_target)
        assert [r.event_id for r in rows(state).records()] == [10, 12]
        assert rows(state, "user:1:5").records() == [other_target]


def test_event_ids_are_the_records_by_key(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec())
            keep(tx, rec(rid="2024-06-17T08:00:00Z", event_id=12))
        assert rows(state).event_ids() == {("a@x", None): 10,
                                           ("a@x", "2024-06-17T08:00:00Z"): 12}


def test_recording_again_replaces_the_row(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec(fingerprint="f1"))
        with rows(state).transaction() as tx:
            keep(tx, rec(fingerprint="f2"))
        assert rows(state).records() == [rec(fingerprint="f2")]


def test_an_event_this_tool_created_stays_created_after_an_update(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec(created=True))
        with rows(state).transaction() as tx:
            keep(tx, rec(created=False, fingerprint="f2"))
        record = rows(state).get(("a@x", None))
        assert record is not None and record.created


def test_a_uid_paired_to_another_event_takes_that_events_origin(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec(event_id=10, created=True))
        with rows(state).transaction() as tx:
            keep(tx, rec(event_id=99, created=False))
        record = rows(state).get(("a@x", None))
        assert record is not None and not record.created


def test_forget_removes_the_row(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with rows(state).transaction() as tx:
            keep(tx, rec())
        with rows(state).transaction() as tx:
            tx.forget(("a@x", None))
        assert rows(state).records() == []


def test_an_intended_creation_stays_pending_across_runs_until_recorded(db_path: Path) -> None:
    with StateDB.open(db_path) as state, rows(state).transaction() as tx:
        tx.intend(("a@x", None), "sent a")
        tx.intend(("b@x", "2025-01-01"))
    with StateDB.open(db_path) as state:
        assert rows(state).pending() == {("a@x", None): "sent a", ("b@x", "2025-01-01"): ""}
        with rows(state).transaction() as tx:
            keep(tx, rec("a@x"))
            tx.settle(("b@x", "2025-01-01"))
        assert rows(state).pending() == {}


def test_a_failed_batch_records_nothing(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with pytest.raises(RuntimeError), rows(state).transaction() as tx:
            keep(tx, rec("a@x"))
            keep(tx, rec("b@x", event_id=11))
            raise RuntimeError("connection dropped")
        assert rows(state).records() == []
