"""Two channels signed in through the device flow, switched between, and one signed out:
tokens live in the keyring per account, settings hold only ids and logins."""

from __future__ import annotations

import asyncio
import json

import keyring
import pytest

from companion.app import CompanionApp, parse_args
from companion.auth.token_store import SERVICE_NAME
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from tests.helpers.memory_keyring import MemoryKeyring


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


async def sign_in_as(app: CompanionApp, sim: Simulator, user_id: str) -> None:
    app.spawn(app.sign_in(), name="sign-in")
    await until(lambda: app.signin.dialog is not None and app.signin.dialog.open_button.isEnabled())
    sim.state.approve_device(app.signin.dialog.code_label.text(), user_id)
    await until(lambda: app.session.user is not None and app.session.user.id == user_id)


@pytest.mark.qt_loop
async def test_two_accounts_switch_and_sign_out(scratch_data_dir, monkeypatch, qapp) -> None:
    sim = Simulator(SimConfig(demo=True, device_poll_interval=0.05))
    await sim.start(port=0)
    second = sim.state.create_user("secondcaster", "SecondCaster", "affiliate")["id"]
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    first = sim.demo_broadcaster_id
    try:
        await until(lambda: app.session is not None)
        await sign_in_as(app, sim, first)
        await sign_in_as(app, sim, second)
        authority = sim.oauth_url
        assert app.settings.accounts(authority) == {first: "democaster", second: "secondcaster"}
        assert app.settings.active_account(authority) == second
        assert sorted(app.account_menu_actions) == sorted([first, second])
        first_key = f"twitch-user:{first}@{authority}"
        second_key = f"twitch-user:{second}@{authority}"
        assert sorted(user for _, user in backend.entries) == sorted([first_key, second_key])
        assert app.window.account_label.text() == "Signed in as SecondCaster"

        app.account_menu_actions[first].trigger()
        await until(lambda: app.session.user is not None and app.session.user.id == first)
        assert app.window.account_label.text() == "Signed in as DemoCaster"
        assert app.settings.active_account(authority) == first
        assert app.panels.goals.broadcaster is not None
        assert app.panels.goals.broadcaster.id == first

        first_token = json.loads(backend.entries[(SERVICE_NAME, first_key)])
        await app.sign_out()
        assert (SERVICE_NAME, first_key) not in backend.entries
        assert (SERVICE_NAME, second_key) in backend.entries
        assert app.settings.accounts(authority) == {second: "secondcaster"}
        assert app.settings.active_account(authority) is None
        record = sim.state.lookup_access_token(first_token["access_token"])
        assert record is not None and record.revoked
        assert app.session.user is None
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
        await sim.stop()
    settings_text = (scratch_data_dir / "settings.ini").read_text(encoding="utf-8")
    assert "secondcaster" in settings_text
    assert first_token["access_token"] not in settings_text
