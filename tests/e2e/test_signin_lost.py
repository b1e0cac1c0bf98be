"""A sign-in Twitch no longer accepts is shown at once, everywhere, and can be recovered.

The real app in-process against the simulator (``--twitch-url``, the device flow approved
through the simulator, an in-memory keyring), with real widgets. For each of the four ways
a token dies, the re-login prompt (non-modal) must be open within 2 s, and the status bar,
the tray tooltip and the disabled panels must say why, word for word:

* EventSub ``revocation`` with ``authorization_revoked`` (``/_sim/tokens/revoke_user``);
* a ``user.authorization.revoke`` notification;
* the periodic validation answering 401, its refresh refused;
* a request whose refresh is refused;

and at start-up, a stored token that is already dead (validation 401, refresh refused).

What the streamer was doing is kept: an action inside its undo window waits while signed
out and goes out after the re-login; a half-typed form is still there; declining the
prompt reports the waiting action as not sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import aiohttp
import keyring
import pytest
from PySide6.QtCore import Qt

from companion.app import OVERLAY_START_WAIT, CompanionApp, parse_args
from companion.auth.token_store import SERVICE_NAME, StoredTokens, account_key
from companion.core.queue_events import RowState
from companion.core.scopes import scopes_for
from companion.services.queue_service import NOT_SENT_SIGNED_OUT
from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator, control_headers
from companion.twitch.eventsub_messages import parse_notification
from companion.ui.polls_panel import PollsPanel
from companion.ui.settings import PANEL_KEYS
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

pytestmark = pytest.mark.qt_loop

#: The re-login prompt must be open this soon after the token died (seconds).
PROMPT_WITHIN = 2.0

REVOKED_STATUS = "Not signed in: Twitch withdrew access to DemoCaster"
REVOKED_BANNER = (
    "Twitch says Streamer Companion may no longer use DemoCaster's account. Sign in again to "
    "continue; your queue and anything you were typing are kept."
)
EXPIRED_STATUS = "Not signed in: DemoCaster's sign-in expired"
EXPIRED_BANNER = (
    "Twitch no longer accepts DemoCaster's sign-in and would not renew it. Sign in again to "
    "continue; your queue and anything you were typing are kept."
)
TWITCH_PANELS = ["Rewards", "Queue", "Predictions", "Polls", "Goals", "Extensions"]


async def until(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def control(sim: Simulator, path: str, body: dict[str, Any]) -> Any:
    """A call to the simulator's control API (``/_sim/...``), as a test script would."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sim.control_url}/{path}", json=body, headers=control_headers(sim.control_token)
        ) as response,
    ):
        assert response.status == 200, await response.text()
        return (await response.json())["data"]


async def spend_refresh_token(sim: Simulator, refresh_token: str) -> None:
    """Another device uses the refresh token first (device-flow refresh tokens work once)."""
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"{sim.oauth_url}/token",
            data={
                "grant_type": "refresh_token",
                "refresh_token": refresh_token,
                "client_id": DEMO_CLIENT_ID,
            },
        ) as response,
    ):
        assert response.status == 200


def stored_tokens(backend: MemoryKeyring, app: CompanionApp, user_id: str) -> dict[str, Any] | None:
    assert app.authority is not None
    text = backend.entries.get((SERVICE_NAME, account_key(app.authority, user_id)))
    return json.loads(text) if text is not None else None


async def approve_prompt(app: CompanionApp, sim: Simulator) -> None:
    """The streamer enters the new code on Twitch (the simulator approves it)."""
    await until(lambda: app.signin.dialog is not None and app.signin.dialog.open_button.isEnabled())
    sim.state.approve_device(app.signin.dialog.code_label.text(), sim.demo_broadcaster_id)


