"""What the portal answered so far, counted as it answers: tests and benchmarks check a client
against these (requests, statuses, limit errors, dropped connections)."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass

from ics2b24.portal.answer import Answer
from ics2b24.portal.wire import RestError


@dataclass(frozen=True)
class Counters:
    """What the portal answered so far: tests and benchmarks check a client against these."""

    requests: int
    statuses: Mapping[int, int]
    query_limit_exceeded: int
    operation_time_limit: int
    dropped: int


class Tally:
    """The running counts behind `Counters`, safe to update from every request thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests = 0
        self._statuses: Counter[int] = Counter()
        self._errors: Counter[str] = Counter()
        self._dropped = 0

    def count(self, answer: Answer) -> None:
        with self._lock:
            self._requests += 1
            if answer.drop:
                self._dropped += 1
                return
            self._statuses[answer.status] += 1

    def refuse(self, exc: RestError) -> RestError:
        """Count a limit error (HTTP or inside a batch) on its way to the client."""
        with self._lock:
            self._errors[exc.error] += 1
        return exc

    def counters(self) -> Counters:
        with self._lock:
            return Counters(
                requests=self._requests,
                statuses=dict(self._statuses),
                query_limit_exceeded=self._errors["QUERY_LIMIT_EXCEEDED"],
                operation_time_limit=self._errors["OPERATION_TIME_LIMIT"],
                dropped=self._dropped,
            )
