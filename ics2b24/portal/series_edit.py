"""Editing a recurring series, after CCalendar::SaveEventEx (calendar.php): `recurrence_mode`
`this` (one occurrence detached as a copy), `next` (the series split in two) and `all` (the
series rewritten, its detached copies with it). The part of the event methods most bound to the
PHP source, kept apart so that it can be read against calendar.php in one go.
"""

from __future__ import annotations

import time as _time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ics2b24.portal import dates, recurrence, stored_rule
from ics2b24.portal.dates import as_datetime, day_of
from ics2b24.portal.event_fields import (
    UPDATE_TEXTS,
    apply_params,
    dav_xml_id,
    insert_event,
    settle_rule,
    touched,
)
from ics2b24.portal.invitations import Invitations
from ics2b24.portal.params import as_int, empty
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError, Texts
from ics2b24.portal.render import wall
from ics2b24.portal.store import Store, User
from ics2b24.portal.wire import php_int


@dataclass
class SeriesEdit:
    """`this`, `next` and `all` edits of a series over one `Store`; `host` names the portal in
    a new series' DAV_XML_ID."""

    store: Store
    profile: Profile
    host: str
    invitations: Invitations

    def detach(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
               start: date | datetime) -> int:
        """`recurrence_mode: this`, after CCalendar::SaveEventEx (calendar.php): the series
        gains the day in EXDATE and a copy without rule is saved with RECURRENCE_ID = the
        series, ORIGINAL_DATE_FROM = the day at the series' time, the series' DAV_XML_ID and -
        whatever the request said - the series' reminders. SaveEventEx answers
        `['recEventId' => copy, 'id' => series]` and CCalendar::SaveEvent unwraps an answer
        without `originalDavXmlId` to its `id`: the caller gets the series id as an integer."""
        day = day_of(start)
        series_id = int(series["id"])
        series_first = wall(series["from"])
        excluded = {**series, "exdate": sorted({*series.get("exdate", []), day.isoformat()})}
        settle_rule(excluded)
        self.store.put_event(touched(excluded))
        asked = {k: v for k, v in p.items() if k != "rrule"}
        copy = apply_params(self.store, self.profile, user, asked,
                            {**series, "rrule": None, "exdate": []}, UPDATE_TEXTS)
        _place_instance(copy, series_first, start)
        copy.update(
            recurrence_id=series.get("recurrence_id") or series_id,
            original_date_from=_original_date(series_first, start).isoformat(),
            relations={"COMMENT_XML_ID": f"EVENT_{series_id}_{dates.display_date(day)}"},
            dav_xml_id=series["dav_xml_id"],
            remind=[dict(r) for r in series.get("remind", [])],
            version=1,
            created=_time.time(),
        )
        copy_id = insert_event(self.store, copy)
        self.invitations.invite({**copy, "id": copy_id}, previous=None, reinvite=False)
        return series_id

    def split(self, user: User, p: Mapping[str, Any], series: dict[str, Any],
              start: date | datetime) -> dict[str, Any]:
        """`recurrence_mode: next`, after CCalendar::SaveEventEx (calendar.php).

        The old series ends the day before (UNTIL = day - 1, COUNT removed); the new one takes
        the request over the series' fields, the series' EXDATE, a fresh DAV_XML_ID and, when
        its rule has a COUNT, COUNT = the COUNT sent (or the series') minus
        CCalendar::CountPastEvents (via CountNumberFollowEvents) - so a client that already sends
        the remaining count loses occurrences. Detached occurrences after the day are rewritten
        with the new fields and moved to the new series. Split on the series' first day, the
        series itself is edited and the answer's `id` is null (SaveEventEx's `$id` is never
        set on that path)."""
        day = day_of(start)
        series_id = int(series["id"])
        later = self._following_series(user, p, series, start)
        if day == day_of(wall(series["from"])):
            later["id"] = series_id
            self.store.put_event(touched(later))
            answer_id: int | None = None
            later_id = series_id
        else:
            self.store.put_event(touched(_ended_before(series, day, p)))
            later_id = insert_event(self.store, later)
            answer_id = series_id
            self.invitations.invite({**later, "id": later_id}, previous=None, reinvite=False)
        self._move_detached(series, {**later, "id": later_id}, p, day)
        return {
            "originalDate": dates.display(wall(later["from"])),
            "originalDavXmlId": later["dav_xml_id"],
            "instanceTz": later["tz_from"],
            "recEventId": later_id,
            "id": answer_id,
        }

    def _following_series(self, user: User, p: Mapping[str, Any], series: Mapping[str, Any],
                          start: date | datetime) -> dict[str, Any]:
        """The new series of a `next` split, not saved yet: the request over the series'
        fields, placed at the split day, with its rule, EXDATE, relations and DAV_XML_ID."""
        series_first = wall(series["from"])
        asked_rule = p.get("rrule")
        raw_rule: Any = (asked_rule if asked_rule is not None
                         else _parsed_rule_array(series))
        later = apply_params(self.store, self.profile, user,
                             {k: v for k, v in p.items() if k != "rrule"}, dict(series),
                             UPDATE_TEXTS)
        _place_instance(later, series_first, start, this_mode=False)
        if isinstance(raw_rule, Mapping):
            raw_rule = _following_rule(raw_rule, series, later, day_of(start))
        later["rrule"] = stored_rule.checked_rule(raw_rule, wall(later["to"]),
                                                 current=self.profile.current)
        later["exdate"] = list(series.get("exdate", [])) if later["rrule"] else []
        root = (series.get("relations") or {}).get("ORIGINAL_RECURSION_ID", int(series["id"]))
        later.update(relations={"ORIGINAL_RECURSION_ID": root}, recurrence_id=None,
                     original_date_from=None, version=1, created=_time.time(),
                     dav_xml_id=dav_xml_id(self.host, later, now=True))
        settle_rule(later)
        return later

    def _move_detached(self, series: Mapping[str, Any], later: Mapping[str, Any],
                       p: Mapping[str, Any], day: date) -> None:
        """The `next` branch of CCalendar::SaveEventEx: every event of GetEventsByRecId whose
        DATE_FROM is after the split day's start is saved again with the new series' fields,
        its own day at the new series' time, and RECURRENCE_ID = the new series."""
        rec_id = int(series.get("recurrence_id") or series["id"])
        for occurrence in self.store.detached(rec_id):
            if int(occurrence["id"]) == int(later["id"]):
                continue
            own_start = wall(occurrence["from"])
            if as_datetime(own_start) <= datetime.combine(day, time()):
                continue
            moved = _with_series_fields(occurrence, later, p)
            moved["recurrence_id"] = int(later["id"])
            self.store.put_event(touched(moved))

    def rewrite_detached(self, series: Mapping[str, Any], p: Mapping[str, Any]) -> None:
        """`recurrence_mode: all` on a series, after CCalendar::SaveEventEx (calendar.php):
        every event with RECURRENCE_ID = the series is saved again with the series' fields (its
        own changes overwritten), on its own day at the series' time and length, with
        ORIGINAL_DATE_FROM moved to the series' time (CCalendar::GetOriginalDate)."""
        series_first = wall(series["from"])
        for occurrence in self.store.detached(int(series["id"])):
            rewritten = _with_series_fields(occurrence, series, p)
            if occurrence.get("original_date_from"):
                rewritten["original_date_from"] = _original_date(
                    series_first, wall(occurrence["original_date_from"])).isoformat()
            self.store.put_event(touched(rewritten))


