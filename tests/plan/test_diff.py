"""The diff engine on plain values: pairing order, when an event is rewritten,
and what is deleted."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

import pytest

from ics2b24.errors import SafetyError
from ics2b24.model import DesiredEvent, EventParams, Kind, Reminder, Rrule
from ics2b24.plan.days import occurrence_day
from ics2b24.plan.deletions import delete_op, undo_plan
from ics2b24.plan.diff import diff
from ics2b24.plan.given import DiffOptions
from ics2b24.plan.identity import fingerprint
from ics2b24.plan.ops import Plan
from ics2b24.plan.pairing import pair
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent

OPTIONS = DiffOptions(calendar_type="user", owner=1, section_id=5)


def params(name: str = "Review", start: str = "2025-03-03T09:00:00",
           rrule: Rrule | None = None) -> EventParams:
    return EventParams(name=name, date_from=start, date_to=start[:11] + "10:00:00",
                       timezone_from="Europe/Berlin", timezone_to="Europe/Berlin", rrule=rrule)


def desired(uid: str = "a@test", **kwargs: object) -> DesiredEvent:
    rrule = kwargs.pop("rrule", None)
    kind: Kind = "series" if rrule else "single"
    return DesiredEvent(uid=uid, recurrence_id=None, kind=kind,
                        params=params(rrule=rrule, **kwargs))  # type: ignore[arg-type]


def remote(event_id: int, p: EventParams, *, dav: str | None = None,
           section: int = 5) -> RemoteEvent:
    return RemoteEvent(id=event_id, section_id=section, dav_xml_id=dav, recurrence_id=None,
                       original_recursion_id=None, original_date_from=None, meeting_host=1,
                       start_utc=None, params=p, exdate=(),
                       occurrences=(p.date_from,))


def record(event: DesiredEvent, event_id: int, *, created: bool = True,
           print_: str | None = None) -> Record:
    return Record("https://p/user/1", "user:1:5", event.uid, event.recurrence_id, event_id,
                  print_ if print_ is not None else fingerprint(event), created)


def kinds(plan: Plan) -> list[tuple[str, str, int | None]]:
    return [(op.kind, op.uid, op.event_id) for op in plan.ops]


def test_pairing_takes_the_state_row_then_the_portal_uid_then_recovery() -> None:
    recorded, exported = desired("a@test"), desired("b@test", name="B")
    recovered, new = desired("c@test", name="C"), desired("d@test", name="D")
    portal = [remote(7, recorded.params), remote(8, exported.params, dav="b@test"),
              remote(9, recovered.params)]
    pairs = pair([recorded, exported, recovered, new], portal, [record(recorded, 7)], OPTIONS)
    assert {key: (p.remote.id, p.record is not None, p.created)
            for key, p in pairs.items()} == {
        ("a@test", None): (7, True, True),
        ("b@test", None): (8, False, False),
        ("c@test", None): (9, False, False),
    }


def test_pairing_by_recovery_claims_a_portal_event_only_once() -> None:
    first, second = desired("a@test"), desired("b@test")
    pairs = pair([first, second], [remote(7, first.params)], [], OPTIONS)
    assert [(key, p.remote.id) for key, p in pairs.items()] == [(("a@test", None), 7)]


def test_new_event_is_added_to_the_target_section() -> None:
    plan = diff([desired()], [], [], [], OPTIONS)
    (op,) = plan.ops
    assert (op.kind, op.method, op.created) == ("add", "calendar.event.add", True)
    assert (op.params["type"], op.params["ownerId"], op.params["section"]) == ("user", 1, 5)


def test_unchanged_input_gives_an_empty_plan() -> None:
    event = desired()
    plan = diff([event], [], [remote(7, event.params)], [record(event, 7)], OPTIONS)
    assert plan.ops == () and plan.unchanged == 1


def test_portal_edit_is_kept_while_the_input_does_not_change() -> None:
    event = desired()
    edited = remote(7, replace(event.params, name="Renamed in the portal"))
    plan = diff([event], [], [edited], [record(event, 7)], OPTIONS)
    assert plan.ops == ()


def test_force_overwrites_a_portal_edit() -> None:
    event = desired()
    edited = remote(7, replace(event.params, name="Renamed in the portal"))
    plan = diff([event], [], [edited], [record(event, 7)], replace(OPTIONS, force=True))
    assert kinds(plan) == [("update", "a@test", 7)]


def test_changed_input_updates_the_paired_event() -> None:
    old = desired()
    new = desired(name="Review (moved)")
    plan = diff([new], [], [remote(7, old.params)], [record(old, 7)], OPTIONS)
    assert kinds(plan) == [("update", "a@test", 7)]
    assert plan.ops[0].params["name"] == "Review (moved)"


def test_changed_input_that_the_portal_already_shows_is_only_recorded() -> None:
    old = desired()
    new = desired(name="Review (moved)")
    plan = diff([new], [], [remote(7, new.params)], [record(old, 7)], OPTIONS)
    assert kinds(plan) == [("record", "a@test", 7)]
    assert plan.writes == []


def test_portal_event_whose_dav_xml_id_is_the_uid_is_updated_in_place() -> None:
    event = desired(uid="20250101T000000Z-abc@portal")
    exported = remote(9, replace(event.params, name="Old"), dav=event.uid)
    plan = diff([event], [], [exported], [], OPTIONS)
    assert kinds(plan) == [("update", event.uid, 9)]
    assert plan.ops[0].created is False


def test_identical_unpaired_portal_event_is_adopted_without_a_write() -> None:
    event = desired()
    plan = diff([event], [], [remote(4, event.params)], [], OPTIONS)
    assert kinds(plan) == [("record", "a@test", 4)]
    assert plan.ops[0].created is False


def test_adopted_event_that_this_run_sent_counts_as_created() -> None:
    event = desired()
    options = replace(OPTIONS, sent={("a@test", None): ""})
    plan = diff([event], [], [remote(4, event.params)], [], options)
    assert plan.ops[0].created is True


def test_recovery_ignores_events_in_other_sections() -> None:
    event = desired()
    plan = diff([event], [], [remote(4, event.params, section=6)], [], OPTIONS)
    assert kinds(plan) == [("add", "a@test", None)]


def test_removed_event_stays_without_prune() -> None:
    gone = desired(uid="gone@test")
    plan = diff([], [], [remote(3, gone.params)], [record(gone, 3)], OPTIONS)
    assert plan.ops == ()


def test_prune_deletes_only_what_the_tool_created() -> None:
    keep = [desired(uid=f"k{i}@test") for i in range(3)]
    mine, theirs = desired(uid="mine@test"), desired(uid="theirs@test")
    records = [record(e, i) for i, e in enumerate(keep)]
    records += [record(mine, 10), record(theirs, 11, created=False)]
    remotes = [remote(r.event_id, params()) for r in records]
    plan = diff(keep, [], remotes, records, replace(OPTIONS, prune=True))
    assert [(op.kind, op.event_id) for op in plan.writes] == [("delete", 10)]


def test_prune_guard_refuses_to_delete_more_than_half() -> None:
    events = [desired(uid=f"e{i}@test") for i in range(4)]
    records = [record(e, i) for i, e in enumerate(events)]
    remotes = [remote(i, params()) for i in range(4)]
    with pytest.raises(SafetyError):
        diff(events[:1], [], remotes, records, replace(OPTIONS, prune=True))
    plan = diff(events[:1], [], remotes, records,
                replace(OPTIONS, prune=True, force_delete=True))
    assert len(plan.writes) == 3


def test_cancelled_event_created_by_the_tool_is_deleted_without_prune() -> None:
    event = desired()
    plan = diff([], [("a@test", None)], [remote(7, event.params)], [record(event, 7)],
                OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 7)]


def test_record_of_an_event_gone_from_the_portal_is_forgotten() -> None:
    gone = desired(uid="gone@test")
    plan = diff([], [], [], [record(gone, 3)], OPTIONS)
    assert kinds(plan) == [("forget", "gone@test", 3)]
    assert plan.writes == []


WEEKLY = Rrule("WEEKLY", count=5, byday=("MO",))
MOVED_RID = "2025-03-10T08:00:00Z"
PART_RID = "2025-03-24T08:00:00Z"


def weekly(count: int = 5, start: str = "2025-03-03T09:00:00") -> DesiredEvent:
    return desired(rrule=Rrule("WEEKLY", count=count, byday=("MO",)), start=start)


def part(start: str, rid: str, count: int) -> DesiredEvent:
    """A later part of the series (after a skipped day)."""
    return replace(weekly(count, start), recurrence_id=rid)


def moved() -> DesiredEvent:
    return DesiredEvent(uid="a@test", recurrence_id=MOVED_RID, kind="override",
                        params=params(start="2025-03-11T09:00:00"))


def portal_series(event_id: int, event: DesiredEvent, *exdate: str,
                  split_from: int | None = None) -> RemoteEvent:
    return replace(remote(event_id, event.params), exdate=exdate,
                   original_recursion_id=split_from)


def detached(event_id: int, series_id: int, event: DesiredEvent,
             day: str = "2025-03-10") -> RemoteEvent:
    return replace(remote(event_id, event.params), recurrence_id=series_id,
                   original_date_from=f"{day}T09:00:00")


def test_update_of_a_single_event_carries_no_recurrence_mode() -> None:
    old, new = desired(), desired(start="2025-03-04T09:00:00")
    plan = diff([new], [], [remote(7, old.params)], [record(old, 7)], OPTIONS)
    (op,) = plan.ops
    assert (op.kind, op.recurrence_mode) == ("update", None)
    assert "recurrence_mode" not in op.call_params(7)
    assert op.params["from"] == "2025-03-04T09:00:00"


def test_every_update_carries_the_name() -> None:
    old = desired()
    new = replace(old, params=replace(old.params, location="Room 1"))
    (op,) = diff([new], [], [remote(7, old.params)], [record(old, 7)], OPTIONS).ops
    assert op.call_params(7)["name"] == "Review"


def test_update_of_a_series_keeping_its_date_uses_all() -> None:
    old = weekly()
    new = replace(old, params=replace(old.params, name="Renamed"))
    (op,) = diff([new], [], [portal_series(7, old)], [record(old, 7)], OPTIONS).ops
    assert (op.kind, op.event_id, op.recurrence_mode) == ("update", 7, "all")
    assert op.call_params(7)["recurrence_mode"] == "all"


def test_series_whose_start_date_changes_is_deleted_and_added_again() -> None:
    old, new = weekly(), weekly(start="2025-03-04T09:00:00")
    plan = diff([new], [], [portal_series(7, old)], [record(old, 7)], OPTIONS)
    assert [(op.kind, op.event_id, op.phase) for op in plan.ops] == [
        ("delete", 7, 0), ("add", None, 1)]
    assert plan.ops[1].replaces == (7,)
    assert all(op.recurrence_mode != "all" for op in plan.ops)


def test_single_event_that_becomes_a_series_is_deleted_and_added_again() -> None:
    old, new = desired(), weekly()
    plan = diff([new], [], [remote(7, old.params)], [record(old, 7)], OPTIONS)
    assert [(op.kind, op.event_id) for op in plan.ops] == [("delete", 7), ("add", None)]


def test_rule_with_until_equal_to_the_count_needs_no_write() -> None:
    event = weekly(count=3)
    until = replace(event.params, rrule=Rrule("WEEKLY", until=date(2025, 3, 17),
                                              byday=("MO",)))
    plan = diff([event], [], [remote(7, until)], [record(event, 7, print_="old")], OPTIONS)
    assert plan.writes == []


def test_endless_portal_rule_is_bounded_again() -> None:
    """What an ISO UNTIL became on a real portal (no end) is sent again as COUNT."""
    event = weekly(count=3)
    endless = replace(event.params, rrule=Rrule("WEEKLY", byday=("MO",)))
    (op,) = diff([event], [], [remote(7, endless)], [record(event, 7, print_="old")],
                 OPTIONS).ops
    assert (op.kind, op.recurrence_mode) == ("update", "all")
    assert op.params["rrule"]["COUNT"] == 3


def test_override_of_a_new_series_waits_for_the_series_id() -> None:
    series = weekly()
    plan = diff([series, moved()], [], [], [], OPTIONS)
    add, override = plan.ops
    assert add.kind == "add" and add.phase < override.phase
    assert (override.event_id, override.parent) == (None, ("a@test", None))
    assert override.recurrence_mode == "this"
    assert override.params["current_date_from"] == "2025-03-10"


def test_override_goes_to_the_part_that_holds_its_occurrence() -> None:
    first, second = weekly(2), part("2025-03-24T09:00:00", PART_RID, 3)
    late = DesiredEvent(uid="a@test", recurrence_id="2025-03-31T07:00:00Z", kind="override",
                        params=params(start="2025-04-01T09:00:00"))
    plan = diff([first, second, late], [], [], [], OPTIONS)
    override = next(op for op in plan.ops if op.kind == "override")
    assert override.parent == ("a@test", PART_RID)


def test_parts_of_a_series_are_added_as_series_of_their_own() -> None:
    first, second = weekly(2), part("2025-03-24T09:00:00", PART_RID, 3)
    plan = diff([first, second], [], [], [], OPTIONS)
    assert [(op.kind, op.recurrence_id, op.params["rrule"]["COUNT"]) for op in plan.ops] == [
        ("add", None, 2), ("add", PART_RID, 3)]


def test_a_new_skipped_day_shortens_the_part_and_adds_the_next_one() -> None:
    """A portal series without detached occurrences: k skipped days cost k + 1 writes."""
    old = weekly()
    first, second = weekly(2), part("2025-03-24T09:00:00", PART_RID, 2)
    plan = diff([first, second], [], [portal_series(7, old)], [record(old, 7)], OPTIONS)
    assert [(op.kind, op.event_id, op.recurrence_mode) for op in plan.ops] == [
        ("update", 7, "all"), ("add", None, None)]


def test_series_with_an_old_exclusion_is_migrated_without_a_delete() -> None:
    """Earlier versions excluded a day by detaching it and deleting the copy."""
    first, second = weekly(2), part("2025-03-24T09:00:00", PART_RID, 2)
    old = replace(weekly(), exdate=["2025-03-17"])
    plan = diff([first, second], [], [portal_series(7, old, "2025-03-17")],
                [record(old, 7, print_="old")], OPTIONS)
    assert [op.kind for op in plan.ops] == ["update", "add"]


def test_no_plan_deletes_a_detached_occurrence() -> None:
    series = weekly()
    remotes = [portal_series(7, series, "2025-03-10"), detached(8, 7, moved())]
    records = [record(series, 7), record(moved(), 8)]
    for options in (OPTIONS, replace(OPTIONS, prune=True, force_delete=True)):
        for plan in (diff([series, moved()], [], remotes, records, options),
                     diff([series], [], remotes, records, options),
                     diff([], [("a@test", MOVED_RID)], remotes, records, options)):
            assert 8 not in {op.event_id for op in plan.ops if op.kind == "delete"}


def test_delete_op_refuses_a_detached_occurrence() -> None:
    with pytest.raises(ValueError, match="detached"):
        delete_op("a@test", MOVED_RID, detached(8, 7, moved()), phase=4)


@pytest.mark.parametrize("prune", [False, True])
def test_removed_override_rebuilds_the_series_instead_of_deleting_its_detached_event(
        prune: bool) -> None:
    series = weekly()
    remotes = [portal_series(7, series, "2025-03-10"), detached(8, 7, moved())]
    records = [record(series, 7), record(moved(), 8)]
    plan = diff([series], [], remotes, records, replace(OPTIONS, prune=prune))
    delete, add = plan.ops
    assert (delete.kind, delete.event_id, delete.phase) == ("delete", 7, 0)
    assert set(delete.forget) == {("a@test", None), ("a@test", MOVED_RID)}
    assert (add.kind, add.replaces, add.phase) == ("add", (7,), 1)


def test_changed_series_with_a_moved_occurrence_is_rebuilt_not_updated_with_all() -> None:
    """`all` would rewrite the moved occurrence with the series' fields."""
    old = weekly()
    new = replace(old, params=replace(old.params, name="Renamed"))
    remotes = [portal_series(7, old, "2025-03-10"), detached(8, 7, moved())]
    plan = diff([new, moved()], [], remotes, [record(old, 7), record(moved(), 8)], OPTIONS)
    assert [(op.kind, op.event_id) for op in plan.ops] == [
        ("delete", 7), ("add", None), ("override", None)]
    assert plan.ops[2].parent == ("a@test", None)


