"""The state DB where users put it: on a read-only filesystem, behind a lock file that cannot
be written, in a directory that does not exist yet. Each is one line and a documented exit
code, never a traceback; `plan`, which only reads, works wherever the file can be read."""

from __future__ import annotations

import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from ics2b24.portal.server import Portal
from ics2b24.store.schema import SCHEMA_VERSION
from ics2b24.store.state import FeedValidators, StateDB
from tests.helpers import Cli, target_args, vcalendar, vevent, write

ONE = vcalendar(vevent("one@test", "20250303T090000", "One"))


def _can_mount_read_only() -> bool:
    if shutil.which("unshare") is None:
        return False
    done = subprocess.run(["unshare", "-rm", "sh", "-c", "mount -t tmpfs -o ro none /mnt"],
                          capture_output=True, timeout=10, check=False)
    return done.returncode == 0


read_only_fs = pytest.mark.skipif(not _can_mount_read_only(),
                                  reason="needs `unshare -rm` to mount a read-only filesystem")


def on_read_only(directory: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    """`ics2b24 ARGV` with `directory` remounted read-only (in a private mount namespace)."""
    script = ('mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" "$1" && shift && '
              'exec "$@"')
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", str(directory),
                           sys.executable, "-m", "ics2b24", *argv],
                          capture_output=True, text=True, timeout=60, check=False)


def one_line(err: str) -> str:
    assert "Traceback" not in err
    assert err.count("\n") == 1, err
    return err


