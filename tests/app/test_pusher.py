"""The pusher against the embedded portal over loopback HTTP: batches of at most
50 commands, every confirmed result recorded, refusals kept with the portal's reason."""

from __future__ import annotations

from pathlib import Path

import icalendar

from ics2b24.app.pusher import Pusher, PushReport, reject_calendar
from ics2b24.bitrix.auth import WebhookAuth
from ics2b24.bitrix.client import Client
from ics2b24.model import DesiredEvent, EventParams
from ics2b24.plan.ops import Op, Plan
from ics2b24.portal.server import Portal
from ics2b24.store.state import StateDB

PORTAL_ID = "http://127.0.0.1/user/1"
TARGET = "user:1:1"


def add_op(index: int, *, end: str | None = None) -> Op:
    start = f"2025-05-{1 + index % 28:02d}T{8 + index % 10:02d}:00:00"
    params = EventParams(name=f"Event {index}", date_from=start,
                         date_to=end or start[:11] + "23:00:00",
                         timezone_from="Europe/Berlin", timezone_to="Europe/Berlin")
    event = DesiredEvent(uid=f"e{index}@test", recurrence_id=None, kind="single",
                         params=params)
    wire = {"type": "user", "ownerId": 1, "section": 1, **params.to_params()}
    return Op("add", event.uid, None, 0, params=wire, fingerprint=f"fp{index}", created=True,
              desired=event)


def push(portal: Portal, tmp_path: Path, ops: list[Op]) -> tuple[Client, StateDB, PushReport]:
    client = Client(WebhookAuth.parse(portal.webhook_url))
    db = StateDB.open(tmp_path / "state.sqlite3")
    report = PushReport()
    Pusher(client, db.scoped(PORTAL_ID, TARGET)).push(Plan(tuple(ops), 0), report)
    return client, db, report


def test_adds_go_in_batches_of_at_most_fifty(portal: Portal, tmp_path: Path) -> None:
    client, db, report = push(portal, tmp_path, [add_op(i) for i in range(120)])
    assert client.requests_sent == 3
    assert report.count("add") == 120 and report.failures == []
    records = db.scoped(PORTAL_ID, TARGET).records()
    assert len(records) == 120 and all(r.created for r in records)
    assert len({r.event_id for r in records}) == 120


def test_refused_command_is_reported_and_the_rest_recorded(portal: Portal,
                                                           tmp_path: Path) -> None:
    bad = add_op(2, end="2025-05-03T07:00:00")
    _, db, report = push(portal, tmp_path, [add_op(1), bad, add_op(3)])
    assert report.count("add") == 2
    (failure,) = report.failures
    assert failure.op is bad
    assert failure.error.error == ""
    assert failure.error.description
    assert {r.uid for r in db.scoped(PORTAL_ID, TARGET).records()} == {"e1@test", "e3@test"}


def test_reject_file_holds_each_refused_event_with_the_reason(portal: Portal,
                                                              tmp_path: Path) -> None:
    bad = add_op(2, end="2025-05-03T07:00:00")
    _, _, report = push(portal, tmp_path, [bad])
    calendar = icalendar.Calendar.from_ical(reject_calendar(report.failures))
    (event,) = calendar.walk("VEVENT")
    assert str(event["UID"]) == "e2@test"
    assert str(event["SUMMARY"]) == "Event 2"
    assert str(event["X-ICS2B24-ERROR"]) == str(report.failures[0].error)