def test_changed_moved_occurrence_updates_its_detached_copy_without_recurrence_mode() -> None:
    series = weekly()
    new = replace(moved(), params=replace(moved().params, name="Moved and renamed"))
    remotes = [portal_series(7, series, "2025-03-10"), detached(8, 7, moved())]
    plan = diff([series, new], [], remotes, [record(series, 7), record(moved(), 8)], OPTIONS)
    (op,) = plan.ops
    assert (op.kind, op.event_id, op.recurrence_mode) == ("update", 8, None)


def test_detached_copy_is_found_by_reading_and_recorded() -> None:
    """The answer of a `this` update names the series, so the next read pairs the copy."""
    series = weekly()
    remotes = [portal_series(7, series, "2025-03-10"), detached(8, 7, moved())]
    plan = diff([series, moved()], [], remotes, [record(series, 7)], OPTIONS)
    assert kinds(plan) == [("record", "a@test", 8)]


def test_leftover_copy_of_an_old_exclusion_rebuilds_the_series() -> None:
    old = replace(weekly(), exdate=["2025-03-10"])
    first, second = weekly(1), part("2025-03-17T09:00:00", "2025-03-17T08:00:00Z", 3)
    remotes = [portal_series(7, old, "2025-03-10"), detached(8, 7, old)]
    plan = diff([first, second], [], remotes, [record(old, 7, print_="old")], OPTIONS)
    assert [(op.kind, op.event_id) for op in plan.ops] == [
        ("delete", 7), ("add", None), ("add", None)]


