"""Token storage: the in-memory backend for logic, a real Secret Service for the real thing."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
import textwrap
from typing import TYPE_CHECKING

import keyring
import keyring.backends.fail
import keyring.errors
import pytest

from companion.auth.token_store import (
    SERVICE_NAME,
    KeyringRefused,
    KeyringTokenStore,
    KeyringUnavailable,
    SessionTokenStore,
    StoredTokens,
)
from companion.core.logsetup import mask_secrets
from companion.twitch.authority import TWITCH_AUTHORITY
from tests.helpers.memory_keyring import MemoryKeyring, RefusingKeyring

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


SIM = "http://127.0.0.1:8080/oauth2"
TWITCH_KEY = "twitch-user:141981764@https://id.twitch.tv/oauth2"
LEGACY_KEY = "twitch-user:141981764"


async def test_round_trip_in_keyring(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore()
    try:
        tokens = StoredTokens("access-aaaaaaaa", "refresh-bbbbbbbb", ("channel:read:redemptions",))
        await store.save(TWITCH_AUTHORITY, "141981764", tokens)
        assert await store.load(TWITCH_AUTHORITY, "141981764") == tokens
        assert list(memory_keyring.entries) == [(SERVICE_NAME, TWITCH_KEY)]
        stored = json.loads(memory_keyring.entries[(SERVICE_NAME, TWITCH_KEY)])
        assert stored == {
            "access_token": "access-aaaaaaaa",
            "refresh_token": "refresh-bbbbbbbb",
            "scopes": ["channel:read:redemptions"],
        }
        await store.delete(TWITCH_AUTHORITY, "141981764")
        assert await store.load(TWITCH_AUTHORITY, "141981764") is None
        assert memory_keyring.entries == {}
        await store.delete(TWITCH_AUTHORITY, "141981764")  # deleting twice is not an error
    finally:
        store.close()


async def test_same_account_at_two_authorities_is_two_entries(
    memory_keyring: MemoryKeyring,
) -> None:
    store = KeyringTokenStore()
    try:
        real = StoredTokens("access-real0000", "refresh-real0000")
        sim = StoredTokens("access-sim00000", "refresh-sim00000")
        await store.save(TWITCH_AUTHORITY, "141981764", real)
        await store.save("HTTP://127.0.0.1:8080/oauth2/", "141981764", sim)
        assert sorted(user for _, user in memory_keyring.entries) == [
            "twitch-user:141981764@http://127.0.0.1:8080/oauth2",
            TWITCH_KEY,
        ]
        assert await store.load(SIM, "141981764") == sim
        assert await store.load(TWITCH_AUTHORITY, "141981764") == real
        assert await store.load("http://127.0.0.1:9090/oauth2", "141981764") is None
        await store.delete(SIM, "141981764")
        assert list(memory_keyring.entries) == [(SERVICE_NAME, TWITCH_KEY)]
    finally:
        store.close()


async def test_entry_from_before_authorities_moves_to_twitch(
    memory_keyring: MemoryKeyring,
) -> None:
    """A signed-in user of an earlier version stays signed in: the entry (always made for
    Twitch) moves to Twitch's key on first load, and no other authority ever sees it."""
    text = StoredTokens("access-legacy00", "refresh-legacy00", ("bits:read",)).to_json()
    memory_keyring.entries[(SERVICE_NAME, LEGACY_KEY)] = text
    store = KeyringTokenStore()
    try:
        assert await store.load(SIM, "141981764") is None
        assert memory_keyring.calls == [("get", SERVICE_NAME, f"twitch-user:141981764@{SIM}")]
        assert list(memory_keyring.entries) == [(SERVICE_NAME, LEGACY_KEY)]

        loaded = await store.load(TWITCH_AUTHORITY, "141981764")
        assert loaded == StoredTokens("access-legacy00", "refresh-legacy00", ("bits:read",))
        assert memory_keyring.entries == {(SERVICE_NAME, TWITCH_KEY): text}
        assert memory_keyring.calls[1:] == [
            ("get", SERVICE_NAME, TWITCH_KEY),
            ("get", SERVICE_NAME, LEGACY_KEY),
            ("set", SERVICE_NAME, TWITCH_KEY),
            ("delete", SERVICE_NAME, LEGACY_KEY),
        ]
        # Moved once: the next load reads the new key alone.
        assert await store.load(TWITCH_AUTHORITY, "141981764") == loaded
        assert memory_keyring.calls[5:] == [("get", SERVICE_NAME, TWITCH_KEY)]
    finally:
        store.close()


async def test_signing_out_of_twitch_removes_an_unmoved_entry_too(
    memory_keyring: MemoryKeyring,
) -> None:
    memory_keyring.entries[(SERVICE_NAME, LEGACY_KEY)] = StoredTokens("a" * 10, None).to_json()
    store = KeyringTokenStore()
    try:
        await store.delete(SIM, "141981764")
        assert list(memory_keyring.entries) == [(SERVICE_NAME, LEGACY_KEY)]
        await store.delete(TWITCH_AUTHORITY, "141981764")
        assert memory_keyring.entries == {}
    finally:
        store.close()


async def test_saved_tokens_are_masked_in_logs(memory_keyring: MemoryKeyring) -> None:
    store = KeyringTokenStore()
    try:
        await store.save(SIM, "1", StoredTokens("access-cccccccc", "refresh-dddddddd"))
    finally:
        store.close()
    assert mask_secrets("a=access-cccccccc r=refresh-dddddddd") == "a=[redacted] r=[redacted]"


