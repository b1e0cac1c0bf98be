"""``--twitch-url``: tokens stay with the authority that issued them (issue 20.1), and the
simulator's discovery route supplies the demo client id when none is configured (15.3).

The scenario of the audit: a real Twitch account is signed in (its tokens in the keyring
under the key versions before this fix used, its id remembered in settings), then the app
is started with ``--twitch-url`` pointing at a standalone simulator on loopback. Before the
fix the app sent that account's access token to the simulator's ``/oauth2/validate`` and its
refresh token to ``/oauth2/token``, over plain http.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

import keyring
import pytest
from PySide6.QtCore import QSettings

from companion import cli
from companion.app import CompanionApp, parse_args
from companion.auth.token_store import SERVICE_NAME
from companion.sim import DEMO_BROADCASTER_LOGIN, DEMO_CLIENT_ID, SimConfig
from companion.twitch.authority import TWITCH_AUTHORITY
from companion.ui.settings import SETTINGS_FILE_NAME
from tests.helpers.memory_keyring import MemoryKeyring
from tests.helpers.recording_sim import RecordingSimulator

if TYPE_CHECKING:
    from pathlib import Path

# Synthetic stand-ins for real accounts' tokens (long enough to be masked in logs).
REAL_ACCESS = "realtwitchaccess0000000000000a"
REAL_REFRESH = "realtwitchrefresh00000000000000000000000000000000b"
OTHER_ACCESS = "othertwitchaccess000000000000c"
OTHER_REFRESH = "othertwitchrefresh0000000000000000000000000000000d"
REAL_TOKENS = (REAL_ACCESS, REAL_REFRESH, OTHER_ACCESS, OTHER_REFRESH)
#: A second real account, already stored under Twitch's authority key.
OTHER_USER = "900000001"


async def until(predicate, timeout: float = 10.0, what: object = None) -> None:
    try:
        async with asyncio.timeout(timeout):
            while not predicate():
                await asyncio.sleep(0.02)
    except TimeoutError:
        raise AssertionError(f"not reached within {timeout} s: {what() if what else ''}") from None


def entry(access: str, refresh: str) -> str:
    scopes = ["channel:manage:redemptions"]
    return json.dumps({"access_token": access, "refresh_token": refresh, "scopes": scopes})


def seed_real_accounts(data_dir: Path, backend: MemoryKeyring, user_id: str) -> list[str]:
    """Two real Twitch accounts: ``user_id`` as an earlier version left it (keyring key
    without an authority: all were made for id.twitch.tv) and active in settings keys that
    version wrote; OTHER_USER under Twitch's authority key. Returns the two keyring keys."""
    keys = [f"twitch-user:{user_id}", f"twitch-user:{OTHER_USER}@{TWITCH_AUTHORITY}"]
    backend.entries[(SERVICE_NAME, keys[0])] = entry(REAL_ACCESS, REAL_REFRESH)
    backend.entries[(SERVICE_NAME, keys[1])] = entry(OTHER_ACCESS, OTHER_REFRESH)
    settings = QSettings(str(data_dir / SETTINGS_FILE_NAME), QSettings.Format.IniFormat)
    accounts = {user_id: "realcaster", OTHER_USER: "othercaster"}
    settings.setValue("auth/accounts", json.dumps(accounts))
    settings.setValue("auth/active_account", user_id)
    settings.sync()
    return keys


def carrying_real_tokens(sim: RecordingSimulator) -> list[object]:
    return [r for token in REAL_TOKENS for r in sim.carrying(token)]


def start_up_done(app: CompanionApp) -> bool:
    return app.session is not None and not any(task.get_name() == "start-up" for task in app._tasks)


@pytest.mark.qt_loop
async def test_simulator_url_gets_no_real_token_and_supplies_the_client_id(
    scratch_data_dir, monkeypatch, qapp, caplog
) -> None:
    caplog.set_level(logging.INFO, logger="companion")
    sim = RecordingSimulator(
        SimConfig(demo=True, auto_approve_login=DEMO_BROADCASTER_LOGIN, device_poll_interval=0.05)
    )
    await sim.start(port=0)
    # The worst case: the simulator's demo broadcaster has the real account's user id, so a
    # lookup by account alone would find the real tokens.
    user_id = sim.demo_broadcaster_id
    assert user_id is not None
    backend = MemoryKeyring()
    real_keys = seed_real_accounts(scratch_data_dir, backend, user_id)
    real_entries = dict(backend.entries)
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.delenv("COMPANION_CLIENT_ID", raising=False)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: start_up_done(app), what=sim.sequence)
        # Start-up: only the discovery request, and no keyring read at all.
        assert sim.sequence() == ["GET /_sim/info"]
        assert carrying_real_tokens(sim) == []
        assert backend.calls == []
        assert app.handler.client_id == DEMO_CLIENT_ID
        assert (
            f"no Twitch client id is configured; using the simulator's demo client id "
            f"{DEMO_CLIENT_ID} from {sim.base_url}/_sim/info"
        ) in caplog.messages
        assert app.session.user is None

        app.spawn(app.sign_in(), name="sign-in")
        await until(lambda: app.session.user is not None, what=sim.sequence)
        # The sign-in validates the new token to learn whose it is; activating the account
        # uses that validated token (no second validation of the same token).
        assert sim.sequence()[:5] == [
            "GET /_sim/info",
            "POST /oauth2/device",
            "POST /oauth2/token",
            "GET /oauth2/validate",
            "GET /helix/users",
        ]
        device, poll, validate, users = sim.received[1:5]
        assert parse_qs(device.body.decode())["client_id"] == [DEMO_CLIENT_ID]
        assert parse_qs(poll.body.decode())["client_id"] == [DEMO_CLIENT_ID]
        assert users.headers["Client-Id"] == DEMO_CLIENT_ID
        assert app.window.account_label.text() == "Signed in as DemoCaster"

        sim_key = f"twitch-user:{user_id}@{sim.oauth_url}"
        # The new sign-in is stored under the simulator's authority; the real account's
        # entry was never read, rewritten or deleted.
        assert {username for _op, _service, username in backend.calls} == {sim_key}
        assert {key: backend.entries[key] for key in real_entries} == real_entries
        assert len(backend.entries) == len(real_keys) + 1
        stored = json.loads(backend.entries[(SERVICE_NAME, sim_key)])
        assert stored["access_token"] != REAL_ACCESS
        assert validate.headers["Authorization"] == f"OAuth {stored['access_token']}"
        # Remembered accounts are per authority too.
        assert app.settings.accounts(TWITCH_AUTHORITY) == {
            user_id: "realcaster",
            OTHER_USER: "othercaster",
        }
        assert app.settings.active_account(TWITCH_AUTHORITY) == user_id
        assert app.settings.accounts(sim.oauth_url) == {user_id: DEMO_BROADCASTER_LOGIN}
        # The account menu offers this authority's accounts only.
        assert sorted(app.account_menu_actions) == [user_id]
        assert app.settings.active_account(sim.oauth_url) == user_id
    finally:
        app.request_quit(0)
        code = await asyncio.wait_for(runner, timeout=10)
        keyring.set_keyring(previous)
        await sim.stop()
    assert code == 0
    # Nothing that reached the simulator, first request to last, carried a real token.
    assert carrying_real_tokens(sim) == []


