"""Which Bitrix24 portal the test portal plays: the calendar module's generation and the
server's time zone.

Bitrix24's calendar code changed in ways a client must know (docs/test-portal.md, "Generations"):
generation 1 is an older self-hosted portal (module 21.x–24.4xx: no `recurrence_mode`, UNTIL in
the display format, no DESCRIPTION in `calendar.event.get` rows, `name` required on update);
generation 3 is what a cloud portal runs today and the default. The server's zone matters
because the portal moves values by the calling user's offset from it, and the zone names its
PHP lists decide which names it keeps (behaviour 21).
"""

from __future__ import annotations

from dataclasses import dataclass

GENERATIONS = (1, 3)
DEFAULT_SERVER_ZONE = "Europe/Moscow"
DEFAULT_USER_ZONE = "Europe/Berlin"
"""West of the server's default zone: the setup in which a portal moves values (behaviour 20)."""


@dataclass(frozen=True)
class Profile:
    generation: int = 3
    server_zone: str = DEFAULT_SERVER_ZONE
    unlisted_zones: frozenset[str] = frozenset()
    """Zone names our zone data lists that this portal's PHP does not (an older tzdata:
    `Europe/Kyiv` before 2022b); it replaces them as it replaces any unlisted name."""
    socialnetwork: bool = True
    """False plays a portal without the socialnetwork module: `sonet_group.get` is a method
    it does not have (ERROR_METHOD_NOT_FOUND), so a client cannot ask whether a group
    exists."""

    @property
    def current(self) -> bool:
        """True for the generation with `recurrence_mode`, the COUNT end estimate and the
        window-start estimate (G2/G3 in docs/test-portal.md)."""
        return self.generation >= 2
