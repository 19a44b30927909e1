"""The local state DB: which portal event each input event became, and what was sent.

It is what lets a run be interrupted and re-run without duplicates, lets an unchanged input
send nothing, and limits `--prune` and `undo` to events this tool created. It is the only
module that touches SQLite.

Safety properties, each checked by a test: the file is created 0600 (its directory 0700);
one run at a time holds an exclusive `flock` on `STATE.lock` (released by the kernel even
after SIGKILL); the schema is versioned with `PRAGMA user_version`, and a file from a newer
release or a file that is not ours is refused rather than altered; the pusher records each
batch in one transaction, so a crash leaves either all or none of that batch's rows.

It also remembers which section a `--section-name` found or created, so the target a state DB
manages stays that section when it is renamed (`--section-from-ics` renames it at once), and
whether push created it, so `undo` offers to delete only a section this tool created.

For a URL input it keeps what the feed said of the answer the last completed push read
(ETag, Last-Modified), so the next push asks "changed since?" (app/feeds.py).

`plan` opens it read-only (`readonly=True`): a copy in memory, under a shared lock when the
lock file can be opened, so `plan` works on a read-only filesystem and never creates a file.
Every failure to open, lock or write it is one `UsageError` or `OutputError` line.
"""

from __future__ import annotations

import fcntl
import os
import sqlite3
import stat
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO
from urllib.parse import urlsplit

from ics2b24.errors import OutputError, SafetyError, UsageError
from ics2b24.model import PortalTraits
from ics2b24.paths import data_dir, make_private_dirs
from ics2b24.plan.record import Record

SCHEMA_VERSION = 8

_SECTIONS = """
CREATE TABLE sections (
    portal TEXT NOT NULL,
    calendar TEXT NOT NULL,
    name TEXT NOT NULL,
    section_id INTEGER NOT NULL,
    PRIMARY KEY (portal, calendar, name)
);
"""
_EVENTS = """
CREATE TABLE events (
    portal TEXT NOT NULL,
    target TEXT NOT NULL,
    uid TEXT NOT NULL,
    recurrence_id TEXT NOT NULL,
    event_id INTEGER NOT NULL,
    fingerprint TEXT NOT NULL,
    created INTEGER NOT NULL,
    PRIMARY KEY (portal, target, uid, recurrence_id)
);
CREATE INDEX events_by_event_id ON events (portal, event_id);
"""
_PENDING = """
CREATE TABLE pending (
    portal TEXT NOT NULL,
    target TEXT NOT NULL,
    uid TEXT NOT NULL,
    recurrence_id TEXT NOT NULL,
    identity TEXT NOT NULL DEFAULT '',
    PRIMARY KEY (portal, target, uid, recurrence_id)
);
"""
_PORTALS = """
CREATE TABLE portals (
    portal TEXT PRIMARY KEY,
    reads_iso_until INTEGER NOT NULL,
    honours_recurrence_mode INTEGER NOT NULL
);
"""
"""What `app/traits.py` found a portal's calendar code to do, so it is probed once."""
_ZONES = """
CREATE TABLE zones (
    portal TEXT NOT NULL,
    zone TEXT NOT NULL,
    kept_as TEXT NOT NULL,
    PRIMARY KEY (portal, zone)
);
"""
"""Which zone name a portal kept for each name push sent it (app/zones.py): the name itself,
or the one it replaced it by."""
_SECTION_CREATED = "ALTER TABLE sections ADD COLUMN created INTEGER NOT NULL DEFAULT 0;\n"
"""Version 7 keeps whether push created the section a name means (1) or found it (0), so
`undo` offers to delete only a section this tool created; a section remembered before is
taken as found."""
_FEEDS = """
CREATE TABLE feeds (
    feed TEXT NOT NULL,
    target TEXT NOT NULL,
    etag TEXT NOT NULL,
    last_modified TEXT NOT NULL,
    PRIMARY KEY (feed, target)
);
"""
"""Version 8 keeps, per feed URL (its digest: a published calendar's URL is often its only
secret) and target, the validators of the answer the last completed push read, so the next
one asks the feed "changed since?" (app/feeds.py)."""
_SCHEMA = _SECTIONS + _SECTION_CREATED + _EVENTS + _PENDING + _PORTALS + _ZONES + _FEEDS

