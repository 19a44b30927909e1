"""Finding out which calendar code a portal runs, through real HTTP against the test portal
of each generation: one request, the right answer, nothing left behind."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import closing

from ics2b24.app.traits import probe_traits
from ics2b24.bitrix.connect import Credentials, make_client
from ics2b24.model import PortalTraits
from ics2b24.portal.profile import Profile
from ics2b24.portal.server import Portal


def probe(portal: Portal) -> PortalTraits:
    with closing(make_client(Credentials(webhook=portal.webhook_url))) as client:
        return probe_traits(client, "user", 1)


def section_names(portal: Portal) -> list[str]:
    rows = portal.api.call(portal.first_user, "calendar.section.get",
                           {"type": "user", "ownerId": 1})
    return sorted(row["NAME"] for row in rows)


def test_the_current_portal_reads_iso_until_and_honours_recurrence_mode(
        portal: Portal) -> None:
    assert probe(portal) == PortalTraits(reads_iso_until=True, honours_recurrence_mode=True)


def test_an_older_portal_reads_neither(make_portal: Callable[..., Portal]) -> None:
    older = make_portal(profile=Profile(generation=1))
    assert probe(older) == PortalTraits(reads_iso_until=False, honours_recurrence_mode=False)


def test_the_probe_is_one_request(portal: Portal) -> None:
    before = portal.counters().requests
    probe(portal)
    assert portal.counters().requests - before == 1


def test_the_probe_leaves_no_section_and_no_event(portal: Portal) -> None:
    before = section_names(portal)
    probe(portal)
    assert section_names(portal) == before
    rows = portal.api.call(portal.first_user, "calendar.event.get", {
        "type": "user", "ownerId": 1, "from": "2029-12-01", "to": "2030-12-31"})
    assert rows == []