@pytest.mark.qt_loop
async def test_restart_against_the_simulator_resumes_its_own_account(
    scratch_data_dir, monkeypatch, qapp
) -> None:
    """The simulator's account is remembered under its authority and comes back at start;
    the real account stays remembered (and untouched) under Twitch's."""
    sim = RecordingSimulator(SimConfig(demo=True, device_poll_interval=0.05))
    await sim.start(port=0)
    user_id = sim.demo_broadcaster_id
    assert user_id is not None
    backend = MemoryKeyring()
    real_keys = seed_real_accounts(scratch_data_dir, backend, user_id)
    issued = sim.state.issue_user_token(DEMO_CLIENT_ID, user_id, ["channel:read:goals"])
    sim_key = f"twitch-user:{user_id}@{sim.oauth_url}"
    backend.entries[(SERVICE_NAME, sim_key)] = json.dumps(
        {
            "access_token": issued["access_token"],
            "refresh_token": issued["refresh_token"],
            "scopes": ["channel:read:goals"],
        }
    )
    settings = QSettings(str(scratch_data_dir / SETTINGS_FILE_NAME), QSettings.Format.IniFormat)
    settings.setValue(
        "auth/authorities",
        json.dumps({sim.oauth_url: {"accounts": {user_id: "democaster"}, "active": user_id}}),
    )
    settings.sync()
    del settings
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.session.user is not None)
        # A client id was configured: no discovery request.
        assert sim.sequence()[:2] == ["GET /oauth2/validate", "GET /helix/users"]
        assert {username for _op, _service, username in backend.calls} == {sim_key}
        assert app.settings.accounts(TWITCH_AUTHORITY) == {
            user_id: "realcaster",
            OTHER_USER: "othercaster",
        }
        assert all((SERVICE_NAME, key) in backend.entries for key in real_keys)
    finally:
        app.request_quit(0)
        code = await asyncio.wait_for(runner, timeout=10)
        keyring.set_keyring(previous)
        await sim.stop()
    assert code == 0
    assert carrying_real_tokens(sim) == []


@pytest.mark.parametrize(
    "url", ["http://192.0.2.10:8080", "http://twitch.example", "ftp://127.0.0.1:8080"]
)
def test_twitch_url_in_plain_http_to_another_machine_is_refused_at_once(
    url: str, capsys: pytest.CaptureFixture[str], scratch_data_dir: Path
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["--twitch-url", url])
    assert caught.value.code == 2
    err = capsys.readouterr().err
    assert "argument --twitch-url:" in err
    if url.startswith("http:"):
        host = url.split("//")[1].split(":")[0]
        assert f"refusing plain http:// to {host} for the --twitch-url URL" in err
    # Refused before anything started: no log, no settings, no ledger.
    assert list(scratch_data_dir.iterdir()) == []


@pytest.mark.parametrize("url", ["http://127.0.0.1:8080", "http://[::1]:8080", "https://x.test"])
def test_twitch_url_on_this_machine_or_over_https_is_accepted(url: str) -> None:
    assert parse_args(["--twitch-url", url]).twitch_url == url


@pytest.mark.qt_loop
async def test_twitch_itself_is_never_asked_for_a_client_id(
    scratch_data_dir, monkeypatch, qapp, caplog
) -> None:
    """Without --twitch-url (Twitch) and no client id: no discovery, no request at all, and
    sign-in says a client id is needed."""
    caplog.set_level(logging.INFO, logger="companion")
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    monkeypatch.delenv("COMPANION_CLIENT_ID", raising=False)
    app = CompanionApp(qapp, parse_args([]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: start_up_done(app))
        await app.sign_in()
        assert app.handler.client_id == ""
        assert app.window.notice_bar.label.text().startswith("No Twitch client id is set.")
        # The client never even opened its HTTP session: nothing was sent anywhere.
        assert app.client.http._session is None
        assert not [m for m in caplog.messages if "simulator" in m or "_sim/info" in m]
    finally:
        app.request_quit(0)
        code = await asyncio.wait_for(runner, timeout=10)
        keyring.set_keyring(previous)
    assert code == 0
