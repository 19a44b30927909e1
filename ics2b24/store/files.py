"""The state DB's file on disk: where it goes, its private directory and mode (0700, 0600),
the `flock` on `STATE.lock` that keeps one run at a time (released by the kernel even after
SIGKILL), and the two ways to open it: the file itself, or a copy in memory for a run that
only reads. Every failure is one `UsageError` or `SafetyError` line naming `--state`.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
from collections.abc import Mapping
from pathlib import Path
from typing import IO

from ics2b24.errors import SafetyError, UsageError
from ics2b24.paths import data_dir, make_private_dirs
from ics2b24.store.schema import migrate


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/ics2b24/state.sqlite3`, else `~/.local/share/ics2b24/state.sqlite3`."""
    return data_dir(environ) / "state.sqlite3"


def acquire_lock(db_path: Path, *, exclusive: bool) -> IO[bytes] | None:
    """The run lock: exclusive for a run that writes; shared for one that reads (it then
    waits for no writer, and goes without a lock where the file cannot be opened, as on a
    read-only filesystem: a reader changes nothing)."""
    lock_path = db_path.with_name(db_path.name + ".lock")
    try:
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        if not exclusive:
            return None
        raise UsageError(f"cannot lock the state DB: {lock_path}: {exc.strerror}; give "
                         "--state a place this user can write") from exc
    lock = os.fdopen(fd, "r+b")
    try:
        fcntl.flock(lock.fileno(), (fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
                    | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise SafetyError(
            f"another ics2b24 run is using {db_path}; wait for it to finish "
            "(or give this run its own --state)"
        ) from None
    return lock


def make_private_dir(directory: Path) -> list[Path]:
    """Create the state DB's directory and its missing parents (0700); those created, so
    the user can be told."""
    try:
        return make_private_dirs(directory)
    except OSError as exc:
        raise UsageError(f"cannot create state directory {directory}: {exc.strerror}; give "
                         "--state a place this user can write") from exc


def in_memory_copy(db_path: Path) -> sqlite3.Connection:
    """The file's content in memory, migrated there, read without writing anything to the
    file (not even a journal); an absent file reads as an empty state DB."""
    return _ours(sqlite3.connect(":memory:", isolation_level=None), db_path, copy=True)


def in_memory() -> sqlite3.Connection:
    """An empty state DB that lives in memory only: no file, so nothing to lock or leave."""
    return _ours(sqlite3.connect(":memory:", isolation_level=None), Path(":memory:"))


def _copy_into(db_path: Path, memory: sqlite3.Connection) -> None:
    """The file's content, read without writing anything (not even a journal)."""
    uri = f"{db_path.resolve().as_uri()}?mode=ro"
    try:
        source = sqlite3.connect(uri, uri=True)
    except sqlite3.Error as exc:
        raise UsageError(f"cannot read the state DB {db_path}: {exc}") from exc
    try:
        source.backup(memory)
    finally:
        source.close()


def connect(db_path: Path) -> sqlite3.Connection:
    """The file itself, created 0600 (and made so if it was readable by others)."""
    try:
        fd = os.open(db_path, os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:
        raise UsageError(f"cannot open state DB {db_path}: {exc.strerror}; give --state a "
                         "place this user can write") from exc
    try:
        if stat.S_IMODE(os.fstat(fd).st_mode) & 0o077:
            os.fchmod(fd, 0o600)
    finally:
        os.close(fd)
    return _ours(sqlite3.connect(db_path, isolation_level=None), db_path)


def _ours(connection: sqlite3.Connection, db_path: Path, *,
          copy: bool = False) -> sqlite3.Connection:
    """`connection` (given the file's content first with `copy`) at this schema version, or
    closed and refused in one line: a file that is no SQLite, or not ours."""
    connection.row_factory = sqlite3.Row
    try:
        if copy and db_path.exists():
            _copy_into(db_path, connection)
        migrate(connection, db_path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise UsageError(f"{db_path} is not an ics2b24 state DB ({exc})") from exc
    except BaseException:
        connection.close()
        raise
    return connection
