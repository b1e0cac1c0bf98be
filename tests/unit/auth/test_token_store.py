"""Token storage: the in-memory backend for logic, a real Secret Service for the real thing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import keyring
import keyring.backends.fail
import pytest

from companion.auth.token_store import (
    SERVICE_NAME,
    KeyringTokenStore,
    KeyringUnavailable,
    SessionTokenStore,
    StoredTokens,
)
from companion.core.logsetup import mask_secrets
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


async def test_round_trip_in_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore()
    try:
        tokens = StoredTokens("access-aaaaaaaa", "refresh-bbbbbbbb", ("channel:read:redemptions",))
        await store.save("141981764", tokens)
        assert await store.load("141981764") == tokens
        assert list(memory_keyring.entries) == [(SERVICE_NAME, "twitch-user:141981764")]
        stored = json.loads(memory_keyring.entries[(SERVICE_NAME, "twitch-user:141981764")])
        assert stored == {
            "access_token": "access-aaaaaaaa",
            "refresh_token": "refresh-bbbbbbbb",
            "scopes": ["channel:read:redemptions"],
        }
        await store.delete("141981764")
        assert await store.load("141981764") is None
        assert memory_keyring.entries == {}
        await store.delete("141981764")  # deleting twice is not an error
    finally:
        store.close()


async def test_saved_tokens_are_masked_in_logs(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore()
    try:
        await store.save("1", StoredTokens("access-cccccccc", "refresh-dddddddd"))
    finally:
        store.close()
    assert mask_secrets("a=access-cccccccc r=refresh-dddddddd") == "a=[redacted] r=[redacted]"


def test_repr_never_shows_tokens() -> None:
    text = repr(StoredTokens("access-eeeeeeee", "refresh-ffffffff", ("a",)))
    assert "access-eeeeeeee" not in text
    assert "refresh-ffffffff" not in text


async def test_unreadable_entry_is_ignored(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[(SERVICE_NAME, "twitch-user:9")] = "not json at all"
    store = KeyringTokenStore()
    try:
        with pytest.raises(json.JSONDecodeError):
            StoredTokens.from_json("not json at all")
        memory_keyring.entries[(SERVICE_NAME, "twitch-user:9")] = '{"access_token": 5}'
        assert await store.load("9") is None
    finally:
        store.close()


def test_no_keyring_is_reported_plainly() -> None:
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    try:
        with pytest.raises(KeyringUnavailable, match="No usable keyring"):
            KeyringTokenStore()
    finally:
        keyring.set_keyring(previous)


async def test_session_store_keeps_tokens_in_memory_only(scratch_data_dir: Path) -> None:
    store = SessionTokenStore()
    assert store.persistent is False
    await store.save("7", StoredTokens("access-gggggggg", None))
    assert await store.load("7") == StoredTokens("access-gggggggg", None)
    await store.delete("7")
    assert await store.load("7") is None
    assert list(scratch_data_dir.rglob("*")) == []


REAL_KEYRING_SCRIPT = textwrap.dedent(
    """
    import asyncio, keyring
    from companion.auth.token_store import KeyringTokenStore, StoredTokens, backend_name
    print(backend_name())
    async def main():
        store = KeyringTokenStore(service="streamer-companion-test")
        try:
            tokens = StoredTokens("real-access-12345678", "real-refresh-12345678", ("a", "b"))
            await store.save("42", tokens)
            loaded = await store.load("42")
            assert loaded == tokens, loaded
            await store.delete("42")
            assert await store.load("42") is None
            print("round trip ok")
        finally:
            store.close()
    asyncio.run(main())
    """
)


def test_real_secret_service_round_trip(tmp_path: Path) -> None:
    """A real gnome-keyring Secret Service in a private D-Bus session (as in CI)."""
    assert shutil.which("dbus-run-session"), "scripts/dev installs dbus (dbus-run-session)"
    assert shutil.which("gnome-keyring-daemon"), "scripts/dev installs gnome-keyring"
    script = tmp_path / "real_keyring.py"
    script.write_text(REAL_KEYRING_SCRIPT, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env["HOME"] = str(tmp_path)  # a fresh keyring folder, not the developer's own
    env.pop("PYTHON_KEYRING_BACKEND", None)
    result = subprocess.run(
        [
            "dbus-run-session",
            "--",
            "bash",
            "-c",
            'printf "test-password" | gnome-keyring-daemon --unlock --components=secrets'
            ' >/dev/null && exec "$0" "$1"',
            sys.executable,
            str(script),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "keyring.backends.SecretService.Keyring",
        "round trip ok",
    ]
    assert "real-access-12345678" not in result.stdout + result.stderr
