"""A user's calendar settings (`calendar.user.settings.get/set`) and the `ics2b24 settings`
commands.

The portal's `set` replaces the whole settings object, so changing one key means reading the
current object, changing that key and sending everything back. Everything the user asked for is
checked before that, against what the reference documents, so a bad flag never costs a
half-applied write.
"""

from __future__ import annotations

import copy
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ics2b24.app.sections import list_sections
from ics2b24.app.target import CalendarType
from ics2b24.bitrix import answers
from ics2b24.bitrix.client import Client
from ics2b24.errors import UsageError
from ics2b24.ical.default_alarms import DefaultAlarms, default_alarms
from ics2b24.ical.read import read_input
from ics2b24.model import Reminder, ReminderUnit

VIEWS = ("day", "week", "month", "list")
DOCUMENTED_KEYS = (
    "view", "meetSection", "crmSection", "showDeclined", "denyBusyInvitation",
    "collapseOffHours", "showWeekNumbers", "showTasks", "syncTasks", "showCompletedTasks",
    "lastUsedSection", "sendFromEmail", "defaultSections", "syncPeriodPast", "syncPeriodFuture",
    "defaultReminders",
)
"""The keys `calendar.user.settings.set` documents, in its order; `get` also answers
read-only ones (time zone, work hours) that are never sent back."""

_UNITS: dict[str, ReminderUnit] = {
    "m": "min", "min": "min", "h": "hour", "hour": "hour", "d": "day", "day": "day",
}
_REMINDER = re.compile(r"^\s*(\d+)\s*([a-z]+?)s?\s*$", re.IGNORECASE)
_SECTION_KEY = re.compile(r"^(user|group)(\d+)$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+$")
_NONE = ("none", "false", "")


@dataclass(frozen=True)
class SettingsRequest:
    """The keys a user asked to change (None: keep the portal's value). Booleans become the
    wire's `Y`/`N` or true/false, whichever the reference gives for that key."""

    view: str | None = None
    meet_section: int | None = None
    crm_section: int | None = None
    show_declined: bool | None = None
    deny_busy_invitation: bool | None = None
    collapse_off_hours: bool | None = None
    show_week_numbers: bool | None = None
    show_tasks: bool | None = None
    sync_tasks: bool | None = None
    show_completed_tasks: bool | None = None
    last_used_section: int | None = None
    clear_last_used_section: bool = False
    send_from_email: str | None = None
    default_sections: tuple[tuple[str, int], ...] = ()
    sync_period_past: int | None = None
    sync_period_future: int | None = None
    reminders_with_time: tuple[Reminder, ...] | None = None
    reminders_full_day: tuple[Reminder, ...] | None = None

    def __post_init__(self) -> None:
        if self.view is not None and self.view not in VIEWS:
            raise UsageError(f"--view must be one of {', '.join(VIEWS)}, not {self.view!r}")
        for option, value in (("--meet-section", self.meet_section),
                              ("--crm-section", self.crm_section),
                              ("--last-used-section", self.last_used_section)):
            if value is not None and value <= 0:
                raise UsageError(f"{option} must be a section id (a positive number)")
        for option, months in (("--sync-period-past", self.sync_period_past),
                               ("--sync-period-future", self.sync_period_future)):
            if months is not None and months < 0:
                raise UsageError(f"{option} must be a number of months (0 or more)")
        if self.send_from_email and not _EMAIL.match(self.send_from_email):
            raise UsageError(f"--send-from-email {self.send_from_email!r} is not an e-mail "
                             "address")
        for key, section in self.default_sections:
            if not _SECTION_KEY.match(key) or section <= 0:
                raise UsageError(f"--default-section {key}={section}: give userID=SECTION or "
                                 "groupID=SECTION")
        for reminder in (self.reminders_with_time or ()) + (self.reminders_full_day or ()):
            if reminder.type not in ("min", "hour", "day") or reminder.count < 0:
                raise UsageError("a reminder must be a whole number (0 or more) of min, hour "
                                 f"or day, not {reminder.count} {reminder.type}")

    def wire(self) -> dict[str, Any]:
        """The keys asked for, in wire form; `defaultSections` and `defaultReminders` hold
        only the entries asked for (merge() lays them over the current ones)."""
        out: dict[str, Any] = {}
        if self.view is not None:
            out["view"] = self.view
        if self.meet_section is not None:
            out["meetSection"] = str(self.meet_section)
        if self.crm_section is not None:
            out["crmSection"] = str(self.crm_section)
        for key, flag in (("showDeclined", self.show_declined),
                          ("denyBusyInvitation", self.deny_busy_invitation)):
            if flag is not None:
                out[key] = flag
        for key, flag in (("collapseOffHours", self.collapse_off_hours),
                          ("showWeekNumbers", self.show_week_numbers),
                          ("showTasks", self.show_tasks),
                          ("syncTasks", self.sync_tasks),
                          ("showCompletedTasks", self.show_completed_tasks)):
            if flag is not None:
                out[key] = "Y" if flag else "N"
        if self.clear_last_used_section:
            out["lastUsedSection"] = "false"
        elif self.last_used_section is not None:
            out["lastUsedSection"] = str(self.last_used_section)
        if self.send_from_email is not None:
            out["sendFromEmail"] = self.send_from_email
        if self.default_sections:
            out["defaultSections"] = {key: str(section) for key, section in self.default_sections}
        if self.sync_period_past is not None:
            out["syncPeriodPast"] = str(self.sync_period_past)
        if self.sync_period_future is not None:
            out["syncPeriodFuture"] = str(self.sync_period_future)
        reminders: dict[str, list[dict[str, Any]]] = {}
        if self.reminders_full_day is not None:
            reminders["fullDay"] = [r.to_params() for r in self.reminders_full_day]
        if self.reminders_with_time is not None:
            reminders["withTime"] = [r.to_params() for r in self.reminders_with_time]
        if reminders:
            out["defaultReminders"] = reminders
        return out

    def section_references(self) -> list[SectionReference]:
        """Every section id asked for, with the calendar it must be in (own: the caller's)."""
        refs = [SectionReference(option, "user", None, section)
                for option, section in (("--meet-section", self.meet_section),
                                        ("--crm-section", self.crm_section),
                                        ("--last-used-section", self.last_used_section))
                if section is not None]
        for key, section in self.default_sections:
            match = _SECTION_KEY.match(key)
            assert match is not None
            cal_type: CalendarType = "user" if match.group(1) == "user" else "group"
            refs.append(SectionReference(f"--default-section {key}", cal_type,
                                         int(match.group(2)), section))
        return refs


