"""The client-side pacer (reference limits.md), on a fake clock."""

from __future__ import annotations

import pytest

from ics2b24.bitrix.limits import Pacer, Rate, TimeReport
from ics2b24.errors import UsageError
from tests.clock import FakeClock

ADD = "calendar.event.add"


def report(at: float, operating: float | None = None, reset_at: float | None = None,
           duration: float = 0.0) -> TimeReport:
    return TimeReport(start=at - duration, finish=at, duration=duration, operating=operating,
                      reset_at=reset_at)


def send(pacer: Pacer, clock: FakeClock, count: int) -> None:
    for _ in range(count):
        assert pacer.delay({}) == 0
        pacer.sent()


def test_rate_parses_requests_per_second_and_burst() -> None:
    assert Rate.parse("5/250") == Rate(5.0, 250.0)


@pytest.mark.parametrize("text", ["2", "0/50", "2/0", "x/50", "2/50/1", ""])
def test_bad_rate_is_a_usage_error_naming_the_option(text: str) -> None:
    with pytest.raises(UsageError, match="--rate"):
        Rate.parse(text)


def test_non_positive_operating_limit_is_a_usage_error() -> None:
    with pytest.raises(UsageError, match="--operating-limit"):
        Pacer(operating_limit=0)


def test_a_burst_goes_out_without_waiting() -> None:
    clock = FakeClock()
    pacer = Pacer(Rate(2, 50), headroom=0, clock=clock)
    send(pacer, clock, 49)
    assert pacer.delay({}) == 0


def test_past_the_burst_each_request_waits_for_the_drain() -> None:
    clock = FakeClock()
    pacer = Pacer(Rate(2, 50), headroom=0, clock=clock)
    send(pacer, clock, 50)
    assert pacer.delay({}) == pytest.approx(0.5)


def test_waiting_the_delay_is_exactly_enough() -> None:
    clock = FakeClock()
    pacer = Pacer(Rate(2, 50), headroom=0, clock=clock)
    send(pacer, clock, 50)
    clock.now += pacer.delay({})
    assert pacer.delay({}) == 0


def test_default_headroom_leaves_one_second_of_drain_unused() -> None:
    clock = FakeClock()
    pacer = Pacer(Rate(2, 50), clock=clock)
    send(pacer, clock, 48)
    assert pacer.delay({}) == pytest.approx(0.5)


def test_query_limit_answer_means_the_bucket_is_full() -> None:
    clock = FakeClock()
    pacer = Pacer(Rate(2, 50), headroom=0, clock=clock)
    pacer.query_limited()
    assert pacer.delay({}) == pytest.approx(0.5)


def test_operating_time_under_the_limit_costs_no_wait() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    pacer.record(ADD, report(clock.now, operating=400.0, reset_at=clock.now + 600))
    assert pacer.delay({ADD: 80.0}) == 0


def test_operating_time_over_the_limit_waits_for_the_oldest_basket() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    t0 = clock.now
    pacer.record(ADD, report(t0, operating=300.0, reset_at=t0 + 600))
    clock.now = t0 + 120
    pacer.record(ADD, report(clock.now, operating=470.0, reset_at=t0 + 600))
    assert pacer.delay({ADD: 15.0}) == pytest.approx(600 - 120)


def test_waits_only_as_long_as_the_baskets_that_must_leave() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    t0 = clock.now
    for at, operating in ((t0, 10.0), (t0 + 61, 20.0), (t0 + 122, 480.0)):
        clock.now = at
        pacer.record(ADD, report(at, operating=operating, reset_at=t0 + 600))
    clock.now = t0 + 130
    # 30 s over: the first two baskets (10 + 10) are not enough, the third must leave too.
    assert pacer.delay({ADD: 30.0}) == pytest.approx(122 + 600 - 130)
    # 15 s over: the first two suffice.
    assert pacer.delay({ADD: 15.0}) == pytest.approx(61 + 600 - 130)


def test_other_methods_are_not_held_back() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    pacer.record(ADD, report(clock.now, operating=480.0, reset_at=clock.now + 600))
    assert pacer.delay({"calendar.event.get": 1.0}) == 0


def test_portal_clock_offset_is_translated_to_ours() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    portal_now = clock.now + 100  # the portal's clock runs 100 s ahead
    pacer.record(ADD, report(portal_now, operating=480.0, reset_at=portal_now + 600))
    assert pacer.delay({ADD: 1.0}) == pytest.approx(600)


