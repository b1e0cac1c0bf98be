"""With no usable keyring the app says so, saves nothing, and signs in for this run only
when the streamer chooses that (pointed at a standalone simulator with --twitch-url)."""

from __future__ import annotations

import asyncio

import keyring
import keyring.backends.fail
import pytest

from companion.app import CompanionApp, parse_args
from companion.auth.token_store import SessionTokenStore, UnavailableTokenStore
from companion.sim import DEMO_BROADCASTER_LOGIN, DEMO_CLIENT_ID, SimConfig, Simulator


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@pytest.mark.qt_loop
async def test_no_keyring_offers_this_run_only(scratch_data_dir, monkeypatch, qapp) -> None:
    sim = Simulator(
        SimConfig(demo=True, auto_approve_login=DEMO_BROADCASTER_LOGIN, device_poll_interval=0.05)
    )
    await sim.start(port=0)
    previous = keyring.get_keyring()
    keyring.set_keyring(keyring.backends.fail.Keyring())
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None)
        assert isinstance(app.store, UnavailableTokenStore)
        notice = app.window.notice_bar
        assert notice.isVisible()
        assert notice.label.text() == (
            "No keyring (the system's password store) was found, so your Twitch sign-in "
            "cannot be saved. Start GNOME Keyring or KWallet and sign in again, or keep the "
            "sign-in for this run only. Nothing is saved to a file instead."
        )
        assert notice.action_button.text() == "Keep sign-in for this run only"
        notice.action_button.click()
        assert isinstance(app.store, SessionTokenStore)
        assert app.handler.store is app.store
        await until(lambda: app.session.user is not None)
        assert app.session.user.login == DEMO_BROADCASTER_LOGIN
        assert app.window.account_label.text() == "Signed in as DemoCaster"
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
        await sim.stop()
    # Nothing was written but settings and the ledger (the no-secrets test reads them all).
    names = sorted(p.name for p in scratch_data_dir.rglob("*") if p.is_file())
    assert names == ["ledger.sqlite3", "settings.ini"]
