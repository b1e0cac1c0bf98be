"""Fixtures for the Twitch client's unit tests: the scripted fake and a recording handler."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.twitch import Client
from tests.helpers.twitch_fakeserver import FakeTwitch
from tests.helpers.twitch_recording import ALL_SCOPES, USER_ID, RecordingHandler

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def fake() -> AsyncIterator[FakeTwitch]:
    server = FakeTwitch()
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
def handler(fake: FakeTwitch) -> RecordingHandler:
    access, refresh = fake.issue(USER_ID, ALL_SCOPES, login="torpedo09")
    return RecordingHandler(access, refresh)


@pytest.fixture
async def client(fake: FakeTwitch, handler: RecordingHandler) -> AsyncIterator[Client]:
    tw = Client(
        handler,
        helix_url=fake.helix_url,
        oauth_url=fake.oauth_url,
        retry_base_delay=0.01,
    )
    yield tw
    await tw.close()
