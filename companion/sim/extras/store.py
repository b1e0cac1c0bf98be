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
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Final

from ..errors import SimError

if TYPE_CHECKING:
    from ..state import SimState

_log = logging.getLogger(__name__)

#: Chat settings of a new channel (Twitch's documented defaults for each field).
DEFAULT_CHAT_SETTINGS: Final[dict[str, Any]] = {
    "emote_mode": False,
    "follower_mode": False,
    "follower_mode_duration": None,
    "non_moderator_chat_delay": False,
    "non_moderator_chat_delay_duration": None,
    "slow_mode": False,
    "slow_mode_wait_time": None,
    "subscriber_mode": False,
    "unique_chat_mode": False,
}

#: Hype train cooldown after its end. Twitch lets broadcasters choose it and the reference
#: gives no default; one hour is the simulator's choice.
HYPE_TRAIN_COOLDOWN: Final = 3600.0
#: Points per hype train level (the simulator keeps every level's goal the same).
HYPE_TRAIN_GOAL: Final = 1000

#: Categories the simulator knows (id, name, IGDB id).
GAMES: Final = (
    ("509670", "Science & Technology", ""),
    ("509658", "Just Chatting", ""),
    ("33214", "Fortnite", "1905"),
    ("27471", "Minecraft", "121"),
    ("1469308723", "Software and Game Development", ""),
)

_CHEER_SCALES: Final = ("1", "1.5", "2", "3", "4")
_CHEER_TIERS: Final = ((1, "#979797"), (100, "#9c3ee8"), (1000, "#1db2a5"), (5000, "#0099fe"))


@dataclass(slots=True)
class BanRecord:
    """A ban (``expires_at`` None) or a timeout."""

    user_id: str
    moderator_id: str
    created_at: float
    expires_at: float | None
    reason: str


@dataclass(slots=True)
class HypeTrainRecord:
    """The running hype train of a channel."""

    id: str
    level: int
    total: int
    progress: int
    goal: int
    started_at: float
    expires_at: float
    contributions: list[tuple[str, str, int]]  # (user_id, type, total)
    train_type: str = "regular"


@dataclass(slots=True)
class ChannelExtras:
    """What the extra endpoints keep per broadcaster."""

    moderators: set[str] = field(default_factory=set)
    bans: dict[str, BanRecord] = field(default_factory=dict)
    chat_settings: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_CHAT_SETTINGS))
    followers: list[tuple[str, float]] = field(default_factory=list)  # newest first
    subscriptions: list[dict[str, Any]] = field(default_factory=list)
    cheers: list[tuple[str, int, float]] = field(default_factory=list)  # (user, bits, when)
    hype_train: HypeTrainRecord | None = None
    hype_record: tuple[int, int, float] | None = None  # (level, total, achieved_at)
    markers: list[dict[str, Any]] = field(default_factory=list)
    pending_raid: dict[str, Any] | None = None
    raid_requests: list[float] = field(default_factory=list)
    segments: list[dict[str, Any]] = field(default_factory=list)
    schedule_created: bool = False
    vacation: tuple[float, float] | None = None
    badges: list[dict[str, Any]] = field(default_factory=list)
    cheermotes: list[dict[str, Any]] = field(default_factory=list)
    blocked_terms: set[str] = field(default_factory=set)
    automod_checks: list[float] = field(default_factory=list)
    gift_totals: dict[str, int] = field(default_factory=dict)  # gifter -> subs gifted ever


