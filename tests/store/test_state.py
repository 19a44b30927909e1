"""The local state DB."""

from __future__ import annotations

import os
import signal
import sqlite3
import stat
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from ics2b24.errors import SafetyError, UsageError
from ics2b24.plan.record import Record, params_fingerprint
from ics2b24.store.state import (
    SCHEMA_VERSION,
    StateDB,
    default_state_path,
    portal_identity,
    target_key,
)

PORTAL = "https://example.bitrix24.com/user/1"
TARGET = "user:1:4"


def rec(uid: str = "a@x", rid: str | None = None, event_id: int = 10, *,
        created: bool = True, fingerprint: str = "f1") -> Record:
    return Record(PORTAL, TARGET, uid, rid, event_id, fingerprint, created)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "state.sqlite3"


def test_default_path_follows_xdg_data_home(tmp_path: Path) -> None:
    env = {"XDG_DATA_HOME": str(tmp_path)}
    assert default_state_path(env) == tmp_path / "ics2b24" / "state.sqlite3"


def test_default_path_without_xdg_is_under_local_share() -> None:
    expected = Path.home() / ".local" / "share" / "ics2b24" / "state.sqlite3"
    assert default_state_path({}) == expected


def test_relative_xdg_data_home_is_ignored_as_xdg_requires() -> None:
    expected = Path.home() / ".local" / "share" / "ics2b24" / "state.sqlite3"
    assert default_state_path({"XDG_DATA_HOME": "relative/dir"}) == expected


def test_db_file_is_created_private(db_path: Path) -> None:
    old = os.umask(0o022)
    try:
        StateDB.open(db_path).close()
    finally:
        os.umask(old)
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600
    assert stat.S_IMODE(db_path.parent.stat().st_mode) == 0o700


def test_existing_world_readable_db_is_made_private(db_path: Path) -> None:
    StateDB.open(db_path).close()
    db_path.chmod(0o644)
    StateDB.open(db_path).close()
    assert stat.S_IMODE(db_path.stat().st_mode) == 0o600


def test_recorded_rows_survive_reopening(db_path: Path) -> None:
    with StateDB.open(db_path) as state, state.transaction() as tx:
        tx.record(rec())
    with StateDB.open(db_path) as state:
        assert state.get(PORTAL, TARGET, "a@x", None) == rec()


def test_rows_are_keyed_by_portal_target_uid_and_recurrence_id(db_path: Path) -> None:
    other_target = Record(PORTAL, "user:1:5", "a@x", None, 11, "f", True)
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec())
            tx.record(rec(rid="2024-06-17T08:00:00Z", event_id=12))
            tx.record(other_target)
        assert [r.event_id for r in state.records(PORTAL, TARGET)] == [10, 12]
        assert state.records(PORTAL, "user:1:5") == [other_target]


def test_recording_again_replaces_the_row(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec(fingerprint="f1"))
        with state.transaction() as tx:
            tx.record(rec(fingerprint="f2"))
        assert state.records(PORTAL, TARGET) == [rec(fingerprint="f2")]


def test_an_event_this_tool_created_stays_created_after_an_update(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec(created=True))
        with state.transaction() as tx:
            tx.record(rec(created=False, fingerprint="f2"))
        record = state.get(PORTAL, TARGET, "a@x", None)
        assert record is not None and record.created


def test_a_uid_paired_to_another_event_takes_that_events_origin(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec(event_id=10, created=True))
        with state.transaction() as tx:
            tx.record(rec(event_id=99, created=False))
        record = state.get(PORTAL, TARGET, "a@x", None)
        assert record is not None and not record.created


def test_forget_removes_the_row(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec())
        with state.transaction() as tx:
            tx.forget(PORTAL, TARGET, "a@x", None)
        assert state.records(PORTAL, TARGET) == []


def test_an_intended_creation_stays_pending_across_runs_until_recorded(db_path: Path) -> None:
    with StateDB.open(db_path) as state, state.transaction() as tx:
        tx.intend(PORTAL, TARGET, "a@x", None, "sent a")
        tx.intend(PORTAL, TARGET, "b@x", "2025-01-01")
    with StateDB.open(db_path) as state:
        assert state.pending(PORTAL, TARGET) == {("a@x", None): "sent a",
                                                 ("b@x", "2025-01-01"): ""}
        with state.transaction() as tx:
            tx.record(rec("a@x"))
            tx.settle(PORTAL, TARGET, "b@x", "2025-01-01")
        assert state.pending(PORTAL, TARGET) == {}


