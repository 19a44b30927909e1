"""The one supported way for tests and benchmarks to stand between the portal and its methods.

A hook is a middleware `(call_next, user, method, params) -> result` around every method call
the portal executes: each command of a batch on its own, with its `$result` references already
resolved (`batch.py`), and the in-process calls a test makes through `CalendarApi.call`. It may
log the call, change its parameters or its answer, refuse it, or hold it (the portal's lock is
held meanwhile, as it is while a method runs). The newest hook is the outermost.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from ics2b24.portal.store import User

Call = Callable[[User, str, Mapping[str, Any]], Any]
Hook = Callable[[Call, User, str, Mapping[str, Any]], Any]


class Hooked:
    """One hook in place: `remove()`, or the end of a `with` block, takes it away."""

    def __init__(self, hooks: Hooks, hook: Hook) -> None:
        self._hooks = hooks
        self._hook = hook

    def remove(self) -> None:
        self._hooks.remove(self._hook)

    def __enter__(self) -> Hooked:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.remove()


class Hooks:
    """The hooks in place, oldest first; a call runs through the set in place when it starts."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._hooks: tuple[Hook, ...] = ()

    def add(self, hook: Hook) -> Hooked:
        with self._lock:
            self._hooks = (*self._hooks, hook)
        return Hooked(self, hook)

    def remove(self, hook: Hook) -> None:
        with self._lock:
            index = next(i for i, known in enumerate(self._hooks) if known is hook)
            self._hooks = self._hooks[:index] + self._hooks[index + 1:]

    def run(self, call: Call, user: User, method: str, params: Mapping[str, Any]) -> Any:
        chain = call
        for hook in self._hooks:
            chain = partial(hook, chain)
        return chain(user, method, params)
