"""The device-code sign-in dialog driven against the simulator: approve, deny, expire,
cancel and slow_down, and the re-login prompt resuming a session with a new token."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import aiohttp
import pytest

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from companion.twitch.oauth import DeviceFlow
from companion.ui.accounts import SignInController
from companion.ui.signin_dialog import SignInDialog

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

SCOPES = ["channel:manage:redemptions", "channel:read:goals"]


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def start_sim(**config: object) -> Simulator:
    sim = Simulator(SimConfig(demo=True, seed=3, **config))  # type: ignore[arg-type]
    await sim.start(port=0)
    return sim


@pytest.fixture
async def http_session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


def make_dialog(qtbot, sim: Simulator, session: aiohttp.ClientSession, **flow_kw) -> SignInDialog:
    flows: list[DeviceFlow] = []

    def factory() -> DeviceFlow:
        flow = DeviceFlow(session, DEMO_CLIENT_ID, SCOPES, oauth_url=sim.oauth_url, **flow_kw)
        flows.append(flow)
        return flow

    dialog = SignInDialog(factory, SCOPES)
    dialog.flows = flows  # type: ignore[attr-defined]
    qtbot.addWidget(dialog)
    return dialog


@pytest.mark.qt_loop
async def test_approve(qtbot, http_session) -> None:
    sim = await start_sim(device_poll_interval=0.05)
    try:
        dialog = make_dialog(qtbot, sim, http_session)
        dialog.open()
        dialog.start()
        await until(lambda: dialog.open_button.isEnabled())
        code = dialog.code_label.text()
        assert len(code) >= 6
        assert "Waiting for you to approve" in dialog.status_label.text()
        assert "channel:manage:redemptions" in dialog.scopes_label.text()
        sim.state.approve_device(code, sim.demo_broadcaster_id)
        await until(lambda: dialog.result() == SignInDialog.DialogCode.Accepted)
        record = sim.state.lookup_access_token(dialog.token.access_token)
        assert record is not None
        assert record.user_id == sim.demo_broadcaster_id
        assert record.scopes == frozenset(SCOPES)
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_deny_offers_a_new_code(qtbot, http_session) -> None:
    sim = await start_sim(device_poll_interval=0.05)
    try:
        dialog = make_dialog(qtbot, sim, http_session)
        dialog.open()
        dialog.start()
        await until(lambda: dialog.open_button.isEnabled())
        sim.state.deny_device(dialog.code_label.text())
        await until(lambda: not dialog.retry_button.isHidden())
        assert dialog.status_label.text() == "The sign-in was declined on Twitch."
        assert dialog.token is None
        assert dialog.isVisible()
        dialog.retry_button.click()
        await until(lambda: dialog.open_button.isEnabled())
        assert len(dialog.flows) == 2  # a fresh device code
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_expired_code(qtbot, http_session) -> None:
    sim = await start_sim(device_poll_interval=0.05, device_code_ttl=0.3)
    try:
        dialog = make_dialog(qtbot, sim, http_session)
        dialog.open()
        dialog.start()
        await until(lambda: not dialog.retry_button.isHidden())
        assert dialog.status_label.text() == "The code expired before it was approved."
        assert dialog.token is None
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_cancel_stops_polling(qtbot, http_session) -> None:
    sim = await start_sim(device_poll_interval=0.05)
    try:
        dialog = make_dialog(qtbot, sim, http_session)
        dialog.open()
        dialog.start()
        await until(lambda: dialog.open_button.isEnabled())
        [record] = sim.state.device_codes.values()
        dialog.cancel_button.click()
        assert dialog.result() == SignInDialog.DialogCode.Rejected
        await asyncio.sleep(0.05)
        polled_at = record.last_poll
        await asyncio.sleep(0.3)
        assert record.last_poll == polled_at
        assert record.status == "pending"
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_slow_down_backs_off_and_still_succeeds(qtbot, http_session) -> None:
    sim = await start_sim(device_poll_interval=0.2)
    asked: list[float] = []

    async def sleep(seconds: float) -> None:
        asked.append(seconds)
        # First wait too short (the simulator answers slow_down), then long enough.
        await asyncio.sleep(0.01 if len(asked) == 1 else 0.25)

    try:
        dialog = make_dialog(qtbot, sim, http_session, sleep=sleep)
        dialog.open()
        dialog.start()
        await until(lambda: len(asked) >= 2)
        interval = dialog.flows[0].code.interval
        assert asked[0] == interval
        assert asked[1] == interval + 5  # RFC 8628: slow_down adds 5 seconds
        assert dialog.retry_button.isHidden()
        sim.state.approve_device(dialog.code_label.text(), sim.demo_broadcaster_id)
        await until(lambda: dialog.result() == SignInDialog.DialogCode.Accepted)
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_relogin_prompt_returns_validated_token_for_the_same_user(
    qtbot, http_session
) -> None:
    sim = await start_sim(device_poll_interval=0.05)
    try:

        async def make_flow() -> DeviceFlow:
            return DeviceFlow(http_session, DEMO_CLIENT_ID, SCOPES, oauth_url=sim.oauth_url)

        async def validate(token) -> None:
            record = sim.state.lookup_access_token(token.access_token)
            token.user_id = record.user_id

        controller = SignInController(make_flow, SCOPES, None, validate=validate)
        prompt = asyncio.get_running_loop().create_task(
            controller.relogin(sim.demo_broadcaster_id, "Your Twitch sign-in expired.")
        )
        await until(
            lambda: controller.dialog is not None and controller.dialog.open_button.isEnabled()
        )
        qtbot.addWidget(controller.dialog)
        sim.state.approve_device(controller.dialog.code_label.text(), sim.demo_broadcaster_id)
        token = await asyncio.wait_for(prompt, timeout=5)
        assert token is not None
        assert token.user_id == sim.demo_broadcaster_id
        assert sim.state.lookup_access_token(token.access_token) is not None
    finally:
        await sim.stop()


@pytest.mark.qt_loop
async def test_close_ends_every_wait_and_opens_nothing_more(qtbot, http_session) -> None:
    """Quit while the prompt is open (issue 20, item 4): the dialog closes, its polling
    stops, both waiters get None at once, and a later prompt does not open."""
    sim = await start_sim(device_poll_interval=0.05)
    try:

        async def make_flow() -> DeviceFlow:
            return DeviceFlow(http_session, DEMO_CLIENT_ID, SCOPES, oauth_url=sim.oauth_url)

        controller = SignInController(make_flow, SCOPES, None)
        loop = asyncio.get_running_loop()
        first = loop.create_task(controller.relogin(sim.demo_broadcaster_id, "expired"))
        await until(
            lambda: controller.dialog is not None and controller.dialog.open_button.isEnabled()
        )
        dialog = controller.dialog
        deleted: list[bool] = []
        dialog.destroyed.connect(lambda: deleted.append(True))
        second = loop.create_task(controller.ask())
        await asyncio.sleep(0.05)
        assert not first.done() and not second.done()
        controller.close()
        assert await asyncio.wait_for(first, timeout=1) is None
        assert await asyncio.wait_for(second, timeout=1) is None
        assert controller.dialog is None
        await until(lambda: deleted == [True])  # closed and gone (its polling with it)
        assert await asyncio.wait_for(controller.ask(), timeout=1) is None
        assert controller.dialog is None
    finally:
        await sim.stop()
