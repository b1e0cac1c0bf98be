"""The peer conformance suite: twitchAPI and twitchio driven against the simulator.

Run with ``scripts/dev conformance`` (installs the ``bench`` extra's twitchAPI and twitchio,
then ``pytest -m conformance tests/conformance``). Every test here carries the
``conformance`` marker, which the default run deselects (like ``bench``). See
``docs/conformance.md``.
"""

from __future__ import annotations

import importlib.util
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from companion.sim import SimConfig
from tests.conformance.sim_thread import SimThread

if TYPE_CHECKING:
    from collections.abc import Iterator

HERE = Path(__file__).resolve().parent
CLIENT_ID = "conformancepeerclient000000001"
CLIENT_SECRET = "conformancepeersecret0000000001"
#: Every scope the calls of the suite need (a peer checks scopes before sending).
SCOPES = (
    "channel:read:redemptions",
    "channel:manage:redemptions",
    "channel:read:predictions",
    "channel:manage:predictions",
    "channel:read:polls",
    "channel:manage:polls",
    "channel:read:goals",
    "channel:read:hype_train",
    "user:read:broadcast",
    "user:edit:broadcast",
    "user:read:email",
    "moderation:read",
)


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if Path(str(item.fspath)).resolve().is_relative_to(HERE):
            item.add_marker(pytest.mark.conformance)
            # Third-party code may use APIs that warn; what is judged is its traffic.
            item.add_marker(pytest.mark.filterwarnings("ignore::DeprecationWarning"))


def require(peer: str) -> None:
    """Skips nothing silently: a peer that is not installed fails the suite, with the fix."""
    if importlib.util.find_spec(peer) is None:
        pytest.fail(
            f"{peer} is not installed: run scripts/dev conformance (pip install -e '.[bench]')"
        )


@dataclass
class World:
    """A simulated channel: a partner broadcaster, five viewers, a confidential client.

    Attributes:
        st: The simulator on its thread.
        broadcaster_id: The broadcaster (``caster``).
        viewers: Five viewers' ids.
        token: The broadcaster's token response for every scope in `SCOPES`.
    """

    st: SimThread
    broadcaster_id: str = ""
    viewers: list[str] = field(default_factory=list)
    token: dict[str, Any] = field(default_factory=dict)

    @property
    def sim(self) -> Any:
        return self.st.sim

    @property
    def state(self) -> Any:
        return self.st.sim.state

    async def call(self, fn: Any, *args: Any, **kwargs: Any) -> Any:
        """Runs a state method on the simulator's thread."""
        return await self.st.call(fn, *args, **kwargs)


@pytest.fixture
def world() -> Iterator[World]:
    st = SimThread(
        SimConfig(seed=17, ratelimit_points=1_000_000, device_poll_interval=1, tick_interval=0.05)
    )
    st.start()
    try:
        w = World(st)
        state = st.sim.state
        w.broadcaster_id = st.call_blocking(
            lambda: str(state.create_user("caster", "Caster", "partner")["id"])
        )
        w.viewers = [
            st.call_blocking(
                lambda n=n: str(state.create_user(f"viewer{n}", f"Viewer{n}", "")["id"])
            )
            for n in range(5)
        ]
        st.call_blocking(state.register_client, CLIENT_ID, CLIENT_SECRET)
        w.token = st.call_blocking(state.issue_user_token, CLIENT_ID, w.broadcaster_id, SCOPES)
        yield w
    finally:
        st.stop()
