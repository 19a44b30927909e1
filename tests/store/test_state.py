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
from ics2b24.plan.record import params_fingerprint
from ics2b24.store.files import default_state_path
from ics2b24.store.schema import SCHEMA_VERSION
from ics2b24.store.state import StateDB

PORTAL = "https://example.bitrix24.com/user/1"
TARGET = "user:1:4"


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
        with state.scoped(PORTAL, TARGET).transaction() as rows:
            rows.record(("a@x", None), 10, "f1", True)
        with state.transaction() as tx:
            tx.remember_zone(PORTAL, "Europe/Kyiv", "Europe/Moscow")
            tx.remember_zone(new, "Europe/Kyiv", "Europe/Kyiv")
        assert state.scoped(new, TARGET).other_addresses() == [PORTAL]
        with state.transaction() as tx:
            tx.move_portal(PORTAL, new)
        assert [r.event_id for r in state.scoped(new, TARGET).records()] == [10]
        assert state.scoped(PORTAL, TARGET).records() == []
        assert state.zones(new) == {"Europe/Kyiv": "Europe/Kyiv"}
        assert state.zones(PORTAL) == {}
        assert state.scoped(new, TARGET).other_addresses() == []


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


def test_a_state_db_in_memory_keeps_records_and_leaves_no_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with StateDB.in_memory() as db:
        state = db.scoped("portal", "target")
        with state.transaction() as tx:
            tx.record(("uid", None), 7, "print", True)
        assert [(r.key, r.event_id, r.created) for r in state.records()] == [
            (("uid", None), 7, True)]
    assert list(tmp_path.iterdir()) == []
