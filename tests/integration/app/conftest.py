"""Fixtures for app-level integration tests: a running simulator and an in-memory keyring."""

from __future__ import annotations

from typing import TYPE_CHECKING

import keyring
import pytest

from companion.sim import DEMO_CLIENT_ID, SimConfig, Simulator
from tests.helpers.memory_keyring import MemoryKeyring

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Iterator


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
async def demo_sim() -> AsyncIterator[Simulator]:
    sim = Simulator(
        SimConfig(demo=True, seed=7, device_poll_interval=0.05, auto_approve_login=None)
    )
    await sim.start(port=0)
    try:
        yield sim
    finally:
        await sim.stop()


__all__ = ["DEMO_CLIENT_ID"]
