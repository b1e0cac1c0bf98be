"""The extras' changes that Twitch announces over EventSub, and the `DomainEvent`s they emit.

Bans and unbans, moderators added and removed, new followers, subscriptions, gifts, resub
messages and hype trains: each method validates, changes the store, then calls
``state.emit`` so the EventSub hub can deliver it (``companion.sim.eventsub_extra_types``
maps the kinds to EventSub types). A mixin of `companion.sim.extras.store.ExtrasStore`.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from ..errors import SimError
from .records import BanRecord, ChannelExtras, HypeTrainRecord

if TYPE_CHECKING:
    from ..state import SimState

__all__ = ["HYPE_TRAIN_COOLDOWN", "HYPE_TRAIN_GOAL", "LiveChanges"]

_log = logging.getLogger(__name__)

#: Hype train cooldown after its end. Twitch lets broadcasters choose it and the reference
#: gives no default; one hour is the simulator's choice.
HYPE_TRAIN_COOLDOWN: Final = 3600.0
#: Points per hype train level (the simulator keeps every level's goal the same).
HYPE_TRAIN_GOAL: Final = 1000


class LiveChanges:
    """Control-surface methods whose changes are announced as `DomainEvent`s."""

    __slots__ = ()

    if TYPE_CHECKING:
        # Provided by ExtrasStore.
        state: SimState

        def now(self) -> float: ...

        def token_id(self, length: int) -> str: ...

        def channel(self, broadcaster_id: str) -> ChannelExtras: ...

        def user(self, user_id: str) -> dict[str, Any]: ...

    def add_moderator(self, broadcaster_id: str, user_id: str) -> None:
        """Make ``user_id`` a moderator of the channel (EventSub ``channel.moderator.add``)."""
        self.user(user_id)
        moderators = self.channel(broadcaster_id).moderators
        if user_id not in moderators:
            moderators[user_id] = None
            self.state.emit("moderator.add", broadcaster_id, {"user_id": user_id})

    def remove_moderator(self, broadcaster_id: str, user_id: str) -> None:
        """``user_id`` is no longer a moderator (EventSub ``channel.moderator.remove``).

        Raises:
            SimError: 400 if the user is not a moderator of the channel.
        """
        moderators = self.channel(broadcaster_id).moderators
        if user_id not in moderators:
            raise SimError(400, "The user is not a moderator.")
        del moderators[user_id]
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
        self.state.emit("hype_train.begin", broadcaster_id, _hype_fields(ch.hype_train, ch))
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
        self.state.emit("hype_train.progress", broadcaster_id, _hype_fields(train, ch))
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
        record = _hype_fields(train, ch)
        record.update({"ended_at": now, "cooldown_ends_at": now + HYPE_TRAIN_COOLDOWN})
        self.state.emit("hype_train.end", broadcaster_id, record)
        return train

    def _note_hype_record(self, ch: ChannelExtras, now: float) -> None:
        train = ch.hype_train
        record = ch.hype_record
        if train is not None and (record is None or train.total > record[1]):
            ch.hype_record = (train.level, train.total, now)


def _hype_fields(train: HypeTrainRecord, ch: ChannelExtras) -> dict[str, Any]:
    """What a hype-train DomainEvent carries: the train, its top two contributors (summed per
    user and type, as Get Hype Train Status lists them), its latest contribution, its type and
    the channel's all-time high ``(level, total)``."""
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
        "type": train.train_type,
        "all_time_high": ch.hype_record[:2] if ch.hype_record is not None else None,
    }
