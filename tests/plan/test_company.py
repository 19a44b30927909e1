"""A company's meetings (plan/company.py): with copies, everyone keeps their own; with the
organizer mode, each meeting its organizer moves is written once and nobody who holds it
sees it twice or loses it."""

from __future__ import annotations

from collections.abc import Sequence

from hypothesis import given
from hypothesis import strategies as st

from ics2b24.ical.scan import Meeting
from ics2b24.plan.company import PersonCalendar, left_out, writers

PEOPLE = ("ann@x.com", "bob@x.com", "cy@x.com", "dee@x.com")
OUTSIDER = "partner@elsewhere.com"


def test_copies_leave_nothing_out() -> None:
    meeting = Meeting("m", "ann@x.com", frozenset({"bob@x.com"}))
    calendars = [PersonCalendar("ann@x.com", (meeting,)), PersonCalendar("bob@x.com", (meeting,))]
    assert left_out(calendars, "copies", frozenset(PEOPLE)) == [frozenset(), frozenset()]


def test_organizer_mode_writes_the_meeting_from_the_organizers_calendar_only() -> None:
    meeting = Meeting("m", "ann@x.com", frozenset({"bob@x.com"}))
    calendars = [PersonCalendar("bob@x.com", (meeting,)), PersonCalendar("ann@x.com", (meeting,))]
    assert left_out(calendars, "organizer", frozenset(PEOPLE)) == [frozenset({"m"}),
                                                                    frozenset()]


def test_a_meeting_organized_outside_the_company_stays_a_copy_everywhere() -> None:
    meeting = Meeting("m", OUTSIDER, frozenset({"ann@x.com", "bob@x.com"}))
    calendars = [PersonCalendar("ann@x.com", (meeting,)), PersonCalendar("bob@x.com", (meeting,))]
    assert left_out(calendars, "organizer", frozenset(PEOPLE)) == [frozenset(), frozenset()]


def test_a_meeting_the_organizers_export_lacks_stays_a_copy() -> None:
    meeting = Meeting("m", "ann@x.com", frozenset({"bob@x.com"}))
    calendars = [PersonCalendar("bob@x.com", (meeting,)), PersonCalendar("ann@x.com", ())]
    assert left_out(calendars, "organizer", frozenset(PEOPLE)) == [frozenset(), frozenset()]


def test_a_holder_who_is_no_attendee_keeps_their_copy() -> None:
    written = Meeting("m", "ann@x.com", frozenset({"bob@x.com"}))
    forwarded = Meeting("m", "ann@x.com", frozenset({"bob@x.com", "cy@x.com"}))
    calendars = [PersonCalendar("ann@x.com", (written,)), PersonCalendar("cy@x.com", (forwarded,))]
    assert left_out(calendars, "organizer", frozenset(PEOPLE)) == [frozenset(), frozenset()]


def test_the_organizers_second_calendar_leaves_its_copy_out() -> None:
    meeting = Meeting("m", "ann@x.com", frozenset({"bob@x.com"}))
    calendars = [PersonCalendar("ann@x.com", (meeting,)), PersonCalendar("ann@x.com", (meeting,))]
    assert left_out(calendars, "organizer", frozenset(PEOPLE)) == [frozenset(), frozenset({"m"})]


@st.composite
def companies(draw: st.DrawFn) -> tuple[list[PersonCalendar], frozenset[str]]:
    """Calendars of up to four people (some with two), holding meetings organized by one of
    them or by an outsider, each calendar's copy with its own attendee list."""
    moved = frozenset(draw(st.sets(st.sampled_from(PEOPLE), min_size=1)))
    owners = draw(st.lists(st.sampled_from(sorted(moved)), min_size=1, max_size=6))
    uids = [f"m{n}" for n in range(draw(st.integers(1, 5)))]
    organizers = {uid: draw(st.sampled_from((*PEOPLE, OUTSIDER))) for uid in uids}
    calendars = []
    for person in owners:
        held = draw(st.sets(st.sampled_from(uids)))
        calendars.append(PersonCalendar(person, tuple(
            Meeting(uid, organizers[uid],
                    frozenset(draw(st.sets(st.sampled_from((*PEOPLE, OUTSIDER))))))
            for uid in sorted(held))))
    return calendars, moved


def copies_kept(calendars: Sequence[PersonCalendar], skipped: Sequence[frozenset[str]],
                person: str, uid: str) -> int:
    return sum(1 for index, calendar in enumerate(calendars) if calendar.person == person
               and any(m.uid == uid for m in calendar.meetings) and uid not in skipped[index])


def invited(calendars: Sequence[PersonCalendar], written: dict[str, int], person: str,
            uid: str) -> bool:
    """`person` sees the meeting another person's calendar writes, as one of its attendees."""
    writer = written.get(uid)
    return writer is not None and calendars[writer].person != person and person in next(
        m for m in calendars[writer].meetings if m.uid == uid).attendees


@given(companies())
def test_with_the_organizer_mode_nobody_sees_a_meeting_twice_or_loses_one(
        company: tuple[list[PersonCalendar], frozenset[str]]) -> None:
    calendars, moved = company
    skipped = left_out(calendars, "organizer", moved)
    written = writers(calendars, moved)
    for calendar in calendars:
        for meeting in calendar.meetings:
            person, uid = calendar.person, meeting.uid
            kept = copies_kept(calendars, skipped, person, uid)
            if invited(calendars, written, person, uid):
                assert kept == 0
            elif uid in written and calendars[written[uid]].person == person:
                assert kept == 1
            else:
                held = sum(1 for c in calendars if c.person == person
                           and any(m.uid == uid for m in c.meetings))
                assert kept == held


@given(companies())
def test_a_calendar_leaves_out_only_uids_it_holds_and_never_the_meeting_it_writes(
        company: tuple[list[PersonCalendar], frozenset[str]]) -> None:
    calendars, moved = company
    skipped = left_out(calendars, "organizer", moved)
    for index, calendar in enumerate(calendars):
        assert skipped[index] <= {m.uid for m in calendar.meetings}
    for uid, writer in writers(calendars, moved).items():
        assert uid not in skipped[writer]
