"""Every failure a user can meet is one of these types; the CLI maps them to exit codes in one
place, so a message is always one clear line and never a traceback."""

from __future__ import annotations


class Ics2b24Error(Exception):
    """Base of all errors the CLI reports as one line."""


class UsageError(Ics2b24Error):
    """Bad flags or combinations the command line parser could not catch (exit 2)."""


class ParseError(Ics2b24Error):
    """Input that cannot be read (exit 65). Carries where, so the line says file and line."""

    def __init__(self, message: str, *, file: str | None = None, line: int | None = None) -> None:
        self.message = message
        self.file = file
        self.line = line
        super().__init__(self.__str__())

    def __str__(self) -> str:
        where = self.file or "<input>"
        if self.line is not None:
            where = f"{where}:{self.line}"
        return f"{where}: {self.message}"


class PortalError(Ics2b24Error):
    """The portal refused or failed a call (exit 1). `error` is the portal's code, which is
    empty for calendar method errors; `description` is its `error_description`."""

    def __init__(self, error: str, description: str, *, status: int | None = None) -> None:
        self.error = error
        self.description = description
        self.status = status
        super().__init__(self.__str__())

    def __str__(self) -> str:
        code = f"{self.error}: " if self.error else ""
        return f"portal: {code}{self.description}"


class Mismatch(Ics2b24Error):
    """The portal does not show what was expected (`verify`, `doctor`): exit 1, like a
    portal that refused part of the work."""


class SafetyError(Ics2b24Error):
    """Refused for safety: the prune guard, or another run holding the state DB (exit 3)."""


class EndpointError(Ics2b24Error):
    """The address or the credentials do not lead to a Bitrix24 REST endpoint that takes them:
    nothing listens there, it is no Bitrix24, its certificate is not trusted, it never answers,
    it redirects, or it refuses the credentials (or their user access to the calendar asked
    for, before anything was written). Sending again cannot help; the flags must change
    (exit 2).
    `error` is the portal's code when it gave one (NO_AUTH_FOUND, invalid_grant...)."""

    def __init__(self, message: str, *, error: str = "") -> None:
        self.error = error
        super().__init__(message)


class OutputError(Ics2b24Error):
    """Standard output (or another file the user named for output) cannot be written: a
    full disk, a closed terminal (exit 74, EX_IOERR)."""


class Interrupted(Ics2b24Error):
    """Ctrl-C (SIGINT) during a run; the message says what was kept and how to go on
    (exit 130, 128 + the signal's number, as a shell reports it)."""


class Terminated(Interrupted):
    """SIGTERM (`kill`, a service manager stopping cron's job): as Ctrl-C (exit 143)."""


class HungUp(Interrupted):
    """SIGHUP (the terminal or the SSH session closed): as Ctrl-C (exit 129)."""


class PairsFailed(Ics2b24Error):
    """Some pairs of `sync` failed (each said so in its own line); the exit code is the
    worst of theirs."""

    def __init__(self, failed: dict[str, Ics2b24Error], total: int) -> None:
        self.failed = failed
        super().__init__(f"{len(failed)} of {total} pair(s) failed: {', '.join(failed)}")
