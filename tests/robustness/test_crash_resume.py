"""A bench/ run, reduced for `make test`: `python -m ics2b24 push` killed with SIGKILL and run again
ends with the portal equal to the input, with no duplicate. The kill lands right after the
portal carried out a write and before its answer left: the run dies between "sent" and
"recorded". `make bench` adds kills at random moments, 20 runs each."""

from __future__ import annotations

from bench.soak import crash_resume


def test_push_killed_between_sent_and_recorded_resumes_without_duplicates() -> None:
    report = crash_resume(3, 200, seed=5, at_write=True)
    assert report.problems == []
    assert report.killed_mid_run == 3
    assert (report.runs, report.equal) == (3, 3)
    assert report.duplicates == 0 and report.missing == 0
    assert report.rerun_exits == {0: 3}
