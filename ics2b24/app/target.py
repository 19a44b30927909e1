"""Where a command writes or reads: a calendar (type and owner) and one of its sections. The
owner defaults to the caller for a user calendar and to 0 for the company calendar; a group
owner is checked against the portal's groups before anything is written."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from ics2b24.bitrix import answers
from ics2b24.errors import EndpointError, PortalError, UsageError

if TYPE_CHECKING:
    from ics2b24.bitrix.client import Client

CalendarType = Literal["user", "group", "company_calendar"]
CALENDAR_TYPES: tuple[CalendarType, ...] = ("user", "group", "company_calendar")


def owner_of(calendar_type: CalendarType, owner: int | None, caller: Callable[[], int]) -> int:
    """`--owner` as given; else the caller for a user calendar (asked only then), 0 for the
    company calendar. A group calendar has no default."""
    if owner is not None:
        return owner
    if calendar_type == "user":
        return caller()
    if calendar_type == "company_calendar":
        return 0
    raise UsageError("--type group needs --owner GROUP_ID")


def calendar_name(calendar_type: CalendarType, owner: int) -> str:
    """"user calendar 2", "company calendar": how messages name a calendar."""
    if calendar_type == "company_calendar":
        return "company calendar"
    return f"{calendar_type} calendar {owner}"


def access_denied(error: PortalError) -> bool:
    """The portal's refusal of a calendar the caller may not write, as every calendar method
    words it (`Access denied`, an empty code): a new section, or a new event, in a calendar
    that is not the caller's own and not open to it."""
    return not error.error and error.description.strip().rstrip(".") == "Access denied"


def no_access(calendar_type: CalendarType, owner: int, error: PortalError) -> EndpointError:
    """That refusal before anything was written: the flags must change, not the portal."""
    return EndpointError(
        f"the portal refused access to the {calendar_name(calendar_type, owner)} "
        f"({error.description.strip().rstrip('.')}): nothing was written; the credentials' "
        "user may not write there: check --type and --owner, or use the credentials of a "
        "user who may")


def may_add_section(client: Client, calendar_type: CalendarType, owner: int) -> bool:
    """Whether a new section here can be written and deleted again by these credentials. The
    current portal adds a section to another user's calendar for anyone
    (CCalendarRestService::SectionAdd checks the action against the caller's own calendar)
    and then lets only the owner and administrators write in it or delete it: such a
    section would stay behind, empty, in a colleague's calendar. So in another user's
    calendar only an administrator (`user.admin`) adds one; a portal that cannot answer
    `user.admin` is left to refuse by itself."""
    if calendar_type != "user" or owner == client.user_id():
        return True
    return client.is_admin() is not False


def require_section_writer(client: Client, calendar_type: CalendarType, owner: int) -> None:
    """`may_add_section`, or an error before anything is sent."""
    if not may_add_section(client, calendar_type, owner):
        raise EndpointError(
            f"a new section in the {calendar_name(calendar_type, owner)} needs an "
            "administrator's credentials: the portal would add it for anyone but let only "
            "its owner and administrators write in it or delete it; nothing was written")


def check_group(client: Client, calendar_type: CalendarType, owner: int,
                warn: Callable[[str], None]) -> None:
    """Refuse a group the portal does not have, before the first write: the calendar methods
    take any group id (a real portal stores the section and events where nobody sees them),
    so only `sonet_group.get` can tell. Where it cannot be asked (no `sonet_group` scope, a
    portal without the method, a refusal) the run goes on, said in one line: the target may
    well be right. `IS_ADMIN` lets an admin's credentials find a group they are not in."""
    if calendar_type != "group":
        return
    try:
        result = client.call("sonet_group.get", {"FILTER": {"ID": owner}, "IS_ADMIN": "Y"})
    except EndpointError as error:
        if error.error != "insufficient_scope":
            raise
        warn(_unchecked(owner, error.error))
        return
    except PortalError as error:
        warn(_unchecked(owner, f"{error.error}: {error.description}".strip(": ")))
        return
    rows = answers.rows("sonet_group.get", result, "a list of groups")
    if not any(answers.new_id(row.get("ID")) == owner for row in rows):
        raise UsageError(f"no group {owner} on this portal that these credentials can see "
                         "(sonet_group.get finds none): nothing was written; check --owner")


def _unchecked(owner: int, why: str) -> str:
    return (f"group {owner} could not be checked (sonet_group.get: {why}): going on without "
            "knowing that the portal has it; the check needs the sonet_group scope")


@dataclass(frozen=True)
class Target:
    """Where events go: a calendar (type + owner) and one of its sections, by id or by name."""

    type: CalendarType
    owner: int
    section_id: int | None = None
    section_name: str | None = None

    def __post_init__(self) -> None:
        if self.type not in CALENDAR_TYPES:
            raise UsageError(f"--type must be one of {', '.join(CALENDAR_TYPES)}")
        if self.type == "company_calendar" and self.owner != 0:
            raise UsageError("--type company_calendar takes --owner 0")
        if (self.section_id is None) == (self.section_name is None):
            raise UsageError("give exactly one of --section ID or --section-name NAME")
        if self.section_name is not None and not self.section_name.strip():
            raise UsageError("--section-name must not be empty: give the section's name, or "
                             "--section ID")
