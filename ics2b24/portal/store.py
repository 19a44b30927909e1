"""Everything the test portal remembers, in one SQLite database.

In memory by default; with a path, one file that survives a restart (`portal serve --data`). The
HTTP server is threaded, so one re-entrant lock guards every operation, and `transaction()`
lets a method that touches several rows (a `recurrence_mode` split) commit them together.
Sections, events and settings are kept as JSON rows: the calendar layer owns their shape, the
store only indexes the columns it filters on.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
import threading
from collections.abc import Collection, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ics2b24.errors import UsageError
from ics2b24.portal.dates import zone
from ics2b24.portal.profile import DEFAULT_USER_ZONE

SCHEMA_VERSION = 1
DEFAULT_SECTION_COLOR = "#9dcf00"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS users (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, last_name TEXT NOT NULL, email TEXT NOT NULL,
    time_zone TEXT NOT NULL, is_admin INTEGER NOT NULL, webhook_token TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS apps (client_id TEXT PRIMARY KEY, client_secret TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tokens (
    token TEXT PRIMARY KEY, kind TEXT NOT NULL, user_id INTEGER NOT NULL,
    client_id TEXT NOT NULL, scope TEXT NOT NULL, expires_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS sections (
    id INTEGER PRIMARY KEY, cal_type TEXT NOT NULL, owner_id INTEGER NOT NULL, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
    id INTEGER PRIMARY KEY, cal_type TEXT NOT NULL, owner_id INTEGER NOT NULL,
    section_id INTEGER NOT NULL, recurrence_id INTEGER, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS events_calendar ON events (cal_type, owner_id, section_id);
CREATE INDEX IF NOT EXISTS events_recurrence ON events (recurrence_id);
CREATE TABLE IF NOT EXISTS settings (user_id INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS workgroups (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS webhooks (
    user_id INTEGER NOT NULL, position INTEGER NOT NULL, token TEXT NOT NULL,
    PRIMARY KEY (user_id, position));
"""
DEFAULT_GROUPS = 9
"""Groups 1 to 9 ("Group 1"…) when the users config names none."""


@dataclass(frozen=True)
class User:
    id: int
    name: str
    last_name: str
    email: str
    time_zone: str
    is_admin: bool
    webhook_token: str

    @property
    def full_name(self) -> str:
        return f"{self.name} {self.last_name}".strip()


@dataclass(frozen=True)
class Group:
    """A workgroup: only what `sonet_group.get` is asked for (does it exist, its name)."""

    id: int
    name: str


