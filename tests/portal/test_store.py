"""The portal's memory: seeding, tokens, persistence across a restart, atomic transactions."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from ics2b24.errors import UsageError
from ics2b24.portal.store import Store

CONFIG = {
    "users": [
        {"id": 1, "name": "Ann", "last_name": "Lee", "email": "ann@example.com",
         "time_zone": "Europe/Riga", "admin": True, "webhook_token": "tok1"},
        {"id": 7, "name": "Bob", "last_name": "", "email": "bob@example.com",
         "time_zone": "America/New_York", "admin": False, "webhook_token": "tok7"},
    ],
    "apps": [{"client_id": "local.app.1", "client_secret": "s3cret"}],
}


def test_seed_without_config_makes_one_admin_in_berlin_with_a_random_token() -> None:
    store = Store()
    store.seed(None)
    (admin,) = store.users()
    assert (admin.id, admin.name, admin.time_zone, admin.is_admin) == (
        1, "Admin", "Europe/Berlin", True)
    other = Store()
    other.seed(None)
    assert admin.webhook_token != other.users()[0].webhook_token
    assert len(store.apps()) == 1


def test_seed_reads_users_and_apps_from_config() -> None:
    store = Store()
    store.seed(CONFIG)
    bob = store.user(7)
    assert bob is not None and bob.webhook_token == "tok7" and not bob.is_admin
    assert store.apps() == [("local.app.1", "s3cret")]


def test_every_seeded_user_gets_a_personal_section() -> None:
    store = Store()
    store.seed(CONFIG)
    assert [s["name"] for s in store.sections("user", 1)] == ["Ann Lee"]
    assert len(store.sections("user", 7)) == 1


def test_seed_leaves_a_store_with_users_alone() -> None:
    store = Store()
    store.seed(CONFIG)
    store.seed(None)
    assert [u.id for u in store.users()] == [1, 7]


@pytest.mark.parametrize("config", [
    {"users": "nobody"},
    {"users": [{"name": "no id"}]},
    {"users": [{"id": 1, "time_zone": "Mars/Olympus"}]},
    {"users": [{"id": 1}, {"id": 1}]},
    {"users": []},
])
def test_bad_users_config_is_a_usage_error(config: dict[str, object]) -> None:
    with pytest.raises(UsageError):
        Store().seed(config)


def test_unknown_user_is_none() -> None:
    store = Store()
    store.seed(None)
    assert store.user(99) is None


def test_access_token_answers_user_scope_and_expiry() -> None:
    store = Store()
    store.put_tokens(access="a1", refresh="r1", user_id=1, client_id="c", scope="calendar,user",
                     expires_at=123.5)
    assert store.access_token("a1") == (1, "calendar,user", 123.5)
    assert store.access_token("r1") is None


def test_refresh_token_works_once() -> None:
    store = Store()
    store.put_tokens(access="a1", refresh="r1", user_id=1, client_id="c", scope="calendar",
                     expires_at=1.0)
    assert store.take_refresh_token("r1", "c") == (1, "calendar")
    assert store.take_refresh_token("r1", "c") is None


def test_refresh_token_belongs_to_its_client() -> None:
    store = Store()
    store.put_tokens(access="a1", refresh="r1", user_id=1, client_id="c", scope="calendar",
                     expires_at=1.0)
    assert store.take_refresh_token("r1", "other") is None
    assert store.take_refresh_token("r1", "c") == (1, "calendar")


def test_data_file_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "portal.sqlite")
    store = Store(path)
    store.seed(CONFIG)
    store.put_tokens(access="a1", refresh="r1", user_id=7, client_id="c", scope="calendar",
                     expires_at=9.0)
    event_id = store.add_event({"cal_type": "user", "owner_id": 7, "section_id": 2, "x": 1})
    store.put_settings(7, {"view": "week"})
    store.close()

    again = Store(path)
    again.seed(None)
    assert [u.id for u in again.users()] == [1, 7]
    assert again.access_token("a1") == (7, "calendar", 9.0)
    assert again.event(event_id) == {"cal_type": "user", "owner_id": 7, "section_id": 2, "x": 1,
                                     "id": event_id}
    assert again.settings(7) == {"view": "week"}
    assert again.next_id("event") == event_id + 1


def test_ids_are_never_reused_after_a_delete() -> None:
    store = Store()
    first = store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 1})
    store.delete_event(first)
    assert store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 1}) == first + 1


def test_failed_transaction_leaves_nothing_behind() -> None:
    store = Store()
    with pytest.raises(RuntimeError), store.transaction():
        store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 1})
        raise RuntimeError("boom")
    assert store.events("user", 1) == []


def test_events_filter_by_calendar_and_section() -> None:
    store = Store()
    a = store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 1})
    store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 2})
    store.add_event({"cal_type": "group", "owner_id": 1, "section_id": 1})
    assert [e["id"] for e in store.events("user", 1, {1})] == [a]
    assert len(store.events("user", 1)) == 2


def test_deleting_a_section_deletes_its_events() -> None:
    store = Store()
    section = store.add_section("user", 1, {"name": "S"})
    store.add_event({"cal_type": "user", "owner_id": 1, "section_id": section})
    store.delete_section(section)
    assert store.section(section) is None and store.events("user", 1) == []


def test_parallel_writers_get_distinct_ids() -> None:
    store = Store()
    ids: list[int] = []

    def add() -> None:
        for _ in range(50):
            ids.append(store.add_event({"cal_type": "user", "owner_id": 1, "section_id": 1}))

    threads = [threading.Thread(target=add) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(ids) == list(range(1, 201))
    assert len(store.events("user", 1)) == 200