@dataclass(frozen=True)
class SectionReference:
    option: str
    cal_type: CalendarType
    owner: int | None
    section_id: int


@dataclass(frozen=True)
class Change:
    key: str
    old: Any
    new: Any


@dataclass
class SetOutcome:
    """What `settings set` did: the whole object it sends (or would), and what differs."""

    params: dict[str, Any]
    changes: list[Change] = field(default_factory=list)
    sent: bool = False


def parse_reminder(text: str, option: str) -> Reminder:
    """`15m`, `2h`, `1d` (also `15 min`, `2 hours`, `1 day`) → {type, count}."""
    match = _REMINDER.match(text)
    unit = _UNITS.get(match.group(2).lower()) if match else None
    if match is None or unit is None:
        raise UsageError(f"{option} {text!r}: give a count and a unit, e.g. 15m, 2h or 1d "
                         "(or none)")
    return Reminder(unit, int(match.group(1)))


def parse_reminders(values: Iterable[str], option: str) -> tuple[Reminder, ...] | None:
    """A repeated option's values; `none` alone means no reminder at all; nothing: unchanged."""
    given = list(values)
    if not given:
        return None
    if [v.strip().lower() for v in given] == ["none"]:
        return ()
    return tuple(dict.fromkeys(parse_reminder(v, option) for v in given))


def parse_default_section(text: str) -> tuple[str, int]:
    """`user12=4` / `group36=49` → (calendar key, section id)."""
    key, sep, value = text.partition("=")
    key, value = key.strip(), value.strip()
    if not sep or not _SECTION_KEY.match(key) or not value.isdigit() or int(value) <= 0:
        raise UsageError(f"--default-section {text!r}: give userID=SECTION or groupID=SECTION, "
                         "e.g. user12=4")
    return key, int(value)


def parse_last_used_section(text: str | None) -> tuple[int | None, bool]:
    """(section id, clear): a section id, or `none` for the portal's own "false"."""
    if text is None:
        return None, False
    if text.strip().lower() in _NONE:
        return None, True
    if not text.strip().isdigit() or int(text) <= 0:
        raise UsageError(f"--last-used-section {text!r}: give a section id or none")
    return int(text), False


def alarms_of_ics(name: str, data: bytes) -> DefaultAlarms:
    """The default alarms an .ics file suggests (ParseError when it cannot be read)."""
    return default_alarms(event.component for event in read_input(name, data).events)