def test_day_skipped_only_in_the_portal_is_kept_while_the_input_is_unchanged() -> None:
    series = weekly()
    plan = diff([series], [], [portal_series(7, series, "2025-03-17")], [record(series, 7)],
                OPTIONS)
    assert plan.ops == ()


def test_series_the_tool_did_not_create_is_not_rebuilt_but_warned_about() -> None:
    old, new = weekly(), weekly(start="2025-03-04T09:00:00")
    plan = diff([new], [], [portal_series(7, old)], [record(old, 7, created=False)], OPTIONS)
    assert plan.ops == ()
    assert "did not create" in plan.warnings[0]


def test_rebuild_of_one_part_leaves_the_other_parts_alone() -> None:
    """Here a series an earlier version split with `next` (RELATIONS links the parts)."""
    first, second = weekly(3), part("2025-03-24T09:00:00", PART_RID, 2)
    moved_first = replace(first, params=replace(first.params, date_from="2025-03-04T09:00:00",
                                                date_to="2025-03-04T10:00:00"))
    remotes = [portal_series(7, first), portal_series(9, second, split_from=7)]
    plan = diff([moved_first, second], [], remotes, [record(first, 7), record(second, 9)],
                OPTIONS)
    assert [(op.kind, op.event_id) for op in plan.ops] == [("delete", 7), ("add", None)]
    assert plan.ops[1].replaces == (7,)