class Store:
    """Users, tokens, sections, events, settings and id counters of one portal."""

    def __init__(self, path: str | None = None) -> None:
        self._lock = threading.RLock()
        self._depth = 0
        try:
            self._db = sqlite3.connect(
                path or ":memory:", check_same_thread=False, isolation_level=None
            )
        except sqlite3.OperationalError as exc:
            raise UsageError(f"--data {path}: cannot be opened: {_unopenable(path, exc)}"
                             ) from None
        try:
            with self._lock:
                _refuse_foreign(self._db, path)
                self._db.executescript(_SCHEMA)
                self._db.execute(
                    "INSERT OR IGNORE INTO meta (key, value) VALUES ('schema', ?)",
                    (str(SCHEMA_VERSION),),
                )
        except sqlite3.DatabaseError as exc:
            self._db.close()
            raise UsageError(f"--data {path}: not a test portal's database ({exc})") from exc
        except BaseException:
            self._db.close()
            raise

    def close(self) -> None:
        with self._lock:
            self._db.close()

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All writes inside commit together, or none (an exception rolls them back)."""
        with self._lock:
            outermost = self._depth == 0
            if outermost:
                self._db.execute("BEGIN")
            self._depth += 1
            try:
                yield self
            except BaseException:
                self._depth -= 1
                if outermost:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outermost:
                self._db.execute("COMMIT")

    # --- users and apps -----------------------------------------------------------------

    def seed(self, config: Mapping[str, Any] | None,
             user_zone: str = DEFAULT_USER_ZONE) -> None:
        """Fill an empty portal: the `--users` config, or one admin and one app; `user_zone` is
        the zone of every user the config gives none. Its groups are seeded once, also into a
        `--data` file made before the portal knew groups.

        A store that already has users is left alone, so a restart on a `--data` file keeps
        its tokens and ids.
        """
        users, apps, groups = _read_config(config, user_zone)
        with self.transaction():
            if not self._db.execute("SELECT 1 FROM meta WHERE key = 'groups'").fetchone():
                self._db.executemany("INSERT INTO workgroups VALUES (?, ?)",
                                     [(group.id, group.name) for group in groups])
                self._db.execute("INSERT INTO meta VALUES ('groups', 'seeded')")
            if self._db.execute("SELECT 1 FROM users LIMIT 1").fetchone():
                return
            for user in users:
                self._db.execute(
                    "INSERT INTO users VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (user.id, user.name, user.last_name, user.email, user.time_zone,
                     int(user.is_admin), user.webhook_token),
                )
                self.add_section("user", user.id, default_section(user))
            for client_id, client_secret in apps:
                self._db.execute("INSERT INTO apps VALUES (?, ?)", (client_id, client_secret))

    def users(self) -> list[User]:
        with self._lock:
            rows = self._db.execute("SELECT * FROM users ORDER BY id").fetchall()
        return [_user(row) for row in rows]

    def user(self, user_id: int) -> User | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return _user(row) if row else None

    def webhook_tokens(self, user_id: int) -> list[str]:
        """The user's inbound webhooks, first `users.webhook_token`, then those
        `add_webhooks` made, in the order they were made."""
        with self._lock:
            first = self._db.execute(
                "SELECT webhook_token FROM users WHERE id = ?", (user_id,)).fetchone()
            more = self._db.execute(
                "SELECT token FROM webhooks WHERE user_id = ? ORDER BY position",
                (user_id,)).fetchall()
        return [str(row[0]) for row in ([first] if first else []) + more]

    def add_webhooks(self, user_id: int, count: int) -> None:
        """Gives the user new webhooks until they have `count`; the ones they have are kept,
        so a `--data` file keeps its tokens across restarts."""
        with self.transaction():
            for position in range(len(self.webhook_tokens(user_id)), count):
                self._db.execute("INSERT INTO webhooks VALUES (?, ?, ?)",
                                 (user_id, position, secrets.token_hex(8)))

    def groups(self) -> list[Group]:
        with self._lock:
            rows = self._db.execute("SELECT id, name FROM workgroups ORDER BY id").fetchall()
        return [Group(int(row[0]), str(row[1])) for row in rows]

    def apps(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT client_id, client_secret FROM apps").fetchall()
        return [(str(a), str(b)) for a, b in rows]

    # --- OAuth tokens -------------------------------------------------------------------

    def put_tokens(self, *, access: str, refresh: str, user_id: int, client_id: str, scope: str,
                   expires_at: float) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, 'access', ?, ?, ?, ?)",
                (access, user_id, client_id, scope, expires_at),
            )
            self._db.execute(
                "INSERT OR REPLACE INTO tokens VALUES (?, 'refresh', ?, ?, ?, ?)",
                (refresh, user_id, client_id, scope, expires_at),
            )

    def access_token(self, access: str) -> tuple[int, str, float] | None:
        """(user_id, scope, expires_at) of an access token; expiry is the caller's call."""
        with self._lock:
            row = self._db.execute(
                "SELECT user_id, scope, expires_at FROM tokens WHERE token = ? AND kind = 'access'",
                (access,),
            ).fetchone()
        return (int(row[0]), str(row[1]), float(row[2])) if row else None

    def take_refresh_token(self, refresh: str, client_id: str) -> tuple[int, str] | None:
        """(user_id, scope), consuming the token: a refresh token works once."""
        taken = self._take(refresh, "refresh", client_id)
        return None if taken is None else taken[:2]

    def put_code(self, code: str, *, user_id: int, client_id: str, scope: str,
                 expires_at: float) -> None:
        """An authorization code, exchanged once for a token pair before `expires_at`."""
        with self.transaction():
            self._db.execute("INSERT INTO tokens VALUES (?, 'code', ?, ?, ?, ?)",
                             (code, user_id, client_id, scope, expires_at))

    def take_code(self, code: str, client_id: str) -> tuple[int, str, float] | None:
        """(user_id, scope, expires_at) of an authorization code of this app, consuming it."""
        return self._take(code, "code", client_id)

    def _take(self, token: str, kind: str, client_id: str) -> tuple[int, str, float] | None:
        with self.transaction():
            row = self._db.execute(
                "SELECT user_id, scope, expires_at FROM tokens WHERE token = ? AND kind = ? "
                "AND client_id = ?",
                (token, kind, client_id),
            ).fetchone()
            if row is None:
                return None
            self._db.execute("DELETE FROM tokens WHERE token = ?", (token,))
        return int(row[0]), str(row[1]), float(row[2])

    # --- id counters --------------------------------------------------------------------

    def next_id(self, name: str) -> int:
        with self.transaction():
            self._db.execute(
                "INSERT INTO counters VALUES (?, 1) "
                "ON CONFLICT(name) DO UPDATE SET value = value + 1",
                (name,),
            )
            row = self._db.execute("SELECT value FROM counters WHERE name = ?", (name,)).fetchone()
        return int(row[0])

    # --- sections -----------------------------------------------------------------------

    def add_section(self, cal_type: str, owner_id: int, data: Mapping[str, Any]) -> int:
        with self.transaction():
            section_id = self.next_id("section")
            row = {**data, "id": section_id, "cal_type": cal_type, "owner_id": owner_id}
            self._db.execute(
                "INSERT INTO sections VALUES (?, ?, ?, ?)",
                (section_id, cal_type, owner_id, json.dumps(row)),
            )
        return section_id

    def section(self, section_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM sections WHERE id = ?", (section_id,)
            ).fetchone()
        return _load(row[0]) if row else None

    def sections(self, cal_type: str, owner_id: int) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM sections WHERE cal_type = ? AND owner_id = ? ORDER BY id",
                (cal_type, owner_id),
            ).fetchall()
        return [_load(row[0]) for row in rows]

    def put_section(self, data: Mapping[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "UPDATE sections SET data = ? WHERE id = ?", (json.dumps(dict(data)), data["id"])
            )

    def delete_section(self, section_id: int) -> None:
        """Removes the section and the events in it, as deleting a calendar does."""
        with self.transaction():
            self._db.execute("DELETE FROM events WHERE section_id = ?", (section_id,))
            self._db.execute("DELETE FROM sections WHERE id = ?", (section_id,))

    # --- events -------------------------------------------------------------------------

    def add_event(self, data: Mapping[str, Any]) -> int:
        """Stores a new event under a fresh id and returns the id (also written to `id`)."""
        with self.transaction():
            event_id = self.next_id("event")
            self._write_event({**data, "id": event_id}, insert=True)
        return event_id

    def put_event(self, data: Mapping[str, Any]) -> None:
        with self.transaction():
            self._write_event(dict(data), insert=False)

    def event(self, event_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute("SELECT data FROM events WHERE id = ?", (event_id,)).fetchone()
        return _load(row[0]) if row else None

    def events(self, cal_type: str, owner_id: int,
               section_ids: Collection[int] | None = None) -> list[dict[str, Any]]:
        with self._lock:
            rows = self._db.execute(
                "SELECT section_id, data FROM events WHERE cal_type = ? AND owner_id = ? "
                "ORDER BY id",
                (cal_type, owner_id),
            ).fetchall()
        return [_load(data) for section_id, data in rows
                if section_ids is None or section_id in section_ids]

    def detached(self, series_id: int) -> list[dict[str, Any]]:
        """Occurrences detached from a series (`recurrence_mode: this`)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT data FROM events WHERE recurrence_id = ? ORDER BY id", (series_id,)
            ).fetchall()
        return [_load(row[0]) for row in rows]

    def delete_event(self, event_id: int) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM events WHERE id = ?", (event_id,))

    def _write_event(self, row: dict[str, Any], *, insert: bool) -> None:
        values = (row["cal_type"], int(row["owner_id"]), int(row["section_id"]),
                  row.get("recurrence_id"), json.dumps(row), int(row["id"]))
        if insert:
            self._db.execute(
                "INSERT INTO events (cal_type, owner_id, section_id, recurrence_id, data, id) "
                "VALUES (?, ?, ?, ?, ?, ?)", values)
        else:
            self._db.execute(
                "UPDATE events SET cal_type = ?, owner_id = ?, section_id = ?, "
                "recurrence_id = ?, data = ? WHERE id = ?", values)

    # --- user settings ------------------------------------------------------------------

    def settings(self, user_id: int) -> dict[str, Any] | None:
        with self._lock:
            row = self._db.execute(
                "SELECT data FROM settings WHERE user_id = ?", (user_id,)
            ).fetchone()
        return _load(row[0]) if row else None

    def put_settings(self, user_id: int, data: Mapping[str, Any]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO settings VALUES (?, ?)", (user_id, json.dumps(dict(data)))
            )


def default_section(user: User) -> dict[str, Any]:
    """The personal calendar a portal gives every user, named after them."""
    return {
        "name": user.full_name or f"User {user.id}",
        "description": "",
        "color": DEFAULT_SECTION_COLOR,
        "text_color": "#000000",
        "export": {"ALLOW": True, "SET": "all"},
        "created_by": user.id,
    }


def _load(text: str) -> dict[str, Any]:
    value = json.loads(text)
    if not isinstance(value, dict):
        raise TypeError("corrupt row")
    return value


def _user(row: tuple[Any, ...]) -> User:
    return User(id=int(row[0]), name=str(row[1]), last_name=str(row[2]), email=str(row[3]),
                time_zone=str(row[4]), is_admin=bool(row[5]), webhook_token=str(row[6]))


def _unopenable(path: str | None, exc: sqlite3.OperationalError) -> str:
    """Why SQLite could not open `path`, in the words a user acts on."""
    parent = Path(path or ".").parent
    if not parent.is_dir():
        return f"the directory {parent} does not exist"
    return str(exc)


def _refuse_foreign(db: sqlite3.Connection, path: str | None) -> None:
    """A `--data` file that holds tables but not a portal's (an ics2b24 state DB, anyone's
    database) is refused before a table is added to it."""
    tables = {str(row[0]) for row in db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table'")}
    if not tables:
        return
    ours = "meta" in tables and db.execute(
        "SELECT 1 FROM meta WHERE key = 'schema'").fetchone() is not None
    if not ours:
        raise UsageError(f"--data {path}: not a test portal's database (it holds other "
                         "tables); give a new file, or one `portal serve` made")


def _read_config(config: Mapping[str, Any] | None, user_zone: str
                 ) -> tuple[list[User], list[tuple[str, str]], list[Group]]:
    """Validates the `--users` JSON up front, so a bad file is one clear UsageError."""
    if config is None:
        admin = User(1, "Admin", "", "admin@example.com", user_zone, True,
                     secrets.token_hex(8))
        return [admin], [_new_app()], _read_groups(None)
    if not isinstance(config, Mapping) or not isinstance(config.get("users"), list):
        raise UsageError('users config: expected {"users": [...], "apps": [...]}')
    users: list[User] = []
    for index, entry in enumerate(config["users"]):
        if not isinstance(entry, Mapping):
            raise UsageError(f"users config: users[{index}] is not an object")
        try:
            user_id = int(entry["id"])
        except (KeyError, TypeError, ValueError):
            raise UsageError(f"users config: users[{index}] needs an integer id") from None
        if user_id < 1 or any(u.id == user_id for u in users):
            raise UsageError(f"users config: users[{index}] has a duplicate or bad id")
        token = entry.get("webhook_token") or secrets.token_hex(8)
        if not isinstance(token, str) or not token.isalnum():
            raise UsageError(f"users config: users[{index}].webhook_token must be alphanumeric")
        users.append(User(
            id=user_id,
            name=str(entry.get("name") or f"User {user_id}"),
            last_name=str(entry.get("last_name") or ""),
            email=str(entry.get("email") or f"user{user_id}@example.com"),
            time_zone=_time_zone(entry.get("time_zone") or user_zone, index),
            is_admin=bool(entry.get("admin", False)),
            webhook_token=token,
        ))
    if not users:
        raise UsageError("users config: at least one user is needed")
    apps: list[tuple[str, str]] = []
    for index, app in enumerate(config.get("apps") or []):
        if not (isinstance(app, Mapping) and isinstance(app.get("client_id"), str)
                and isinstance(app.get("client_secret"), str)):
            raise UsageError(f"users config: apps[{index}] needs client_id and client_secret")
        apps.append((app["client_id"], app["client_secret"]))
    return users, apps or [_new_app()], _read_groups(config.get("groups"))


def _read_groups(entries: Any) -> list[Group]:
    """`"groups": [{"id": 3, "name": "Sales"}, ...]`; without the key, groups 1 to 9."""
    if entries is None:
        return [Group(n, f"Group {n}") for n in range(1, DEFAULT_GROUPS + 1)]
    if not isinstance(entries, list):
        raise UsageError('users config: "groups" must be a list of {"id": N, "name": "…"}')
    groups: list[Group] = []
    for index, entry in enumerate(entries):
        group_id = entry.get("id") if isinstance(entry, Mapping) else None
        if (not isinstance(group_id, int) or isinstance(group_id, bool) or group_id < 1
                or any(g.id == group_id for g in groups)):
            raise UsageError(f"users config: groups[{index}] needs a positive integer id "
                             "no other group has")
        groups.append(Group(group_id, str(entry.get("name") or f"Group {group_id}")))
    return groups


def _time_zone(value: Any, index: int) -> str:
    name = str(value or DEFAULT_USER_ZONE)
    try:
        zone(name)
    except ValueError:
        raise UsageError(f"users config: users[{index}].time_zone {name!r} is unknown") from None
    return name


def _new_app() -> tuple[str, str]:
    return (f"local.{secrets.token_hex(7)}.{secrets.randbelow(10**8):08d}",
            secrets.token_urlsafe(37)[:50])
