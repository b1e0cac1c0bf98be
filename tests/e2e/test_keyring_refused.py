"""Issue 20, item 14: a keyring that refuses to store the tokens after the streamer approved
the sign-in (a locked Secret Service) offers "keep for this run only", as no keyring does.

The real app in-process against the simulator (``--twitch-url``), the device flow approved
through the simulator, and an in-memory keyring backend whose ``set_password`` raises what
keyring's Secret Service backend raises for a collection that will not unlock.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import keyring
import keyring.errors
import pytest

from companion.app import CompanionApp, parse_args
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from tests.helpers.memory_keyring import RefusingKeyring

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

LOCKED_OFFER = (
    "Your keyring is locked, so your Twitch sign-in cannot be read or saved. Unlock it and "
    "sign in again, or keep this sign-in for this run only. Nothing is saved to a file "
    "instead."
)
KEEP = "Keep sign-in for this run only"


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def app_with(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, backend: RefusingKeyring
) -> AsyncIterator[tuple[CompanionApp, Simulator]]:
    sim = Simulator(SimConfig(demo=True, device_poll_interval=0.05))
    await sim.start(port=0)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.signin is not None)
        yield app, sim
        assert not runner.done()
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
        await sim.stop()


async def approve_sign_in(app: CompanionApp, sim: Simulator) -> None:
    """The streamer starts a sign-in and approves it on Twitch (the simulator)."""
    app.spawn(app.sign_in(), name="sign-in")
    await until(lambda: app.signin.dialog is not None and app.signin.dialog.open_button.isEnabled())
    sim.state.approve_device(app.signin.dialog.code_label.text(), sim.demo_broadcaster_id)
    await until(lambda: app.signin.dialog is None)


async def test_locked_keyring_offers_this_run_only_and_keeps_the_approved_sign_in(
    qapp, monkeypatch, scratch_data_dir
) -> None:
    backend = RefusingKeyring()
    async with app_with(qapp, monkeypatch, backend) as (app, sim):
        await approve_sign_in(app, sim)
        notice = app.window.notice_bar
        await until(lambda: notice.isVisible() and notice.action_button.isVisible())
        assert notice.label.text() == LOCKED_OFFER
        assert notice.action_button.text() == KEEP
        assert app.session.user is None  # nothing is active until the streamer chooses
        assert [call[0] for call in backend.calls if call[0] == "set"] == ["set"]
        assert backend.entries == {}
        devices = len(sim.state.device_codes)

        notice.action_button.click()
        # The sign-in just approved is used: no second device code, no second approval.
        await until(lambda: app.session.user is not None)
        assert app.session.user.id == sim.demo_broadcaster_id
        assert app.window.account_label.text() == "Signed in as DemoCaster"
        assert len(sim.state.device_codes) == devices
        assert app.store is not None and app.store.persistent is False
        assert backend.entries == {}

        # A refresh later in the run also stays in memory: the keyring is not asked again.
        sets = len([c for c in backend.calls if c[0] == "set"])
        old = await app.store.load(sim.oauth_url, sim.demo_broadcaster_id)
        assert old is not None
        sim.state.expire_token(old.access_token)
        assert await app.session.validate_now() is True
        new = await app.store.load(sim.oauth_url, sim.demo_broadcaster_id)
        assert new is not None and new.access_token != old.access_token
        assert len([c for c in backend.calls if c[0] == "set"]) == sets
        assert backend.entries == {}
    # Nothing was written but settings and the ledger.
    names = sorted(p.name for p in scratch_data_dir.rglob("*") if p.is_file())
    assert names == ["ledger.sqlite3", "settings.ini"]


@pytest.mark.parametrize(
    "error",
    [
        keyring.errors.PasswordSetError("Can't store password on keychain"),
        keyring.errors.InitError("Failed to create the collection: Prompt dismissed."),
    ],
    ids=["PasswordSetError", "InitError"],
)
async def test_other_refusals_offer_it_too_and_dismiss_keeps_nothing(
    qapp, monkeypatch, scratch_data_dir, error: keyring.errors.KeyringError
) -> None:
    backend = RefusingKeyring(error)
    async with app_with(qapp, monkeypatch, backend) as (app, sim):
        await approve_sign_in(app, sim)
        notice = app.window.notice_bar
        await until(lambda: notice.isVisible() and notice.action_button.isVisible())
        assert notice.action_button.text() == KEEP
        assert notice.label.text().endswith(
            "Unlock it and sign in again, or keep this sign-in for this run only. Nothing is "
            "saved to a file instead."
        )
        notice.dismiss_button.click()
        await asyncio.sleep(0.3)
        # Declined: not signed in, nothing kept, the account not remembered.
        assert app.session.user is None
        assert backend.entries == {}
        assert app.settings.accounts(sim.oauth_url) == {}
        assert app.store is not None and app.store.persistent is True


#: Run in a private D-Bus session with its own gnome-keyring: the login collection is made,
#: then locked (as after a screen lock), and nobody can answer the unlock prompt (no display).
_LOCKED_CHILD = """
import asyncio, contextlib, json, keyring, secretstorage
from companion.auth.token_store import KeyringRefused, KeyringTokenStore, StoredTokens

