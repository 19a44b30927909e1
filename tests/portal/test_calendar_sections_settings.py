"""calendar.section.*, calendar.user.settings.*, calendar.settings.get and user.current."""

from __future__ import annotations

from typing import Any

import pytest

from ics2b24.portal.calendar import CalendarApi
from ics2b24.portal.profile import Profile
from ics2b24.portal.refusals import MethodError
from ics2b24.portal.store import Store

CONFIG = {"users": [
    {"id": 1, "name": "Ann", "last_name": "Lee", "email": "ann@example.com",
     "time_zone": "Europe/Berlin", "admin": True},
    {"id": 2, "name": "Bob", "time_zone": "Europe/Riga"},
]}


@pytest.fixture
def api() -> CalendarApi:
    store = Store()
    store.seed(CONFIG)
    return CalendarApi(store)


def _call(api: CalendarApi, method: str, params: dict[str, Any], as_user: int = 1) -> Any:
    user = api.store.user(as_user)
    assert user is not None
    return api.call(user, method, params)


def _error(api: CalendarApi, method: str, params: dict[str, Any], as_user: int = 1) -> str:
    with pytest.raises(MethodError) as caught:
        _call(api, method, params, as_user)
    assert (caught.value.error, caught.value.status) == ("", 400)
    return caught.value.description


# --- sections -----------------------------------------------------------------------------


def test_section_add_returns_an_integer_id_that_get_lists(api: CalendarApi) -> None:
    section_id = _call(api, "calendar.section.add", {
        "type": "user", "ownerId": 1, "name": "Imported", "description": "from ics",
        "color": "#9cbeee", "text_color": "#283000", "export": {"ALLOW": False, "SET": "3_9"}})
    assert isinstance(section_id, int)
    rows = _call(api, "calendar.section.get", {"type": "user", "ownerId": 1})
    row = next(r for r in rows if r["ID"] == str(section_id))
    assert (row["NAME"], row["DESCRIPTION"], row["COLOR"], row["TEXT_COLOR"]) == (
        "Imported", "from ics", "#9cbeee", "#283000")
    assert row["EXPORT"] == {"ALLOW": False, "SET": "3_9"}
    assert (row["CAL_TYPE"], row["OWNER_ID"], row["PERM"]["edit"]) == ("user", "1", True)


def test_section_get_without_owner_means_the_callers_own_calendar(api: CalendarApi) -> None:
    rows = _call(api, "calendar.section.get", {"type": "user"}, as_user=2)
    assert [r["OWNER_ID"] for r in rows] == ["2"]


def test_section_get_without_type(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.get", {}) == (
        'The required parameter "type" for the method "calendar.section.get" is not set')


def test_section_get_of_a_group_without_owner(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.get", {"type": "group"}) == (
        'The required parameter "ownerId" for the method "calendar.section.get" is not set')


def test_section_add_without_type(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.add", {"name": "S"}) == (
        'The required parameter "type" for the method "calendar.section.add" is not set.')


def test_section_add_name_must_be_a_string(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.add", {"type": "user", "ownerId": 1, "name": 5}) == (
        'Invalid value for the "name" parameter')


def test_section_add_for_the_company_calendar_is_denied_even_to_admins(
        api: CalendarApi) -> None:
    assert _error(api, "calendar.section.add",
                  {"type": "company_calendar", "ownerId": 0, "name": "S"}) == "Access denied"


def test_section_add_in_another_users_calendar_is_taken_by_the_current_generation(
        api: CalendarApi) -> None:
    """SectionAdd checks the action against the caller's own calendar (behaviour noted in
    `CalendarApi._may_add_section`)."""
    section_id = _call(api, "calendar.section.add",
                       {"type": "user", "ownerId": 1, "name": "S"}, as_user=2)
    assert api.store.section(section_id)["owner_id"] == 1


def test_section_add_in_another_users_calendar_is_denied_by_the_older_generation() -> None:
    store = Store()
    store.seed(CONFIG)
    older = CalendarApi(store, profile=Profile(generation=1))
    assert _error(older, "calendar.section.add", {"type": "user", "ownerId": 1, "name": "S"},
                  as_user=2) == "Access denied"


def test_an_admin_updates_another_users_section(api: CalendarApi) -> None:
    bobs = api.store.sections("user", 2)[0]["id"]
    _call(api, "calendar.section.update", {"type": "user", "ownerId": 2, "id": bobs,
                                           "name": "Renamed by admin"})
    assert api.store.section(bobs)["name"] == "Renamed by admin"


def test_section_add_takes_defaults_for_colors(api: CalendarApi) -> None:
    section_id = _call(api, "calendar.section.add", {"type": "user", "name": "Plain"})
    section = api.store.section(section_id)
    assert section is not None
    assert (section["color"], section["text_color"]) == ("#E6A469", "#000000")


