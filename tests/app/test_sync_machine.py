"""The sync never loses an event, whatever the input's next version looks like: the state
machine of tests/sync_machine.py, bounded for `make test` (bench/sync_machine.py runs it
longer)."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from tests.sync_machine import OlderSyncMachine, SyncMachine

BOUNDED = settings(max_examples=15, stateful_step_count=12, deadline=None, derandomize=True,
                   suppress_health_check=[HealthCheck.too_slow])
"""The same examples on every run, so CI judges the code and not the draw; bench/ draws."""

TestSyncOnTheCurrentPortal = SyncMachine.TestCase
TestSyncOnTheCurrentPortal.settings = BOUNDED
TestSyncOnAnOlderPortal = OlderSyncMachine.TestCase
TestSyncOnAnOlderPortal.settings = BOUNDED