def test_repr_never_shows_tokens() -> None:
    text = repr(StoredTokens("access-eeeeeeee", "refresh-ffffffff", ("a",)))
    assert "access-eeeeeeee" not in text
    assert "refresh-ffffffff" not in text


async def test_unreadable_entry_is_ignored(memory_keyring: MemoryKeyring) -> None:
    memory_keyring.entries[(SERVICE_NAME, f"twitch-user:9@{SIM}")] = "not json at all"
    store = KeyringTokenStore()
    try:
        with pytest.raises(json.JSONDecodeError):
            StoredTokens.from_json("not json at all")
        memory_keyring.entries[(SERVICE_NAME, f"twitch-user:9@{SIM}")] = '{"access_token": 5}'
        assert await store.load(SIM, "9") is None
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
    await store.save(SIM, "7", StoredTokens("access-gggggggg", None))
    assert await store.load(SIM, "7") == StoredTokens("access-gggggggg", None)
    assert await store.load(TWITCH_AUTHORITY, "7") is None
    await store.delete(SIM, "7")
    assert await store.load(SIM, "7") is None
    assert list(scratch_data_dir.rglob("*")) == []


REAL_KEYRING_SCRIPT = textwrap.dedent(
    """
    import asyncio, keyring
    from companion.auth.token_store import KeyringTokenStore, StoredTokens, backend_name
    print(backend_name())
    TWITCH = "https://id.twitch.tv/oauth2"
    SIM = "http://127.0.0.1:8080/oauth2"
    async def main():
        store = KeyringTokenStore(service="streamer-companion-test")
        try:
            tokens = StoredTokens("real-access-12345678", "real-refresh-12345678", ("a", "b"))
            await store.save(SIM, "42", tokens)
            loaded = await store.load(SIM, "42")
            assert loaded == tokens, loaded
            assert await store.load(TWITCH, "42") is None
            await store.delete(SIM, "42")
            assert await store.load(SIM, "42") is None
            print("round trip ok")
            # An entry an earlier version wrote (made for Twitch) moves to Twitch's key.
            keyring.set_password("streamer-companion-test", "twitch-user:43", tokens.to_json())
            assert await store.load(SIM, "43") is None
            assert await store.load(TWITCH, "43") == tokens
            assert keyring.get_password("streamer-companion-test", "twitch-user:43") is None
            new_key = "twitch-user:43@" + TWITCH
            assert keyring.get_password("streamer-companion-test", new_key) == tokens.to_json()
            await store.delete(TWITCH, "43")
            assert keyring.get_password("streamer-companion-test", new_key) is None
            print("migration ok")
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
        "migration ok",
    ]
    assert "real-access-12345678" not in result.stdout + result.stderr


async def test_a_refused_save_asks_once_and_keeps_this_run_in_memory() -> None:
    """Issue 20, item 14: concurrent refused saves share one question; after a yes, every
    save of the run stays in memory and the keyring is not asked to store again."""
    previous = keyring.get_keyring()
    backend = RefusingKeyring()
    keyring.set_keyring(backend)
    asked: list[str] = []
    answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()

    async def keep(error: KeyringRefused) -> bool:
        asked.append(type(error.__cause__).__name__)
        return await answer

    store = KeyringTokenStore(keep_in_memory=keep)
    try:
        first = StoredTokens("access-aaaaaaaa", "refresh-bbbbbbbb", ())
        second = StoredTokens("access-cccccccc", "refresh-dddddddd", ())
        saves = [
            asyncio.create_task(store.save(SIM, "1", first)),
            asyncio.create_task(store.save(SIM, "2", second)),
        ]
        await asyncio.sleep(0.1)
        assert asked == ["KeyringLocked"]
        assert not any(task.done() for task in saves)
        answer.set_result(True)
        await asyncio.gather(*saves)
        assert store.persistent is False
        assert await store.load(SIM, "1") == first
        assert await store.load(SIM, "2") == second
        refused_sets = [call for call in backend.calls if call[0] == "set"]
        assert len(refused_sets) == 2
        await store.save(SIM, "1", second)
        assert [call for call in backend.calls if call[0] == "set"] == refused_sets
        assert backend.entries == {}
        await store.delete(SIM, "1")
        assert await store.load(SIM, "1") is None
    finally:
        store.close()
        keyring.set_keyring(previous)


async def test_a_refused_save_without_a_yes_fails_and_keeps_nothing() -> None:
    previous = keyring.get_keyring()
    backend = RefusingKeyring(keyring.errors.PasswordSetError("no"))
    keyring.set_keyring(backend)

    async def decline(error: KeyringRefused) -> bool:
        return False

    stores = [KeyringTokenStore(keep_in_memory=decline), KeyringTokenStore()]
    try:
        for store in stores:
            with pytest.raises(KeyringRefused) as raised:
                await store.save(SIM, "1", StoredTokens("access-aaaaaaaa", None, ()))
            assert isinstance(raised.value.__cause__, keyring.errors.PasswordSetError)
            assert store.persistent is True
            assert await store.load(SIM, "1") is None
    finally:
        for store in stores:
            store.close()
        keyring.set_keyring(previous)