def test_dropped_part_rebuilds_the_series() -> None:
    first, second = weekly(3), part("2025-03-24T09:00:00", PART_RID, 2)
    remotes = [portal_series(7, first), portal_series(9, second)]
    plan = diff([first], [], remotes, [record(first, 7), record(second, 9)], OPTIONS)
    assert [(op.kind, op.event_id) for op in plan.ops] == [("delete", 9)]


def test_rerun_after_the_rebuild_deletes_went_through_only_adds() -> None:
    series = weekly()
    plan = diff([series, moved()], [], [], [], OPTIONS)
    assert [op.kind for op in plan.ops] == ["add", "override"]


def test_unknown_description_is_not_rewritten_on_an_unchanged_run() -> None:
    event = replace(desired(), params=replace(desired().params, description="Agenda"))
    row = replace(remote(7, replace(event.params, description=None)), description_known=False)
    assert diff([event], [], [row], [record(event, 7)], OPTIONS).ops == ()


def test_dropped_description_is_cleared_although_the_read_did_not_show_it() -> None:
    old = replace(desired(), params=replace(desired().params, description="Agenda"))
    new = desired()
    row = replace(remote(7, new.params), description_known=False)
    (op,) = diff([new], [], [row], [record(old, 7)], OPTIONS).ops
    assert (op.kind, op.params["description"]) == ("update", "")


