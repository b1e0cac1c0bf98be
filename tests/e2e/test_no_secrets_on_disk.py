"""After a session of use, no token value is anywhere under the app's data folder:
not in the log (at DEBUG), not in the settings file, not in any other file."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import pytest

from companion.app import CompanionApp, parse_args
from companion.core.logsetup import setup_logging, teardown_logging
from companion.core.paths import log_dir

if TYPE_CHECKING:
    from pathlib import Path


async def until(predicate, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.02)


@pytest.mark.qt_loop
async def test_demo_session_leaves_no_token_on_disk(scratch_data_dir: Path, qapp) -> None:
    previous_level = logging.getLogger().level
    setup_logging(log_dir(), level=logging.DEBUG)
    app = CompanionApp(qapp, parse_args(["--demo"]))
    runner = asyncio.get_running_loop().create_task(app.run())
    try:
        await until(lambda: app.session is not None and app.session.user is not None)
        assert app.sim is not None and app.session.broadcaster is not None
        # Use it: viewers redeem, the client reads rewards and refreshes an expired token.
        app.sim.state.redeem_many(app.sim.demo_broadcaster_id, 20)
        await app.session.broadcaster.get_custom_rewards()
        for token in list(app.sim.state.access_tokens):
            app.sim.state.expire_token(token)
        await app.session.broadcaster.get_goals()
        secrets = set(app.sim.state.access_tokens) | set(app.sim.state.refresh_tokens)
        assert len(secrets) >= 3  # first token pair, and the refreshed pair
        app.settings.sync()
        app.request_quit(0)
        assert await asyncio.wait_for(runner, timeout=10) == 0
    finally:
        if not runner.done():
            app.request_quit(0)
            await asyncio.wait_for(runner, timeout=10)
        teardown_logging(restore_level=previous_level)
    files = [path for path in scratch_data_dir.rglob("*") if path.is_file()]
    names = {path.name for path in files}
    assert "companion.log" in names
    assert "settings.ini" in names
    log_text = (scratch_data_dir / "logs" / "companion.log").read_text(encoding="utf-8")
    assert "signed in as democaster" in log_text
    for path in files:
        content = path.read_bytes()
        for secret in secrets:
            assert secret.encode() not in content, f"a token leaked into {path.name}"