with contextlib.closing(secretstorage.dbus_init()) as bus:
    collection = secretstorage.get_default_collection(bus)
    collection.lock()
    assert collection.is_locked()

AUTHORITY = "https://id.twitch.tv/oauth2"
asked = []

async def agree(error):
    asked.append(type(error.__cause__).__name__)
    return True

async def main():
    tokens = StoredTokens("sim-access-token-0123456789", "sim-refresh-token-0123456789", ())
    refusing = KeyringTokenStore()
    try:
        await refusing.save(AUTHORITY, "42", tokens)
        refused = None
    except KeyringRefused as error:
        refused = type(error.__cause__).__name__
    store = KeyringTokenStore(keep_in_memory=agree)
    await store.save(AUTHORITY, "42", tokens)
    await store.save(AUTHORITY, "42", tokens)  # asked once per run, not per save
    kept = await store.load(AUTHORITY, "42")
    print(json.dumps({
        "backend": type(keyring.get_keyring()).__module__,
        "refused": refused,
        "asked": asked,
        "persistent": store.persistent,
        "kept": kept == tokens,
    }))
    refusing.close()
    store.close()

asyncio.run(main())
"""


@pytest.mark.keyring_real
def test_a_real_locked_secret_service_is_a_refusal_and_this_run_keeps_it(tmp_path) -> None:
    """The real backend on a locked gnome-keyring raises what the offer is made for."""
    assert shutil.which("dbus-run-session"), "scripts/dev installs dbus (dbus-run-session)"
    assert shutil.which("gnome-keyring-daemon"), "scripts/dev installs gnome-keyring"
    script = tmp_path / "locked_child.py"
    script.write_text(_LOCKED_CHILD, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith("DBUS_")}
    env.pop("PYTHON_KEYRING_BACKEND", None)
    env["HOME"] = str(tmp_path)  # a keyring folder of its own: no login keyring in it
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    result = subprocess.run(
        [
            "dbus-run-session",
            "--",
            "sh",
            "-c",
            "printf locked-test | gnome-keyring-daemon --unlock --components=secrets"
            ' >/dev/null 2>&1; exec "$0" "$1"',
            sys.executable,
            str(script),
        ],
        env=env,
        cwd=Path(__file__).resolve().parents[2],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    outcome = json.loads(result.stdout.strip().splitlines()[-1])
    assert outcome == {
        "backend": "keyring.backends.SecretService",
        "refused": "KeyringLocked",
        "asked": ["KeyringLocked"],
        "persistent": False,
        "kept": True,
    }
