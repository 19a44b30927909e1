"""The calendar methods of the test portal, in-process: decoded params in, result out. This
module is the portal's index of methods: which name calls which handler; the handlers live in
one module per kind of method (`sections.py`, `events.py` with `series_edit.py`,
`settings_api.py`, `users.py`), who may write what in `access.py`.

Faithful to `reference/bitrix24-rest/api-reference/calendar/`: the parameter names and
aliases, the order in which a portal checks them, each page's own error texts (with `error`
empty, HTTP 400), and the documented results. HTTP, auth, batch and limits live in the server;
the method modules only know who calls (`User`) and what they asked for.

Where the portal's own PHP source does something else than the reference promises, the method
modules do what the source does, and each such place names the Bitrix function and file it
follows (paths inside Bitrix's `modules/` tree).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from ics2b24.portal.events import EventMethods
from ics2b24.portal.groups import sonet_group_get
from ics2b24.portal.hooks import Hook, Hooked, Hooks
from ics2b24.portal.invitations import Invitations, Notice
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.sections import SectionMethods
from ics2b24.portal.series_edit import SeriesEdit
from ics2b24.portal.settings_api import SettingsMethods
from ics2b24.portal.store import Store, User
from ics2b24.portal.users import UserMethods

Handler = Callable[[User, Mapping[str, Any]], Any]


class CalendarApi:
    """Method name → semantics over one `Store`."""

    def __init__(self, store: Store, host: str = "127.0.0.1",
                 profile: Profile | None = None) -> None:
        self.store = store
        self.host = host
        self.profile = profile or Profile()
        self._invitations = Invitations(current=self.profile.current)
        self._sections = SectionMethods(store, self.profile)
        self._events = EventMethods(SeriesEdit(store, self.profile, host, self._invitations))
        self._settings = SettingsMethods(store)
        self._users = UserMethods(store)
        self._hooks = Hooks()
        self._handlers: dict[str, Handler] = {
            "calendar.section.get": self._sections.get,
            "calendar.section.add": self._sections.add,
            "calendar.section.update": self._sections.update,
            "calendar.section.delete": self._sections.delete,
            "calendar.event.get": self._events.get,
            "calendar.event.getbyid": self._events.get_by_id,
            "calendar.event.add": self._events.add,
            "calendar.event.update": self._events.update,
            "calendar.event.delete": self._events.delete,
            "calendar.user.settings.get": self._settings.get_user_settings,
            "calendar.user.settings.set": self._settings.set_user_settings,
            "calendar.settings.get": self._settings.get_settings,
            "user.current": self._users.current,
            "user.get": self._users.get,
            "user.admin": self._users.admin,
        }
        if self.profile.socialnetwork:
            self._handlers["sonet_group.get"] = (
                lambda user, p: sonet_group_get(self.store.groups(), p))

    @property
    def methods(self) -> frozenset[str]:
        """The methods this portal answers: exactly those it has a handler for."""
        return frozenset(self._handlers)

    def hook(self, hook: Hook) -> Hooked:
        """Run `hook` around every method call from now on (`hooks.py`): the tests' and the
        benchmarks' one way to watch or change what the portal executes."""
        return self._hooks.add(hook)

    def call(self, user: User, method: str, params: Mapping[str, Any]) -> Any:
        return self._hooks.run(self._dispatch, user, method, params)

    def _dispatch(self, user: User, method: str, params: Mapping[str, Any]) -> Any:
        handler = self._handlers.get(method.lower())
        if handler is None:
            raise MethodError("ERROR_METHOD_NOT_FOUND", "Method not found!", 404)
        return handler(user, params)

    def invitations(self) -> list[Notice]:
        """Every invitation and cancellation sent so far, oldest first (tests read this)."""
        return self._invitations.sent()