def test_dropped_reminders_are_cleared_with_an_empty_json_array() -> None:
    old = replace(desired(), params=replace(desired().params,
                                            remind=(Reminder("min", 15),)))
    new = desired()
    (op,) = diff([new], [], [remote(7, old.params)], [record(old, 7)], OPTIONS).ops
    assert op.params["remind"] == [] and op.sent_alone


def test_plan_counts_the_invitations_of_meetings_still_to_come() -> None:
    meeting = replace(desired(), params=replace(desired().params, is_meeting=True,
                                                attendees=(1, 2, 3)))
    past = replace(meeting, uid="past@test")
    options = replace(OPTIONS, today=date(2025, 3, 1))
    assert diff([meeting], [], [], [], options).invitations == 2
    assert diff([past], [], [], [], replace(options, today=date(2026, 1, 1))).invitations == 0


def test_occurrence_day_is_the_recurrence_id_in_the_series_zone() -> None:
    assert occurrence_day("2025-03-09T23:30:00Z", "Europe/Berlin") == "2025-03-10"
    assert occurrence_day("2025-03-09T23:30:00Z", None) == "2025-03-09"
    assert occurrence_day("2025-03-09", "Europe/Berlin") == "2025-03-09"


def test_undo_deletes_series_and_lets_their_detached_occurrences_go_with_them() -> None:
    series = weekly()
    records = [record(series, 7), record(moved(), 8)]
    plan = undo_plan(records, [portal_series(7, series, "2025-03-10"), detached(8, 7, moved())])
    (op,) = plan.ops
    assert (op.kind, op.event_id) == ("delete", 7)
    assert set(op.forget) == {("a@test", None), ("a@test", MOVED_RID)}