def test_without_operating_reports_the_duration_is_charged() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=10, clock=clock)
    pacer.record(ADD, report(clock.now, duration=8.0))
    assert pacer.delay({ADD: 3.0}) == pytest.approx(600)
    assert pacer.delay({ADD: 2.0}) == 0


def test_portal_counting_less_than_the_model_frees_the_oldest_time() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=100, clock=clock)
    t0 = clock.now
    pacer.record(ADD, report(t0, operating=90.0))
    clock.now = t0 + 61
    pacer.record(ADD, report(t0 + 61, operating=10.0))
    # the portal says only 10 s are left, all in the newest basket
    assert pacer.delay({ADD: 90.0}) == 0


def test_reset_at_keeps_baskets_from_leaving_early() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=100, clock=clock)
    t0 = clock.now
    pacer.record(ADD, report(t0, operating=100.0, reset_at=t0 + 650))
    assert pacer.delay({ADD: 1.0}) == pytest.approx(650)


def test_operation_time_limit_answer_blocks_until_reset() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.operation_limited(ADD, clock.now + 42)
    assert pacer.delay({ADD: 0.3}) == pytest.approx(42)
    assert pacer.delay({"calendar.event.get": 0.3}) == 0


def test_operation_time_limit_without_reset_waits_one_basket() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.operation_limited(ADD, None)
    assert pacer.delay({ADD: 0.3}) == pytest.approx(60)


def test_expected_cost_ignores_the_first_report_of_a_run() -> None:
    clock = FakeClock()
    pacer = Pacer(clock=clock)
    pacer.record(ADD, report(clock.now, operating=250.0))
    assert pacer.expected_cost(ADD, 0.5) == 0.5
    pacer.record(ADD, report(clock.now, operating=250.3))
    assert pacer.expected_cost(ADD, 0.5) == pytest.approx(0.3)


def test_time_report_reads_the_portal_time_block() -> None:
    block = {"start": 1778747192.9, "finish": 1778747193.5, "duration": 0.6,
             "processing": 0.03, "date_start": "2026-05-14T10:26:32+02:00",
             "date_finish": "2026-05-14T10:26:33+02:00",
             "operating_reset_at": 1778747792, "operating": 3.3}
    assert TimeReport.from_json(block) == TimeReport(
        start=1778747192.9, finish=1778747193.5, duration=0.6, operating=3.3,
        reset_at=1778747792.0)


def test_time_report_without_timestamps_is_none() -> None:
    assert TimeReport.from_json({"duration": "x"}) is None


class SimulatedPortal:
    """The two limits exactly as limits.md words them, on the same fake clock."""

    def __init__(self, clock: FakeClock, rate: Rate, limit: float, window: float) -> None:
        self.clock, self.rate, self.limit, self.window = clock, rate, limit, window
        self.level, self.level_at = 0.0, clock.now
        self.baskets: list[list[float]] = []  # [start, total]
        self.refused = 0

    def request(self) -> None:
        now = self.clock.now
        self.level = max(0.0, self.level - (now - self.level_at) * self.rate.per_second)
        self.level_at = now
        if self.level + 1 > self.rate.burst + 1e-9:
            self.refused += 1
        self.level += 1

    def call(self, cost: float) -> TimeReport:
        now = self.clock.now
        self.baskets = [b for b in self.baskets if b[0] + self.window > now]
        if sum(b[1] for b in self.baskets) > self.limit + 1e-9:
            self.refused += 1
        if not self.baskets or now >= self.baskets[-1][0] + self.window / 10:
            self.baskets.append([now, 0.0])
        self.baskets[-1][1] += cost
        reset = self.baskets[0][0] + self.window
        return TimeReport(start=now, finish=now, duration=0.001,
                          operating=sum(b[1] for b in self.baskets), reset_at=reset)


def migrate(requests: int, calls_per_request: int, cost: float,
            webhooks: int = 1) -> tuple[float, int]:
    """Seconds and refusals of a run through a pool of `webhooks`: the first simulated
    portal's bucket counts every request, each webhook's calls go to its own ledger."""
    clock = FakeClock()
    rate, limit, window = Rate(2, 50), 480.0, 600.0
    ledgers = [SimulatedPortal(clock, rate, limit, window) for _ in range(webhooks)]
    pacer = Pacer(rate, limit, window=window, clock=clock,
                  ledgers=[str(i) for i in range(webhooks)])
    start = clock.now
    for _ in range(requests):
        costs = {ADD: calls_per_request * cost}
        portal = ledgers[int(pacer.choose(costs))]
        clock.now += pacer.delay(costs)
        pacer.sent()
        ledgers[0].request()
        for _ in range(calls_per_request):
            pacer.record(ADD, portal.call(cost))
        clock.now += 0.05
    return clock.now - start, sum(ledger.refused for ledger in ledgers)


