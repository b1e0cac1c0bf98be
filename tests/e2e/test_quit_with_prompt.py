"""Issue 20, item 4: Quit completes within 5 s whatever is pending, the re-login prompt too.

The real app as a subprocess against the simulator as a subprocess (``--twitch-url``),
signed in with a token the simulator minted (a seeded in-memory keyring), live events up.
The test withdraws the app's authorization through the simulator's control API (what
"Disconnect" on twitch.tv does): the re-login prompt opens and everything that needs a
token waits for it. Nobody answers it; SIGTERM must still end the app within 5 s, with
exit code 0 and a complete shutdown in the log.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from PySide6.QtCore import QSettings

from companion.auth.token_store import SERVICE_NAME, StoredTokens, account_key
from companion.core.scopes import scopes_for
from companion.ui.settings import PANEL_KEYS, SETTINGS_FILE_NAME, AppSettings
from tests.e2e.test_app_process import app_env, wait_for_log
from tests.helpers.memory_keyring import SEED_ENV
from tests.helpers.sim_process import SimProcess, sim_control, sim_process

if TYPE_CHECKING:
    from collections.abc import Mapping

REPO = Path(__file__).resolve().parents[2]

#: Quit, whatever is pending, takes at most this long (seconds).
QUIT_WITHIN = 5.0


def signed_in_env(data_dir: Path, sim: SimProcess, login: str = "democaster") -> dict[str, str]:
    """The app's environment: a keyring holding a fresh simulator token for the demo
    broadcaster, and settings naming that account as the active one at the simulator."""
    minted = sim_control(
        sim,
        "tokens/user",
        {
            "client_id": sim.client_id,
            "user_id": sim.broadcaster_id,
            "scopes": scopes_for(PANEL_KEYS),
        },
    )
    tokens = StoredTokens(
        minted["access_token"], minted["refresh_token"], tuple(scopes_for(PANEL_KEYS))
    )
    settings = AppSettings(
        QSettings(str(data_dir / SETTINGS_FILE_NAME), QSettings.Format.IniFormat)
    )
    settings.set_accounts(sim.oauth_url, {sim.broadcaster_id: login})
    settings.set_active_account(sim.oauth_url, sim.broadcaster_id)
    settings.sync()
    env = app_env(data_dir)
    env["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.SeededMemoryKeyring"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), env.get("PYTHONPATH")]))
    seed = [[SERVICE_NAME, account_key(sim.oauth_url, sim.broadcaster_id), tokens.to_json()]]
    env[SEED_ENV] = json.dumps(seed)
    env["COMPANION_CLIENT_ID"] = sim.client_id
    return env


def start_app(env: Mapping[str, str], *args: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "companion", *args],
        env=dict(env),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    ("latency", "in_flight"),
    [
        # The queue's read answers 401 while the prompt is open: its refresh is refused
        # and it waits for the prompt (the chain that held Quit for 11 minutes).
        (2.0, "GET /channel_points/custom_rewards: 401"),
        # The queue's read is still on the wire when Quit comes (a slow network).
        (30.0, None),
    ],
    ids=["request-waits-for-prompt", "slow-request"],
)
def test_sigterm_with_the_relogin_prompt_open_quits_within_5s(
    scratch_data_dir: Path, latency: float, in_flight: str | None
) -> None:
    log = scratch_data_dir / "logs" / "companion.log"
    with sim_process("--no-auto-approve", "--traffic-rate", "0") as sim:
        env = signed_in_env(scratch_data_dir, sim)
        # The queue's first read of the channel's rewards is slow to answer.
        sim_control(
            sim,
            "faults",
            {"kind": "latency", "seconds": latency, "prefix": "/helix/channel_points"},
        )
        app = start_app(env, "--twitch-url", sim.base_url)
        try:
            wait_for_log(log, "signed in as democaster", timeout=30)
            sim_control(
                sim,
                "tokens/revoke_user",
                {"client_id": sim.client_id, "user_id": sim.broadcaster_id},
            )
            wait_for_log(log, "; asking again", timeout=20)
            if in_flight is not None:
                wait_for_log(log, in_flight, timeout=20)
                wait_for_log(log, "expired and could not be refreshed", timeout=20)
            time.sleep(0.5)
            assert app.poll() is None
            started = time.monotonic()
            app.send_signal(signal.SIGTERM)
            code = app.wait(timeout=60)
            took = time.monotonic() - started
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    text = log.read_text(encoding="utf-8")
    assert took < QUIT_WITHIN, f"quit took {took:.1f} s"
    assert code == 0
    assert "closing the sign-in prompt: the app is quitting" in text
    assert "shutdown complete" in text
    assert text.rstrip().endswith("exit code 0")
    # Quitting is not declining: the account is not signed out, its entry not deleted.
    assert "signed out" not in text


def test_sigterm_while_a_keyring_call_waits_for_its_unlock_prompt(scratch_data_dir: Path) -> None:
    """A keyring read that never returns (a locked Secret Service's unlock prompt left
    open) does not keep the app alive after Quit."""
    log = scratch_data_dir / "logs" / "companion.log"
    with sim_process("--no-auto-approve", "--traffic-rate", "0") as sim:
        env = signed_in_env(scratch_data_dir, sim)
        env["PYTHON_KEYRING_BACKEND"] = "tests.helpers.memory_keyring.UnansweredKeyring"
        app = start_app(env, "--twitch-url", sim.base_url)
        try:
            wait_for_log(log, "main window shown", timeout=30)
            time.sleep(1.0)  # the start-up reads the account's token: it never returns
            assert app.poll() is None
            assert "signed in as" not in log.read_text(encoding="utf-8")
            started = time.monotonic()
            app.send_signal(signal.SIGTERM)
            code = app.wait(timeout=60)
            took = time.monotonic() - started
        finally:
            if app.poll() is None:
                app.kill()
                app.wait()
    text = log.read_text(encoding="utf-8")
    assert took < QUIT_WITHIN, f"quit took {took:.1f} s"
    assert code == 0
    assert "shutdown complete" in text
    assert text.rstrip().endswith("exit code 0")
