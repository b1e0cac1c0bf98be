"""Fixtures: a started Simulator on loopback and a client session for it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import aiohttp
import pytest

from companion.sim import Simulator
from tests.integration.sim.sim_api import (
    ALL_SCOPES,
    CLIENT_ID,
    CONF_CLIENT_ID,
    CONF_SECRET,
    OTHER_CLIENT_ID,
    Api,
    Caster,
    make_config,
)

if TYPE_CHECKING:
    from collections.abc import AsyncIterator


@pytest.fixture
async def sim() -> AsyncIterator[Simulator]:
    simulator = Simulator(make_config())
    await simulator.start()
    simulator.state.register_client(CLIENT_ID, None)
    simulator.state.register_client(OTHER_CLIENT_ID, None)
    simulator.state.register_client(CONF_CLIENT_ID, CONF_SECRET)
    try:
        yield simulator
    finally:
        await simulator.stop()


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as s:
        yield s


@pytest.fixture
def api(sim: Simulator, session: aiohttp.ClientSession) -> Api:
    return Api(session, sim.base_url, control_token=sim.control_token)


@pytest.fixture
def caster(sim: Simulator, api: Api) -> Caster:
    user = sim.state.create_user("caster", "Caster", "affiliate")
    tok = sim.state.issue_user_token(CLIENT_ID, user["id"], ALL_SCOPES)
    return Caster(user["id"], "caster", tok["access_token"], tok["refresh_token"], api)
