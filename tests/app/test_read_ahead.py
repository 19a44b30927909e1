"""Converting a company's calendars in the waits of the ones before (app/read_ahead.py): each
calendar converted once for its push and its verify, within the wait and the budget of events
held, with what the session would have converted itself."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from ics2b24.app.company import find_owners, jobs, move, read_ahead, read_export
from ics2b24.app.read_ahead import ReadAhead
from ics2b24.app.session import Connection, current_user
from ics2b24.app.traits import probe_traits
from ics2b24.bitrix.connect import Credentials, make_client
from ics2b24.ical import convert
from ics2b24.ical.choices import ConvertChoices
from ics2b24.ical.options import ConvertOptions
from ics2b24.ical.read import read_input
from ics2b24.portal.server import Portal
from tests.clock import FakeClock
from tests.helpers import COMPANY_USERS, company_export, vcalendar, vevent

OPTIONS = ConvertOptions.build(ConvertChoices(tz="America/New_York"), system_zone="UTC",
                               read_map=None, user_zone=None, portal=False)


def calendar(name: str) -> list[tuple[str, bytes]]:
    """One event at a floating time (no zone), which the options' zone decides."""
    text = vcalendar(vevent(f"{name}@test", "20250303T090000", name)).replace(
        ";TZID=Europe/Berlin", "")
    return [(f"{name}.ics", text.encode())]


def test_a_calendar_converted_in_a_wait_is_not_converted_again_by_its_push() -> None:
    ahead = ReadAhead()
    one = calendar("one")
    ahead.expect(one, OPTIONS, 1)
    ahead.use(60.0)
    first, second = ahead.convert(one, OPTIONS), ahead.convert(one, OPTIONS)
    assert first is second
    assert [e.params.name for e in first.events] == ["one"]
    assert ahead.conversions == 1


def test_a_wait_too_short_for_the_next_calendar_converts_nothing() -> None:
    clock = FakeClock()
    ahead = ReadAhead(clock=clock)
    ahead.expect(calendar("one"), OPTIONS, 400)
    assert ahead.use(1.0) == 0.0
    assert ahead.conversions == 0


def test_no_more_than_the_budget_is_held_converted_ahead() -> None:
    ahead = ReadAhead(budget=15)
    one, two = calendar("one"), calendar("two")
    ahead.expect(one, OPTIONS, 10)
    ahead.expect(two, OPTIONS, 10)
    ahead.use(60.0)
    assert ahead.conversions == 1
    ahead.done(one)
    ahead.use(60.0)
    assert ahead.conversions == 2


def test_other_options_convert_anew() -> None:
    ahead = ReadAhead()
    one = calendar("one")
    other = ConvertOptions.build(ConvertChoices(tz="Asia/Tokyo"), system_zone="UTC",
                                 read_map=None, user_zone=None, portal=False)
    ahead.expect(one, OPTIONS, 1)
    ahead.use(60.0)
    converted = ahead.convert(one, other)
    assert converted.events[0].params.timezone_from == "Asia/Tokyo"
    assert ahead.conversions == 2


def test_a_migration_converts_each_calendar_once_for_its_push_and_its_verify(
        make_portal: Callable[..., Portal], tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Every reading of a calendar's bytes by the converter is counted: push and verify
    of one calendar share one."""
    portal = make_portal(users=COMPANY_USERS)
    calendars = read_export(company_export(tmp_path / "export"))
    account = Credentials(webhook=portal.webhook_url)
    with closing(make_client(account)) as client:
        owners = find_owners(client, sorted({c.person for c in calendars}))
        user, traits = current_user(client), probe_traits(client, "user", client.user_id())
    work = jobs(calendars, owners, "copies", ConvertChoices(), tmp_path / "state")
    read: list[str] = []

    def counted(name: str, data: bytes, **flags: Any) -> Any:
        read.append(name)
        return read_input(name, data, **flags)

    monkeypatch.setattr(convert, "read_input", counted)
    ahead = ReadAhead()
    read_ahead(ahead, work, user, traits)
    rows = [move(job, Connection(account, job.target, job.state, traits=traits,
                                 read_ahead=ahead))[0] for job in work]
    assert [(row.person, row.verdict) for row in rows] == [
        (job.calendar.person, "equal") for job in work]
    assert all(row.written == row.events for row in rows)
    assert sorted(read) == sorted(job.calendar.source for job in work)
    assert ahead.conversions == len(work) == 4
