"""The real app in-process: failures become notices, bad files are set aside, and the
Settings menu reaches the services. Each test runs the app until its block ends and then
requires a clean shutdown with exit code 0."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from typing import TYPE_CHECKING

import aiohttp
import keyring
import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QMenu

from companion.app import CompanionApp, parse_args
from companion.services.live_events import status_text
from companion.twitch.eventsub_status import ConnectionState, ConnectionStatus
from companion.ui.settings import AppSettings
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


async def until(predicate, timeout: float = 5.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@contextlib.asynccontextmanager
async def running_app(qapp) -> AsyncIterator[CompanionApp]:
    """The real app (not signed in, an in-memory keyring) running until the block ends;
    then it must shut down with exit code 0."""
    previous = keyring.get_keyring()
    keyring.set_keyring(MemoryKeyring())
    app = CompanionApp(qapp, parse_args([]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.window is not None and app.window.isVisible())
        yield app
        assert not runner.done()  # still up after whatever the test did
    finally:
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
        keyring.set_keyring(previous)


@pytest.mark.qt_loop
async def test_failing_slot_and_task_are_shown_not_fatal(scratch_data_dir, qapp) -> None:
    async with running_app(qapp) as app:

        def broken_slot() -> None:
            raise ValueError("the reward form broke")

        QTimer.singleShot(0, broken_slot)
        await until(lambda: app.window.notice_bar.isVisible())
        unexpected = (
            "Something unexpected went wrong. The details are in the log; if it keeps "
            "happening, please report it."
        )
        assert app.window.notice_bar.label.text() == unexpected

        async def broken_task() -> None:
            raise RuntimeError("lost the thread")

        app.window.notice_bar.hide()
        app.spawn(broken_task(), name="ledger write")
        await until(lambda: app.window.notice_bar.isVisible())
        # The raw error (and the task's name) went to the log, not to the window.
        assert app.window.notice_bar.label.text() == unexpected


@pytest.mark.qt_loop
async def test_unreadable_templates_are_set_aside_not_fatal(scratch_data_dir, qapp) -> None:
    # Valid JSON of the wrong shape (the store moves plain garbage aside by itself).
    bad = '{"version": 1, "predictions": 5, "polls": []}'
    (scratch_data_dir / "templates.json").write_text(bad, encoding="utf-8")
    async with running_app(qapp) as app:
        assert (scratch_data_dir / "templates.unreadable.json").read_text() == bad
        assert "Saved templates could not be read" in app.window.notice_bar.label.text()
        assert [app.window.tabs.tabText(i) for i in range(app.window.tabs.count())] == [
            "Rewards",
            "Queue",
            "History",
            "Predictions",
            "Polls",
            "Goals",
            "Extensions",
            "Overlays",
        ]


@pytest.mark.qt_loop
async def test_undo_window_setting_reaches_the_queue(scratch_data_dir, qapp) -> None:
    async with running_app(qapp) as app:
        # Found by title among the window's menus: QAction.menu() wrappers of PySide6 6.10
        # can outlive their C++ menu ("already deleted") when taken from a temporary.
        undo = next(
            menu
            for menu in app.window.findChildren(QMenu)
            if menu.title().startswith("Undo window")
        )
        choices = {a.text(): a for a in undo.actions()}
        assert list(choices) == ["Off (send at once)", "3 s", "5 s", "10 s"]
        assert choices["5 s"].isChecked()
        choices["10 s"].trigger()
        assert app.settings.undo_seconds == 10.0
        assert app.panels.queue.queue.undo_window == 10.0


@pytest.mark.qt_loop
async def test_panels_can_be_hidden_and_scopes_follow(scratch_data_dir, qapp) -> None:
    async with running_app(qapp) as app:
        await until(lambda: app.signin is not None)
        assert "channel:manage:polls" in app.scopes()
        app.panel_actions["polls"].setChecked(False)
        polls_index = [app.window.tabs.tabText(i) for i in range(7)].index("Polls")
        assert not app.window.tabs.isTabVisible(polls_index)
        assert "polls" not in app.settings.enabled_panels()
        assert "channel:manage:polls" not in app.scopes()
        assert "channel:manage:polls" not in app.signin.scopes
        app.panel_actions["polls"].setChecked(True)
        assert app.window.tabs.isTabVisible(polls_index)
        assert "channel:manage:polls" in app.signin.scopes


@pytest.mark.qt_loop
async def test_client_id_is_asked_without_blocking_and_saved(scratch_data_dir, qapp) -> None:
    async with running_app(qapp) as app:
        await until(lambda: app.handler is not None)
        dialog = app.ask_client_id(app.window)
        assert dialog.isVisible()
        await asyncio.sleep(0.05)  # the loop keeps running while the dialog is open
        assert dialog.isVisible()
        dialog.setTextValue("  abc123publicclient  ")
        dialog.accept()
        assert app.settings.client_id == "abc123publicclient"
        assert app.handler.client_id == "abc123publicclient"
        assert await app.client.http.client_id() == "abc123publicclient"
        app.set_client_id("second-client")
        assert await app.client.http.client_id() == "second-client"
        flow = await app.signin._flow_factory()
        assert flow._client_id == "second-client"


@pytest.mark.qt_loop
async def test_network_error_is_a_sentence_and_the_window_keeps_its_size(
    scratch_data_dir, qapp
) -> None:
    async with running_app(qapp) as app:
        await until(lambda: app.session is not None)
        app.window.resize(1100, 720)
        await asyncio.sleep(0.05)
        before = app.window.size()
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))  # bound, never listening: the connection is refused
            port = closed.getsockname()[1]
            caught: list[BaseException] = []

            async def reach_twitch() -> None:
                async with aiohttp.ClientSession() as http:
                    try:
                        await http.get(f"http://127.0.0.1:{port}/helix/users")
                    except aiohttp.ClientConnectorError as exc:
                        caught.append(exc)
                        raise

            app.window.notice_bar.hide()
            app.spawn(reach_twitch(), name="start-up")
            await until(lambda: app.window.notice_bar.isVisible())
        assert isinstance(caught[0], aiohttp.ClientConnectorError)
        assert app.window.notice_bar.label.text() == (
            "Twitch could not be reached. Check your internet connection, then try again."
        )
        # The live events status of that same failure, and a 2,000-character error.
        lost = ConnectionStatus(
            ConnectionState.RECONNECTING, reason=f"could not connect: {caught[0]!r}" * 20
        )
        app.window.set_eventsub_state(*status_text(lost))
        assert app.window.eventsub_label.text() == "Live events: connection lost, reconnecting…"
        app.notify_error("E" * 2000)
        app.window.set_account("Signed in as " + "x" * 2000)
        await asyncio.sleep(0.1)
        assert app.window.size() == before


@pytest.mark.qt_loop
async def test_the_app_reopens_on_the_tab_left(scratch_data_dir, qapp) -> None:
    def current(app: CompanionApp) -> str:
        tabs = app.window.tabs
        return tabs.tabText(tabs.currentIndex())

    async with running_app(qapp) as app:
        assert current(app) == "Queue"  # the first run opens on the queue
        tabs = app.window.tabs
        tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index("Polls"))
    async with running_app(qapp) as app:
        assert current(app) == "Polls"
        tabs = app.window.tabs
        tabs.setCurrentIndex([tabs.tabText(i) for i in range(tabs.count())].index("History"))
    # The panel left open is hidden before the next run: the queue is shown instead.
    settings = AppSettings()
    settings.set_enabled_panels([key for key in settings.enabled_panels() if key != "history"])
    settings.sync()
    async with running_app(qapp) as app:
        assert current(app) == "Queue"