def test_a_failed_batch_records_nothing(db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with pytest.raises(RuntimeError), state.transaction() as tx:
            tx.record(rec("a@x"))
            tx.record(rec("b@x", event_id=11))
            raise RuntimeError("connection dropped")
        assert state.records(PORTAL, TARGET) == []


def test_a_second_open_in_the_same_process_is_refused(db_path: Path) -> None:
    with StateDB.open(db_path), pytest.raises(SafetyError, match="another ics2b24 run"):
        StateDB.open(db_path)


HOLDER = textwrap.dedent("""
    import sys, time
    from ics2b24.store.state import StateDB
    state = StateDB.open(sys.argv[1])
    print("locked", flush=True)
    time.sleep(60)
""")


def test_another_process_holding_the_db_is_refused_until_it_dies(db_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLDER, str(db_path)],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
        with pytest.raises(SafetyError) as refused:
            StateDB.open(db_path)
        assert str(db_path) in str(refused.value)
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=10)
        StateDB.open(db_path).close()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()


def test_lock_is_released_on_close(db_path: Path) -> None:
    StateDB.open(db_path).close()
    StateDB.open(db_path).close()


def test_schema_version_is_recorded(db_path: Path) -> None:
    StateDB.open(db_path).close()
    with sqlite3.connect(db_path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_newer_schema_is_refused_with_a_clear_error(db_path: Path) -> None:
    StateDB.open(db_path).close()
    raw = sqlite3.connect(db_path)
    raw.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(SafetyError, match="newer than this ics2b24"):
        StateDB.open(db_path)


def test_a_file_that_is_not_sqlite_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"BEGIN:VCALENDAR\r\n" * 100)
    with pytest.raises(UsageError, match="not an ics2b24 state DB"):
        StateDB.open(db_path)


def test_someone_elses_sqlite_file_is_left_alone(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    raw = sqlite3.connect(db_path)
    raw.execute("CREATE TABLE notes (x)")
    raw.close()
    with pytest.raises(UsageError, match="other tables"):
        StateDB.open(db_path)


def test_portal_identity_keeps_no_token() -> None:
    identity = portal_identity("https://Example.bitrix24.com/rest/1/s3cr3t/", 1)
    assert identity == "https://example.bitrix24.com/user/1"


def test_portal_identity_keeps_a_non_default_port() -> None:
    assert portal_identity("http://127.0.0.1:8123/rest/", 7) == "http://127.0.0.1:8123/user/7"


def test_target_key_is_type_owner_section() -> None:
    assert target_key("group", 5, 12) == "group:5:12"


def test_fingerprint_ignores_key_order_and_sees_values() -> None:
    assert params_fingerprint({"a": 1, "b": [1, 2]}) == params_fingerprint({"b": [1, 2], "a": 1})
    assert params_fingerprint({"a": 1}) != params_fingerprint({"a": 2})


def test_the_zone_a_portal_kept_is_remembered_per_portal_and_replaced_by_a_later_reading(
        db_path: Path) -> None:
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.remember_zone("p", "Europe/Kyiv", "Europe/Moscow")
            tx.remember_zone("p", "Europe/Berlin", "Europe/Berlin")
            tx.remember_zone("q", "Europe/Kyiv", "Europe/Kyiv")
        with state.transaction() as tx:
            tx.remember_zone("p", "Europe/Kyiv", "Europe/Kyiv")
    with StateDB.open(db_path, readonly=True) as again:
        assert again.zones("p") == {"Europe/Kyiv": "Europe/Kyiv", "Europe/Berlin": "Europe/Berlin"}
        assert again.zones("q") == {"Europe/Kyiv": "Europe/Kyiv"}


def test_moving_a_portal_carries_its_rows_to_the_new_address_and_keeps_the_new_ones_own(
        db_path: Path) -> None:
    new = "http://127.0.0.1:9/user/1"
    with StateDB.open(db_path) as state:
        with state.transaction() as tx:
            tx.record(rec("a@x", event_id=10))
            tx.remember_zone(PORTAL, "Europe/Kyiv", "Europe/Moscow")
            tx.remember_zone(new, "Europe/Kyiv", "Europe/Kyiv")
        assert state.other_addresses(new, TARGET) == [PORTAL]
        with state.transaction() as tx:
            tx.move_portal(PORTAL, new)
        assert [r.event_id for r in state.records(new, TARGET)] == [10]
        assert state.records(PORTAL, TARGET) == []
        assert state.zones(new) == {"Europe/Kyiv": "Europe/Kyiv"}
        assert state.zones(PORTAL) == {}
        assert state.other_addresses(new, TARGET) == []


def test_a_section_push_created_is_known_as_created_and_one_it_found_is_not(
        db_path: Path) -> None:
    with StateDB.open(db_path) as db:
        with db.transaction() as tx:
            tx.remember_section(PORTAL, "user:1", "Imported", 4, created=True)
            tx.remember_section(PORTAL, "user:1", "Mine", 5)
        assert db.created_section(PORTAL, "user:1", 4)
        assert not db.created_section(PORTAL, "user:1", 5)
        with db.transaction() as tx:
            tx.forget_section(PORTAL, "user:1", 4)
        assert db.remembered_section(PORTAL, "user:1", "Imported") is None
