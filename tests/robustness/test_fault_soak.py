"""A bench/ run, reduced for `make test`: pushes under injected faults (10% 503, 2% 500, 1% dropped
connections) end with the portal equal to the input, nothing lost, nothing duplicated.
`make bench` runs 20 pushes of 1,000 events."""

from __future__ import annotations

from bench.soak import fault_soak


def test_pushes_under_injected_faults_end_equal_to_the_input() -> None:
    report = fault_soak(3, 300, seed=11)
    assert report.problems == []
    assert (report.runs, report.equal) == (3, 3)
    assert report.duplicates == 0 and report.missing == 0
    injected = report.injected["503"] + report.injected["500"] + report.injected["dropped"]
    assert injected > 0, "the run must have met faults to say anything"
