"""The rewards service: the channel's custom rewards, live, and every change to them.

It keeps every reward of the channel (Get Custom Reward) and which of them this app
may manage (``only_manageable_rewards``: Twitch lets only the app that created a
reward change it, 403 otherwise). EventSub's reward add/update/remove keep the list
live; :meth:`reload` re-reads it after a reconnect.

Signals:
    rewards_loaded(): the whole list was (re)read; models reset once.
    reward_changed(object): a :class:`CustomReward` was added or changed.
    reward_removed(str): a reward id left the channel.
    notice(str): something the streamer should read (outcomes of adopt, sets, deletes).
"""

from __future__ import annotations

import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Signal

from companion.core.bidi import isolate
from companion.core.errors import UserError
from companion.twitch import limits
from companion.twitch.errors import Forbidden, NotFound, TwitchError

from .base import Service
from .messages import explain_error

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.core.reward_sets import RewardSets
    from companion.twitch.models.channel_points import CustomReward, CustomRewardRedemption
    from companion.twitch.models.users import PartialUser

    from .queue_service import QueueService

__all__ = [
    "MAX_REWARDS",
    "READ_ONLY_REASON",
    "AdoptOutcome",
    "RewardEvents",
    "RewardsService",
    "copy_title",
]

_log = logging.getLogger(__name__)

#: A channel holds at most 50 custom rewards, enabled or not (SOURCES.md, Get Custom Reward).
MAX_REWARDS = limits.REWARDS_PER_CHANNEL.maximum or 50

READ_ONLY_REASON = (
    "Created by another app: Twitch lets only the app that created a reward change it "
    "or its redemptions. Adopt it to manage a copy here."
)

_COPY_SUFFIX = " (copy)"


class RewardEvents(Protocol):
    """The part of ``LiveEvents`` this service listens to (Qt signals)."""

    reward_added: Any
    reward_updated: Any
    reward_removed: Any
    redemption_added: Any
    resynced: Any


@dataclass(frozen=True, slots=True)
class AdoptOutcome:
    """What adopting another app's reward did.

    Attributes:
        copy: The new reward this app created.
        original_disabled: True if Twitch let this app disable the original.
        message: What to tell the streamer.
    """

    copy: CustomReward
    original_disabled: bool
    message: str


def copy_title(title: str, taken: set[str]) -> str:
    """A title for the adopted copy: titles must be unique in the channel (1-45 chars)."""
    maximum = limits.REWARD_TITLE.maximum or 45
    for number in range(1, 100):
        suffix = _COPY_SUFFIX if number == 1 else f" (copy {number})"
        candidate = title[: maximum - len(suffix)].rstrip() + suffix
        if candidate.casefold() not in {t.casefold() for t in taken}:
            return candidate
    raise UserError("Every name for a copy of this reward is taken; rename one first.")


