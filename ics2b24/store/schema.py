"""The state DB's tables, and the scripts that take a file of any earlier version to this
one: a user's file is never recreated, only migrated, and one from a newer release is refused
(`PRAGMA user_version` says which it is). The reason for each version is kept next to its
script, since nothing else in the repository says why a column came or went.
"""

from __future__ import annotations

import sqlite3
from contextlib import suppress
from pathlib import Path

from ics2b24.errors import SafetyError, UsageError

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
"""Version 6 keeps what each unanswered creation sent (plan/identity.py `sent_identity`)."""

_MIGRATIONS = {1: _SECTIONS, 2: _DROP_TIMESTAMP_X, 3: _PORTALS, 4: _ZONES,
               5: _PENDING_IDENTITY, 6: _SECTION_CREATED, 7: _FEEDS}
"""The script that takes a file from each older version to the next one."""


def migrate(connection: sqlite3.Connection, db_path: Path) -> None:
    """Bring the file to `SCHEMA_VERSION` in one transaction; a newer file, or an SQLite file
    holding tables of someone else's, is refused and left as it is."""
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
