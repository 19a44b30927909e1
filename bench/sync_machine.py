"""The sync state machine of tests/sync_machine.py run longer than `make test` runs it: many
calendars, each edited and pushed through a test portal of each generation over HTTP.

    python -m bench.sync_machine [--examples 200] [--steps 30] [--generation 1|3]

Prints, per generation, the examples run, the steps, the minutes it took, and the first
failure (the shrunk sequence of edits) if there is one; exits 1 then.
"""

from __future__ import annotations

import argparse
import sys
import time

from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from tests.sync_machine import OlderSyncMachine, SyncMachine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=200)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--generation", type=int, choices=(1, 3),
                        help="Only this generation (default: both).")
    args = parser.parse_args()
    print("\n## The sync state machine\n")
    failed = False
    machines = {3: SyncMachine, 1: OlderSyncMachine}
    for generation, machine in machines.items():
        if args.generation not in (None, generation):
            continue
        label = f"generation {generation}"
        began = time.monotonic()
        chosen = settings(max_examples=args.examples, stateful_step_count=args.steps,
                          deadline=None, suppress_health_check=list(HealthCheck))
        try:
            run_state_machine_as_test(machine, settings=chosen)
            verdict = "no failure"
        except Exception as exc:
            failed = True
            verdict = "FAILED: " + str(exc).splitlines()[0]
            details = "\n".join([str(exc), *getattr(exc, "__notes__", [])])
        else:
            details = ""
        minutes = (time.monotonic() - began) / 60
        print(f"- {label}: {args.examples} examples of up to {args.steps} steps in "
              f"{minutes:.1f} min: {verdict}")
        if details:
            print("\n```\n" + details + "\n```\n")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