def bound(requests: int, total_cost: float) -> float:
    return max((requests - 50) / 2, (total_cost - 480) * 600 / 480, 0)


def test_request_bound_migration_finishes_near_the_bound_unrefused() -> None:
    seconds, refused = migrate(requests=300, calls_per_request=1, cost=0.01)
    assert refused == 0
    assert seconds <= 1.1 * bound(300, 3.0) + 2


def test_operating_bound_migration_finishes_near_the_bound_unrefused() -> None:
    seconds, refused = migrate(requests=64, calls_per_request=50, cost=0.3)
    assert refused == 0
    assert seconds <= 1.1 * bound(64, 960.0) + 2


def test_operating_time_between_whole_windows_waits_for_the_next_window_only() -> None:
    # 1950 s of cost at 480 s per 600 s window: no schedule can spend more than 480 s in any
    # window, so the last 30 s must wait for the fourth window (the limit's own staircase,
    # above the smooth bound).
    seconds, refused = migrate(requests=130, calls_per_request=50, cost=0.3)
    assert refused == 0
    assert 4 * 600 <= seconds <= 4 * 600 + 2


def test_a_pool_of_two_webhooks_spends_twice_the_operating_time_without_waiting() -> None:
    # 900 s of cost: one webhook waits for a window after its 480 s, two share it unrefused.
    seconds, refused = migrate(requests=30, calls_per_request=50, cost=0.6, webhooks=2)
    assert refused == 0
    assert seconds <= 30 * 0.05 + 1


def test_one_webhook_waits_for_the_operating_time_a_pool_of_two_has() -> None:
    seconds, refused = migrate(requests=30, calls_per_request=50, cost=0.6)
    assert refused == 0
    assert seconds >= 600


def test_a_pool_shares_one_request_bucket() -> None:
    seconds, refused = migrate(requests=300, calls_per_request=1, cost=0.01, webhooks=4)
    assert refused == 0
    assert seconds >= bound(300, 3.0)


def test_choose_keeps_the_first_webhook_while_it_lets_calls_go() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock, ledgers=("a", "b"))
    pacer.record(ADD, report(clock.now, operating=400.0, reset_at=clock.now + 600))
    assert pacer.choose({ADD: 80.0}) == "a"


def test_choose_takes_the_webhook_whose_ledger_lets_calls_go_soonest() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock, ledgers=("a", "b"))
    pacer.record(ADD, report(clock.now, operating=480.0, reset_at=clock.now + 600))
    assert pacer.choose({ADD: 1.0}) == "b"
    assert pacer.delay({ADD: 1.0}) == 0


def test_a_limit_answer_blocks_only_the_webhook_it_came_through() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock, ledgers=("a", "b"))
    pacer.operation_limited(ADD, clock.now + 300)
    assert pacer.choose({ADD: 1.0}) == "b"
    pacer.ledger = "a"
    assert pacer.delay({ADD: 1.0}) == pytest.approx(300)


def test_estimate_counts_the_pools_operating_time() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock, ledgers=("a", "b"))
    pacer.record(ADD, report(clock.now, operating=480.0, reset_at=clock.now + 600))
    assert pacer.estimate([{ADD: 100.0}]) == 0


def test_estimate_through_one_webhook_of_a_pool_waits_for_its_window() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock, ledgers=("a", "b"))
    pacer.record(ADD, report(clock.now, operating=480.0, reset_at=clock.now + 600))
    assert pacer.estimate([{ADD: 100.0}], among=["a"]) == pytest.approx(600, abs=1)


def test_a_ledger_first_chosen_opens_empty() -> None:
    clock = FakeClock()
    pacer = Pacer(operating_limit=480, clock=clock)
    pacer.record(ADD, report(clock.now, operating=480.0, reset_at=clock.now + 600))
    assert pacer.choose({ADD: 1.0}, among=["other app"]) == "other app"
    assert pacer.delay({ADD: 1.0}) == 0
