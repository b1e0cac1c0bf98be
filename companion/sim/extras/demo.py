"""A little plausible data for the demo channel's extra endpoints."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Final

from .records import BanRecord
from .store import channel_cheermote

if TYPE_CHECKING:
    from .store import ExtrasStore

_log = logging.getLogger(__name__)

HOUR: Final = 3600.0
DAY: Final = 86_400.0


def seed_demo_extras(store: ExtrasStore, broadcaster_id: str) -> None:
    """Fill the demo broadcaster's moderators, bans, followers, subs, cheers, clips, videos,
    team, badges, colours and schedule. Uses the demo viewers when they exist."""
    state = store.state
    store.demo_seeded = True
    now = store.now()
    viewers = [
        state.user_ids_by_login[login]
        for login in ("ana_plays", "bytebard", "cozy_carl", "dee_vee", "eli_lurks")
        if login in state.user_ids_by_login
    ]
    ch = store.channel(broadcaster_id)
    ch.blocked_terms.update({"boooo", "free followers"})
    ch.chat_settings.update({"follower_mode": True, "follower_mode_duration": 10})
    for i, viewer in enumerate(viewers):
        store.add_follower(broadcaster_id, viewer, now - (i + 1) * DAY)
        store.chat_colors[viewer] = ("#FF69B4", "#1E90FF", "#2E8B57", "#DAA520", "")[i % 5]
    if len(viewers) >= 3:
        store.add_moderator(broadcaster_id, viewers[1])
        store.add_subscription(broadcaster_id, viewers[0], "1000")
        store.add_subscription(broadcaster_id, viewers[1], "2000", gifter_id=viewers[2])
        store.cheer(broadcaster_id, viewers[0], 500, now - 2 * HOUR)
        store.cheer(broadcaster_id, viewers[1], 1200, now - 3 * DAY)
        store.cheer(broadcaster_id, viewers[2], 100, now - HOUR)
        store.add_clip(
            broadcaster_id, viewers[0], "that build finally worked", views=321, duration=28.5
        )
        store.add_clip(
            broadcaster_id, viewers[2], "cat walks over keyboard", views=1204, featured=True
        )
        store.add_team("cozycoders", "Cozy Coders", [broadcaster_id, viewers[1]])
    if len(viewers) >= 5:
        # A day-long timeout on the quietest viewer (no new user: the core's ids stay put).
        ch.bans[viewers[4]] = BanRecord(viewers[4], viewers[1], now - HOUR, now + DAY, "Spam links")
    ch.hype_record = (3, 2400, now - 7 * DAY)
    store.add_video(broadcaster_id, "Cozy building stream", views=88, created_at=now - DAY)
    store.add_video(
        broadcaster_id, "Best of the week", video_type="highlight", views=240, duration="12m5s"
    )
    store.add_video(broadcaster_id, "Setting up the workshop", video_type="upload", views=57)
    store.add_channel_badge(broadcaster_id, "subscriber", "0", "Subscriber")
    store.add_channel_badge(broadcaster_id, "subscriber", "3", "3-Month Subscriber")
    ch.cheermotes.append(channel_cheermote("Cozy", 100, now - 30 * DAY))
    for week in range(3):
        store.add_segment(
            broadcaster_id, now + DAY + week * 7 * DAY, 180, "Cozy building stream", recurring=True
        )
    # Last, so the ids drawn above stay what they were before emotes existed.
    store.add_channel_emote(broadcaster_id, "democaCozy")
    store.add_channel_emote(broadcaster_id, "democaHype", tier="2000", animated=True)
    store.add_channel_emote(broadcaster_id, "democaWave", "follower")
