"""What a failed request means for the client's retry policy (bitrix/client.py): never sent,
sent without an answer, or a certificate or redirect that no retry will fix; and the deadline
that bounds one whole answer.
"""

from __future__ import annotations

import re
import signal
import threading
from types import FrameType
from typing import Any

import requests
from urllib3.exceptions import NewConnectionError

from ics2b24.bitrix.auth import OAuthAuth
from ics2b24.errors import EndpointError


class Expired(TimeoutError):
    """The whole answer did not come within the deadline. A TimeoutError, so urllib3 and
    requests treat it as the socket timing out wherever it lands."""


class Deadline:
    """A deadline for one whole answer, in the main thread (where the CLI runs; signals go
    there only): requests' timeout bounds each read of the socket, so a server that sends a
    byte every few seconds would hold a run for as long as it keeps sending. An alarm
    raises `Expired` where the run waits; elsewhere, each read alone is bounded."""

    def __init__(self, seconds: float) -> None:
        self._seconds = seconds
        self._armed = threading.current_thread() is threading.main_thread()
        self._previous: Any = None
        self.expired = False

    def __enter__(self) -> None:
        if self._armed:
            self._previous = signal.signal(signal.SIGALRM, self._expire)
            signal.setitimer(signal.ITIMER_REAL, self._seconds)

    def __exit__(self, *exc_info: object) -> None:
        if self._armed:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)

    def _expire(self, signum: int, frame: FrameType | None) -> None:
        self.expired = True
        raise Expired(f"no answer within {self._seconds:g} s")


class NotSent(Exception):
    """The request never reached the portal: safe to send again."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class MaybeSent(Exception):
    def __init__(self, reason: str, *, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.timed_out = timed_out


def never_connected(exc: requests.ConnectionError) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def connect_reason(exc: requests.ConnectionError) -> str:
    """"connection refused", "name not resolved"… from urllib3's wrapped OSError."""
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    text = str(reason or exc)
    for needle, said in (("refused", "connection refused (nothing listens there)"),
                         ("Name or service not known", "the host name is not known"),
                         ("nodename nor servname", "the host name is not known"),
                         ("Temporary failure in name resolution", "the host name is not known"),
                         ("unreachable", "the network is unreachable")):
        if needle in text:
            return said
    return "the connection failed"


def redirected(source: str, target: str, status: int, option: str) -> EndpointError:
    """A redirect is never followed: a POST sent on to another host would carry the webhook
    token or OAuth tokens there."""
    return EndpointError(f"{source} redirects to {target} (HTTP {status}); ics2b24 follows no "
                         f"redirect, which would take the credentials elsewhere: give that "
                         f"address ({option}) if it is the right one")


def tls_problem(base_url: str, exc: requests.exceptions.SSLError,
                 verify: bool | str) -> str:
    """One line about the certificate (or TLS handshake) of `base_url`, trusted through the
    system's CAs or the `--ca-cert` file `verify` names."""
    text = str(exc)
    match = re.search(r"certificate verify failed: ([^(]+?)\s*\(", text)
    if match or "CERTIFICATE_VERIFY_FAILED" in text:
        why = match.group(1).strip() if match else "it cannot be verified"
        if isinstance(verify, str):
            return (f"the certificate of {base_url} is not signed by the CA in --ca-cert "
                    f"{verify} ({why}); give the CA that signed it, or the certificate itself")
        return (f"the certificate of {base_url} is not trusted ({why}); if it is the portal "
                "you mean, give --ca-cert FILE with its certificate or CA")
    return (f"the TLS handshake with {base_url} failed; is it an https:// address, and does "
            "the server speak TLS there?")


def renewal_hint(code: str, auth: OAuthAuth) -> str:
    if code not in ("invalid_grant", "invalid_client"):
        return ""
    if code == "invalid_client":
        return "; check --client-id and --client-secret"
    where = f" (ics2b24 keeps renewed pairs in {auth.token_file})" if auth.token_file else ""
    return f"; a refresh token works once: give the latest pair{where}, or authorise the app again"
