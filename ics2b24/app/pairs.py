"""A file of pairs (`ics2b24 sync`): sources → one target each, with the options `push`
takes, read from TOML (the standard library's `tomllib`) into typed values.

A secret never has to be in the file: a pair names the variable that holds its webhook
(`webhook_env`) or a command that prints it (`webhook_command`, run without a shell). The
webhook itself is taken from the file only when the file is readable by its owner alone
(0600) and says `secrets_in_file = true`, so a copied or shared file cannot leak it.

    [defaults]                      # any pair key; each pair may override it
    webhook_env = "B24_WEBHOOK"
    type = "user"

    [pairs.team]
    sources = ["~/calendars/team.ics", "~/calendars/team-*.ics"]
    owner = 1
    section_name = "Team"
    prune = "future"                # never delete what has ended
    exclude = "(?i)^private"        # also: include, categories = ["Work"], skip_free = true
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from ics2b24.app.secret_command import printed_secret
from ics2b24.app.target import CalendarType
from ics2b24.errors import UsageError
from ics2b24.ical.choices import CHOICE_FLAGS, ConvertChoices
from ics2b24.paths import data_dir
from ics2b24.plan.filters import EventFilter

_TYPES = ("user", "group", "company_calendar")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_KEYS = frozenset({"sources", "type", "owner", "section", "section_name", "prune",
                   "force_delete", "state", "webhook", "webhook_env", "webhook_command",
                   "include", "exclude", "categories", "skip_free", "feed_auth_env",
                   "feed_auth_command",
                   *CHOICE_FLAGS})


@dataclass(frozen=True)
class Pair:
    name: str
    sources: tuple[str, ...]
    calendar_type: CalendarType
    owner: int | None
    section_id: int | None
    section_name: str | None
    prune: bool = False
    prune_future: bool = False
    """`prune = "future"`: what has ended is never deleted."""
    force_delete: bool = False
    only: EventFilter | None = None
    state: Path | None = None
    """Its own state DB: by default `pairs/NAME.sqlite3` in the data dir (paths.py)."""
    convert: ConvertChoices = field(default_factory=ConvertChoices)
    webhook: str | None = None
    webhook_env: str | None = None
    webhook_command: str | None = None
    feed_auth_env: str | None = None
    """The variable holding its URL sources' credentials (as `push --feed-auth-env`)."""
    feed_auth_command: str | None = None
    """The command printing them (as `push --feed-auth-command`)."""


def config_path(given: str | None, environ: Mapping[str, str]) -> Path:
    """`--config`, else `$ICS2B24_CONFIG`, else `$XDG_CONFIG_HOME/ics2b24/pairs.toml`
    (`~/.config/ics2b24/pairs.toml`)."""
    if given:
        return Path(given).expanduser()
    if environ.get("ICS2B24_CONFIG"):
        return Path(environ["ICS2B24_CONFIG"]).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or ""
    root = Path(base) if os.path.isabs(base) else Path.home() / ".config"
    return root / "ics2b24" / "pairs.toml"