_DROP_TIMESTAMP_X = """
ALTER TABLE events RENAME TO events_v2;
DROP INDEX IF EXISTS events_by_event_id;
""" + _EVENTS + """
INSERT INTO events (portal, target, uid, recurrence_id, event_id, fingerprint, created)
    SELECT portal, target, uid, recurrence_id, event_id, fingerprint, created FROM events_v2;
DROP TABLE events_v2;
"""
"""Version 3 drops `timestamp_x`, which nothing read; the table is rebuilt rather than altered
with DROP COLUMN, which an older SQLite does not know."""

_PENDING_IDENTITY = "ALTER TABLE pending ADD COLUMN identity TEXT NOT NULL DEFAULT '';\n"
"""Version 6 keeps what each unanswered creation sent (plan/diff.py `sent_identity`)."""

_MIGRATIONS = {1: _SECTIONS, 2: _DROP_TIMESTAMP_X, 3: _PORTALS, 4: _ZONES,
               5: _PENDING_IDENTITY, 6: _SECTION_CREATED, 7: _FEEDS}
"""The script that takes a file from each older version to the next one."""


def default_state_path(environ: Mapping[str, str] | None = None) -> Path:
    """`$XDG_DATA_HOME/ics2b24/state.sqlite3`, else `~/.local/share/ics2b24/state.sqlite3`."""
    return data_dir(environ) / "state.sqlite3"


def portal_identity(url: str, user_id: int | str) -> str:
    """The non-secret name of "this user on this portal": scheme, host and user id, so that
    neither a webhook token nor an OAuth token ever reaches the state DB."""
    parts = urlsplit(url)
    host = (parts.hostname or "").lower()
    if not parts.scheme or not host:
        raise UsageError("portal URL must look like https://HOST/")
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme.lower()}://{host}{port}/user/{user_id}"


def target_key(calendar_type: str, owner_id: int | str, section_id: int | str) -> str:
    """`type:owner:section`, the calendar a run writes into."""
    return f"{calendar_type}:{owner_id}:{section_id}"


@dataclass(frozen=True)
class FeedValidators:
    """What a feed said of the answer a completed push read (`ETag`, `Last-Modified`; empty
    when it sent none), for the feed (a digest of its URL) and the target it went to."""

    feed: str
    target: str
    etag: str = ""
    last_modified: str = ""


def _record(row: sqlite3.Row) -> Record:
    return Record(
        portal=row["portal"],
        target=row["target"],
        uid=row["uid"],
        recurrence_id=row["recurrence_id"] or None,
        event_id=int(row["event_id"]),
        fingerprint=row["fingerprint"],
        created=bool(row["created"]),
    )


