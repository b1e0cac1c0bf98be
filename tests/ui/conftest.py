"""Fixtures for the UI tests that talk to the simulator."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.helpers.queue_sim import SimChannel

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def sim_channel(qapp) -> AsyncIterator[SimChannel]:
    """A started simulated channel (our client signed in, EventSub bridged), stopped after."""
    channel = SimChannel()
    await channel.start()
    try:
        yield channel
    finally:
        await channel.stop()