class ExtrasStore:
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

    def add_moderator(self, broadcaster_id: str, user_id: str) -> None:
        """Make ``user_id`` a moderator of the channel (EventSub ``channel.moderator.add``)."""
        self.user(user_id)
        moderators = self.channel(broadcaster_id).moderators
        if user_id not in moderators:
            moderators.add(user_id)
            self.state.emit("moderator.add", broadcaster_id, {"user_id": user_id})

    def remove_moderator(self, broadcaster_id: str, user_id: str) -> None:
        """``user_id`` is no longer a moderator (EventSub ``channel.moderator.remove``).

        Raises:
            SimError: 400 if the user is not a moderator of the channel.
        """
        moderators = self.channel(broadcaster_id).moderators
        if user_id not in moderators:
            raise SimError(400, "The user is not a moderator.")
        moderators.discard(user_id)
        self.state.emit("moderator.remove", broadcaster_id, {"user_id": user_id})

    def add_follower(self, broadcaster_id: str, user_id: str, at: float | None = None) -> None:
        """``user_id`` follows the channel (now, or at epoch ``at``); a new follow is an
        EventSub ``channel.follow``."""
        self.user(user_id)
        ch = self.channel(broadcaster_id)
        was_following = any(f[0] == user_id for f in ch.followers)
        when = self.now() if at is None else at
        ch.followers = [f for f in ch.followers if f[0] != user_id]
        ch.followers.append((user_id, when))
        ch.followers.sort(key=lambda f: f[1], reverse=True)
        if not was_following:
            self.state.emit("follow.add", broadcaster_id, {"user_id": user_id, "followed_at": when})

    def add_subscription(
        self, broadcaster_id: str, user_id: str, tier: str = "1000", gifter_id: str | None = None
    ) -> None:
        """``user_id`` subscribes (gifted by ``gifter_id`` if given): EventSub
        ``channel.subscribe``."""
        self.user(user_id)
        if gifter_id is not None:
            self.user(gifter_id)
        ch = self.channel(broadcaster_id)
        ch.subscriptions = [s for s in ch.subscriptions if s["user_id"] != user_id]
        ch.subscriptions.append({"user_id": user_id, "tier": tier, "gifter_id": gifter_id})
        record = {"user_id": user_id, "tier": tier, "is_gift": gifter_id is not None}
        self.state.emit("subscription.add", broadcaster_id, record)

    def gift_subscriptions(
        self,
        broadcaster_id: str,
        gifter_id: str,
        recipient_ids: list[str],
        tier: str = "1000",
        *,
        anonymous: bool = False,
    ) -> None:
        """``gifter_id`` gifts one subscription to each recipient: one EventSub
        ``channel.subscription.gift`` (total = the count), then a ``channel.subscribe``
        (``is_gift``) per recipient.

        Raises:
            SimError: 400 for an unknown user or no recipients.
        """
        self.user(gifter_id)
        for recipient in recipient_ids:
            self.user(recipient)
        if not recipient_ids:
            raise SimError(400, "A gift needs at least one recipient.")
        ch = self.channel(broadcaster_id)
        ch.gift_totals[gifter_id] = ch.gift_totals.get(gifter_id, 0) + len(recipient_ids)
        gift = {
            "user_id": None if anonymous else gifter_id,
            "tier": tier,
            "total": len(recipient_ids),
            # Twitch shares the running total only for a gifter who is not anonymous.
            "cumulative_total": None if anonymous else ch.gift_totals[gifter_id],
            "is_anonymous": anonymous,
        }
        self.state.emit("subscription.gift", broadcaster_id, gift)
        for recipient in recipient_ids:
            self.add_subscription(broadcaster_id, recipient, tier, gifter_id=gifter_id)

    def resub_message(
        self,
        broadcaster_id: str,
        user_id: str,
        text: str,
        cumulative_months: int,
        *,
        streak_months: int | None = None,
        duration_months: int = 1,
    ) -> None:
        """A subscriber shares a resub message (EventSub ``channel.subscription.message``).

        Raises:
            SimError: 400 if ``user_id`` does not subscribe to the channel.
        """
        subs = [s for s in self.channel(broadcaster_id).subscriptions if s["user_id"] == user_id]
        if not subs:
            raise SimError(400, "Only a subscriber can share a resub message.")
        record = {
            "user_id": user_id,
            "tier": subs[0]["tier"],
            "text": text,
            "cumulative_months": cumulative_months,
            "streak_months": streak_months,
            "duration_months": duration_months,
        }
        self.state.emit("subscription.message", broadcaster_id, record)

    def ban(
        self,
        broadcaster_id: str,
        user_id: str,
        moderator_id: str,
        reason: str = "",
        duration: int | None = None,
    ) -> BanRecord:
        """Ban (or, with ``duration`` seconds, time out) ``user_id``: EventSub ``channel.ban``."""
        self.user(user_id)
        self.user(moderator_id)
        now = self.now()
        ban = BanRecord(user_id, moderator_id, now, now + duration if duration else None, reason)
        self.channel(broadcaster_id).bans[user_id] = ban
        self.banned(broadcaster_id, ban)
        return ban

    def unban(self, broadcaster_id: str, user_id: str, moderator_id: str) -> None:
        """Lift ``user_id``'s ban: EventSub ``channel.unban``.

        Raises:
            SimError: 400 if the user is not banned.
        """
        if self.channel(broadcaster_id).bans.pop(user_id, None) is None:
            raise SimError(400, "user is not banned")
        self.unbanned(broadcaster_id, user_id, moderator_id)

    def banned(self, broadcaster_id: str, ban: BanRecord) -> None:
        """Announce a ban already stored (the Ban User route stores its own)."""
        record = {
            "user_id": ban.user_id,
            "moderator_id": ban.moderator_id,
            "reason": ban.reason,
            "banned_at": ban.created_at,
            "ends_at": ban.expires_at,
        }
        self.state.emit("ban.add", broadcaster_id, record)

    def unbanned(self, broadcaster_id: str, user_id: str, moderator_id: str) -> None:
        """Announce an unban already done (the Unban User route removes its own)."""
        record = {"user_id": user_id, "moderator_id": moderator_id}
        self.state.emit("ban.remove", broadcaster_id, record)

    def cheer(self, broadcaster_id: str, user_id: str, bits: int, at: float | None = None) -> None:
        """``user_id`` cheers ``bits`` in the channel."""
        self.user(user_id)
        self.channel(broadcaster_id).cheers.append(
            (user_id, bits, self.now() if at is None else at)
        )

    def start_hype_train(
        self, broadcaster_id: str, contributions: list[tuple[str, str, int]], level: int = 1
    ) -> HypeTrainRecord:
        """Start (or replace) the channel's hype train, lasting 5 minutes (EventSub
        ``channel.hype_train.begin``)."""
        ch = self.channel(broadcaster_id)
        total = sum(c[2] for c in contributions)
        now = self.now()
        ch.hype_train = HypeTrainRecord(
            id=self.token_id(27),
            level=level,
            total=total,
            progress=total % HYPE_TRAIN_GOAL,
            goal=HYPE_TRAIN_GOAL,
            started_at=now,
            expires_at=now + 300,
            contributions=list(contributions),
        )
        self._note_hype_record(ch, now)
        self.state.emit("hype_train.begin", broadcaster_id, _hype_fields(ch.hype_train))
        return ch.hype_train

    def contribute_hype_train(
        self, broadcaster_id: str, user_id: str, kind: str, total: int
    ) -> HypeTrainRecord:
        """A contribution to the running train (EventSub ``channel.hype_train.progress``):
        levels go up each ``goal`` points, and the train's expiry restarts (5 minutes).

        Raises:
            SimError: 400 for an unknown user or when no train is running.
        """
        self.user(user_id)
        ch = self.channel(broadcaster_id)
        train = ch.hype_train
        now = self.now()
        if train is None or train.expires_at <= now:
            raise SimError(400, "No hype train is running.")
        train.contributions.append((user_id, kind, total))
        train.total += total
        train.progress += total
        while train.progress >= train.goal:
            train.progress -= train.goal
            train.level += 1
        train.expires_at = now + 300
        self._note_hype_record(ch, now)
        self.state.emit("hype_train.progress", broadcaster_id, _hype_fields(train))
        return train

    def end_hype_train(self, broadcaster_id: str) -> HypeTrainRecord:
        """End the running train now (EventSub ``channel.hype_train.end``).

        Raises:
            SimError: 400 when no train is running.
        """
        ch = self.channel(broadcaster_id)
        train = ch.hype_train
        if train is None:
            raise SimError(400, "No hype train is running.")
        ch.hype_train = None
        now = self.now()
        record = _hype_fields(train)
        record.update({"ended_at": now, "cooldown_ends_at": now + HYPE_TRAIN_COOLDOWN})
        self.state.emit("hype_train.end", broadcaster_id, record)
        return train

    def _note_hype_record(self, ch: ChannelExtras, now: float) -> None:
        train = ch.hype_train
        record = ch.hype_record
        if train is not None and (record is None or train.total > record[1]):
            ch.hype_record = (train.level, train.total, now)

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

    def add_channel_badge(self, broadcaster_id: str, set_id: str, version: str, title: str) -> None:
        """Give the channel a custom badge version."""
        ch = self.channel(broadcaster_id)
        for badge in ch.badges:
            if badge["set_id"] == set_id:
                badge["versions"].append(_badge_version(version, title, None, None))
                return
        ch.badges.append(_badge_set(set_id, [(version, title, None, None)]))
        ch.badges.sort(key=lambda b: str(b["set_id"]))


def _hype_fields(train: HypeTrainRecord) -> dict[str, Any]:
    """What a hype-train DomainEvent carries: the train, its top two contributors (summed per
    user and type, as Get Hype Train Status lists them) and its latest contribution."""
    per_type: dict[tuple[str, str], int] = {}
    for user_id, kind, total in train.contributions:
        per_type[(user_id, kind)] = per_type.get((user_id, kind), 0) + total
    tops = sorted(per_type.items(), key=lambda c: -c[1])[:2]
    return {
        "id": train.id,
        "level": train.level,
        "total": train.total,
        "progress": train.progress,
        "goal": train.goal,
        "top_contributions": [(uid, kind, total) for (uid, kind), total in tops],
        "last_contribution": train.contributions[-1] if train.contributions else None,
        "started_at": train.started_at,
        "expires_at": train.expires_at,
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
