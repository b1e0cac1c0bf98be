"""In-memory state behind the simulator's extra Helix endpoints, and its control surface.

Kept beside (not inside) `SimState`, which belongs to the simulator core: one `ExtrasStore`
per `SimState`, found with `extras_store`. Users, channels, streams and the clock are the
core state's; this adds bans, moderators, chat settings, followers, subscriptions, hype
trains, markers, raids, schedules, clips, videos, teams, games, badges, colours, cheers.

Times are kept as epoch seconds and formatted when served.
"""

from __future__ import annotations

import logging
import random
import string
import uuid
import weakref
from typing import TYPE_CHECKING, Any, Final

from ..errors import SimError
from .live import LiveChanges
from .records import ChannelExtras

if TYPE_CHECKING:
    from ..state import SimState

_log = logging.getLogger(__name__)

#: Categories the simulator knows (id, name, IGDB id).
GAMES: Final = (
    ("509670", "Science & Technology", ""),
    ("509658", "Just Chatting", ""),
    ("33214", "Fortnite", "1905"),
    ("27471", "Minecraft", "121"),
    ("1469308723", "Software and Game Development", ""),
)

_CHEER_SCALES: Final = ("1", "1.5", "2", "3", "4")
#: Get Channel/Global Emotes' ``template`` (as the documented examples give it).
EMOTE_TEMPLATE: Final = (
    "https://static-cdn.jtvnw.net/emoticons/v2/{{id}}/{{format}}/{{theme_mode}}/{{scale}}"
)
#: Global emotes the simulator knows (id, name); the first is the documented example's.
GLOBAL_EMOTES: Final = (("196892", "TwitchUnity"), ("25", "Kappa"), ("354", "4Head"))
EMOTE_TYPES: Final = frozenset({"bitstier", "follower", "subscriptions"})
EMOTE_TIERS: Final = frozenset({"1000", "2000", "3000"})
_CHEER_TIERS: Final = ((1, "#979797"), (100, "#9c3ee8"), (1000, "#1db2a5"), (5000, "#0099fe"))


