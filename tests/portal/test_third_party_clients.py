"""Third-party Bitrix24 clients from PyPI work against the portal unchanged:
`fast-bitrix24` over HTTP and the official `b24pysdk` over `--tls`, each creating a section and
120 events through `batch` and reading them back. Only their documented entry points are used:
a webhook URL for fast-bitrix24, a domain plus `user_id/key` for b24pysdk (which always builds
`https://{domain}/rest/…`, hence TLS, trusted through REQUESTS_CA_BUNDLE)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from ics2b24.portal.server import Portal

EVENTS = 120


def _event_times(i: int) -> tuple[str, str]:
    day = 1 + i % 28
    hour = 8 + i % 10
    return (f"2025-03-{day:02d}T{hour:02d}:00:00", f"2025-03-{day:02d}T{hour:02d}:30:00")


def _stored_names(portal: Portal, section: int) -> list[str]:
    events = portal.api.call(portal.first_user, "calendar.event.get", {
        "type": "user", "ownerId": 1, "section": [section],
        "from": "2025-03-01", "to": "2025-04-01",
    })
    return sorted({e["NAME"] for e in events})


def test_fast_bitrix24_over_http(make_portal: Callable[..., Portal]) -> None:
    from fast_bitrix24 import Bitrix

    portal = make_portal()
    client = Bitrix(portal.webhook_url, verbose=False)
    section = int(client.call("calendar.section.add",
                              {"type": "user", "ownerId": 1, "name": "fast-bitrix24"}))
    items: list[dict[str, Any]] = []
    for i in range(EVENTS):
        start, end = _event_times(i)
        items.append({"type": "user", "ownerId": 1, "section": section, "name": f"fb {i:03d}",
                      "from": start, "to": end, "timezone_from": "Europe/Berlin",
                      "timezone_to": "Europe/Berlin"})
    ids = client.call("calendar.event.add", items)
    assert len(ids) == EVENTS and len(set(ids)) == EVENTS
    assert portal.counters().requests < 10, "120 adds must travel in batches of 50"

    read = client.get_by_ID("calendar.event.getbyid", ids, ID_field_name="id")
    assert sorted(e["NAME"] for e in read.values()) == [f"fb {i:03d}" for i in range(EVENTS)]
    assert _stored_names(portal, section) == [f"fb {i:03d}" for i in range(EVENTS)]


def test_b24pysdk_over_tls(make_portal: Callable[..., Portal],
                           monkeypatch: pytest.MonkeyPatch) -> None:
    from b24pysdk import BitrixWebhook, Client

    portal = make_portal(tls=True)
    assert portal.certificate is not None
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(portal.certificate.cert_path))
    user = portal.first_user
    client = Client(BitrixWebhook(domain=f"127.0.0.1:{portal.port}",
                                  webhook_token=f"{user.id}/{user.webhook_token}"))
    section = int(client.calendar.section.add(type="user", owner_id=1, name="b24pysdk").result)
    requests = []
    for i in range(EVENTS):
        start, end = _event_times(i)
        requests.append(client.calendar.event.add(
            type="user", owner_id=1, from_date=start, to=end, section=section,
            name=f"sdk {i:03d}", timezone_from="Europe/Berlin", timezone_to="Europe/Berlin",
        ))
    added = client.call_batches(requests).result.result
    ids = list(added.values()) if isinstance(added, dict) else list(added)
    assert len(set(ids)) == EVENTS

    reads = client.call_batches([client.calendar.event.getbyid(int(i)) for i in ids])
    result = reads.result.result
    names = [e["NAME"] for e in (result.values() if isinstance(result, dict) else result)]
    assert sorted(names) == [f"sdk {i:03d}" for i in range(EVENTS)]
    assert _stored_names(portal, section) == [f"sdk {i:03d}" for i in range(EVENTS)]
