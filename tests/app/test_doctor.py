"""`doctor` through real HTTP against the test portal: every behaviour push relies on holds
on a faithful portal, a portal that differs is named, and no scratch section is left."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from ics2b24.app.doctor import DoctorReport, Finding, run_doctor
from ics2b24.app.doctor_push import Calendar, Pushing
from ics2b24.bitrix.connect import Credentials, make_client
from ics2b24.ical.convert import ConvertResult
from ics2b24.model import Rrule
from ics2b24.plan.ops import Op
from ics2b24.portal.faults import parse_faults
from ics2b24.portal.hooks import Call
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User
from tests.helpers import before_batch, spy_on


def sections(portal: Portal) -> list[str]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return [row["NAME"] for row in rows]


def report(portal: Portal) -> DoctorReport:
    with closing(make_client(Credentials(webhook=portal.webhook_url))) as client:
        return run_doctor(client, "user", 1)


def doctor(portal: Portal) -> list[Finding]:
    return report(portal).findings


def test_on_the_current_portal_every_behaviour_holds(portal: Portal) -> None:
    before = sections(portal)
    findings = doctor(portal)
    assert len(findings) == 13
    assert [(f.behaviour, f.seen) for f in findings if not f.held] == []
    assert sections(portal) == before


def test_doctor_names_the_generation_it_found(make_portal: Callable[..., Portal]) -> None:
    assert report(make_portal()).generation_line() == (
        "the portal runs the current (generation 2 or 3) calendar code")
    older = report(make_portal(profile=Profile(generation=1))).generation_line()
    assert older.startswith("the portal runs the older self-hosted (generation 1) calendar "
                            "code")
    assert "push bounds rules by COUNT" in older and "ignores recurrence_mode" in older


def test_on_an_older_portal_doctor_tries_the_forms_push_sends_there(
        make_portal: Callable[..., Portal]) -> None:
    older = make_portal(profile=Profile(generation=1))
    spy = spy_on(older)
    findings = doctor(older)
    assert [(f.behaviour, f.seen) for f in findings if not f.held] == []
    assert any("ignores recurrence_mode" in f.behaviour for f in findings)
    updates = spy.sent("calendar.event.update")
    assert updates and all("recurrence_mode" not in u for u in updates)
    rules = [p["rrule"] for p in spy.sent("calendar.event.add") if p.get("rrule")]
    assert rules and all("UNTIL" not in r for r in rules)


@pytest.mark.parametrize(("step", "summary", "naive", "view"), [
    ("every two weeks on two days", "Doctor every other week",
     Rrule("WEEKLY", interval=2, count=14, until=date(2030, 3, 28), byday=("TU", "TH")),
     "the view of 2030-02"),
    ("a monthly rule", "Doctor monthly", Rrule("MONTHLY"), "the view of 2037-11"),
])
def test_a_form_the_current_portal_shows_wrongly_in_a_later_view_is_named(
        portal: Portal, monkeypatch: pytest.MonkeyPatch, step: str, summary: str,
        naive: Rrule, view: str) -> None:
    """As doctor would find it if push's converter wrote the rule in one piece."""
    converted = Pushing.converted

    def in_one_piece(self: Pushing, calendar: Calendar) -> ConvertResult:
        result = converted(self, calendar)
        ours = [event for event in result.events if event.params.name == summary]
        if not ours:
            return result
        one = replace(ours[0], params=replace(ours[0].params, rrule=naive))
        return replace(result, events=[one, *(e for e in result.events if e not in ours)])

    monkeypatch.setattr(Pushing, "converted", in_one_piece)
    [finding] = [f for f in doctor(portal) if step in f.behaviour]
    assert not finding.held
    assert finding.seen.startswith(view)


def test_what_doctor_writes_follows_what_push_sends(
        portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """Were push to send its series without their rule, doctor would try that and find the
    series showing one day."""
    call_params = Op.call_params

    def without_rule(self: Op, target: int | None) -> dict[str, Any]:
        params = call_params(self, target)
        params.pop("rrule", None)
        return params

    monkeypatch.setattr(Op, "call_params", without_rule)
    findings = {f.behaviour: f for f in doctor(portal)}
    series = findings["a series bounded as push bounds it, weekly on its days, shows exactly "
                      "its occurrences"]
    assert not series.held
    assert series.seen.startswith("missing 2030-01-14T08:00:00Z")


def test_a_portal_that_keeps_a_single_events_old_date_is_named(portal: Portal) -> None:
    """As a real portal would if its handler took every update as recurrence_mode all."""
    def keeps_dates(call_next: Call, user: User, method: str, params: Any) -> Any:
        if method == "calendar.event.update" and "recurrence_mode" not in params:
            params = {**params, "recurrence_mode": "all"}
        return call_next(user, method, params)

    portal.api.hook(keeps_dates)
    findings = {f.behaviour: f for f in doctor(portal)}
    moved = findings["a single event updated to another day moves there"]
    assert not moved.held and "missing" in moved.seen
    assert findings["a series bounded as push bounds it, weekly on its days, shows exactly "
                    "its occurrences"].held


@pytest.mark.parametrize("seed", range(8))
def test_doctor_under_server_errors_names_no_behaviour_it_could_not_check_as_differing(
        make_portal: Callable[..., Portal], seed: int) -> None:
    """A 500 on about one request in twenty-five, before or after the portal ran it: doctor
    retries as push does, and says of a check it still could not make that it could not."""
    portal = make_portal(faults=parse_faults(f"error=0.04,seed={seed}"))
    before = sections(portal)
    findings = doctor(portal)
    assert len(findings) == 13
    assert [f.line() for f in findings if not f.held and f.checked] == []
    assert all(f.seen.startswith("could not be checked: ") for f in findings if not f.checked)
    assert sections(portal) == before


def test_doctor_interrupted_mid_run_leaves_no_section_behind(
        portal: Portal, monkeypatch: pytest.MonkeyPatch) -> None:
    """Ctrl-C arrives while doctor waits for its third write."""
    before = sections(portal)

    def interrupt() -> None:
        raise KeyboardInterrupt

    sent = before_batch(monkeypatch, 3, interrupt)
    with pytest.raises(KeyboardInterrupt):
        doctor(portal)
    assert sent == [3]
    assert sections(portal) == before