class RewardsService(Service):
    """Reads and changes the channel's custom rewards.

    Args:
        broadcaster: The signed-in channel, or None until sign-in.
        queue_service: The queue (waiting counts, refunds before a delete, colours).
        reward_sets: The locally saved reward sets, if any.
        parent: Qt parent.
    """

    rewards_loaded = Signal()
    reward_changed = Signal(object)
    reward_removed = Signal(str)
    notice = Signal(str)

    def __init__(
        self,
        broadcaster: PartialUser | None,
        queue_service: QueueService | None = None,
        reward_sets: RewardSets | None = None,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._broadcaster = broadcaster
        self.queue_service = queue_service
        self.reward_sets = reward_sets
        self.rewards: dict[str, CustomReward] = {}
        self.manageable: set[str] = set()
        # Rewards whose creator is being asked (a reward.add event does not say which app).
        self._owner_unknown: set[str] = set()
        # What redemptions changed since each reward was last read (see on_redemption_added).
        self._counted: dict[str, set[str]] = {}
        self._cooldown_until: dict[str, datetime] = {}
        self.loaded = False

    def __repr__(self) -> str:
        return f"RewardsService(rewards={len(self.rewards)}, manageable={len(self.manageable)})"

    # ------------------------------------------------------------------ wiring

    @property
    def broadcaster(self) -> PartialUser | None:
        """The channel."""
        return self._broadcaster

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Switch channel (sign-in / sign-out) and re-read."""
        self._broadcaster = broadcaster
        self.rewards.clear()
        self.manageable.clear()
        self._owner_unknown.clear()
        self.loaded = False
        self._share_ownership()
        self.rewards_loaded.emit()
        if broadcaster is not None:
            self.reload()

    def connect_events(self, events: RewardEvents, *, resync: bool = True) -> None:
        """Listen to ``LiveEvents`` reward signals (and ``resynced`` unless ``resync`` is
        False, for an app that connects ``resynced`` to :meth:`refresh` itself)."""
        events.reward_added.connect(self.on_reward_added)
        events.reward_updated.connect(self.on_reward_updated)
        events.reward_removed.connect(self.on_reward_removed)
        events.redemption_added.connect(self.on_redemption_added)
        if resync:
            events.resynced.connect(self.reload)

    def _require(self) -> PartialUser:
        if self._broadcaster is None:
            raise UserError("Sign in to manage rewards.")
        return self._broadcaster

    # ------------------------------------------------------------------ reading

    def refresh(self) -> None:
        """The app's ``ChannelService`` name for :meth:`reload`."""
        self.reload()

    def reload(self) -> None:
        """Re-read every reward (latest wins)."""
        if self._broadcaster is not None:
            self.spawn(self.load(), name="rewards-load", latest_wins=True)

    async def load(self) -> None:
        """Read every reward and which of them this app manages."""
        broadcaster = self._require()
        every = await broadcaster.get_custom_rewards()
        mine = await broadcaster.get_custom_rewards(only_manageable=True)
        self.rewards = {reward.id: reward for reward in every}
        self.manageable = {reward.id for reward in mine}
        self._owner_unknown.clear()
        for reward in every:
            self._fresh(reward)
        self.loaded = True
        if self.queue_service is not None:
            self.queue_service.set_reward_colors(every)
        self._share_ownership()
        self.rewards_loaded.emit()

    def _share_ownership(self) -> None:
        """Tell the queue which rewards another app made (their rows cannot be acted on).

        Only rewards known to be another app's count: one whose creator is still being
        asked is not marked, so this app's own new reward is never blocked by a guess.
        """
        if self.queue_service is not None:
            self.queue_service.set_foreign_rewards(
                reward_id
                for reward_id in self.rewards
                if reward_id not in self.manageable and reward_id not in self._owner_unknown
            )

    def is_manageable(self, reward_id: str) -> bool:
        """True if this app created the reward (it may change it)."""
        return reward_id in self.manageable

    def read_only_reason(self, reward_id: str) -> str | None:
        """Why a reward cannot be changed here, or None if it can."""
        return None if reward_id in self.manageable else READ_ONLY_REASON

    def waiting_count(self, reward_id: str) -> int:
        """Redemptions of the reward waiting in the queue."""
        if self.queue_service is None:
            return 0
        return self.queue_service.queue.count_for_reward(reward_id)

    @property
    def count(self) -> int:
        """Rewards in the channel (Twitch's cap is :data:`MAX_REWARDS`)."""
        return len(self.rewards)

    @property
    def can_create(self) -> bool:
        """False once the channel holds the maximum number of rewards."""
        return self.count < MAX_REWARDS

    def titles(self, excluding: str | None = None) -> set[str]:
        """Every reward title in the channel (titles must be unique)."""
        return {r.title for r in self.rewards.values() if r.id != excluding}

    # ------------------------------------------------------------------ live events

    def _upsert(self, reward: CustomReward) -> None:
        self.rewards[reward.id] = reward
        self._fresh(reward)
        if self.queue_service is not None:
            self.queue_service.set_reward_colors([reward])
        self._share_ownership()
        self.reward_changed.emit(reward)

    def on_reward_added(self, reward: CustomReward) -> None:
        """EventSub ``reward.add`` (ours or another app's)."""
        if self._broadcaster is not None and reward.broadcaster.id != self._broadcaster.id:
            return
        known = reward.id in self.rewards
        if not known and reward.id not in self.manageable:
            self._owner_unknown.add(reward.id)
        self._upsert(reward)
        if not known and reward.id not in self.manageable:
            # The event does not say which app created it: ask Helix once.
            self.spawn(self._check_manageable(reward.id), name=f"rewards-owner-{reward.id}")

    async def _check_manageable(self, reward_id: str) -> None:
        broadcaster = self._require()
        try:
            mine = await broadcaster.get_custom_rewards(only_manageable=True, ids=[reward_id])
        except (NotFound, Forbidden):
            mine = []  # not ours (or gone already): it stays read-only
        # Another error leaves the owner unknown (unmarked) until the next full read.
        self._owner_unknown.discard(reward_id)
        if any(r.id == reward_id for r in mine):
            self.manageable.add(reward_id)
        self._share_ownership()
        if reward_id in self.rewards:
            self.reward_changed.emit(self.rewards[reward_id])

    # ------------------------------------------------------------------ live counts

    def _fresh(self, reward: CustomReward) -> None:
        """Twitch's own word on a reward just arrived: what was counted on top is dropped."""
        self._counted.pop(reward.id, None)
        self._cooldown_until.pop(reward.id, None)

    def on_redemption_added(self, redemption: CustomRewardRedemption) -> None:
        """EventSub ``redemption.add``: the reward's stream count and cooldown move on.

        Twitch does not send ``reward.update`` for a redemption, so between reads the
        table counts what arrives, each redemption once (EventSub delivers at least once).
        What arrives after a read counts on top of it. Arrival, not ``redeemed_at``, decides:
        Twitch's clock is not this machine's (and the simulator's stamps are whole seconds).
        A redemption made just before a read but delivered after it counts twice until the
        next read; one delivered before the read's answer is used is not lost, as the read
        counts it.
        """
        if self._broadcaster is not None and redemption.broadcaster.id != self._broadcaster.id:
            return
        reward = self.rewards.get(redemption.reward.id)
        if reward is None:
            return
        counted = self._counted.setdefault(reward.id, set())
        if redemption.id in counted:
            return
        counted.add(redemption.id)
        enabled, seconds = reward.global_cooldown
        if enabled and seconds > 0:
            # Twitch starts the cooldown at the redemption (it sends no event for it).
            ends = redemption.redeemed_at + timedelta(seconds=seconds)
            self._cooldown_until[reward.id] = max(ends, self.cooldown_until(reward.id) or ends)
        self.reward_changed.emit(reward)

    def stream_count(self, reward_id: str) -> int | None:
        """Redemptions of the reward this stream, or None while Twitch gives no count
        (it gives none while the channel is offline)."""
        reward = self.rewards.get(reward_id)
        if reward is None or reward.redemptions_current_stream is None:
            return None
        return reward.redemptions_current_stream + len(self._counted.get(reward_id, ()))

    def cooldown_until(self, reward_id: str) -> datetime | None:
        """When the reward's global cooldown ends (Twitch's word, or a redemption since)."""
        reward = self.rewards.get(reward_id)
        if reward is None:
            return None
        known = reward.cooldown_until
        counted = self._cooldown_until.get(reward_id)
        if known is None or counted is None:
            return counted or known
        return max(known, counted)

    def on_reward_updated(self, reward: CustomReward) -> None:
        """EventSub ``reward.update``."""
        if self._broadcaster is not None and reward.broadcaster.id != self._broadcaster.id:
            return
        self._upsert(reward)

    def on_reward_removed(self, reward: CustomReward) -> None:
        """EventSub ``reward.remove``."""
        self._forget(reward.id)

    def _forget(self, reward_id: str) -> None:
        if self.queue_service is not None:
            self.queue_service.reward_deleted(reward_id)
        if self.rewards.pop(reward_id, None) is not None:
            self.manageable.discard(reward_id)
            self._owner_unknown.discard(reward_id)
            self._counted.pop(reward_id, None)
            self._cooldown_until.pop(reward_id, None)
            self._share_ownership()
            if self.reward_sets is not None:
                self.reward_sets.forget_reward(reward_id)
            self.reward_removed.emit(reward_id)

    # ------------------------------------------------------------------ changes

    async def create(
        self,
        *,
        title: str,
        cost: int,
        prompt: str | None = None,
        enabled: bool = True,
        background_color: str | None = None,
        input_required: bool = False,
        max_per_stream: int | None = None,
        max_per_user_per_stream: int | None = None,
        global_cooldown: int | None = None,
        redemptions_skip_queue: bool = False,
        paused: bool = False,
    ) -> CustomReward:
        """Create a reward (a limit given is also enabled); ``paused`` is set right after.

        Raises:
            ValueError: The channel already has the maximum number of rewards.
            LimitError: A value breaks a documented limit (nothing sent).
        """
        broadcaster = self._require()
        if not self.can_create:
            raise UserError(f"The channel already has {MAX_REWARDS} rewards, Twitch's maximum.")
        reward = await broadcaster.create_custom_reward(
            title,
            cost,
            prompt=prompt,
            enabled=enabled,
            background_color=background_color,
            input_required=input_required,
            max_per_stream=max_per_stream,
            max_per_user_per_stream=max_per_user_per_stream,
            global_cooldown=global_cooldown,
            redemptions_skip_queue=redemptions_skip_queue,
        )
        self.manageable.add(reward.id)
        self._upsert(reward)
        if paused:
            # Create Custom Rewards takes no is_paused; Update does.
            reward = await reward.edit(paused=True)
            self._upsert(reward)
        return reward

    async def edit(self, reward_id: str, **changes: Any) -> CustomReward:
        """Change fields of a reward (``CustomReward.edit`` keywords; only those are sent).

        Raises:
            ValueError: The reward is unknown or belongs to another app.
        """
        self._require()
        reward = self.rewards.get(reward_id)
        if reward is None:
            raise UserError("That reward no longer exists.")
        if reward_id not in self.manageable:
            raise UserError(READ_ONLY_REASON)
        if not changes:
            return reward
        updated = await reward.edit(**changes)
        self._upsert(updated)
        return updated

    async def set_enabled(self, reward_id: str, enabled: bool) -> CustomReward:
        """Enable or disable a reward."""
        return await self.edit(reward_id, enabled=enabled)

    async def set_paused(self, reward_id: str, paused: bool) -> CustomReward:
        """Pause or resume a reward."""
        return await self.edit(reward_id, paused=paused)

    async def delete(self, reward_id: str, *, refund_first: bool = False) -> int:
        """Delete a reward; optionally refund its waiting redemptions first.

        Twitch marks a deleted reward's UNFULFILLED redemptions FULFILLED and refunds
        nobody, so the panel offers ``refund_first``.

        Returns:
            How many redemptions were refunded first.
        """
        self._require()
        reward = self.rewards.get(reward_id)
        if reward is None:
            raise UserError("That reward no longer exists.")
        if reward_id not in self.manageable:
            raise UserError(READ_ONLY_REASON)
        refunded = 0
        if refund_first and self.queue_service is not None:
            refunded = await self.queue_service.refund_now(reward_id)
        with contextlib.suppress(NotFound):  # already gone: what the streamer wanted
            await reward.delete()
        self._forget(reward_id)
        text = f"Deleted “{isolate(reward.title)}”."
        if refunded:
            text += f" {refunded} waiting redemption(s) were refunded first."
        self.notice.emit(text)
        return refunded

    async def adopt(self, reward_id: str) -> AdoptOutcome:
        """Copy another app's reward under this app, then try to disable the original.

        Titles must be unique, so the copy is named "<title> (copy)". Twitch only lets the
        creating app change a reward, so disabling the original normally fails with 403;
        the streamer is then told to disable it in the Twitch dashboard.
        """
        self._require()
        original = self.rewards.get(reward_id)
        if original is None:
            raise UserError("That reward no longer exists.")
        if reward_id in self.manageable:
            raise UserError("This app already manages that reward.")
        per_stream = original.max_per_stream
        per_user = original.max_per_user_stream
        cooldown = original.global_cooldown
        copy = await self.create(
            title=copy_title(original.title, self.titles()),
            cost=original.cost,
            prompt=original.prompt,
            enabled=original.enabled,
            background_color=original.background_color,
            input_required=original.input_required,
            max_per_stream=per_stream[1] if per_stream[0] else None,
            max_per_user_per_stream=per_user[1] if per_user[0] else None,
            global_cooldown=cooldown[1] if cooldown[0] else None,
            redemptions_skip_queue=original.redemptions_skip_queue,
            paused=original.paused,
        )
        disabled = False
        try:
            updated = await original.edit(enabled=False)
        except Forbidden:
            message = (
                f"Created “{isolate(copy.title)}”, managed here. Twitch does not let this app "
                f"change “{isolate(original.title)}” (only the app that created it can): disable "
                "or delete "
                "it yourself in the Twitch dashboard (Viewer Rewards > Channel Points > "
                "Manage Rewards & Challenges), then rename the copy if you like."
            )
        except TwitchError as exc:
            _log.warning("disabling the adopted reward failed: %r", exc)
            message = (
                f"Created “{isolate(copy.title)}”, but disabling "
                f"“{isolate(original.title)}” failed: "
                f"{explain_error(exc).what} Disable it in the Twitch dashboard."
            )
        else:
            disabled = True
            self._upsert(updated)
            message = f"Created “{isolate(copy.title)}” and disabled “{isolate(original.title)}”."
        self.notice.emit(message)
        return AdoptOutcome(copy, disabled, message)

    async def disable_set(self, name: str) -> int:
        """Turn off every reward of a set this app manages (the others stay as they are).

        Returns:
            How many rewards were changed.
        """
        if self.reward_sets is None:
            raise UserError("Reward sets are not available.")
        members = [
            reward_id
            for reward_id in self.reward_sets.get(name)
            if reward_id in self.manageable
            and reward_id in self.rewards
            and self.rewards[reward_id].enabled
        ]
        return await self._toggle_all(name, [(reward_id, False) for reward_id in members])

    async def apply_set(self, name: str, *, exclusive: bool = True) -> int:
        """Switch to a reward set: enable its rewards (and disable other sets' rewards).

        Returns:
            How many rewards were changed.
        """
        if self.reward_sets is None:
            raise UserError("Reward sets are not available.")
        current = {i: self.rewards[i].enabled for i in self.manageable if i in self.rewards}
        toggles = self.reward_sets.enable_set(name, current, exclusive=exclusive)
        return await self._toggle_all(name, [(t.reward_id, t.is_enabled) for t in toggles])

    async def _toggle_all(self, name: str, toggles: list[tuple[str, bool]]) -> int:
        changed = 0
        failures: list[str] = []
        for reward_id, enabled in toggles:
            try:
                await self.set_enabled(reward_id, enabled)
                changed += 1
            except (TwitchError, ValueError) as exc:
                title = self.rewards[reward_id].title if reward_id in self.rewards else reward_id
                _log.warning("reward set %s: %s not changed: %r", name, reward_id, exc)
                failures.append(f"{title} ({explain_error(exc).what.rstrip('.')})")
        text = f"Reward set “{isolate(name)}”: {changed} reward(s) changed."
        if failures:
            text += " Not changed: " + "; ".join(failures)
        self.notice.emit(text)
        return changed