def current_day(p: Mapping[str, Any], texts: Texts) -> date:
    if empty(p.get("current_date_from")):
        raise MethodError("", texts.failed)
    try:
        return dates.parse_day(p["current_date_from"])
    except ValueError:
        raise MethodError("", texts.failed) from None


def keeps_old_date(p: Mapping[str, Any]) -> bool:
    """`canChangeDateRecurrenceEvent` in CCalendar::SaveEventEx (calendar.php): with
    `recursionEditMode` set and 'all' or '', a DATE_FROM in the request and a request RRULE whose
    FREQ is not 'NONE' - a request without rrule counts as not NONE, so this holds for an event
    without any rule too."""
    given = not empty(p.get("from")) or not empty(p.get("from_ts"))
    rule = p.get("rrule")
    freq = rule.get("FREQ") if isinstance(rule, Mapping) else None
    return given and freq != "NONE"


def keep_old_date(changed: dict[str, Any], before: Mapping[str, Any],
                  p: Mapping[str, Any]) -> None:
    """CCalendar::GetOriginalDate(new, current): the event keeps its current date and takes
    only the new time (hours and minutes), for DATE_FROM and - when sent - DATE_TO. (Where
    `to` is not sent, the source would call GetOriginalDate with null, i.e. the current time
    of day; the test portal keeps the event's length instead.)"""
    old_first, old_last = wall(before["from"]), wall(before["to"])
    new_first, new_last = wall(changed["from"]), wall(changed["to"])
    if new_first == old_first:
        return
    start = _original_date(new_first, old_first)
    if not empty(p.get("to")) or not empty(p.get("to_ts")):
        end = _original_date(new_last, old_last)
    else:
        end = _shift(start, new_last, new_first)
    if as_datetime(end) < as_datetime(start):
        end = start
    changed["from"], changed["to"] = start.isoformat(), end.isoformat()


def _original_date(parent: date | datetime, instance: date | datetime) -> date | datetime:
    """CCalendar::GetOriginalDate(parent, instance): the instance's day at the parent's hours
    and minutes."""
    if not isinstance(parent, datetime):
        return day_of(instance)
    return datetime.combine(day_of(instance), time(parent.hour, parent.minute))


def _shift(start: date | datetime, last: date | datetime,
           first: date | datetime) -> date | datetime:
    """`start` moved by the length from `first` to `last`."""
    if isinstance(start, datetime):
        return start + (as_datetime(last) - as_datetime(first))
    return start + (day_of(last) - day_of(first))


