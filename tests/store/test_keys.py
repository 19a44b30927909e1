"""The names the state DB files its rows under (store/keys.py)."""

from __future__ import annotations

from ics2b24.store.keys import portal_identity, target_key


def test_portal_identity_keeps_no_token() -> None:
    identity = portal_identity("https://Example.bitrix24.com/rest/1/s3cr3t/", 1)
    assert identity == "https://example.bitrix24.com/user/1"


def test_portal_identity_keeps_a_non_default_port() -> None:
    assert portal_identity("http://127.0.0.1:8123/rest/", 7) == "http://127.0.0.1:8123/user/7"


def test_target_key_is_type_owner_section() -> None:
    assert target_key("group", 5, 12) == "group:5:12"
