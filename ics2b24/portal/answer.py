"""One HTTP answer of the test portal as the server hands it to its HTTP handler
(`http_server.py`): a status and a JSON body, or a dropped connection (the faults of
`faults.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ics2b24.portal.wire import RestError


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any
    drop: bool = False

    @classmethod
    def error(cls, exc: RestError) -> Answer:
        return cls(exc.status, exc.body())


DROP = Answer(0, None, drop=True)
