"""The README's examples run as written: every `sh` block of "Using it" (up to the test
portal's own section, whose commands start servers in the foreground), in order, in one shell,
each command's exit status checked."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"


def using_it_blocks() -> list[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("## Using it")
    end = text.index("### The embedded test portal")
    return re.findall(r"```sh\n(.*?)```", text[start:end], flags=re.S)


def test_readme_examples_run_as_written(tmp_path: Path) -> None:
    blocks = using_it_blocks()
    assert len(blocks) >= 4
    script = "\n".join([
        "set -euo pipefail",
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
        *blocks,
    ])
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TMPDIR": str(tmp_path)}
    env.pop("B24_WEBHOOK", None)
    script = script.replace("/tmp/", f"{tmp_path}/")
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
