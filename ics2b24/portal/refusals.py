"""How a method says no: the error a handler raises and the texts it raises it with, and the
fault where the portal's own PHP code would fail instead of answering.

Apart from the methods so that the server (which turns a refusal into an HTTP answer), every
method module and the tests share one type without importing one another.
"""

from __future__ import annotations

from dataclasses import dataclass


class MethodError(Exception):
    """A refusal the server turns into `{"error", "error_description"}` with `status`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(f"{error}: {description}" if error else description)


class PortalFault(RuntimeError):
    """A PHP error (TypeError, DivisionByZeroError) in the portal's own code: the request fails
    with an internal server error instead of an answer."""


@dataclass(frozen=True)
class Texts:
    """One method's error texts, verbatim from its reference page."""

    method: str
    required: str
    invalid: str
    access: str
    section: str
    crm: str
    failed: str
    mode: str = ""

    def missing(self, name: str) -> MethodError:
        return MethodError("", self.required.format(name=name, method=self.method))

    def bad(self, name: str) -> MethodError:
        return MethodError("", self.invalid.format(name=name))
