"""The demo channel and its background traffic."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Final

from .config import DEMO_BROADCASTER_LOGIN, DEMO_CLIENT_ID, OTHER_APP_CLIENT_ID

if TYPE_CHECKING:
    from .state import SimState

_log = logging.getLogger(__name__)

DEMO_VIEWERS: Final = (
    ("ana_plays", "AnaPlays"),
    ("bytebard", "ByteBard"),
    ("cozy_carl", "cozy_carl"),
    ("dee_vee", "DeeVee"),
    ("eli_lurks", "EliLurks"),
)

#: The rewards DEMO_CLIENT_ID creates (bodies as Create Custom Rewards takes them).
DEMO_REWARDS: Final = (
    {"title": "Hydrate!", "cost": 100, "background_color": "#1F69FF"},
    {
        "title": "Song request",
        "cost": 500,
        "prompt": "Artist and song title",
        "is_user_input_required": True,
        "background_color": "#9147FF",
    },
    {
        "title": "Pick the next game",
        "cost": 2000,
        "is_max_per_stream_enabled": True,
        "max_per_stream": 3,
    },
    {
        "title": "Shout-out",
        "cost": 1000,
        "is_global_cooldown_enabled": True,
        "global_cooldown_seconds": 60,
    },
    {"title": "Posture check", "cost": 50, "should_redemptions_skip_request_queue": True},
    {"title": "Emote-only minute", "cost": 5000, "is_enabled": False},
)
OTHER_APP_REWARD: Final = {"title": "Highlight my message", "cost": 300}

DEMO_EXTENSIONS: Final = (
    {
        "id": "demopanelschedule000000000001",
        "version": "1.2.0",
        "name": "Stream Schedule",
        "can_activate": True,
        "type": ["panel"],
    },
    {
        "id": "demooverlayalerts0000000000002",
        "version": "2.0.1",
        "name": "Alert Box",
        "can_activate": True,
        "type": ["overlay", "mobile"],
    },
    {
        "id": "democomponentpoll000000000003",
        "version": "0.9.0",
        "name": "Mini Poll",
        "can_activate": True,
        "type": ["component", "panel"],
    },
    {
        "id": "demopanelbroken00000000000004",
        "version": "0.1.0",
        "name": "Needs Configuration",
        "can_activate": False,
        "type": ["panel"],
    },
)


def seed_demo(state: SimState) -> str:
    """Create the demo channel; returns the demo broadcaster's user id."""
    state.register_client(DEMO_CLIENT_ID, None)
    state.register_client(OTHER_APP_CLIENT_ID, "another-apps-secret")
    caster = state.create_user(
        DEMO_BROADCASTER_LOGIN,
        "DemoCaster",
        "partner",
        description="The simulator's demo channel.",
    )
    bid = caster["id"]
    viewers = [state.create_user(login, name, "")["id"] for login, name in DEMO_VIEWERS]
    state.set_channel_info(
        bid,
        title="Cozy building stream, come hang out",
        game_id="509670",
        game_name="Science & Technology",
        tags=["English", "Cozy"],
    )
    rewards = [state.create_reward(bid, DEMO_CLIENT_ID, dict(body)) for body in DEMO_REWARDS]
    state.create_reward(bid, OTHER_APP_CLIENT_ID, dict(OTHER_APP_REWARD))
    state.create_goal(bid, "follower", "Road to 1,000 followers", 1000, 640)
    for ext in DEMO_EXTENSIONS:
        state.install_extension(bid, dict(ext))
    state.update_active_extensions(
        bid,
        {
            "panel": {
                "1": {"active": True, "id": DEMO_EXTENSIONS[0]["id"], "version": "1.2.0"},
            },
            "overlay": {
                "1": {"active": True, "id": DEMO_EXTENSIONS[1]["id"], "version": "2.0.1"},
            },
        },
    )
    state.set_stream_live(bid, True, viewer_count=42)
    # A short queue so the app has something to show at once.
    state.redeem(bid, rewards[0]["id"], viewers[0])
    state.redeem(bid, rewards[1]["id"], viewers[1], "Daft Punk - Veridis Quo")
    state.redeem(bid, rewards[0]["id"], viewers[2])
    return str(bid)


async def traffic_loop(state: SimState, broadcaster_id: str, rate: float) -> None:
    """Redeem random rewards at ``rate`` per second until cancelled."""
    interval = 1.0 / rate
    while True:
        await asyncio.sleep(interval)
        try:
            state.redeem_random(broadcaster_id)
        except Exception:
            _log.exception("demo traffic failed")