@contextlib.asynccontextmanager
async def signed_in_app(
    qapp: Any, monkeypatch: pytest.MonkeyPatch, *, validate_every: float | None = None
) -> AsyncIterator[tuple[CompanionApp, Simulator, MemoryKeyring]]:
    """The app signed in to the demo channel through the device flow, live events up."""
    sim = Simulator(SimConfig(demo=True, device_poll_interval=0.05))
    await sim.start(port=0)
    backend = MemoryKeyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.signin is not None)
        if validate_every is not None:
            app.session.validate_every = validate_every
        app.spawn(app.sign_in(), name="sign-in")
        await approve_prompt(app, sim)
        await until(lambda: app.session.user is not None)
        await until(lambda: app.signin.dialog is None)
        await until(lambda: app.live.client is not None and app.live.client.session_id is not None)
        await until(lambda: len(app.panels.queue.queue) == 3)  # the demo's waiting three
        await until(lambda: app.tray.queue_count == 3)
        assert app.window.account_label.text() == "Signed in as DemoCaster"
        assert app.window.disabled_panels() == []
        yield app, sim, backend
        assert not runner.done()
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
        await sim.stop()


async def prompt_and_state(app: CompanionApp, since: float, status: str, banner: str) -> float:
    """Wait for the prompt (at most 2 s after ``since``), then check every signed-out sign.

    Returns:
        Seconds from ``since`` to the open prompt.
    """
    await until(
        lambda: app.signin.dialog is not None and app.signin.dialog.isVisible(), PROMPT_WITHIN
    )
    elapsed = time.monotonic() - since
    dialog = app.signin.dialog
    assert dialog.windowModality() is Qt.WindowModality.NonModal
    assert not dialog.isModal()
    assert app.session.user is None
    assert app.window.account_label.text() == status
    assert app.tray.tooltip == f"Streamer Companion: {status}\n3 redemptions waiting"
    assert app.window.sign_in_bar.isVisibleTo(app.window)
    assert app.window.sign_in_bar.label.text() == banner
    assert app.window.disabled_panels() == TWITCH_PANELS
    assert_pinned_signed_out(app, status, banner)
    return elapsed


def assert_pinned_signed_out(app: CompanionApp, status: str, banner: str) -> None:
    """The always-on-top queue says it too, and its F, R and buttons are off."""
    pinned = app.panels.pinned
    assert pinned.signed_out_bar.isVisibleTo(pinned)
    assert pinned.signed_out_label.text() == status
    assert pinned.signed_out_bar.toolTip() == banner
    assert not pinned.view.isEnabled()
    assert not pinned.view.fulfill_button.isEnabled()


async def back_in(app: CompanionApp, sim: Simulator, waiting: int = 3) -> None:
    """Approve the re-login; the account and every panel come back."""
    await approve_prompt(app, sim)
    await until(lambda: app.session.user is not None and app.signin.dialog is None)
    await until(lambda: app.tray.queue_count == waiting)
    assert app.window.account_label.text() == "Signed in as DemoCaster"
    assert not app.window.sign_in_bar.isVisibleTo(app.window)
    assert app.window.disabled_panels() == []
    assert not app.panels.pinned.signed_out_bar.isVisibleTo(app.panels.pinned)
    assert app.panels.pinned.view.isEnabled()
    assert app.tray.tooltip == (
        f"Streamer Companion: {waiting} redemption{'s' if waiting != 1 else ''} waiting"
    )
    await until(lambda: app.live.client is not None and app.live.client.session_id is not None)


def polls_panel(app: CompanionApp) -> PollsPanel:
    for index in range(app.window.tabs.count()):
        widget = app.window.tabs.widget(index)
        if isinstance(widget, PollsPanel):
            return widget
    raise AssertionError("no polls panel")