class ExtrasStore(LiveChanges):
    """The extra endpoints' world.

    Args:
        state: The simulator core's state (users, channels, streams, clock, ids).
    """

    def __init__(self, state: SimState) -> None:
        self.state = state
        self.channels: dict[str, ChannelExtras] = {}
        self.clips: dict[str, dict[str, Any]] = {}
        self.videos: dict[str, dict[str, Any]] = {}
        self.teams: dict[str, dict[str, Any]] = {}
        self.team_members: dict[str, list[str]] = {}
        self.games: dict[str, dict[str, str]] = {
            gid: {
                "id": gid,
                "name": name,
                "box_art_url": f"https://static-cdn.jtvnw.net/ttv-boxart/{gid}-{{width}}x{{height}}.jpg",
                "igdb_id": igdb,
            }
            for gid, name, igdb in GAMES
        }
        self.chat_colors: dict[str, str] = {}
        self.global_badges: list[dict[str, Any]] = [
            _badge_set("moderator", [("1", "Moderator", None, None)]),
            _badge_set("vip", [("1", "VIP", None, None)]),
        ]
        self.global_emotes: list[dict[str, Any]] = [
            emote_item(emote_id, name) for emote_id, name in GLOBAL_EMOTES
        ]
        self.global_cheermotes: list[dict[str, Any]] = [
            _cheermote("Cheer", "global_first_party", 1, 0.0)
        ]
        self.demo_seeded = False
        self._seq = 0
        # Own ids, so the core state's id sequences (users, rewards, redemptions) stay exactly
        # what they would be without the extras.
        self._rng = random.Random(state.config.seed)
        self._numeric = 1_900_000_000

    def __repr__(self) -> str:
        return f"ExtrasStore(channels={len(self.channels)}, videos={len(self.videos)})"

    # -- helpers -----------------------------------------------------------------------------

    def now(self) -> float:
        """The core state's clock."""
        return self.state.now()

    def next_seq(self) -> int:
        """A number that only grows (ids, ordering)."""
        self._seq += 1
        return self._seq

    def numeric_id(self) -> str:
        """A numeric id (videos, streams of videos)."""
        self._numeric += 1
        return str(self._numeric)

    def uuid_id(self) -> str:
        """A UUID4-shaped id (schedule segments)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def token_id(self, length: int) -> str:
        """An opaque id of letters and digits (markers, hype trains)."""
        return "".join(self._rng.choices(string.ascii_letters + string.digits, k=length))

    def channel(self, broadcaster_id: str) -> ChannelExtras:
        """The extras of a known broadcaster (created on first use).

        Raises:
            SimError: 400 if the broadcaster is unknown.
        """
        if broadcaster_id not in self.state.users:
            raise SimError(400, "The broadcaster ID is not valid.")
        ch = self.channels.get(broadcaster_id)
        if ch is None:
            ch = self.channels[broadcaster_id] = ChannelExtras()
        return ch

    def user(self, user_id: str) -> dict[str, Any]:
        """A known user record.

        Raises:
            SimError: 400 if the user is unknown.
        """
        user = self.state.users.get(user_id)
        if user is None:
            raise SimError(400, f"The user ID {user_id!r} is not valid.")
        return user

    def user_triple(self, user_id: str, prefix: str) -> dict[str, str]:
        """``{prefix}_id``, ``{prefix}_login``, ``{prefix}_name`` of a known user."""
        user = self.user(user_id)
        return {
            f"{prefix}_id": user_id,
            f"{prefix}_login": user["login"],
            f"{prefix}_name": user["display_name"],
        }

    def is_moderator(self, broadcaster_id: str, user_id: str) -> bool:
        """The broadcaster, or one of their moderators."""
        return user_id == broadcaster_id or user_id in self.channel(broadcaster_id).moderators

    # -- control surface (tests and the demo) ------------------------------------------------

    def cheer(self, broadcaster_id: str, user_id: str, bits: int, at: float | None = None) -> None:
        """``user_id`` cheers ``bits`` in the channel."""
        self.user(user_id)
        self.channel(broadcaster_id).cheers.append(
            (user_id, bits, self.now() if at is None else at)
        )

    def add_clip(
        self,
        broadcaster_id: str,
        creator_id: str,
        title: str,
        *,
        views: int = 0,
        duration: float = 30.0,
        featured: bool = False,
        video_id: str = "",
        created_at: float | None = None,
    ) -> dict[str, Any]:
        """Record a clip of the channel; returns it as Get Clips serves it."""
        broadcaster = self.user(broadcaster_id)
        creator = self.user(creator_id)
        info = self.state.channel(broadcaster_id).info
        slug = f"Sim{self.next_seq():04d}{title.title().replace(' ', '')[:24]}Clip"
        clip = {
            "id": slug,
            "url": f"https://clips.twitch.tv/{slug}",
            "embed_url": f"https://clips.twitch.tv/embed?clip={slug}",
            "broadcaster_id": broadcaster_id,
            "broadcaster_name": broadcaster["display_name"],
            "creator_id": creator_id,
            "creator_name": creator["display_name"],
            "video_id": video_id,
            "game_id": info.get("game_id") or "509670",
            "language": info.get("broadcaster_language") or "en",
            "title": title,
            "view_count": views,
            "_created": self.now() if created_at is None else created_at,
            "thumbnail_url": f"https://clips-media-assets2.twitch.tv/{slug}-preview-480x272.jpg",
            "duration": duration,
            "vod_offset": 60 if video_id else None,
            "is_featured": featured,
        }
        self.clips[slug] = clip
        return clip

    def add_video(
        self,
        user_id: str,
        title: str,
        *,
        video_type: str = "archive",
        views: int = 0,
        duration: str = "1h2m3s",
        created_at: float | None = None,
        game_id: str = "509670",
    ) -> dict[str, Any]:
        """Record a video of ``user_id``; returns its stored record."""
        self.user(user_id)
        vid = self.numeric_id()
        when = self.now() if created_at is None else created_at
        video = {
            "id": vid,
            "stream_id": self.numeric_id() if video_type == "archive" else None,
            "user_id": user_id,
            "title": title,
            "description": "",
            "_created": when,
            "url": f"https://www.twitch.tv/videos/{vid}",
            "thumbnail_url": (
                f"https://static-cdn.jtvnw.net/cf_vods/sim/{vid}/thumb/index-%{{width}}x%{{height}}.jpg"
            ),
            "viewable": "public",
            "view_count": views,
            "language": "en",
            "type": video_type,
            "duration": duration,
            "muted_segments": None,
            "_game_id": game_id,
        }
        self.videos[vid] = video
        return video

    def archive_of(self, user_id: str, stream: dict[str, Any]) -> str:
        """The id of the archive video recording ``stream`` (made on first use), as Twitch
        records a VOD of a live stream that markers point into."""
        stream_id = str(stream["id"])
        for video in self.videos.values():
            if video["stream_id"] == stream_id:
                return str(video["id"])
        video = self.add_video(user_id, str(stream.get("title") or "Live stream"))
        video["stream_id"] = stream_id
        video["_created"] = self.now()
        return str(video["id"])

    def add_team(self, name: str, display_name: str, member_ids: list[str]) -> dict[str, Any]:
        """Create a team with members; returns its stored record."""
        for member in member_ids:
            self.user(member)
        tid = str(6000 + self.next_seq())
        now = self.now()
        team = {
            "id": tid,
            "team_name": name,
            "team_display_name": display_name,
            "info": f"<p>{display_name}, a simulated team.</p>",
            "background_image_url": "",
            "banner": "",
            "thumbnail_url": f"https://static-cdn.jtvnw.net/jtv_user_pictures/team-{name}-600x600.png",
            "_created": now,
            "_updated": now,
        }
        self.teams[tid] = team
        self.team_members[tid] = list(member_ids)
        return team

    def add_segment(
        self,
        broadcaster_id: str,
        start: float,
        duration_minutes: int,
        title: str,
        *,
        category_id: str | None = "509670",
        recurring: bool = False,
    ) -> dict[str, Any]:
        """Add a scheduled broadcast; returns its stored record."""
        ch = self.channel(broadcaster_id)
        ch.schedule_created = True
        segment = {
            "id": self.uuid_id(),
            "_start": start,
            "_end": start + duration_minutes * 60,
            "title": title,
            "_canceled": None,
            "_category": category_id,
            "is_recurring": recurring,
        }
        ch.segments.append(segment)
        ch.segments.sort(key=lambda s: float(s["_start"]))
        return segment

    def set_vacation(self, broadcaster_id: str, start: float, end: float) -> None:
        """Put the channel on vacation."""
        ch = self.channel(broadcaster_id)
        ch.schedule_created = True
        ch.vacation = (start, end)

    def add_channel_emote(
        self,
        broadcaster_id: str,
        name: str,
        emote_type: str = "subscriptions",
        tier: str = "1000",
        *,
        animated: bool = False,
    ) -> dict[str, Any]:
        """Give the channel a custom emote (Get Channel Emotes).

        ``tier`` is kept only for ``subscriptions`` emotes ("otherwise, it's an empty string").
        Each (type, tier) pair is one emote set.

        Raises:
            SimError: 400 for an unknown broadcaster, type or tier, or a name in use.
        """
        ch = self.channel(broadcaster_id)
        if emote_type not in EMOTE_TYPES:
            raise SimError(400, f"emote_type must be one of {sorted(EMOTE_TYPES)}")
        if emote_type == "subscriptions" and tier not in EMOTE_TIERS:
            raise SimError(400, f"tier must be one of {sorted(EMOTE_TIERS)}")
        if not name or any(e["name"] == name for e in ch.emotes):
            raise SimError(400, f"the channel already has an emote named {name!r}")
        tier = tier if emote_type == "subscriptions" else ""
        same_set = [e for e in ch.emotes if (e["emote_type"], e["tier"]) == (emote_type, tier)]
        set_id = same_set[0]["emote_set_id"] if same_set else self.numeric_id()
        emote_id = "emotesv2_" + "".join(self._rng.choices("0123456789abcdef", k=32))
        base = emote_item(emote_id, name, animated=animated)
        # The documented key order: id, name, images, tier, emote_type, emote_set_id, ...
        item = {
            **{key: base[key] for key in ("id", "name", "images")},
            "tier": tier,
            "emote_type": emote_type,
            "emote_set_id": set_id,
            **{key: base[key] for key in ("format", "scale", "theme_mode")},
        }
        ch.emotes.append(item)
        return item

    def add_channel_badge(self, broadcaster_id: str, set_id: str, version: str, title: str) -> None:
        """Give the channel a custom badge version."""
        ch = self.channel(broadcaster_id)
        for badge in ch.badges:
            if badge["set_id"] == set_id:
                badge["versions"].append(_badge_version(version, title, None, None))
                return
        ch.badges.append(_badge_set(set_id, [(version, title, None, None)]))
        ch.badges.sort(key=lambda b: str(b["set_id"]))


def emote_item(emote_id: str, name: str, *, animated: bool = False) -> dict[str, Any]:
    """A Get Global Emotes item (the channel variant adds tier, type and set)."""
    base = f"https://static-cdn.jtvnw.net/emoticons/v2/{emote_id}/static/light"
    return {
        "id": emote_id,
        "name": name,
        "images": {"url_1x": f"{base}/1.0", "url_2x": f"{base}/2.0", "url_4x": f"{base}/3.0"},
        "format": ["static", "animated"] if animated else ["static"],
        "scale": ["1.0", "2.0", "3.0"],
        "theme_mode": ["light", "dark"],
    }


def _badge_version(version: str, title: str, action: str | None, url: str | None) -> dict[str, Any]:
    base = f"https://static-cdn.jtvnw.net/badges/v1/sim-{title.lower().replace(' ', '-')}"
    return {
        "id": version,
        "image_url_1x": f"{base}/1",
        "image_url_2x": f"{base}/2",
        "image_url_4x": f"{base}/3",
        "title": title,
        "description": title,
        "click_action": action,
        "click_url": url,
    }


def _badge_set(
    set_id: str, versions: list[tuple[str, str, str | None, str | None]]
) -> dict[str, Any]:
    return {"set_id": set_id, "versions": [_badge_version(*v) for v in versions]}


def _cheermote(prefix: str, kind: str, order: int, updated: float) -> dict[str, Any]:
    tiers = []
    for bits, color in _CHEER_TIERS:
        base = f"https://d3aqoihi2n8ty8.cloudfront.net/actions/{prefix.lower()}"
        images = {
            theme: {
                kind_: {
                    scale: f"{base}/{theme}/{kind_}/{bits}/{scale}.png" for scale in _CHEER_SCALES
                }
                for kind_ in ("animated", "static")
            }
            for theme in ("dark", "light")
        }
        tiers.append(
            {
                "min_bits": bits,
                "id": str(bits),
                "color": color,
                "images": images,
                "can_cheer": True,
                "show_in_bits_card": True,
            }
        )
    return {
        "prefix": prefix,
        "tiers": tiers,
        "type": kind,
        "order": order,
        "_updated": updated,
        "is_charitable": False,
    }


def channel_cheermote(prefix: str, order: int, updated: float) -> dict[str, Any]:
    """A broadcaster's custom Cheermote record."""
    return _cheermote(prefix, "channel_custom", order, updated)


_STORES: weakref.WeakKeyDictionary[Any, ExtrasStore] = weakref.WeakKeyDictionary()


def find_extras_store(state: Any) -> ExtrasStore | None:
    """The `ExtrasStore` of ``state`` if one was made, without making one."""
    try:
        return _STORES.get(state)
    except TypeError:  # a state that cannot be weakly referenced has no store
        return None


def extras_store(state: SimState) -> ExtrasStore:
    """The one `ExtrasStore` of ``state`` (created on first use).

    Kept in a weak map keyed by the state rather than on the state object, which belongs to
    the simulator core; the store lives exactly as long as its state.
    """
    store = _STORES.get(state)
    if store is None:
        store = _STORES[state] = ExtrasStore(state)
    return store
