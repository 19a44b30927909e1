"""The documented examples run as written, so a command the README or the manual shows that
stops working fails the suite.

Each script runs in one bash shell with `set -euo pipefail` (the first command that fails
fails the test), `/tmp/` and `HOME` moved into the test's temp dir:

- README.md's "Three recipes": every `sh` block of that section, which starts its own test
  portal;
- the manual: every `sh` block of the pages in MANUAL, in that order, one shell for them all.
  The order is the order of dependence: docs/connect.md starts the test portal and exports its
  webhook, docs/push.md makes `TARGET` and the section `Imported` that later pages use (the
  pages say so).

NOT_RUN names the pages whose `sh` blocks must not run here, and why; a page of docs/ with
`sh` blocks in neither list fails, so no page's examples go unchecked by being forgotten."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
DOCS = ROOT / "docs"

MANUAL = ("connect.md", "convert.md", "push.md", "proof.md", "sync.md", "migrate.md",
          "sections-settings.md")
NOT_RUN = {
    "install.md": "shell start-up lines, for the reader's own shell",
    "test-portal.md": "`portal serve` in the foreground: each would wait for Ctrl-C",
}


def sh_blocks(text: str) -> list[str]:
    return re.findall(r"```sh\n(.*?)```", text, flags=re.S)


def readme_recipes() -> list[str]:
    text = README.read_text(encoding="utf-8")
    return sh_blocks(text[text.index("## Three recipes"):text.index("## Exit codes")])


def manual_blocks() -> list[str]:
    return [block for page in MANUAL
            for block in sh_blocks((DOCS / page).read_text(encoding="utf-8"))]


def run_in_one_shell(blocks: list[str], tmp_path: Path, timeout: float) -> None:
    script = "\n".join([
        "set -euo pipefail",
        "trap 'kill $(jobs -p) 2>/dev/null || true' EXIT",
        *blocks,
    ]).replace("/tmp/", f"{tmp_path}/")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
           "TMPDIR": str(tmp_path), "HOME": str(tmp_path)}
    for name in ("B24_WEBHOOK", "XDG_DATA_HOME", "ICS2B24_CONFIG", "ICS2B24_FEED_AUTH"):
        env.pop(name, None)
    done = subprocess.run(["bash", "-c", script], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout, check=False)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]


def test_readme_recipes_run_as_written(tmp_path: Path) -> None:
    blocks = readme_recipes()
    assert len(blocks) >= 4  # the portal, then the three recipes
    run_in_one_shell(blocks, tmp_path, timeout=120)


def test_manual_examples_run_as_written(tmp_path: Path) -> None:
    assert all(sh_blocks((DOCS / page).read_text(encoding="utf-8")) for page in MANUAL)
    run_in_one_shell(manual_blocks(), tmp_path, timeout=300)


def test_every_docs_page_with_examples_is_run_or_named_as_not_run() -> None:
    with_examples = {page.name for page in DOCS.glob("*.md")
                     if sh_blocks(page.read_text(encoding="utf-8"))}
    assert with_examples == set(MANUAL) | set(NOT_RUN)
