"""Both limits of `limits.md`, on a clock the tests move by hand."""

from __future__ import annotations

import pytest

from ics2b24.errors import UsageError
from ics2b24.portal.limits import LeakyBucket, Limits, LimitSettings, OperatingTime, parse_ratio
from tests.clock import FakeClock


def test_bucket_accepts_a_burst_of_x_requests_at_once() -> None:
    bucket = LeakyBucket(rate=2, burst=50, clock=FakeClock())
    assert all(bucket.try_acquire() for _ in range(50))


def test_bucket_refuses_the_request_after_the_burst() -> None:
    bucket = LeakyBucket(rate=2, burst=50, clock=FakeClock())
    for _ in range(50):
        bucket.try_acquire()
    assert not bucket.try_acquire()


def test_bucket_drains_y_per_second() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(rate=2, burst=50, clock=clock)
    for _ in range(50):
        bucket.try_acquire()
    clock.now += 1.0
    assert bucket.try_acquire() and bucket.try_acquire()
    assert not bucket.try_acquire()


def test_refused_requests_do_not_fill_the_bucket() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(rate=2, burst=2, clock=clock)
    bucket.try_acquire()
    bucket.try_acquire()
    for _ in range(10):
        bucket.try_acquire()
    clock.now += 0.5
    assert bucket.try_acquire()


def test_y_requests_per_second_never_hit_the_limit() -> None:
    clock = FakeClock()
    bucket = LeakyBucket(rate=2, burst=50, clock=clock)
    results = []
    for _ in range(1000):
        results.append(bucket.try_acquire())
        clock.now += 0.5
    assert all(results)


KEY = ("webhook:1", "calendar.event.add")


def test_operating_time_sums_the_cost_of_calls() -> None:
    ledger = OperatingTime(limit=480, window=600, clock=FakeClock())
    ledger.record(KEY, 0.3)
    status = ledger.record(KEY, 0.3)
    assert status.operating == pytest.approx(0.6)


def test_operating_time_is_kept_per_method() -> None:
    ledger = OperatingTime(limit=480, window=600, clock=FakeClock())
    ledger.record(KEY, 0.3)
    assert ledger.status(("webhook:1", "calendar.event.get")).operating == 0


def test_call_is_blocked_once_the_sum_exceeds_the_limit() -> None:
    ledger = OperatingTime(limit=1.0, window=600, clock=FakeClock())
    for _ in range(3):
        assert ledger.allowed(KEY)
        ledger.record(KEY, 0.4)
    assert not ledger.allowed(KEY)


def test_reaching_the_limit_exactly_does_not_block() -> None:
    ledger = OperatingTime(limit=1.0, window=600, clock=FakeClock())
    ledger.record(KEY, 0.5)
    ledger.record(KEY, 0.5)
    assert ledger.allowed(KEY)


def test_reset_at_is_the_first_call_of_the_oldest_basket_plus_the_window() -> None:
    clock = FakeClock(1000.0)
    ledger = OperatingTime(limit=480, window=600, clock=clock)
    ledger.record(KEY, 0.3)
    clock.now = 1030.0
    assert ledger.record(KEY, 0.3).reset_at == 1600


def test_oldest_basket_leaves_the_sum_when_its_reset_time_arrives() -> None:
    clock = FakeClock(1000.0)
    ledger = OperatingTime(limit=480, window=600, clock=clock)
    ledger.record(KEY, 40)
    clock.now = 1070.0
    ledger.record(KEY, 5)
    clock.now = 1600.0
    status = ledger.status(KEY)
    assert status.operating == 5
    assert status.reset_at == 1670


def test_blocked_method_is_free_again_after_the_reset() -> None:
    """The example of limits.md: 20 s calls against 480 s; dropping a 40 s basket frees it."""
    clock = FakeClock(0.0)
    ledger = OperatingTime(limit=480, window=600, clock=clock)
    for minute in range(10):
        clock.now = minute * 60.0
        ledger.record(KEY, 20)
        ledger.record(KEY, 20)
    clock.now = 599.0
    for _ in range(5):
        ledger.record(KEY, 20)
    assert not ledger.allowed(KEY)
    clock.now = 600.0
    assert ledger.status(KEY).operating == 460
    assert ledger.allowed(KEY)


def test_time_scale_makes_costs_and_windows_k_times_shorter() -> None:
    clock = FakeClock(1000.0)
    limits = Limits(LimitSettings(time_scale=100), clock)
    assert limits.cost("calendar.event.add") == pytest.approx(0.003)
    status = limits.operating.record(KEY, limits.cost("calendar.event.add"))
    assert status.reset_at == pytest.approx(1006.0)


def test_time_scale_makes_the_bucket_drain_k_times_faster() -> None:
    clock = FakeClock()
    limits = Limits(LimitSettings(rate=2, burst=1, time_scale=100), clock)
    assert limits.bucket.try_acquire()
    clock.now += 0.005
    assert limits.bucket.try_acquire()


def test_reads_cost_less_than_writes() -> None:
    limits = Limits(LimitSettings(), FakeClock())
    assert limits.cost("calendar.event.get") < limits.cost("calendar.event.add")
    assert limits.cost("calendar.event.add") == 0.3


def test_costs_are_configurable() -> None:
    limits = Limits(LimitSettings(costs={"calendar.event.add": 2.0}), FakeClock())
    assert limits.cost("calendar.event.add") == 2.0


def test_ratio_option_reads_y_over_x() -> None:
    assert parse_ratio("5/250", "--rate") == (5.0, 250.0)


@pytest.mark.parametrize("text", ["5", "a/b", "0/10", "-1/5", "5/"])
def test_malformed_ratio_is_a_usage_error(text: str) -> None:
    with pytest.raises(UsageError, match="--rate"):
        parse_ratio(text, "--rate")
