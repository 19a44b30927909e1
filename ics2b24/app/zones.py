"""Which zone names a portal keeps, read back after a push (plan/zones.py says why).

No documented call lists the zones a portal's PHP knows, and a replaced name is silent: the
write succeeds and the event is shown hours off. So after a push, each zone name the input
uses that this portal has not been asked about yet is looked up on one event written in it,
all in one `calendar.event.getbyid` batch, and what the portal kept is remembered in the
state DB: a later run costs nothing, and an event in a replaced zone is written again under
another name the portal may keep (plan/zones.py), itself read back in the next round.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence

from ics2b24.bitrix.client import Client
from ics2b24.bitrix.encoding import MAX_BATCH_COMMANDS
from ics2b24.errors import PortalError
from ics2b24.model import DesiredEvent
from ics2b24.plan.identity import fingerprint
from ics2b24.plan.record import Record

Probe = tuple[int, str]
"""An event written in a zone, and the field (TZ_FROM or TZ_TO) that names it."""


def to_confirm(events: Iterable[DesiredEvent], records: Sequence[Record],
               known: Mapping[str, str]) -> dict[str, Probe]:
    """Per zone name not read back from this portal yet, an event the portal holds as the
    input has it now (its record's fingerprint is the event's), timed, written in that zone."""
    recorded = {r.key: r for r in records}
    out: dict[str, Probe] = {}
    for event in events:
        record = recorded.get((event.uid, event.recurrence_id))
        if (event.params.skip_time or record is None
                or record.fingerprint != fingerprint(event)):
            continue
        for zone, field_name in ((event.params.timezone_from, "TZ_FROM"),
                                 (event.params.timezone_to, "TZ_TO")):
            if zone and zone not in known and zone not in out:
                out[zone] = (record.event_id, field_name)
    return out


def read_kept(client: Client, probes: Mapping[str, Probe]) -> dict[str, str]:
    """Per zone name, the name the portal shows on the event written in it (50 to a batch
    request). An event gone since (deleted by someone) tells nothing and is left out."""
    out: dict[str, str] = {}
    listed = sorted(probes.items())
    for start in range(0, len(listed), MAX_BATCH_COMMANDS):
        chunk = listed[start:start + MAX_BATCH_COMMANDS]
        answer = client.batch({f"z{i}": ("calendar.event.getbyid", {"id": event_id})
                               for i, (_, (event_id, _field)) in enumerate(chunk)})
        for i, (zone, (event_id, field_name)) in enumerate(chunk):
            row = answer.results.get(f"z{i}")
            if not isinstance(row, dict) or not row.get("ID"):
                continue
            shown = row.get(field_name)
            if not isinstance(shown, str) or not shown:
                raise PortalError("ERROR_UNEXPECTED_ANSWER", (
                    f"calendar.event.getbyid {event_id} answered no {field_name}; the zone "
                    f"{zone} could not be checked"))
            out[zone] = shown
    return out