def test_undo_leaves_a_copy_detached_from_a_foreign_series() -> None:
    plan = undo_plan([record(moved(), 8)], [detached(8, 7, moved())])
    assert plan.ops == () and "did not create" in plan.warnings[0]


def test_event_of_its_own_for_what_is_now_a_moved_occurrence_is_deleted_first() -> None:
    """The moved occurrence was alone between two skipped days (written out as its own
    event); with a skipped day gone it is moved on the series again."""
    series = weekly()
    alone = replace(moved(), kind="occurrence")
    plan = diff([series, moved()], [], [portal_series(7, series), remote(8, alone.params)],
                [record(series, 7), record(alone, 8)], OPTIONS)
    assert [(op.kind, op.event_id, op.phase) for op in plan.ops] == [
        ("delete", 8, 0), ("override", 7, 3)]


@pytest.mark.parametrize("text", ["Pay $result[c0] now", "see $Next[a]", "$result_error[x]"])
def test_a_text_holding_a_batch_reference_is_sent_outside_batch(text: str) -> None:
    new = replace(desired(), params=replace(desired().params, description=text))
    (op,) = diff([new], [], [], [], OPTIONS).ops
    assert op.sent_alone


@pytest.mark.parametrize("text", ["Costs $5 [approx]", "$result", "result[c0]"])
def test_a_text_without_a_batch_reference_goes_in_batch(text: str) -> None:
    new = replace(desired(), params=replace(desired().params, description=text))
    (op,) = diff([new], [], [], [], OPTIONS).ops
    assert not op.sent_alone