@read_only_fs
def test_push_with_the_state_db_on_a_read_only_filesystem_is_one_line_and_exit_2(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state_dir = tmp_path / "state"
    state = state_dir / "state.sqlite3"
    assert cli("push", str(source), *target_args(portal, state))[0] == 0
    before = portal.counters().requests
    done = on_read_only(state_dir, "push", str(source), *target_args(portal, state))
    assert done.returncode == 2
    assert "Read-only file system" in one_line(done.stderr) and str(state) in done.stderr
    assert portal.counters().requests == before


@read_only_fs
def test_plan_reads_a_state_db_on_a_read_only_filesystem(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state_dir = tmp_path / "state"
    state = state_dir / "state.sqlite3"
    assert cli("push", str(source), *target_args(portal, state))[0] == 0
    done = on_read_only(state_dir, "plan", str(source), *target_args(portal, state))
    assert done.returncode == 0, done.stderr
    assert "Nothing to do: 1 event(s) unchanged." in done.stdout
    assert "Traceback" not in done.stderr


@read_only_fs
def test_plan_without_a_state_db_on_a_read_only_filesystem_plans_every_add(
        portal: Portal, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state_dir = tmp_path / "state"
    state_dir.mkdir()
    done = on_read_only(state_dir, "plan", str(source),
                        *target_args(portal, state_dir / "state.sqlite3"))
    assert done.returncode == 0, done.stderr
    assert "1 write call(s)" in done.stdout
    assert list(state_dir.iterdir()) == []


def test_a_lock_file_that_cannot_be_written_stops_push_in_one_line_and_not_plan(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state = tmp_path / "state.sqlite3"
    (tmp_path / "state.sqlite3.lock").mkdir()
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 2
    assert "cannot lock the state DB" in one_line(err)
    assert portal.counters().requests == 0
    code, out, err = cli("plan", str(source), *target_args(portal, state))
    assert code == 0, err
    assert "1 write call(s)" in out


def test_plan_creates_no_state_db(portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state = tmp_path / "new" / "state.sqlite3"
    code, _, err = cli("plan", str(source), *target_args(portal, state))
    assert code == 0, err
    assert not (tmp_path / "new").exists()


def test_push_names_every_directory_it_created_for_the_state_db(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state = tmp_path / "new" / "deeper" / "state.sqlite3"
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    assert (f"created {tmp_path / 'new'}, {tmp_path / 'new' / 'deeper'} (0700) for the state "
            f"DB {state}") in err
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert "created" not in err


def test_every_directory_push_creates_for_the_state_db_is_0700(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    state = tmp_path / "a" / "b" / "c" / "state.sqlite3"
    code, _, err = cli("push", str(source), *target_args(portal, state))
    assert code == 0, err
    modes = {str(d.relative_to(tmp_path)): stat.S_IMODE(d.stat().st_mode)
             for d in (tmp_path / "a", tmp_path / "a" / "b", state.parent)}
    assert modes == {"a": 0o700, "a/b": 0o700, "a/b/c": 0o700}


def test_an_empty_state_path_is_a_usage_error(
        portal: Portal, cli: Cli, tmp_path: Path) -> None:
    source = write(tmp_path / "one.ics", ONE)
    for command in ("push", "plan"):
        code, _, err = cli(command, str(source), "--webhook", portal.webhook_url, "--type",
                           "user", "--section", "1", "--state", "")
        assert code == 2
        assert "--state" in one_line(err) and "empty" in err
    assert portal.counters().requests == 0


def test_a_state_db_of_schema_1_is_upgraded_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE events (portal TEXT NOT NULL, target TEXT NOT NULL, uid TEXT NOT NULL,
            recurrence_id TEXT NOT NULL, event_id INTEGER NOT NULL, fingerprint TEXT NOT NULL,
            timestamp_x TEXT, created INTEGER NOT NULL,
            PRIMARY KEY (portal, target, uid, recurrence_id));
        CREATE TABLE pending (portal TEXT NOT NULL, target TEXT NOT NULL, uid TEXT NOT NULL,
            recurrence_id TEXT NOT NULL, PRIMARY KEY (portal, target, uid, recurrence_id));
        INSERT INTO events VALUES ('p', 't', 'a@x', '', 7, 'f', NULL, 1);
        PRAGMA user_version = 1;""")
    old.close()
    with StateDB.open(path, readonly=True) as copy:
        assert [r.event_id for r in copy.scoped("p", "t").records()] == [7]
        assert copy.remembered_section("p", "user:1", "Imported") is None
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 1
    with StateDB.open(path) as state:
        assert [r.event_id for r in state.scoped("p", "t").records()] == [7]
        with state.transaction() as tx:
            tx.remember_section("p", "user:1", "Imported", 4)
        assert state.remembered_section("p", "user:1", "Imported") == 4
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def test_a_state_db_of_schema_2_loses_timestamp_x_and_keeps_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE sections (portal TEXT NOT NULL, calendar TEXT NOT NULL, name TEXT NOT NULL,
            section_id INTEGER NOT NULL, PRIMARY KEY (portal, calendar, name));
        CREATE TABLE events (portal TEXT NOT NULL, target TEXT NOT NULL, uid TEXT NOT NULL,
            recurrence_id TEXT NOT NULL, event_id INTEGER NOT NULL, fingerprint TEXT NOT NULL,
            timestamp_x TEXT, created INTEGER NOT NULL,
            PRIMARY KEY (portal, target, uid, recurrence_id));
        CREATE INDEX events_by_event_id ON events (portal, event_id);
        CREATE TABLE pending (portal TEXT NOT NULL, target TEXT NOT NULL, uid TEXT NOT NULL,
            recurrence_id TEXT NOT NULL, PRIMARY KEY (portal, target, uid, recurrence_id));
        INSERT INTO sections VALUES ('p', 'user:1', 'Imported', 4);
        INSERT INTO events VALUES ('p', 't', 'a@x', '', 7, 'f', '12/05/2024 01:48:41 pm', 1);
        INSERT INTO events VALUES ('p', 't', 'b@x', '2025-03-10', 8, 'g', NULL, 0);
        PRAGMA user_version = 2;""")
    old.close()
    with StateDB.open(path, readonly=True) as copy:
        assert [(r.event_id, r.created)
                for r in copy.scoped("p", "t").records()] == [(7, True), (8, False)]
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 2
    with StateDB.open(path) as state:
        assert [(r.uid, r.recurrence_id, r.fingerprint)
                for r in state.scoped("p", "t").records()] == [
            ("a@x", None, "f"), ("b@x", "2025-03-10", "g")]
        assert state.remembered_section("p", "user:1", "Imported") == 4
    migrated = sqlite3.connect(path)
    assert migrated.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 8
    assert "identity" in [row[1] for row in migrated.execute("PRAGMA table_info(pending)")]
    columns = [row[1] for row in migrated.execute("PRAGMA table_info(events)")]
    assert "timestamp_x" not in columns
    assert migrated.execute("SELECT name FROM sqlite_master WHERE type = 'index' "
                            "AND name = 'events_by_event_id'").fetchone() is not None


def test_a_state_db_of_schema_6_takes_the_sections_it_remembers_as_found(
        tmp_path: Path) -> None:
    """Before version 7 nothing said whether push created a section: `undo` must not take one
    the user made for its own."""
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE sections (portal TEXT NOT NULL, calendar TEXT NOT NULL, name TEXT NOT NULL,
            section_id INTEGER NOT NULL, PRIMARY KEY (portal, calendar, name));
        INSERT INTO sections VALUES ('p', 'user:1', 'Imported', 4);
        PRAGMA user_version = 6;""")
    old.close()
    with StateDB.open(path) as state:
        assert state.remembered_section("p", "user:1", "Imported") == 4
        assert not state.created_section("p", "user:1", 4)


def test_a_state_db_of_schema_7_gains_the_feeds_table_and_keeps_its_rows(
        tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    old = sqlite3.connect(path)
    old.executescript("""
        CREATE TABLE sections (portal TEXT NOT NULL, calendar TEXT NOT NULL, name TEXT NOT NULL,
            section_id INTEGER NOT NULL, created INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (portal, calendar, name));
        INSERT INTO sections VALUES ('p', 'user:1', 'Imported', 4, 1);
        PRAGMA user_version = 7;""")
    old.close()
    with StateDB.open(path) as state:
        assert state.created_section("p", "user:1", 4)
        assert state.feed_validators("f", "t") is None
        with state.transaction() as tx:
            tx.remember_feed(FeedValidators("f", "t", '"v1"', "Mon, 03 Mar 2025 09:00:00 GMT"))
    with StateDB.open(path) as state:
        assert state.feed_validators("f", "t") == FeedValidators(
            "f", "t", '"v1"', "Mon, 03 Mar 2025 09:00:00 GMT")
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == 8
