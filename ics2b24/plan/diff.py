"""The diff engine: desired events + the portal's events + the state DB → a Plan.

Pure: no I/O, so every pairing and change rule is testable with plain values.

Pairing, in order: (1) the state DB row for (uid, recurrence_id); (2) the portal's own
identity — DAV_XML_ID == UID for events exported from the portal, the detached copy of a
paired series part (RECURRENCE_ID + ORIGINAL_DATE_FROM) for a moved occurrence; (3) recovery:
an unpaired event in the target section whose name, start, end and rule equal an unpaired
desired event — one this tool created (under another UID, or in a run that died before
recording), or one that already equals the input in every managed field. A portal event is
paired with one key at most, and a state row whose event another key now holds is forgotten,
never deleted.

An event is rewritten only when the input changed it since the last push (its fingerprint
differs from the state row) and the portal's copy differs in a managed field, so an edit
made in the portal survives until the input changes that event; `force` overrides that.

What a real portal's own code does decides the calls (docs/test-portal.md, "Behaviours that differ
from the reference"; docs/real-portal.md says it for users):
deleting a detached occurrence deletes its whole series, an update with `all` keeps a series'
old date and rewrites every detached occurrence, and the answer to a `this` update is the
series' id. So a uid's series parts are kept in place only while each keeps its start date
and, when it must change, has no detached occurrence; otherwise every portal part of the
series is deleted (its detached occurrences go with it) and the series is added again with
its moved occurrences. A detached occurrence is never deleted on its own.

The steps, each a function of frozen values returning ops, in the order `diff` composes them:
the inputs indexed once (plan/given.py), pairing (plan/pairing.py), the series rebuilt
(plan/rebuilds.py), each event's writes (plan/changes.py), the deletions
(plan/deletions.py); what identifies an event across runs is plan/identity.py.
"""

from __future__ import annotations

from collections.abc import Sequence

from ics2b24.model import DesiredEvent
from ics2b24.plan.changes import changes
from ics2b24.plan.deletions import deletions
from ics2b24.plan.given import DiffInput, DiffOptions
from ics2b24.plan.ops import Key, Op, Phase, Plan
from ics2b24.plan.pairing import pair_events
from ics2b24.plan.rebuilds import rebuilds
from ics2b24.plan.record import Record
from ics2b24.plan.remote import RemoteEvent


def diff(desired: Sequence[DesiredEvent], cancelled: Sequence[Key],
         remote: Sequence[RemoteEvent], records: Sequence[Record],
         options: DiffOptions) -> Plan:
    """The plan that makes the target match `desired`: pairing, then the series rebuilt,
    then each event's writes, then what the input no longer has; the ops run phase by phase,
    in this order within a phase."""
    given = DiffInput.of(desired, remote, records, options)
    paired = pair_events(given)
    rebuilt = rebuilds(given, paired)
    changed = changes(given, rebuilt, paired.retired + rebuilt.ops)
    ops = (*paired.retired, *rebuilt.ops, *changed.ops)
    cleared = {key for op in ops if op.phase == Phase.CLEAR for key in op.forget}
    ops += tuple(deletions(given, paired.records, rebuilt.claimed, cleared, cancelled))
    return Plan(tuple(sorted(ops, key=_phase)), changed.unchanged,
                paired.warnings + rebuilt.warnings + changed.warnings)


def _phase(op: Op) -> Phase:
    return op.phase
