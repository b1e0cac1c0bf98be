"""Fixtures of the fault drills: a signed-in demo channel with the queue service live, and
the hostile server of the hostile-input drills."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.drills.harness import Drill
from tests.helpers.hostile_server import HostileServer

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path


@pytest.fixture
async def drill(qapp: Any, tmp_path: Path) -> AsyncIterator[Drill]:
    harness = Drill(tmp_path)
    await harness.start()
    try:
        yield harness
    finally:
        await harness.stop()


@pytest.fixture
async def hostile() -> AsyncIterator[HostileServer]:
    server = await HostileServer().start()
    try:
        yield server
    finally:
        await server.stop()
