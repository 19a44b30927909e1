"""`sonet_group.get`: the workgroups of the portal, as `api-reference/sonet-group/
sonet-group-get.md` (bitrix24/b24restdocs) shows them.

Groups are modelled only as far as a client asks whether one exists: every group is visible to
every user, so `IS_ADMIN` changes nothing; `FILTER` is read for `ID` (`=ID` too; one id or a
list) and `GROUP_ID` adds `ID = GROUP_ID`, as the reference says. Other filter keys, `ORDER`
and `start` are not modelled: every other group matches, in the default order (ID
descending), on one page. The calendar methods never look at groups: a real portal keeps a
section and events for a group id that does not exist (`CCalendarRestService::SectionAdd`
checks the caller's right on the caller's own calendar and saves the section with the
group's id), and so does this one. Pure: the groups in, the rows out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from ics2b24.portal.store import Group
from ics2b24.portal.wire import php_int


def sonet_group_get(groups: Sequence[Group], params: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The rows of the groups the filter keeps."""
    wanted = _ids(params)
    kept = [g for g in groups if wanted is None or g.id in wanted]
    return [_row(group) for group in sorted(kept, key=lambda g: g.id, reverse=True)]


def _ids(params: Mapping[str, Any]) -> set[int] | None:
    """The ids asked for (every condition must hold), or None for every group."""
    given = params.get("FILTER")
    conditions = [value for key, value in given.items() if key in ("ID", "=ID")] if isinstance(
        given, Mapping) else []
    if params.get("GROUP_ID") is not None:
        conditions.append(params["GROUP_ID"])
    if not conditions:
        return None
    found: set[int] | None = None
    for condition in conditions:
        items = condition.values() if isinstance(condition, Mapping) else (
            condition if isinstance(condition, list) else [condition])
        ids = {php_int(item.strip() if isinstance(item, str) else item) for item in items}
        found = ids if found is None else found & ids
    return found


def _row(group: Group) -> dict[str, Any]:
    """A group as the reference's answer shows one (strings, as PHP's rows are)."""
    return {
        "ID": str(group.id), "SITE_ID": "s1", "NAME": group.name, "DESCRIPTION": None,
        "ACTIVE": "Y", "VISIBLE": "Y", "OPENED": "N", "CLOSED": "N", "PROJECT": "N",
        "IS_EXTRANET": "N",
    }
