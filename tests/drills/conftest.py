"""Fixtures of the fault drills: a signed-in demo channel with the queue service live."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pytest

from tests.drills.harness import Drill

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
