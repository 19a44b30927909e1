"""What identifies an event across runs and sides: the fingerprint the state DB keeps of a
line, the form in which both sides compare (`normalised`), what makes two events look alike
(`looks`, recovery's match) and what is kept of each creation sent until its answer is
recorded (`sent_identity`). Pure, like the rest of the diff (plan/diff.py)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from ics2b24.ical import bxrule
from ics2b24.model import PLAIN_FIELDS, DesiredEvent, EventParams, Rrule
from ics2b24.plan.days import start_day
from ics2b24.plan.ops import Key
from ics2b24.plan.record import params_fingerprint
from ics2b24.plan.remote import RemoteEvent


def fingerprint(event: DesiredEvent) -> str:
    """What the state DB remembers of the input: every line field that reaches the portal.
    `range` is no field any more; it stays in the hash, always null, so that an upgrade
    does not make every event recorded by an earlier version look changed."""
    return params_fingerprint({
        "kind": event.kind, "range": None, "params": event.params.to_params(),
        "exdate": sorted(event.exdate),
    })


def canonical_rule(params: EventParams) -> Rrule | None:
    """A rule as the days it yields: COUNT and UNTIL become the last day, and WEEKLY without
    BYDAY is Monday, as a real portal reads it."""
    rule = params.rrule
    if rule is None:
        return None
    byday = rule.byday if rule.freq == "WEEKLY" else ()
    if rule.freq == "WEEKLY" and not byday:
        byday = ("MO",)
    shaped = Rrule(freq=rule.freq, interval=rule.interval, count=rule.count, until=rule.until,
                   byday=byday)
    last = bxrule.last_day(start_day(params), shaped)
    return Rrule(freq=rule.freq, interval=rule.interval, until=last, byday=byday)


def normalised(params: EventParams, *, description: bool = True) -> EventParams:
    """Managed fields as both sides can hold them: empty text is no text, all-day events
    carry no zones, the end zone defaults to the start's, reminders are a set, rules are the
    days they yield. `description=False` leaves the description out of the comparison (a
    `calendar.event.get` row does not carry it)."""
    plain: dict[str, Any] = {
        f.name: f.normal(getattr(params, f.name)) if f.listed or description else None
        for f in PLAIN_FIELDS}
    return replace(
        params,
        name=params.name.strip(),
        timezone_from=None if params.skip_time else params.timezone_from,
        timezone_to=None if params.skip_time else (params.timezone_to or params.timezone_from),
        **plain,
        attendees=tuple(sorted(params.attendees)) if params.is_meeting else (),
        meeting=None,
        rrule=canonical_rule(params),
    )


def equal(params: EventParams, remote: RemoteEvent) -> bool:
    """Whether the portal event holds every managed field as the input has it."""
    return remote.description_known and normalised(params) == normalised(remote.params)


def sent_identity(params: EventParams) -> str:
    """`looks`, location and description as text, kept with each creation sent until
    its answer is recorded: enough to tell what was sent from the user's own look-alike."""
    name, start, end, rule = looks(params)
    shown = normalised(params)
    return json.dumps([name, start, end, None if rule is None else [
        rule.freq, rule.interval, rule.until.isoformat() if rule.until else None,
        list(rule.byday)], shown.location, shown.description])


def _was_sent(sent: list[Any], found: list[Any], description_known: bool) -> bool:
    """Whether a portal event (`found`, its `sent_identity` read back) is the creation `sent`
    describes: its description only where the read shows it."""
    return sent == found if description_known else sent[:5] == found[:5]


def sent_creations(sent: Mapping[Key, str],
                   candidates: Iterable[RemoteEvent]) -> dict[Key, RemoteEvent]:
    """The portal event each creation a run sent and died before recording became, found by
    what was sent (`sent_identity`), not by what the input says now (it may have changed
    since), among `candidates` (events no state row holds). Newest first: a look-alike the
    user wrote before the run is older than what the run sent. A creation kept without an
    identity (empty) is left to recovery's match on the input."""
    loose = [(r, json.loads(sent_identity(r.params)))
             for r in sorted(candidates, key=lambda r: -r.id) if r.recurrence_id is None]
    found: dict[Key, RemoteEvent] = {}
    for key, identity in sorted(sent.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        if not identity:
            continue
        what = json.loads(identity)
        match = next((r for r, shown in loose if _was_sent(what, shown, r.description_known)),
                     None)
        if match is not None:
            found[key] = match
            loose = [(r, shown) for r, shown in loose if r.id != match.id]
    return found


def sent_days(identity: str) -> tuple[str, str] | None:
    """The first and last day of a creation kept by `sent_identity` (None when unknown): a
    read of the target must reach them to find it."""
    if not identity:
        return None
    sent = json.loads(identity)
    return str(sent[1])[:10], str(sent[2])[:10]


def looks(params: EventParams) -> tuple[Any, ...]:
    """What makes two events look alike, and what recovery matches on: name, start, end and
    the days of the rule."""
    return (params.name.strip(), params.date_from, params.date_to, canonical_rule(params))
