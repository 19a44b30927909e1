"""Fault injection for reliability tests: `rate=0.1,error=0.02,reset=0.01,latency=0-200ms,seed=N`.

Each request draws once, in arrival order, from one seeded generator, so a run with a seed is
reproducible. Errors and dropped connections happen either before the method runs or after its
change was applied: the second is what a client must survive without duplicating work.
"""

from __future__ import annotations

import enum
import random
import re
import threading
from dataclasses import dataclass

from ics2b24.errors import UsageError


class Fault(enum.Enum):
    NONE = "none"
    RATE = "rate"
    ERROR_BEFORE = "error-before"
    ERROR_AFTER = "error-after"
    RESET_BEFORE = "reset-before"
    RESET_AFTER = "reset-after"


@dataclass(frozen=True)
class FaultSpec:
    rate: float = 0.0
    error: float = 0.0
    reset: float = 0.0
    latency_min: float = 0.0
    latency_max: float = 0.0
    seed: int | None = None


@dataclass(frozen=True)
class Draw:
    """What happens to one request: a fault (or none) and seconds of added latency."""

    fault: Fault
    latency: float


_LATENCY = re.compile(r"^(\d+(?:\.\d+)?)(?:-(\d+(?:\.\d+)?))?(ms|s)?$")


def _probability(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = -1.0
    if not 0.0 <= value <= 1.0:
        raise UsageError(f"--faults: {name} must be a probability between 0 and 1, got {text!r}")
    return value


def parse_faults(text: str) -> FaultSpec:
    """Read a `--faults` string; anything unknown or malformed is a usage error."""
    values: dict[str, float] = {}
    latency = (0.0, 0.0)
    seed: int | None = None
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, eq, value = (s.strip() for s in item.partition("="))
        if not eq:
            raise UsageError(f"--faults: expected name=value, got {item!r}")
        if name in ("rate", "error", "reset"):
            values[name] = _probability(name, value)
        elif name == "latency":
            match = _LATENCY.match(value)
            if not match:
                raise UsageError(f"--faults: latency must look like 0-200ms, got {value!r}")
            unit = 1.0 if match.group(3) == "s" else 0.001
            low = float(match.group(1)) * unit
            high = float(match.group(2)) * unit if match.group(2) else low
            if high < low:
                raise UsageError(f"--faults: latency range is backwards: {value!r}")
            latency = (low, high)
        elif name == "seed":
            if not value.lstrip("-").isdigit():
                raise UsageError(f"--faults: seed must be an integer, got {value!r}")
            seed = int(value)
        else:
            raise UsageError(
                f"--faults: unknown fault {name!r} (rate, error, reset, latency, seed)"
            )
    if sum(values.values()) > 1.0:
        raise UsageError("--faults: rate + error + reset must not exceed 1")
    return FaultSpec(latency_min=latency[0], latency_max=latency[1], seed=seed, **values)


class Faults:
    """Draws the fate of each request from the spec, thread-safely."""

    def __init__(self, spec: FaultSpec) -> None:
        self._spec = spec
        self._random = random.Random(spec.seed)
        self._lock = threading.Lock()

    def draw(self) -> Draw:
        spec = self._spec
        with self._lock:
            roll = self._random.random()
            after = self._random.random() < 0.5
            latency = self._random.uniform(spec.latency_min, spec.latency_max)
        if roll < spec.rate:
            fault = Fault.RATE
        elif roll < spec.rate + spec.error:
            fault = Fault.ERROR_AFTER if after else Fault.ERROR_BEFORE
        elif roll < spec.rate + spec.error + spec.reset:
            fault = Fault.RESET_AFTER if after else Fault.RESET_BEFORE
        else:
            fault = Fault.NONE
        return Draw(fault=fault, latency=latency)