def test_section_update_changes_what_it_was_given(api: CalendarApi) -> None:
    section_id = _call(api, "calendar.section.add", {"type": "user", "name": "Old"})
    assert _call(api, "calendar.section.update", {
        "type": "user", "ownerId": 1, "id": section_id, "name": "New", "color": "#112233"},
    ) == section_id
    section = api.store.section(section_id)
    assert section is not None and (section["name"], section["color"]) == ("New", "#112233")


def test_section_update_without_id(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.update", {"type": "user", "ownerId": 1}) == (
        "Section ID is not set")


def test_section_update_of_another_users_section_is_denied(api: CalendarApi) -> None:
    anns = api.store.sections("user", 1)[0]["id"]
    assert _error(api, "calendar.section.update",
                  {"type": "user", "ownerId": 1, "id": anns, "name": "x"},
                  as_user=2) == "Access denied"


def test_section_update_of_a_missing_section_is_denied(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.update",
                  {"type": "user", "ownerId": 1, "id": 999}) == "Access denied"


def test_section_delete_answers_true_and_removes_it(api: CalendarApi) -> None:
    section_id = _call(api, "calendar.section.add", {"type": "user", "name": "Gone"})
    assert _call(api, "calendar.section.delete",
                 {"type": "user", "ownerId": 1, "id": section_id}) is True
    assert api.store.section(section_id) is None


def test_section_delete_without_id(api: CalendarApi) -> None:
    assert _error(api, "calendar.section.delete", {"type": "user", "ownerId": 1}) == (
        "Section ID is not set.")


def test_section_delete_of_another_users_section_is_denied(api: CalendarApi) -> None:
    anns = api.store.sections("user", 1)[0]["id"]
    assert _error(api, "calendar.section.delete",
                  {"type": "user", "ownerId": 1, "id": anns}, as_user=2) == "Access denied."


# --- user settings ----------------------------------------------------------------------


def test_user_settings_get_shows_defaults_and_the_users_zone(api: CalendarApi) -> None:
    settings = _call(api, "calendar.user.settings.get", {}, as_user=2)
    assert settings["view"] == "month"
    assert settings["meetSection"] == str(api.store.sections("user", 2)[0]["id"])
    assert settings["timezoneName"] == "Europe/Riga"
    assert set(settings["defaultReminders"]) == {"fullDay", "withTime"}


def test_user_settings_set_keeps_what_it_was_given(api: CalendarApi) -> None:
    given = {"view": "week", "showDeclined": True, "collapseOffHours": "N",
             "defaultSections": {"user1": "1"}, "syncPeriodPast": "6",
             "defaultReminders": {"fullDay": [{"type": "day", "count": 1}],
                                  "withTime": [{"type": "min", "count": 10}]}}
    assert _call(api, "calendar.user.settings.set", {"settings": given}) is True
    settings = _call(api, "calendar.user.settings.get", {})
    assert {key: settings[key] for key in given} == given


def test_user_settings_set_merges_into_what_is_stored(api: CalendarApi) -> None:
    _call(api, "calendar.user.settings.set", {"settings": {"view": "week",
                                                          "showWeekNumbers": "Y"}})
    _call(api, "calendar.user.settings.set", {"settings": {"view": "day"}})
    settings = _call(api, "calendar.user.settings.get", {})
    assert (settings["view"], settings["showWeekNumbers"]) == ("day", "Y")


def test_user_settings_set_accepts_form_encoded_values(api: CalendarApi) -> None:
    _call(api, "calendar.user.settings.set", {"settings": {
        "showDeclined": "true",
        "defaultReminders": {"fullDay": {"0": {"type": "hour", "count": "2"}}}}})
    settings = _call(api, "calendar.user.settings.get", {})
    assert settings["showDeclined"] is True
    assert settings["defaultReminders"]["fullDay"] == {"0": {"type": "hour", "count": "2"}}


def test_user_settings_set_without_settings(api: CalendarApi) -> None:
    assert _error(api, "calendar.user.settings.set", {}) == (
        'The required parameter "settings" for the method "calendar.user.settings.set" is not '
        'set')


def test_user_settings_are_per_user(api: CalendarApi) -> None:
    _call(api, "calendar.user.settings.set", {"settings": {"view": "list"}})
    assert _call(api, "calendar.user.settings.get", {}, as_user=2)["view"] == "month"


# --- portal settings and the current user -------------------------------------------------


def test_calendar_settings_get_has_the_documented_keys(api: CalendarApi) -> None:
    settings = _call(api, "calendar.settings.get", {})
    assert settings["week_start"] == "MO" and settings["week_holidays"] == ["SA", "SU"]


def test_user_current_is_the_caller(api: CalendarApi) -> None:
    me = _call(api, "user.current", {}, as_user=2)
    assert (me["ID"], me["NAME"], me["TIME_ZONE"], me["ACTIVE"]) == (
        "2", "Bob", "Europe/Riga", True)