def load_pairs(path: Path) -> list[Pair]:
    """Every pair of the file, in its order; a file that cannot be used is one UsageError
    naming it and what is wrong."""
    try:
        text = path.read_bytes().decode("utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such pairs file (--config FILE, or $ICS2B24_CONFIG)"
                         ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot be read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None
    private = (path.stat().st_mode & 0o077) == 0
    return parse_pairs(data, str(path), secrets_allowed=private and
                       data.get("secrets_in_file") is True)


def parse_pairs(data: Mapping[str, Any], where: str, *,
                secrets_allowed: bool = False) -> list[Pair]:
    unknown = set(data) - {"defaults", "pairs", "secrets_in_file"}
    if unknown:
        raise UsageError(f"{where}: unknown table or key {sorted(unknown)[0]!r} (expected "
                         "[defaults], [pairs.NAME], secrets_in_file)")
    defaults = _table(data.get("defaults", {}), f"{where}: [defaults]")
    pairs = _table(data.get("pairs", {}), f"{where}: [pairs]")
    if not pairs:
        raise UsageError(f"{where}: no [pairs.NAME] table: nothing to sync")
    return [_pair(name, {**defaults, **_table(body, f"{where}: [pairs.{name}]")},
                  f"{where}: [pairs.{name}]", secrets_allowed)
            for name, body in pairs.items()]


def _table(value: Any, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise UsageError(f"{where} must be a table")
    return value


def _pair(name: str, body: Mapping[str, Any], where: str, secrets_allowed: bool) -> Pair:
    if not _NAME.fullmatch(name):
        raise UsageError(f"{where}: a pair's name is letters, digits, '.', '_' or '-' (it "
                         "names the pair's state DB)")
    unknown = set(body) - _KEYS
    if unknown:
        raise UsageError(f"{where}: unknown key {sorted(unknown)[0]!r}")
    sources = body.get("sources")
    if isinstance(sources, str):
        sources = [sources]
    if not isinstance(sources, list) or not sources or not all(
            isinstance(s, str) and s for s in sources):
        raise UsageError(f"{where}: sources must name one or more files, folders, archives, "
                         "globs or URLs")
    calendar_type = body.get("type", "user")
    if calendar_type not in _TYPES:
        raise UsageError(f"{where}: type must be one of {', '.join(_TYPES)}")
    if ("section" in body) == ("section_name" in body):
        raise UsageError(f"{where}: give section (an id) or section_name, one of them")
    if "webhook" in body and not secrets_allowed:
        raise UsageError(f"{where}: a webhook in the file is taken only from a file readable "
                         "by its owner alone (chmod 600) that says secrets_in_file = true; "
                         "else name its variable (webhook_env) or a command (webhook_command)")
    section_name = _optional(body, "section_name", str, where)
    if section_name is not None and not section_name.strip():
        raise UsageError(f"{where}: section_name is empty")
    state = _optional(body, "state", str, where)
    return Pair(
        name=name, sources=tuple(sources), calendar_type=cast("CalendarType", calendar_type),
        owner=_optional(body, "owner", int, where),
        section_id=_optional(body, "section", int, where), section_name=section_name,
        prune=body.get("prune") in (True, "future"),
        prune_future=_prune(body, where) == "future",
        force_delete=bool(_optional(body, "force_delete", bool, where)),
        only=_filter(body, where),
        state=Path(state).expanduser() if state else data_dir() / "pairs" / f"{name}.sqlite3",
        convert=_convert(body, where),
        webhook=_optional(body, "webhook", str, where),
        webhook_env=_optional(body, "webhook_env", str, where),
        webhook_command=_optional(body, "webhook_command", str, where),
        feed_auth_env=_optional(body, "feed_auth_env", str, where),
        feed_auth_command=_optional(body, "feed_auth_command", str, where))


def _prune(body: Mapping[str, Any], where: str) -> bool | str:
    value = body.get("prune", False)
    if value not in (True, False, "future"):
        raise UsageError(f"{where}: prune must be true, false or \"future\" (never delete "
                         f"what has ended), not {value!r}")
    return bool(value) if isinstance(value, bool) else str(value)


def _filter(body: Mapping[str, Any], where: str) -> EventFilter | None:
    """The pair's filter; None when it keeps every event."""
    include, exclude = (_pattern(body, key, where) for key in ("include", "exclude"))
    wanted = body.get("categories", [])
    if isinstance(wanted, str):
        wanted = [wanted]
    if not isinstance(wanted, list) or not all(isinstance(c, str) for c in wanted):
        raise UsageError(f"{where}: categories must be a list of names")
    skip_free = bool(_optional(body, "skip_free", bool, where))
    if include is None and exclude is None and not wanted and not skip_free:
        return None
    return EventFilter(include, exclude, frozenset(c.casefold() for c in wanted), skip_free)


def _pattern(body: Mapping[str, Any], key: str, where: str) -> re.Pattern[str] | None:
    text = _optional(body, key, str, where)
    if text is None:
        return None
    try:
        return re.compile(text)
    except re.error as exc:
        raise UsageError(f"{where}: {key} is not a regular expression: {exc}") from None


def _optional(body: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    value = body.get(key)
    if value is None:
        return None
    if not isinstance(value, kind) or (kind is int and isinstance(value, bool)):
        raise UsageError(f"{where}: {key} must be a {kind.__name__}, not {value!r}")
    return value


def _convert(body: Mapping[str, Any], where: str) -> ConvertChoices:
    """The convert choices a pair sets (the keys of `push`'s flags: dates as dates, the rest
    as given); what it leaves out is as `push` without that flag."""
    out: dict[str, Any] = {}
    for key in CHOICE_FLAGS:
        if key not in body:
            continue
        value = body[key]
        if key in ("since", "horizon_end"):
            out[key] = value if isinstance(value, date) else _day(value, key, where)
        elif key in ("no_attendees", "invite_attendees", "strict"):
            out[key] = bool(_optional(body, key, bool, where))
        elif key == "max_occurrences":
            out[key] = _optional(body, key, int, where)
        else:
            out[key] = _optional(body, key, str, where)
    return ConvertChoices(**out)


def _day(value: Any, key: str, where: str) -> date:
    try:
        return date.fromisoformat(str(value))
    except ValueError:
        raise UsageError(f"{where}: {key} must be a date (YYYY-MM-DD), not {value!r}"
                         ) from None


def webhook_of(pair: Pair, environ: Mapping[str, str]) -> str | None:
    """The pair's webhook: from the file (allowed by `load_pairs`), its variable or its
    command; None leaves the credentials to the command line and the B24_* variables."""
    if pair.webhook:
        return pair.webhook
    if pair.webhook_env:
        value = environ.get(pair.webhook_env, "").strip()
        if not value:
            raise UsageError(f"pair {pair.name}: ${pair.webhook_env} (webhook_env) is not set")
        return value
    if pair.webhook_command:
        return printed_secret(pair.webhook_command, f"pair {pair.name}: webhook_command")
    return None
