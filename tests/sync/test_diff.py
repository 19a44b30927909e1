"""The diff engine on plain values (SPEC §6): pairing order, when an event is rewritten,
and what is deleted."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ics2b24.errors import SafetyError
from ics2b24.model import DesiredEvent, EventParams, Kind, Rrule
from ics2b24.sync.diff import DiffOptions, diff, fingerprint, occurrence_day
from ics2b24.sync.plan import Plan
from ics2b24.sync.remote import RemoteEvent
from ics2b24.sync.state import Record

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
                       original_recursion_id=None, comment_xml_id=None,
                       original_date_from=None, timestamp_x=None, meeting_host=1,
                       created_by=1, start_utc=None, params=p, exdate=(),
                       occurrences=(p.date_from,))


def record(event: DesiredEvent, event_id: int, *, created: bool = True,
           print_: str | None = None) -> Record:
    return Record("https://p/user/1", "user:1:5", event.uid, event.recurrence_id, event_id,
                  print_ if print_ is not None else fingerprint(event), None, created)


def kinds(plan: Plan) -> list[tuple[str, str, int | None]]:
    return [(op.kind, op.uid, op.event_id) for op in plan.ops]


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
    assert plan.ops[0].params["recurrence_mode"] == "all"


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
    options = replace(OPTIONS, sent_keys=frozenset({("a@test", None)}))
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


def test_override_of_a_new_series_waits_for_the_series_id() -> None:
    series = desired(rrule=Rrule("WEEKLY", count=5))
    moved = DesiredEvent(uid="a@test", recurrence_id="2025-03-10T08:00:00Z", kind="override",
                         params=params(start="2025-03-11T09:00:00"))
    plan = diff([series, moved], [], [], [], OPTIONS)
    add, override = plan.ops
    assert add.kind == "add" and add.phase < override.phase
    assert (override.event_id, override.parent) == (None, ("a@test", None))
    assert override.params["recurrence_mode"] == "this"
    assert override.params["current_date_from"] == "2025-03-10"


def test_exdate_becomes_an_exclusion_unless_the_portal_already_skips_that_day() -> None:
    series = replace(desired(rrule=Rrule("WEEKLY", count=5)),
                     exdate=["2025-03-10", "2025-03-17"])
    skipped = replace(remote(7, series.params), exdate=("2025-03-10",))
    plan = diff([series], [], [skipped], [record(series, 7, print_="old")], OPTIONS)
    excluded = [(op.recurrence_id, op.event_id) for op in plan.ops if op.kind == "exclude"]
    assert excluded == [("2025-03-17", 7)]


def test_this_and_future_change_splits_the_series_with_next() -> None:
    series = desired(rrule=Rrule("WEEKLY", count=10))
    later = DesiredEvent(uid="a@test", recurrence_id="2025-04-07T07:00:00Z", kind="override",
                         range="thisandfuture",
                         params=params(start="2025-04-07T11:00:00",
                                       rrule=Rrule("WEEKLY", count=5)))
    plan = diff([series, later], [], [remote(7, series.params)], [record(series, 7)],
                OPTIONS)
    (op,) = plan.ops
    assert (op.kind, op.event_id, op.recurrence_mode) == ("split", 7, "next")
    assert op.params["current_date_from"] == "2025-04-07"


def test_occurrence_day_is_the_recurrence_id_in_the_series_zone() -> None:
    assert occurrence_day("2025-03-09T23:30:00Z", "Europe/Berlin") == "2025-03-10"
    assert occurrence_day("2025-03-09T23:30:00Z", None) == "2025-03-09"
    assert occurrence_day("2025-03-09", "Europe/Berlin") == "2025-03-09"


MOVED_RID = "2025-03-10T08:00:00Z"
SPLIT_RID = "2025-03-24T08:00:00Z"


def weekly(*exdate: str) -> DesiredEvent:
    return replace(desired(rrule=Rrule("WEEKLY", count=5)), exdate=list(exdate))


def moved() -> DesiredEvent:
    return DesiredEvent(uid="a@test", recurrence_id=MOVED_RID, kind="override",
                        params=params(start="2025-03-11T09:00:00"))


def later() -> DesiredEvent:
    return DesiredEvent(uid="a@test", recurrence_id=SPLIT_RID, kind="override",
                        range="thisandfuture",
                        params=params(start="2025-03-24T11:00:00",
                                      rrule=Rrule("WEEKLY", count=2)))


def portal_series(event_id: int, event: DesiredEvent, *exdate: str,
                  split_from: int | None = None) -> RemoteEvent:
    return replace(remote(event_id, event.params), exdate=exdate,
                   original_recursion_id=split_from)


def detached(event_id: int, series_id: int, event: DesiredEvent) -> RemoteEvent:
    return replace(remote(event_id, event.params), recurrence_id=series_id,
                   original_date_from="2025-03-10T09:00:00")


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
    assert add.params["rrule"] == {"FREQ": "WEEKLY", "INTERVAL": 1, "COUNT": 5}


def test_removed_exdate_rebuilds_the_series_and_keeps_the_other_exclusions() -> None:
    before = weekly("2025-03-10", "2025-03-17")
    after = weekly("2025-03-17")
    plan = diff([after], [], [portal_series(7, before, "2025-03-10", "2025-03-17")],
                [record(before, 7)], OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 7), ("add", "a@test", None),
                           ("exclude", "a@test", None)]
    exclude = plan.ops[2]
    assert (exclude.recurrence_id, exclude.parent) == ("2025-03-17", ("a@test", None))


def test_rebuilt_series_gets_its_remaining_overrides_again_on_the_new_series() -> None:
    before = weekly("2025-03-17")
    after = weekly()
    plan = diff([after, moved()], [],
                [portal_series(7, before, "2025-03-10", "2025-03-17"),
                 detached(8, 7, moved())],
                [record(before, 7), record(moved(), 8)], OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 7), ("add", "a@test", None),
                           ("override", "a@test", None)]
    assert plan.ops[2].parent == ("a@test", None)


def test_day_skipped_only_in_the_portal_is_kept_while_the_input_is_unchanged() -> None:
    series = weekly()
    plan = diff([series], [], [portal_series(7, series, "2025-03-17")],
                [record(series, 7)], OPTIONS)
    assert plan.ops == () and plan.warnings == ()


def test_series_the_tool_did_not_create_is_not_rebuilt_but_warned_about() -> None:
    before, after = weekly("2025-03-10"), weekly()
    plan = diff([after], [], [portal_series(7, before, "2025-03-10")],
                [record(before, 7, created=False)], OPTIONS)
    assert plan.writes == []
    (warning,) = plan.warnings
    assert "a@test" in warning


def test_rebuild_of_a_split_series_deletes_both_portal_series() -> None:
    series = weekly()
    remotes = [portal_series(7, series, "2025-03-10"), detached(8, 7, moved()),
               portal_series(9, later(), split_from=7)]
    records = [record(series, 7), record(moved(), 8), record(later(), 9)]
    plan = diff([series, later()], [], remotes, records, OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 7), ("delete", "a@test", 9),
                           ("add", "a@test", None), ("split", "a@test", None)]
    assert plan.ops[1].forget == (("a@test", SPLIT_RID),)
    assert plan.ops[2].replaces == (7, 9)
    assert plan.ops[3].parent == ("a@test", None)


def test_dropped_this_and_future_change_rebuilds_the_series() -> None:
    series = weekly()
    remotes = [portal_series(7, series), portal_series(9, later(), split_from=7)]
    plan = diff([series], [], remotes, [record(series, 7), record(later(), 9)], OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 7), ("delete", "a@test", 9),
                           ("add", "a@test", None)]


def test_rerun_after_the_rebuild_deletes_went_through_only_adds() -> None:
    series = weekly()
    plan = diff([series, moved()], [], [], [record(series, 7), record(moved(), 8)], OPTIONS)
    assert kinds(plan) == [("add", "a@test", None), ("override", "a@test", None)]
    assert plan.ops[0].replaces == ()


def test_rerun_after_only_part_of_a_rebuild_was_deleted_deletes_the_rest_first() -> None:
    series = weekly()
    remotes = [portal_series(9, later(), split_from=7)]
    plan = diff([series, later()], [], remotes, [record(series, 7), record(later(), 9)],
                OPTIONS)
    assert kinds(plan) == [("delete", "a@test", 9), ("add", "a@test", None),
                           ("split", "a@test", None)]
    assert plan.ops[1].replaces == (9,)
