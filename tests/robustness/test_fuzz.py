"""A bench/ run, reduced for `make test`: mutated calendars through `ics2b24 convert` end in exit 0
or in exit 65 with one clear line, never a traceback. `make bench` runs 10,000 inputs from the
shared corpus; here the seeds are the repository's own calendars and generated ones."""

from __future__ import annotations

from pathlib import Path

from bench.fuzz import Outcome, fuzz, mutate, run_convert
from bench.gen import generate

ROOT = Path(__file__).resolve().parents[2]
INPUTS = 600


def _seeds() -> list[tuple[str, bytes]]:
    files = sorted((ROOT / "tests" / "ical" / "data").glob("*.ics"))
    files += sorted((ROOT / "samples").glob("*.ics"))
    seeds = [(path.name, path.read_bytes()) for path in files]
    seeds += [(f"generated-{n}.ics", generate(25, seed=n)) for n in range(3)]
    return seeds


def test_mutated_calendars_end_in_exit_0_or_one_clear_line_with_exit_65() -> None:
    report = fuzz(_seeds(), INPUTS, run_seed=6, raise_on_failure=True)
    assert report.inputs >= INPUTS
    assert report.exits[0] > 0 and report.exits[65] > 0, report.exits


def test_invalid_utf8_is_read_with_a_warning_naming_the_file(tmp_path: Path) -> None:
    path = tmp_path / "broken.ics"
    path.write_bytes(mutate(generate(3), [("bad-utf8", 200, 0, "")], b""))
    outcome = run_convert(path)
    assert outcome.code == 0 and outcome.crash is None
    assert f"{path}:9: not UTF-8 (byte 0xff): read as Windows-1252" in outcome.stderr


def test_a_python_exception_escaping_the_cli_counts_as_a_failure() -> None:
    from bench.fuzz import FuzzReport

    report = FuzzReport()
    assert report.judge(Outcome(None, "", "Traceback ..."), "x") is not None
    assert report.judge(Outcome(65, "ics2b24: x: one\nsecond line\n"), "x") is not None
    assert report.judge(Outcome(1, "ics2b24: portal\n"), "x") is not None
    assert report.judge(Outcome(65, "ics2b24: x:3: what is wrong\n"), "x") is None