async def test_eventsub_authorization_revoked(qapp, monkeypatch, scratch_data_dir) -> None:
    async with signed_in_app(qapp, monkeypatch) as (app, sim, backend):
        user_id = sim.demo_broadcaster_id
        old = stored_tokens(backend, app, user_id)
        # The streamer fulfils a redemption (1 s to undo) and starts typing a poll...
        app.set_undo_seconds(1.0)
        redemption = app.panels.queue.queue.ids()[0]
        assert app.panels.queue.fulfill([redemption]) is not None
        polls = polls_panel(app)
        polls.form.title_edit.setText("Which boss next?")
        # ...when they disconnect the app on twitch.tv.
        since = time.monotonic()
        await control(sim, "tokens/revoke_user", {"client_id": DEMO_CLIENT_ID, "user_id": user_id})
        elapsed = await prompt_and_state(app, since, REVOKED_STATUS, REVOKED_BANNER)
        assert elapsed < PROMPT_WITHIN

        # The undo window closes while signed out: the action waits, nothing is sent.
        await until(lambda: app.panels.queue.queue.get(redemption).state is RowState.SENDING)
        await asyncio.sleep(0.3)
        assert sim.state.redemptions[redemption].status == "UNFULFILLED"
        assert app.panels.queue.held

        await back_in(app, sim, waiting=2)
        # The held action went out with the new token; the form kept its text.
        await until(lambda: sim.state.redemptions[redemption].status == "FULFILLED")
        assert app.panels.queue.queue.get(redemption) is None
        assert not app.panels.queue.held
        assert polls.form.title_edit.text() == "Which boss next?"
        assert polls.isEnabled()
        new = stored_tokens(backend, app, user_id)
        assert new is not None and old is not None
        assert new["access_token"] != old["access_token"]


async def test_user_authorization_revoke_notification(qapp, monkeypatch, scratch_data_dir) -> None:
    async with signed_in_app(qapp, monkeypatch) as (app, sim, _backend):
        user_id = sim.demo_broadcaster_id

        def notification(client_id: str) -> Any:
            # Twitch delivers user.authorization.revoke to webhooks and conduits only (its
            # EventSub reference; the twitch-reference is silent), so neither Twitch nor the
            # simulator sends it on the app's WebSocket. It is handed to LiveEvents the way
            # the EventSub client hands over every notification it parsed.
            metadata = {
                "message_id": f"revoke-{client_id}",
                "message_type": "notification",
                "message_timestamp": datetime.now(UTC).isoformat(),
                "subscription_type": "user.authorization.revoke",
                "subscription_version": "1",
            }
            payload = {
                "subscription": {
                    "type": "user.authorization.revoke",
                    "version": "1",
                    "status": "enabled",
                    "condition": {"client_id": client_id},
                },
                "event": {
                    "client_id": client_id,
                    "user_id": user_id,
                    "user_login": "democaster",
                    "user_name": "DemoCaster",
                },
            }
            return parse_notification(app.client.http, metadata, payload, datetime.now(UTC))

        # Another app's authorization is none of this app's business.
        app.live.deliver(notification("someotherappclientid"))
        await asyncio.sleep(0.2)
        assert app.session.user is not None
        assert app.signin.dialog is None

        since = time.monotonic()
        app.live.deliver(notification(DEMO_CLIENT_ID))
        elapsed = await prompt_and_state(app, since, REVOKED_STATUS, REVOKED_BANNER)
        assert elapsed < PROMPT_WITHIN
        await back_in(app, sim)


async def test_validation_401_and_refused_refresh(qapp, monkeypatch, scratch_data_dir) -> None:
    async with signed_in_app(qapp, monkeypatch, validate_every=0.5) as (app, sim, backend):
        user_id = sim.demo_broadcaster_id
        tokens = stored_tokens(backend, app, user_id)
        assert tokens is not None
        await until(lambda: app.session.validations >= 1)  # the timer runs
        # The refresh token was spent by another device, then the access token dies without
        # any EventSub message: only the validation can notice (the app is idle).
        await spend_refresh_token(sim, tokens["refresh_token"])
        validations = app.session.validations
        since = time.monotonic()
        revoked = await control(
            sim, "faults", {"kind": "revoke_tokens", "client_id": DEMO_CLIENT_ID}
        )
        assert revoked["revoked"] >= 1
        elapsed = await prompt_and_state(app, since, EXPIRED_STATUS, EXPIRED_BANNER)
        assert elapsed < PROMPT_WITHIN
        assert app.session.validations > validations
        await back_in(app, sim)


