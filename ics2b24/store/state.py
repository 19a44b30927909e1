"""The local state DB: which portal event each input event became, and what was sent.

It is what lets a run be interrupted and re-run without duplicates, lets an unchanged input
send nothing, and limits `--prune` and `undo` to events this tool created. The `store`
package is the only one that touches SQLite: this module opens the file and keeps what is
known of a portal; the rows of one target are read and written through `scoped`
(store/target.py), the file and its lock are store/files.py's, the tables store/schema.py's.

Safety properties, each checked by a test: the file is created 0600 (its directory 0700);
one run at a time holds an exclusive `flock` on `STATE.lock`; the schema is versioned, and a
file from a newer release or a file that is not ours is refused rather than altered; the
pusher records each batch in one transaction, so a crash leaves either all or none of that
batch's rows.

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

import sqlite3
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from ics2b24.errors import OutputError
from ics2b24.model import PortalTraits
from ics2b24.store.files import (
    acquire_lock,
    connect,
    default_state_path,
    in_memory,
    in_memory_copy,
    make_private_dir,
)
from ics2b24.store.target import TargetState


@dataclass(frozen=True)
class FeedValidators:
    """What a feed said of the answer a completed push read (`ETag`, `Last-Modified`; empty
    when it sent none), for the feed (a digest of its URL) and the target it went to."""

    feed: str
    target: str
    etag: str = ""
    last_modified: str = ""


class Transaction:
    """The writes of one batch; committed together when the `with` block ends normally."""

    def __init__(self, connection: sqlite3.Connection) -> None:
        self._db = connection

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
        created = make_private_dir(db_path.parent)
        lock = acquire_lock(db_path, exclusive=True)
        assert lock is not None
        try:
            connection = connect(db_path)
        except BaseException:
            lock.close()
            raise
        return cls(db_path, connection, lock, created_dirs=created)

    @classmethod
    def in_memory(cls) -> StateDB:
        """A state DB of one run's own, gone when closed: what doctor keeps of the events it
        writes into its scratch section, as push keeps them (app/doctor_push.py)."""
        return cls(Path(":memory:"), in_memory(), None)

    @classmethod
    def _open_copy(cls, db_path: Path) -> StateDB:
        lock = acquire_lock(db_path, exclusive=False) if db_path.parent.is_dir() else None
        try:
            memory = in_memory_copy(db_path)
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

    def scoped(self, portal: str, target: str) -> TargetState:
        """The rows of one target of one portal (store/target.py), valid while this is open."""
        return TargetState(self._db, self._writing, portal, target)

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One batch's writes, all or nothing (`_writing`)."""
        with self._writing() as connection:
            yield Transaction(connection)

    @contextmanager
    def _writing(self) -> Iterator[sqlite3.Connection]:
        """One batch's writes, all or nothing, to this DB or one target of it (`scoped`). A
        file that can no longer be written (a full disk, a filesystem remounted read-only) is
        one OutputError line: what the portal confirmed in this batch is then not recorded,
        and the next run's recovery adopts it."""
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:
            raise self._unwritable(exc) from exc
        try:
            yield self._db
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