class Transaction:
    """The writes of one batch; committed together when the `with` block ends normally."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

    def record(self, record: Record) -> None:
        """Insert or replace the row for (portal, target, uid, recurrence_id). Once this tool
        created an event it stays "created", even if a later run only updated it."""
        self._db.execute(
            """INSERT INTO events (portal, target, uid, recurrence_id, event_id, fingerprint,
                                   created)
               VALUES (?, ?, ?, ?, ?, ?, ?)
               ON CONFLICT (portal, target, uid, recurrence_id) DO UPDATE SET
                   created = CASE WHEN events.event_id = excluded.event_id
                                  THEN max(events.created, excluded.created)
                                  ELSE excluded.created END,
                   event_id = excluded.event_id,
                   fingerprint = excluded.fingerprint""",
            (record.portal, record.target, record.uid, record.recurrence_id or "",
             record.event_id, record.fingerprint, int(record.created)),
        )
        self.settle(record.portal, record.target, record.uid, record.recurrence_id)

    def intend(self, portal: str, target: str, uid: str, recurrence_id: str | None,
               identity: str = "") -> None:
        """Note, before sending, that this tool is about to create this event, and what it
        sends (`identity`): if the run dies before the answer is recorded, the next run
        finds the event by it and adopts it as the tool's own, so `undo` and `--prune`
        still know it."""
        self._db.execute(
            "INSERT INTO pending (portal, target, uid, recurrence_id, identity) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal, target, uid, recurrence_id) "
            "DO UPDATE SET identity = excluded.identity",
            (portal, target, uid, recurrence_id or "", identity),
        )

    def settle(self, portal: str, target: str, uid: str, recurrence_id: str | None) -> None:
        """The outcome of an intended creation is known (recorded, or refused)."""
        self._db.execute(
            "DELETE FROM pending WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (portal, target, uid, recurrence_id or ""),
        )

    def forget(self, portal: str, target: str, uid: str, recurrence_id: str | None) -> None:
        """Drop the row of an event that no longer exists in the portal, and any creation of
        it still noted as sent (`intend`): there is nothing left to find."""
        self._db.execute(
            "DELETE FROM events WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (portal, target, uid, recurrence_id or ""),
        )
        self.settle(portal, target, uid, recurrence_id)

    def remember_traits(self, portal: str, traits: PortalTraits) -> None:
        self._db.execute(
            "INSERT INTO portals (portal, reads_iso_until, honours_recurrence_mode) "
            "VALUES (?, ?, ?) ON CONFLICT (portal) DO UPDATE SET "
            "reads_iso_until = excluded.reads_iso_until, "
            "honours_recurrence_mode = excluded.honours_recurrence_mode",
            (portal, int(traits.reads_iso_until), int(traits.honours_recurrence_mode)),
        )

    def remember_zone(self, portal: str, zone: str, kept_as: str) -> None:
        self._db.execute(
            "INSERT INTO zones (portal, zone, kept_as) VALUES (?, ?, ?) "
            "ON CONFLICT (portal, zone) DO UPDATE SET kept_as = excluded.kept_as",
            (portal, zone, kept_as),
        )

    def remember_feed(self, validators: FeedValidators) -> None:
        self._db.execute(
            "INSERT INTO feeds (feed, target, etag, last_modified) VALUES (?, ?, ?, ?) "
            "ON CONFLICT (feed, target) DO UPDATE SET etag = excluded.etag, "
            "last_modified = excluded.last_modified",
            (validators.feed, validators.target, validators.etag, validators.last_modified),
        )

    def move_portal(self, old: str, new: str) -> None:
        """Everything known of `old` is known of `new` from now on: the same portal at another
        address (app/run.py). What `new` already has of its own is kept."""
        for table in ("events", "pending", "sections", "portals", "zones"):
            self._db.execute(f"UPDATE OR IGNORE {table} SET portal = ? WHERE portal = ?",
                             (new, old))
            self._db.execute(f"DELETE FROM {table} WHERE portal = ?", (old,))

    def remember_section(self, portal: str, calendar: str, name: str, section_id: int, *,
                         created: bool = False) -> None:
        """`--section-name NAME` means `section_id` in this calendar from now on; `created`:
        push created it (rather than finding it)."""
        self._db.execute(
            "INSERT INTO sections (portal, calendar, name, section_id, created) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal, calendar, name) DO UPDATE SET "
            "section_id = excluded.section_id, created = excluded.created",
            (portal, calendar, name, section_id, int(created)),
        )

    def forget_section(self, portal: str, calendar: str, section_id: int) -> None:
        """The section is gone from the portal: no name means it any more."""
        self._db.execute(
            "DELETE FROM sections WHERE portal = ? AND calendar = ? AND section_id = ?",
            (portal, calendar, section_id),
        )


class StateDB:
    """An open state DB, holding the run lock until `close()` (or the end of a `with`)."""

    def __init__(self, path: Path, connection: sqlite3.Connection, lock: IO[bytes] | None,
                 *, created_dirs: Sequence[Path] = ()) -> None:
        self.path = path
        self._db = connection
        self._lock = lock
        self.created_dirs = tuple(created_dirs)
        """The directories this open created for the file, top first (the user is told)."""

    @classmethod
    def open(cls, path: Path | str | None = None, *, readonly: bool = False) -> StateDB:
        """Open (or create) the state DB at `path` (default: `default_state_path()`), or raise
        SafetyError when another run holds it. `readonly`: a copy in memory that creates and
        changes no file (an absent file reads as empty)."""
        db_path = Path(path) if path is not None else default_state_path()
        if readonly:
            return cls._open_copy(db_path)
        created = _make_private_dir(db_path.parent)
        lock = _acquire_lock(db_path, exclusive=True)
        assert lock is not None
        try:
            connection = _connect(db_path)
        except BaseException:
            lock.close()
            raise
        return cls(db_path, connection, lock, created_dirs=created)

    @classmethod
    def _open_copy(cls, db_path: Path) -> StateDB:
        lock = _acquire_lock(db_path, exclusive=False) if db_path.parent.is_dir() else None
        try:
            memory = sqlite3.connect(":memory:", isolation_level=None)
            memory.row_factory = sqlite3.Row
            if db_path.exists():
                _copy_into(db_path, memory)
            _migrate(memory, db_path)
        except sqlite3.DatabaseError as exc:
            if lock is not None:
                lock.close()
            raise UsageError(f"{db_path} is not an ics2b24 state DB ({exc})") from exc
        except BaseException:
            if lock is not None:
                lock.close()
            raise
        return cls(db_path, memory, lock)

    def close(self) -> None:
        self._db.close()
        if self._lock is not None:
            self._lock.close()

    def __enter__(self) -> StateDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One batch's writes, all or nothing. A file that can no longer be written (a full
        disk, a filesystem remounted read-only) is one OutputError line: what the portal
        confirmed in this batch is then not recorded, and the next run's recovery adopts it."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._unwritable(exc) from exc
        try:
            yield Transaction(self._db)
        except sqlite3.Error as exc:
            self._rollback()
            raise self._unwritable(exc) from exc
        except BaseException:
            self._rollback()
            raise
        try:
            self._db.execute("COMMIT")
        except sqlite3.Error as exc:
            self._rollback()
            raise self._unwritable(exc) from exc

    def _rollback(self) -> None:
        with suppress(sqlite3.Error):
            self._db.execute("ROLLBACK")

    def _unwritable(self, exc: sqlite3.Error) -> OutputError:
        return OutputError(f"cannot write the state DB {self.path} ({exc}); what the portal "
                           "confirmed since the last recorded batch is adopted by the next run")

    def remembered_section(self, portal: str, calendar: str, name: str) -> int | None:
        """The section `--section-name NAME` found or created on an earlier run."""
        row = self._db.execute(
            "SELECT section_id FROM sections WHERE portal = ? AND calendar = ? AND name = ?",
            (portal, calendar, name),
        ).fetchone()
        return None if row is None else int(row["section_id"])

    def created_section(self, portal: str, calendar: str, section_id: int) -> bool:
        """Whether push created this section (for a `--section-name`), not found it."""
        row = self._db.execute(
            "SELECT 1 FROM sections WHERE portal = ? AND calendar = ? AND section_id = ? "
            "AND created = 1", (portal, calendar, section_id),
        ).fetchone()
        return row is not None

    def traits(self, portal: str) -> PortalTraits | None:
        """What an earlier run found this portal's calendar code to do, if it probed it."""
        row = self._db.execute("SELECT * FROM portals WHERE portal = ?", (portal,)).fetchone()
        if row is None:
            return None
        return PortalTraits(reads_iso_until=bool(row["reads_iso_until"]),
                            honours_recurrence_mode=bool(row["honours_recurrence_mode"]))

    def zones(self, portal: str) -> dict[str, str]:
        """Each zone name read back from this portal → the name it kept for it."""
        rows = self._db.execute("SELECT zone, kept_as FROM zones WHERE portal = ?", (portal,))
        return {str(row["zone"]): str(row["kept_as"]) for row in rows}

    def feed_validators(self, feed: str, target: str) -> FeedValidators | None:
        """What the last completed push of this feed into this target read of it."""
        row = self._db.execute("SELECT * FROM feeds WHERE feed = ? AND target = ?",
                               (feed, target)).fetchone()
        if row is None:
            return None
        return FeedValidators(feed, target, str(row["etag"]), str(row["last_modified"]))

    def records(self, portal: str, target: str) -> list[Record]:
        """Every event paired in this target, sorted by (uid, recurrence_id) null first."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE portal = ? AND target = ? ORDER BY uid, recurrence_id",
            (portal, target),
        )
        return [_record(row) for row in rows]

    def other_addresses(self, portal: str, target: str) -> list[str]:
        """The other portal names with events in this target for the same user: what this
        portal may have been called before it moved to another address."""
        user = portal.rsplit("/user/", 1)[-1]
        rows = self._db.execute(
            "SELECT DISTINCT portal FROM events WHERE target = ? AND portal != ? "
            "AND portal LIKE ? ORDER BY portal", (target, portal, f"%/user/{user}"))
        return [str(row["portal"]) for row in rows]

    def pending(self, portal: str, target: str) -> dict[tuple[str, str | None], str]:
        """Creations sent by an earlier (or this) run whose outcome was never recorded, each
        with the identity of what was sent."""
        rows = self._db.execute(
            "SELECT uid, recurrence_id, identity FROM pending WHERE portal = ? AND target = ?",
            (portal, target),
        )
        return {(row["uid"], row["recurrence_id"] or None): str(row["identity"])
                for row in rows}

    def get(self, portal: str, target: str, uid: str, recurrence_id: str | None) -> Record | None:
        row = self._db.execute(
            "SELECT * FROM events WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (portal, target, uid, recurrence_id or ""),
        ).fetchone()
        return None if row is None else _record(row)


def _acquire_lock(db_path: Path, *, exclusive: bool) -> IO[bytes] | None:
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


def _make_private_dir(directory: Path) -> list[Path]:
    """Create the state DB's directory and its missing parents (0700); those created, so
    the user can be told."""
    try:
        return make_private_dirs(directory)
    except OSError as exc:
        raise UsageError(f"cannot create state directory {directory}: {exc.strerror}; give "
                         "--state a place this user can write") from exc


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


def _connect(db_path: Path) -> sqlite3.Connection:
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
    connection = sqlite3.connect(db_path, isolation_level=None)
    connection.row_factory = sqlite3.Row
    try:
        _migrate(connection, db_path)
    except sqlite3.DatabaseError as exc:
        connection.close()
        raise UsageError(f"{db_path} is not an ics2b24 state DB ({exc})") from exc
    except BaseException:
        connection.close()
        raise
    return connection


def _migrate(connection: sqlite3.Connection, db_path: Path) -> None:
    connection.execute("PRAGMA synchronous = FULL")
    version = connection.execute("PRAGMA user_version").fetchone()[0]
    if version == SCHEMA_VERSION:
        return
    if version > SCHEMA_VERSION:
        raise SafetyError(
            f"state DB {db_path} has schema version {version}, newer than this ics2b24 "
            f"understands ({SCHEMA_VERSION}); upgrade ics2b24 or choose another --state"
        )
    if version == 0:
        tables = connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        if tables:
            raise UsageError(f"{db_path} is not an ics2b24 state DB (it holds other tables)")
        script = _SCHEMA
    else:
        script = "".join(_MIGRATIONS[v] for v in range(version, SCHEMA_VERSION))
    try:
        connection.executescript(
            f"BEGIN IMMEDIATE;\n{script}PRAGMA user_version = {SCHEMA_VERSION};\nCOMMIT;"
        )
    except sqlite3.OperationalError as exc:
        with suppress(sqlite3.Error):
            connection.execute("ROLLBACK")
        raise UsageError(f"cannot write the state DB {db_path} ({exc}); give --state a place "
                         "this user can write") from exc