async def test_refused_refresh_on_a_request(qapp, monkeypatch, scratch_data_dir) -> None:
    async with signed_in_app(qapp, monkeypatch) as (app, sim, backend):
        user_id = sim.demo_broadcaster_id
        tokens = stored_tokens(backend, app, user_id)
        assert tokens is not None
        await spend_refresh_token(sim, tokens["refresh_token"])
        await control(sim, "faults", {"kind": "revoke_tokens", "client_id": DEMO_CLIENT_ID})
        # The streamer fulfils at once (no undo window): the PATCH meets the dead token.
        app.set_undo_seconds(0.0)
        redemption = app.panels.queue.queue.ids()[0]
        since = time.monotonic()
        app.panels.queue.fulfill([redemption])
        elapsed = await prompt_and_state(app, since, EXPIRED_STATUS, EXPIRED_BANNER)
        assert elapsed < PROMPT_WITHIN
        assert sim.state.redemptions[redemption].status == "UNFULFILLED"

        # The request waited for the re-login and goes out with the new token.
        await back_in(app, sim, waiting=2)
        await until(lambda: sim.state.redemptions[redemption].status == "FULFILLED")
        assert app.panels.queue.queue.get(redemption) is None


async def test_declined_prompt_reports_the_held_action(qapp, monkeypatch, scratch_data_dir) -> None:
    async with signed_in_app(qapp, monkeypatch) as (app, sim, backend):
        user_id = sim.demo_broadcaster_id
        app.set_undo_seconds(0.5)
        redemption = app.panels.queue.queue.ids()[0]
        app.panels.queue.fulfill([redemption])
        await control(sim, "tokens/revoke_user", {"client_id": DEMO_CLIENT_ID, "user_id": user_id})
        await prompt_and_state(app, time.monotonic(), REVOKED_STATUS, REVOKED_BANNER)
        await until(lambda: app.panels.queue.queue.get(redemption).state is RowState.SENDING)

        app.signin.dialog.cancel_button.click()
        await until(lambda: app.signin.dialog is None)
        # Signed out for good: said everywhere, the action reported as not sent, the row kept.
        await until(lambda: app.window.account_label.text() == "Not signed in", PROMPT_WITHIN)
        assert app.window.sign_in_bar.label.text() == (
            "DemoCaster is signed out. Sign in to continue; nothing is sent to Twitch until then."
        )
        assert app.tray.tooltip == "Streamer Companion: Not signed in\n3 redemptions waiting"
        assert app.window.disabled_panels() == TWITCH_PANELS
        assert_pinned_signed_out(
            app,
            "Not signed in",
            "DemoCaster is signed out. Sign in to continue; nothing is sent to Twitch until then.",
        )
        await until(lambda: app.panels.queue.queue.get(redemption).state is RowState.WAITING)
        assert app.panels.queue.queue.get(redemption).error == NOT_SENT_SIGNED_OUT
        assert sim.state.redemptions[redemption].status == "UNFULFILLED"
        assert app.window.notice_bar.label.text() == (
            "1 queue action(s) were not sent because you are signed out; their redemptions "
            "are back in the queue. Sign in and try again."
        )
        assert stored_tokens(backend, app, user_id) is None  # the dead token is not kept
        # The bar's button signs in again; the same channel comes back with its queue.
        app.window.sign_in_bar.sign_in_button.click()
        await back_in(app, sim)
        assert app.panels.queue.queue.get(redemption) is not None