def _ended_before(series: Mapping[str, Any], day: date, p: Mapping[str, Any]) -> dict[str, Any]:
    """The old series of a `next` split: UNTIL the day before, COUNT removed, and moved to the
    section the request names, if any."""
    old_rule = _parsed_rule_array(series)
    old_rule["UNTIL"] = dates.display_date(day - timedelta(days=1))
    old_rule.pop("~UNTIL", None)
    old_rule.pop("COUNT", None)
    ended = {**series, "rrule": stored_rule.checked_rule(old_rule, wall(series["to"]))}
    if not empty(p.get("section")):
        ended["section_id"] = as_int(p["section"]) or series["section_id"]
    settle_rule(ended)
    return ended


def _place_instance(event: dict[str, Any], series_first: date | datetime,
                    occurrence: date | datetime, *, this_mode: bool = True) -> None:
    """Where CCalendar::SaveEventEx puts the copy of a `this` edit or the new series of a `next`
    split: a DATE_FROM on the series' first day (or none sent) means the occurrence's day at
    that time (CCalendar::DateWithNewTime, seconds dropped), any other day is taken as sent.
    An all-day `this` copy ends `length - 1 day` after its start (no earlier than the start)."""
    first, last = wall(event["from"]), wall(event["to"])
    if isinstance(first, datetime):
        if day_of(first) == day_of(series_first):
            placed = datetime.combine(day_of(occurrence), first.time().replace(second=0,
                                                                               microsecond=0))
            event["from"], event["to"] = placed.isoformat(), _shift(placed, last,
                                                                     first).isoformat()
        return
    start = day_of(occurrence) if day_of(first) == day_of(series_first) else first
    days = (day_of(last) - first).days - (1 if this_mode else 0)
    end = start + timedelta(days=max(days, 0))
    event["from"], event["to"] = start.isoformat(), end.isoformat()


def _parsed_rule_array(series: Mapping[str, Any]) -> dict[str, Any]:
    rule = stored_rule.read_rule(series["rrule"])
    return rule.as_array() if rule else {}


def _following_rule(raw: Mapping[str, Any], series: Mapping[str, Any],
                    later: Mapping[str, Any], day: date) -> dict[str, Any]:
    """The new series' rule of a `next` split before checkRecurringRuleField (CCalendar::
    SaveEventEx): BYDAY only for WEEKLY (CCalendarEvent::CheckRRULE); with a COUNT, COUNT minus
    CCalendar::CountPastEvents and no UNTIL; a WEEKLY BYDAY identical to the series' swaps the
    split day's weekday for the new start's (CCalendar::WeekDayByInd maps Sunday to false, so a
    Sunday is neither removed nor added)."""
    rule = dict(raw)
    if rule.get("FREQ") != "WEEKLY":
        rule.pop("BYDAY", None)
    if php_int(rule.get("COUNT")) > 0:
        past = recurrence.count_past_events(rule, wall(series["from"]), wall(later["from"]))
        rule["COUNT"] = int(php_int(rule["COUNT"]) - past)
        rule.pop("UNTIL", None)
        rule.pop("~UNTIL", None)
    current = _parsed_rule_array(series)
    byday = rule.get("BYDAY")
    if (rule.get("FREQ") == "WEEKLY" and current.get("FREQ") == "WEEKLY"
            and isinstance(byday, Mapping) and list(byday.items()) == list(
                dict(current.get("BYDAY") or {}).items())):
        days = dict(byday)
        old_day, new_day = _php_weekday(day), _php_weekday(day_of(wall(later["from"])))
        if old_day is not None:
            days.pop(old_day, None)
        if new_day is not None:
            days[new_day] = new_day
        rule["BYDAY"] = days
    return rule


def _php_weekday(day: date) -> str | None:
    """CCalendar::WeekDayByInd(format('N')): Monday..Saturday; Sunday (7) is out of range."""
    return ("MO", "TU", "WE", "TH", "FR", "SA", None)[day.weekday()]


_SERIES_FIELDS = ("name", "description", "location", "color", "text_color", "accessibility",
                  "importance", "private", "section_id", "is_meeting", "meeting_host",
                  "attendees", "meeting", "skip_time", "tz_from", "tz_to")


def _with_series_fields(occurrence: Mapping[str, Any], series: Mapping[str, Any],
                        p: Mapping[str, Any]) -> dict[str, Any]:
    """A detached occurrence saved again with a series' fields (the arFields SaveEventEx fills
    from the series: name, description, location, colours, accessibility, importance,
    privacy, section, meeting, time zones; reminders only when the request sent them) on its
    own day at the series' time and length (CCalendar::DateWithNewTime)."""
    out = dict(occurrence)
    for key in _SERIES_FIELDS:
        value = series.get(key)
        out[key] = list(value) if isinstance(value, list) else value
    if p.get("remind") is not None:
        out["remind"] = [dict(r) for r in series.get("remind", [])]
    first, last = wall(series["from"]), wall(series["to"])
    own = day_of(wall(occurrence["from"]))
    if isinstance(first, datetime):
        start: date | datetime = datetime.combine(own, first.time().replace(second=0,
                                                                            microsecond=0))
    else:
        start = own
    out["from"], out["to"] = start.isoformat(), _shift(start, last, first).isoformat()
    out["rrule"] = None
    return out
