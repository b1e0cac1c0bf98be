"""`SimState`: the simulator's whole in-memory world and its Python control surface."""

from __future__ import annotations

import logging

from .channel_state import ChannelState
from .engagement import EngagementState
from .events import AccessTokenRecord, DomainEvent, Listener
from .oauth_state import OAuthState
from .rewards import RewardsState

_log = logging.getLogger(__name__)


class SimState(OAuthState, RewardsState, EngagementState, ChannelState):
    """Users, clients, tokens, channels and everything in them.

    Every mutation validates first and changes nothing when it fails (raising
    `companion.sim.errors.SimError`), then calls the listeners registered with
    `add_listener` with a `DomainEvent`.
    """

    def _on_stream_start(self, broadcaster_id: str) -> None:
        self.reset_stream_counters(broadcaster_id)

    def tick(self) -> None:
        """Apply every timer: engagement windows, then the redemptions' retention."""
        super().tick()
        self.drop_expired_redemptions()


__all__ = ["AccessTokenRecord", "DomainEvent", "Listener", "SimState"]
