"""`undo`: take back what push wrote into a target, and only that (the state DB says what),
then the section push created, when it is left empty and the user asks for it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from ics2b24.app.pusher import Pusher, PushReport
from ics2b24.app.reads import get_by_ids, read_remote, reading
from ics2b24.app.run import SectionOutcome, Stopped, Summary, Tracker, forget_vanished, summary_of
from ics2b24.app.sections import (
    PortalSection,
    delete_section,
    events_in_section,
    find_section,
    list_sections,
)
from ics2b24.app.session import (
    UNDO,
    UNDO_PREVIEW,
    Connection,
    Progress,
    Session,
    calendar_key,
    open_session,
)
from ics2b24.app.target import Target
from ics2b24.errors import UsageError
from ics2b24.plan.deletions import undo_plan
from ics2b24.plan.ops import Plan
from ics2b24.plan.remote import RemoteEvent


@dataclass(frozen=True)
class UndoPreview:
    """What `undo` would delete, by kind: single events, series (each part of a series is
    one), and the moved occurrences that go with their series."""

    singles: int = 0
    series: int = 0
    occurrences: int = 0

    @property
    def total(self) -> int:
        return self.singles + self.series

    def line(self) -> str:
        parts = [f"{self.singles} single event(s)", f"{self.series} series"]
        if self.occurrences:
            parts.append(f"{self.occurrences} moved occurrence(s) that go with their series")
        return ", ".join(parts)


def undo_preview(connection: Connection) -> UndoPreview:
    """What `undo` would delete; changes nothing."""
    with open_session(connection, None, None, UNDO_PREVIEW) as session:
        plan, remote = _undo_plan(session, connection)
        series = {event.id for event in remote if event.params.rrule is not None}
        deletes = [op for op in plan.writes if op.rule.deletes]
        in_series = sum(1 for op in deletes if op.event_id in series)
        return UndoPreview(singles=len(deletes) - in_series, series=in_series,
                           occurrences=sum(max(0, len(op.forget) - 1) for op in deletes))


def _undo_plan(session: Session, connection: Connection) -> tuple[Plan, list[RemoteEvent]]:
    records = session.target_state.records()
    others = [] if records else session.target_state.other_addresses()
    if others:
        raise UsageError(
            f"the state DB knows no event of this target at {session.portal}, but knows some "
            f"at {', '.join(others)}; if that is this portal at a new address, run push with "
            "the same input once here to carry them over (undo deleted nothing)")
    created = [r.event_id for r in records if r.created]
    remote = get_by_ids(session.client, created, reading(connection, "the events it created"))
    sent = session.target_state.pending()
    if any(sent.values()):
        known = {event.id for event in remote}
        remote += [event for event in read_remote(session.client, connection.target,
                                                  session.section_id, [], [], sent)
                   if event.id not in known]
    return undo_plan(records, remote, sent), remote


def undo(connection: Connection, *, progress: Progress | None = None) -> Summary:
    """Delete every event this tool created in the target, as the state DB records them.
    Stopped part-way, it raises `Stopped` with what was deleted."""
    started = time.monotonic()
    with open_session(connection, None, None, UNDO) as session:
        plan, _ = _undo_plan(session, connection)
        report = PushReport()

        def summary() -> Summary:
            done = summary_of(plan_unchanged=0, report=report, session=session, started=started)
            done.warnings = list(plan.warnings)
            return done

        tracker = Tracker(session.client, len(plan.writes), progress)
        tracker.replanned(plan)
        try:
            Pusher(session.client, session.target_state, progress=tracker.step,
                   hold=connection.hooks.hold).push(plan, report)
            forget_vanished(session, report)
        except KeyboardInterrupt as stop:
            raise Stopped(stop, summary()) from None
        done = summary()
        emptied = _emptied_section(session, connection.target)
        done.section = SectionOutcome(emptied, deleted=False) if emptied else None
        return done


def _emptied_section(session: Session, target: Target) -> PortalSection | None:
    """The target section when push created it (the state DB says so; never one it found)
    and it holds no event now, whoever wrote them: what `undo` offers to delete."""
    calendar = calendar_key(target)
    if not session.section_id or not session.db.created_section(session.portal, calendar,
                                                                session.section_id):
        return None
    if events_in_section(session.client, target.type, target.owner, session.section_id):
        return None
    return find_section(list_sections(session.client, target.type, target.owner),
                        session.section_id, target.type, target.owner)


def delete_emptied_section(connection: Connection) -> PortalSection | None:
    """Delete the target section if push created it and it is empty; it is looked at again
    first, since an event may have been added since `undo` did. The section deleted, or
    None when it is not such a section."""
    target = connection.target
    with open_session(connection, None, None, UNDO) as session:
        section = _emptied_section(session, target)
        if section is None:
            return None
        delete_section(session.client, target.type, target.owner, section.id)
        with session.db.transaction() as tx:
            tx.forget_section(session.portal, calendar_key(target), section.id)
        return section
