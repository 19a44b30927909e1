"""Who may write which calendar, as this portal models it: one place, because section and event
methods must agree on it.

Everyone may read every calendar; a user calendar is written only by its owner (or an
administrator); group calendars by any user (there is no membership model); the company
calendar's events and sections only by admins, and `calendar.section.add` refuses it for
everyone, as the reference allows only `user` and `group` there.
"""

from __future__ import annotations

from ics2b24.portal.store import User


def can_edit(user: User, cal_type: str, owner_id: int) -> bool:
    """A section's `edit` permission: SectionAccessRule (calendar/lib/access/rule/
    sectionaccessrule.php) grants every section action to an administrator, so an
    admin's webhook writes any user's calendar (what a company migration needs)."""
    if cal_type == "user":
        return owner_id == user.id or user.is_admin
    if cal_type == "group":
        return owner_id > 0
    if cal_type == "company_calendar":
        return user.is_admin
    return False


def may_add_section(user: User, cal_type: str, owner: int, *, current: bool) -> bool:
    """CCalendarRestService::SectionAdd (calendar_restservice.php). The current
    generation checks the action against a section of the *caller's* own calendar of
    that type, so a user calendar takes a new section whoever its owner is (an event in
    it still needs the section's `edit`, `can_edit`); generation 1 asks the owner's
    `section_edit` permission: the owner, or an administrator."""
    if cal_type == "group":
        return owner > 0
    if cal_type != "user":
        return False
    return current or owner == user.id or user.is_admin