def with_proposed(request: SettingsRequest, alarms: DefaultAlarms
                  ) -> tuple[SettingsRequest, list[str]]:
    """`defaultReminders` from the file's alarms where the user named none for that kind,
    with one sentence per kind saying where the value comes from."""
    notes: list[str] = []
    with_time, full_day = request.reminders_with_time, request.reminders_full_day
    for label, given, proposal in (("withTime", with_time, alarms.with_time),
                                   ("fullDay", full_day, alarms.full_day)):
        if given is not None:
            notes.append(f"defaultReminders.{label}: kept as given on the command line")
        elif proposal is None:
            notes.append(f"defaultReminders.{label}: the file has no such alarm; unchanged")
        else:
            notes.append(f"defaultReminders.{label} = "
                         f"{show_reminders([r.to_params() for r in proposal.reminders])}, "
                         f"from {proposal.source}")
    if with_time is None and alarms.with_time is not None:
        with_time = alarms.with_time.reminders
    if full_day is None and alarms.full_day is not None:
        full_day = alarms.full_day.reminders
    return dataclasses.replace(request, reminders_with_time=with_time,
                               reminders_full_day=full_day), notes


def merge(current: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any]:
    """The whole object to send: every documented key the portal has, with the wanted values
    laid over it (`defaultSections` entry by entry, `defaultReminders` kind by kind)."""
    out = {key: copy.deepcopy(current[key]) for key in DOCUMENTED_KEYS if key in current}
    for key, value in wanted.items():
        if key in ("defaultSections", "defaultReminders"):
            base = current.get(key)
            out[key] = {**(dict(base) if isinstance(base, Mapping) else {}),
                        **copy.deepcopy(value)}
        else:
            out[key] = value
    return out


def changes(current: Mapping[str, Any], merged: Mapping[str, Any]) -> list[Change]:
    return [Change(key, current.get(key), merged[key]) for key in DOCUMENTED_KEYS
            if key in merged and _normal(current.get(key)) != _normal(merged[key])]


def get_settings(client: Client) -> dict[str, Any]:
    method = "calendar.user.settings.get"
    return answers.record(method, client.call(method), "the user's calendar settings")


def check_sections(client: Client, request: SettingsRequest) -> None:
    """Every section id asked for exists in its calendar (reads only, before the write)."""
    seen: dict[tuple[CalendarType, int], set[int]] = {}
    for ref in request.section_references():
        owner = ref.owner if ref.owner is not None else client.user_id()
        key = (ref.cal_type, owner)
        if key not in seen:
            seen[key] = {s.id for s in list_sections(client, ref.cal_type, owner)}
        if ref.section_id not in seen[key]:
            raise UsageError(f"{ref.option}: section {ref.section_id} does not exist in the "
                             f"{ref.cal_type} calendar {owner}")


def set_settings(client: Client, request: SettingsRequest, *, dry_run: bool = False
                 ) -> SetOutcome:
    """Check, read, merge and (unless `dry_run`, or nothing changes) send the whole object."""
    wanted = request.wire()
    if not wanted:
        raise UsageError("nothing to set: name at least one setting (see --help)")
    check_sections(client, request)
    current = get_settings(client)
    merged = merge(current, wanted)
    outcome = SetOutcome({"settings": merged}, changes(current, merged))
    if outcome.changes and not dry_run:
        client.call("calendar.user.settings.set", outcome.params)
        outcome.sent = True
    return outcome


def describe(settings: Mapping[str, Any]) -> list[str]:
    """`key  value` lines, documented keys first, then the read-only ones."""
    keys = [k for k in DOCUMENTED_KEYS if k in settings]
    keys += [k for k in settings if k not in DOCUMENTED_KEYS]
    width = max((len(k) for k in keys), default=0)
    return [f"{key.ljust(width)}  {show(key, settings[key])}" for key in keys]


def show(key: str, value: Any) -> str:
    """A value as the user would type it back to `settings set`."""
    if key == "defaultSections" and isinstance(value, Mapping):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "(none)"
    if key == "defaultReminders" and isinstance(value, Mapping):
        return "; ".join(f"{kind} {show_reminders(value.get(kind))}"
                         for kind in ("withTime", "fullDay"))
    if isinstance(value, bool):
        return "true" if value else "false"
    if value in ("", None):
        return "(none)"
    return str(value)


def show_reminders(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return "none"
    short = {"min": "m", "hour": "h", "day": "d"}
    return ", ".join(f"{r.get('count')}{short.get(str(r.get('type')), r.get('type'))}"
                     if isinstance(r, Mapping) else str(r) for r in value)


def _normal(value: Any) -> Any:
    """Numbers the portal answers as strings compare equal to the ones sent."""
    if isinstance(value, Mapping):
        return {str(k): _normal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normal(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value