@contextlib.asynccontextmanager
async def app_with_dead_token(
    qapp: Any, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[CompanionApp, Simulator, list[str], float]]:
    """The app started with a remembered account whose stored token Twitch no longer takes
    (access token revoked, refresh token refused), as after a disconnect while it was off.

    Yields:
        The app, the simulator, every notice the app showed, and when start-up began.
    """
    sim = Simulator(SimConfig(demo=True, device_poll_interval=0.05))
    await sim.start(port=0)
    user_id = sim.demo_broadcaster_id
    minted = sim.state.issue_user_token(DEMO_CLIENT_ID, user_id, scopes_for(PANEL_KEYS))
    sim.state.revoke_user_tokens(DEMO_CLIENT_ID, user_id)
    backend = MemoryKeyring()
    stored = StoredTokens(
        minted["access_token"], minted["refresh_token"], tuple(scopes_for(PANEL_KEYS))
    )
    backend.entries[(SERVICE_NAME, account_key(sim.oauth_url, user_id))] = stored.to_json()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    monkeypatch.setenv("COMPANION_CLIENT_ID", DEMO_CLIENT_ID)
    app = CompanionApp(qapp, parse_args(["--twitch-url", sim.base_url]))
    assert app.authority is not None
    app.settings.set_accounts(app.authority, {user_id: "democaster"})
    app.settings.set_active_account(app.authority, user_id)
    notices: list[str] = []
    show = app.notify_error

    def record(text: str) -> None:
        notices.append(text)
        show(text)

    monkeypatch.setattr(app, "notify_error", record)
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.signin is not None)
        yield app, sim, notices, time.monotonic()
        assert not runner.done()
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)
        await sim.stop()


#: At start-up only the remembered login is known (Twitch's display name comes with the user).
START_STATUS = "Not signed in: democaster's sign-in expired"
START_BANNER = EXPIRED_BANNER.replace("DemoCaster", "democaster")


async def test_dead_token_at_start_up(qapp, monkeypatch, scratch_data_dir) -> None:
    async with app_with_dead_token(qapp, monkeypatch) as (app, sim, notices, since):
        await until(
            lambda: app.signin.dialog is not None and app.signin.dialog.isVisible(), PROMPT_WITHIN
        )
        assert time.monotonic() - since < PROMPT_WITHIN
        assert not app.signin.dialog.isModal()
        assert app.session.user is None
        assert app.window.account_label.text() == START_STATUS
        assert app.window.sign_in_bar.isVisibleTo(app.window)
        assert app.window.sign_in_bar.label.text() == START_BANNER
        assert app.window.disabled_panels() == TWITCH_PANELS
        assert app.tray.tooltip == f"Streamer Companion: {START_STATUS}\n0 redemptions waiting"
        assert_pinned_signed_out(app, START_STATUS, START_BANNER)
        assert notices == []
        # The prompt waits for a person; the overlay server does not wait for it.
        await until(lambda: app.panels.overlays.state == "running", OVERLAY_START_WAIT + 3)
        assert app.signin.dialog.isVisible() and app.session.user is None
        # Signing in again brings the account and its channel up as a normal start does.
        await back_in(app, sim)
        assert notices == []


async def test_dead_token_at_start_up_declined(qapp, monkeypatch, scratch_data_dir) -> None:
    async with app_with_dead_token(qapp, monkeypatch) as (app, _sim, notices, _since):
        await until(
            lambda: app.signin.dialog is not None and app.signin.dialog.isVisible(), PROMPT_WITHIN
        )
        app.signin.dialog.cancel_button.click()
        await until(lambda: app.window.account_label.text() == "Not signed in", PROMPT_WITHIN)
        assert app.window.sign_in_bar.label.text() == (
            "democaster is signed out. Sign in to continue; nothing is sent to Twitch until then."
        )
        assert app.tray.tooltip == "Streamer Companion: Not signed in\n0 redemptions waiting"
        assert app.window.disabled_panels() == TWITCH_PANELS
        # The start-up task ends quietly: what happened is on screen, not a raw error.
        await asyncio.sleep(0.3)
        assert notices == []
        assert not app.window.notice_bar.isVisibleTo(app.window)
