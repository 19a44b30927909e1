"""The state DB as one run sees it: the rows of one target of one portal (as vdirsyncer's
`SubStatus`), so no caller repeats `(portal, target)` and none can write a row of another
target by passing the wrong pair. Rows are keyed by `Key`, `(uid, recurrence_id)`; a
recurrence id of None is kept as '' (the primary key takes no NULL).

`pending` holds the creations sent whose answer was never recorded (`intend` before the
request, `settle` once the outcome is known), so a run that dies between the two leaves
what the next run needs to adopt the event rather than add it twice.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

from ics2b24.plan.record import Key, Record

Writing = Callable[[], AbstractContextManager[sqlite3.Connection]]
"""Begins one all-or-nothing write (`StateDB`): the connection, inside the transaction."""


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


class TargetTransaction:
    """The writes of one batch to one target; committed with the transaction they are in."""

    def __init__(self, connection: sqlite3.Connection, portal: str, target: str) -> None:
        self._db = connection
        self.portal = portal
        self.target = target

    def record(self, key: Key, event_id: int, fingerprint: str, created: bool) -> None:
        """Insert or replace the row for `key`. Once this tool created an event it stays
        "created", even if a later run only updated it."""
        uid, recurrence_id = key
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
            (self.portal, self.target, uid, recurrence_id or "", event_id, fingerprint,
             int(created)),
        )
        self.settle(key)

    def intend(self, key: Key, identity: str = "") -> None:
        """Note, before sending, that this tool is about to create this event, and what it
        sends (`identity`): if the run dies before the answer is recorded, the next run
        finds the event by it and adopts it as the tool's own, so `undo` and `--prune`
        still know it."""
        uid, recurrence_id = key
        self._db.execute(
            "INSERT INTO pending (portal, target, uid, recurrence_id, identity) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (portal, target, uid, recurrence_id) "
            "DO UPDATE SET identity = excluded.identity",
            (self.portal, self.target, uid, recurrence_id or "", identity),
        )

    def settle(self, key: Key) -> None:
        """The outcome of an intended creation is known (recorded, or refused)."""
        uid, recurrence_id = key
        self._db.execute(
            "DELETE FROM pending WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (self.portal, self.target, uid, recurrence_id or ""),
        )

    def forget(self, key: Key) -> None:
        """Drop the row of an event that no longer exists in the portal, and any creation of
        it still noted as sent (`intend`): there is nothing left to find."""
        uid, recurrence_id = key
        self._db.execute(
            "DELETE FROM events WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (self.portal, self.target, uid, recurrence_id or ""),
        )
        self.settle(key)


class TargetState:
    """The rows of one target of one portal, read from an open state DB (`StateDB.scoped`),
    and written through `transaction()`."""

    def __init__(self, connection: sqlite3.Connection, writing: Writing, portal: str,
                 target: str) -> None:
        self._db = connection
        self._writing = writing
        self.portal = portal
        self.target = target

    @contextmanager
    def transaction(self) -> Iterator[TargetTransaction]:
        """One batch's writes, all or nothing (`StateDB.transaction`)."""
        with self._writing() as connection:
            yield TargetTransaction(connection, self.portal, self.target)

    def records(self) -> list[Record]:
        """Every event paired in this target, sorted by (uid, recurrence_id) null first."""
        rows = self._db.execute(
            "SELECT * FROM events WHERE portal = ? AND target = ? ORDER BY uid, recurrence_id",
            (self.portal, self.target),
        )
        return [_record(row) for row in rows]

    def event_ids(self) -> dict[Key, int]:
        """The portal event each paired key is, as `records` has them."""
        return {record.key: record.event_id for record in self.records()}

    def pending(self) -> dict[Key, str]:
        """Creations sent by an earlier (or this) run whose outcome was never recorded, each
        with the identity of what was sent."""
        rows = self._db.execute(
            "SELECT uid, recurrence_id, identity FROM pending WHERE portal = ? AND target = ?",
            (self.portal, self.target),
        )
        return {(row["uid"], row["recurrence_id"] or None): str(row["identity"])
                for row in rows}

    def get(self, key: Key) -> Record | None:
        uid, recurrence_id = key
        row = self._db.execute(
            "SELECT * FROM events WHERE portal = ? AND target = ? AND uid = ? "
            "AND recurrence_id = ?",
            (self.portal, self.target, uid, recurrence_id or ""),
        ).fetchone()
        return None if row is None else _record(row)

    def other_addresses(self) -> list[str]:
        """The other portal names with events in this target for the same user: what this
        portal may have been called before it moved to another address."""
        user = self.portal.rsplit("/user/", 1)[-1]
        rows = self._db.execute(
            "SELECT DISTINCT portal FROM events WHERE target = ? AND portal != ? "
            "AND portal LIKE ? ORDER BY portal", (self.target, self.portal, f"%/user/{user}"))
        return [str(row["portal"]) for row in rows]
