"""`make demo` runs as the README says, and shows what the portal holds with the tool's own
`events list`: a demo that listed the calendar any other way would show what no user sees."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_the_demo_lists_the_portal_with_events_list(tmp_path: Path) -> None:
    env = {**os.environ, "TMPDIR": str(tmp_path)}
    env.pop("B24_WEBHOOK", None)
    done = subprocess.run(["bash", "scripts/demo.sh", str(Path(sys.executable).parent)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    listing = done.stdout.split("== 3.", 1)[1].split("== 4.", 1)[0]
    assert "Europe/Berlin" in listing and "moved from #" in listing
    assert "ics2b24: 58 occurrence(s) of 20 event(s) in section 2 ('Imported from samples') " \
           "from 2025-03-01 to 2025-12-31" in listing
    assert "Traceback" not in done.stdout + done.stderr
