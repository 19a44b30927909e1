"""The portal's own log of the methods it executed, for the tests and the benchmarks: what the
portal saw, not what a client believes it sent. It is a hook (`hooks.py`), so it sees every
method call, each batch command on its own."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from ics2b24.portal.hooks import Call
from ics2b24.portal.server import Portal
from ics2b24.portal.store import User

WRITES = frozenset({"calendar.event.add", "calendar.event.update", "calendar.event.delete"})


class MethodLog:
    """Every method the portal executes from now on, in order (`calls`), with the parameters
    it received (`params`).

    With `apart`, a client's scratch work is kept out of `calls`, in `probed`: the calls that
    name a section or event whose name starts with `apart`, and those in or on a section so
    named (the tests count what push writes to the user's calendar, not ics2b24's one-time
    generation probe, ics2b24/app/traits.py).
    """

    def __init__(self, portal: Portal, *, apart: str | None = None) -> None:
        self.calls: list[str] = []
        self.params: list[dict[str, Any]] = []
        self.probed: list[str] = []
        self.on_write: Callable[[int], None] | None = None
        """Called after each write the portal carried out, with the number of writes so far."""
        self._writes: Counter[str] = Counter()
        self._apart = apart
        self._apart_sections: set[int] = set()
        portal.api.hook(self._log)

    def writes(self) -> Counter[str]:
        """The write methods in `calls`, counted."""
        return Counter(self._writes)

    def sent(self, method: str) -> list[dict[str, Any]]:
        """The parameters of every call of `method`, as the portal received them."""
        return [p for m, p in zip(self.calls, self.params, strict=True) if m == method]

    def clear(self) -> None:
        self.calls.clear()
        self.params.clear()
        self.probed.clear()
        self._writes.clear()

    def _log(self, call_next: Call, user: User, method: str, params: Mapping[str, Any]) -> Any:
        if self._is_apart(method, params):
            self.probed.append(method)
            result = call_next(user, method, params)
            if method == "calendar.section.add":
                self._apart_sections.add(int(result))
            return result
        self.calls.append(method)
        self.params.append(dict(params))
        if method not in WRITES:
            return call_next(user, method, params)
        self._writes[method] += 1
        result = call_next(user, method, params)
        if self.on_write is not None:
            self.on_write(self._writes.total())
        return result

    def _is_apart(self, method: str, params: Mapping[str, Any]) -> bool:
        """Whether a call names the scratch work or acts on one of its sections."""
        if self._apart is None:
            return False
        if str(params.get("name", "")).startswith(self._apart):
            return True
        ours = {str(section) for section in self._apart_sections}
        section = params.get("section")
        if any(str(s) in ours for s in (section if isinstance(section, list) else [section])):
            return True
        return method == "calendar.section.delete" and str(params.get("id")) in ours
