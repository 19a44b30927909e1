"""`--faults` parsing and the seeded, reproducible draw."""

from __future__ import annotations

from collections import Counter

import pytest

from ics2b24.errors import UsageError
from ics2b24.portal.faults import Fault, Faults, FaultSpec, parse_faults


def test_spec_string_is_read_in_full() -> None:
    assert parse_faults("rate=0.1,error=0.02,reset=0.01,latency=0-200ms,seed=7") == FaultSpec(
        rate=0.1, error=0.02, reset=0.01, latency_min=0.0, latency_max=0.2, seed=7)


def test_latency_takes_seconds_and_a_single_value() -> None:
    assert parse_faults("latency=1s").latency_min == 1.0
    assert parse_faults("latency=1s").latency_max == 1.0


@pytest.mark.parametrize("text", [
    "rate=2", "rate=x", "boom=0.1", "rate", "latency=fast", "latency=200-100ms",
    "seed=abc", "rate=0.6,error=0.6",
])
def test_malformed_spec_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--faults"):
        parse_faults(text)


def _draws(spec: FaultSpec, n: int) -> list[Fault]:
    faults = Faults(spec)
    return [faults.draw().fault for _ in range(n)]


def test_same_seed_gives_the_same_faults() -> None:
    spec = parse_faults("rate=0.2,error=0.2,reset=0.2,seed=42")
    assert _draws(spec, 200) == _draws(spec, 200)


def test_different_seeds_give_different_faults() -> None:
    first = _draws(parse_faults("rate=0.2,error=0.2,reset=0.2,seed=1"), 200)
    second = _draws(parse_faults("rate=0.2,error=0.2,reset=0.2,seed=2"), 200)
    assert first != second


def test_fault_frequencies_follow_the_spec() -> None:
    counts = Counter(_draws(parse_faults("rate=0.1,error=0.2,reset=0.3,seed=3"), 20_000))
    assert counts[Fault.RATE] / 20_000 == pytest.approx(0.1, abs=0.015)
    errors = counts[Fault.ERROR_BEFORE] + counts[Fault.ERROR_AFTER]
    resets = counts[Fault.RESET_BEFORE] + counts[Fault.RESET_AFTER]
    assert errors / 20_000 == pytest.approx(0.2, abs=0.015)
    assert resets / 20_000 == pytest.approx(0.3, abs=0.015)


def test_resets_happen_both_before_and_after_the_change() -> None:
    counts = Counter(_draws(parse_faults("reset=1,seed=4"), 400))
    assert counts[Fault.RESET_BEFORE] > 100 and counts[Fault.RESET_AFTER] > 100


def test_latency_stays_in_its_range() -> None:
    faults = Faults(parse_faults("latency=10-20ms,seed=5"))
    latencies = [faults.draw().latency for _ in range(500)]
    assert min(latencies) >= 0.01 and max(latencies) <= 0.02


def test_no_faults_without_probabilities() -> None:
    assert set(_draws(parse_faults("seed=6"), 100)) == {Fault.NONE}
