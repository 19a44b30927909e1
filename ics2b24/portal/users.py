"""`user.current`, `user.get` and `user.admin` (scope `user`): the portal's users as the calendar
tools ask for them - who calls, who has an e-mail address, whether the caller is an admin. Not
calendar methods, so kept out of them.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from ics2b24.portal import dates
from ics2b24.portal.store import Store, User


class UserMethods:
    """The user methods over one `Store`."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def current(self, user: User, p: Mapping[str, Any]) -> dict[str, Any]:
        return _user_row(user)

    def get(self, user: User, p: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Bitrix\\Rest\\Api\\User::userGet (rest/lib/api/user.php): keys in any case, the
        filter in FILTER or (the older form) beside it; a key without an operator prefix
        compares equal, as the database does (case aside). Only ID, EMAIL and ACTIVE are
        played; users in ID order, every page at once (a test portal's users fit in one)."""
        query = {str(k).upper(): v for k, v in p.items()}
        found = query.get("FILTER")
        if isinstance(found, Mapping):
            query = {str(k).upper(): v for k, v in found.items()}
        rows = []
        for candidate in self.store.users():
            if "EMAIL" in query and str(query["EMAIL"]).casefold() != candidate.email.casefold():
                continue
            if "ID" in query and str(query["ID"]) != str(candidate.id):
                continue
            if "ACTIVE" in query and str(query["ACTIVE"]).upper() not in ("Y", "TRUE", "1"):
                continue
            rows.append(_user_row(candidate))
        return rows

    def admin(self, user: User, p: Mapping[str, Any]) -> bool:
        return user.is_admin


def _user_row(user: User) -> dict[str, Any]:
    """A user as `user.current` and `user.get` show one (scope `user`)."""
    offset = datetime.now(dates.zone(user.time_zone)).utcoffset() or timedelta(0)
    return {
            "ID": str(user.id),
            "XML_ID": "",
            "ACTIVE": True,
            "NAME": user.name,
            "LAST_NAME": user.last_name,
            "SECOND_NAME": "",
            "EMAIL": user.email,
            "IS_ONLINE": "Y",
            "TIME_ZONE": user.time_zone,
            "TIME_ZONE_OFFSET": str(int(offset.total_seconds())),
            "PERSONAL_GENDER": "",
            "PERSONAL_BIRTHDAY": "",
            "UF_EMPLOYMENT_DATE": "",
            "UF_DEPARTMENT": [1],
            "USER_TYPE": "employee",
        }
