"""RewardsService against the real simulator over loopback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from companion.core.reward_sets import RewardSets
from companion.services.queue_service import QueueService
from companion.services.rewards_service import (
    MAX_REWARDS,
    READ_ONLY_REASON,
    RewardsService,
    copy_title,
)
from companion.twitch.errors import LimitError
from tests.helpers.queue_sim import OTHER_CLIENT_ID, SimChannel, until

if TYPE_CHECKING:
    from collections.abc import AsyncIterator
    from pathlib import Path

pytestmark = pytest.mark.qt_loop


@pytest.fixture
async def channel(qapp) -> AsyncIterator[SimChannel]:
    ch = SimChannel()
    await ch.start()
    try:
        yield ch
    finally:
        await ch.stop()


def services(channel: SimChannel, tmp_path: Path) -> tuple[RewardsService, QueueService]:
    queue = QueueService(channel.broadcaster, None, undo_seconds=0.05)
    queue.connect_events(channel.events)
    rewards = RewardsService(channel.broadcaster, queue, RewardSets(tmp_path))
    rewards.connect_events(channel.events)
    return rewards, queue


def sim_reward(channel: SimChannel, reward_id: str) -> dict:
    return channel.sim.state.channels[channel.broadcaster_id].rewards[reward_id].data


async def test_load_marks_other_apps_rewards_read_only(channel: SimChannel, tmp_path) -> None:
    mine = channel.create_reward("Hydrate")
    theirs = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    assert set(rewards.rewards) == {mine, theirs}
    assert rewards.manageable == {mine}
    assert rewards.read_only_reason(theirs) == READ_ONLY_REASON
    assert rewards.read_only_reason(mine) is None
    with pytest.raises(ValueError, match="another app"):
        await rewards.edit(theirs, cost=5)
    await queue.shutdown()


async def test_live_adds_updates_and_removes(channel: SimChannel, tmp_path) -> None:
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    removed: list[str] = []
    rewards.reward_removed.connect(removed.append)
    theirs = channel.create_reward("Highlight", client_id=OTHER_CLIENT_ID)
    await until(lambda: theirs in rewards.rewards)
    created = await rewards.create(title="Hydrate", cost=100)
    assert rewards.is_manageable(created.id)
    await rewards.wait_idle()
    assert not rewards.is_manageable(theirs)
    channel.sim.state.update_reward(channel.broadcaster_id, OTHER_CLIENT_ID, theirs, {"cost": 42})
    await until(lambda: rewards.rewards[theirs].cost == 42)
    channel.sim.state.delete_reward(channel.broadcaster_id, OTHER_CLIENT_ID, theirs)
    await until(lambda: theirs not in rewards.rewards)
    assert removed == [theirs]
    await queue.shutdown()


async def test_edit_sends_every_field(channel: SimChannel, tmp_path) -> None:
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    reward = await rewards.create(title="Hydrate", cost=100, paused=True)
    assert sim_reward(channel, reward.id)["is_paused"] is True
    updated = await rewards.edit(
        reward.id,
        title="Drink water",
        prompt="Take a sip",
        cost=250,
        background_color="#00FF00",
        enabled=False,
        input_required=True,
        max_per_stream_enabled=True,
        max_per_stream=10,
        max_per_user_per_stream_enabled=True,
        max_per_user_per_stream=2,
        global_cooldown_enabled=True,
        global_cooldown=604_800,
        paused=False,
        redemptions_skip_queue=True,
    )
    data = sim_reward(channel, reward.id)
    assert (data["title"], data["prompt"], data["cost"], data["background_color"]) == (
        "Drink water",
        "Take a sip",
        250,
        "#00FF00",
    )
    assert (data["is_enabled"], data["is_user_input_required"], data["is_paused"]) == (
        False,
        True,
        False,
    )
    assert data["max_per_stream_setting"] == {"is_enabled": True, "max_per_stream": 10}
    assert data["max_per_user_per_stream_setting"] == {
        "is_enabled": True,
        "max_per_user_per_stream": 2,
    }
    assert data["global_cooldown_setting"] == {
        "is_enabled": True,
        "global_cooldown_seconds": 604_800,
    }
    assert data["should_redemptions_skip_request_queue"] is True
    assert rewards.rewards[reward.id] is updated
    with pytest.raises(LimitError):
        await rewards.edit(reward.id, global_cooldown=604_801)
    await rewards.set_paused(reward.id, True)
    await rewards.set_enabled(reward.id, True)
    assert (
        sim_reward(channel, reward.id)["is_paused"],
        sim_reward(channel, reward.id)["is_enabled"],
    ) == (True, True)
    await queue.shutdown()


@pytest.mark.parametrize(("refund_first", "status"), [(True, "CANCELED"), (False, "FULFILLED")])
async def test_delete_with_waiting_redemptions(
    channel: SimChannel, tmp_path, refund_first: bool, status: str
) -> None:
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    reward = await rewards.create(title="Hydrate", cost=100)
    ids = [channel.redeem(reward.id, viewer=n) for n in range(3)]
    await until(lambda: rewards.waiting_count(reward.id) == 3)
    refunded = await rewards.delete(reward.id, refund_first=refund_first)
    assert refunded == (3 if refund_first else 0)
    assert [channel.status_of(i) for i in ids] == [status] * 3
    assert reward.id not in rewards.rewards
    await until(lambda: len(queue.queue) == 0)
    await queue.shutdown()


async def test_adopt_copies_and_reports_the_403_honestly(channel: SimChannel, tmp_path) -> None:
    theirs = channel.create_reward(
        "Highlight my message",
        client_id=OTHER_CLIENT_ID,
        cost=300,
        is_global_cooldown_enabled=True,
        global_cooldown_seconds=90,
    )
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    notices: list[str] = []
    rewards.notice.connect(notices.append)
    outcome = await rewards.adopt(theirs)
    assert outcome.copy.title == "Highlight my message (copy)"
    assert outcome.copy.cost == 300
    assert outcome.copy.global_cooldown == (True, 90)
    assert rewards.is_manageable(outcome.copy.id)
    assert outcome.original_disabled is False
    assert sim_reward(channel, theirs)["is_enabled"] is True  # Twitch refused (403)
    assert "Twitch dashboard" in outcome.message
    assert notices == [outcome.message]
    await queue.shutdown()


def test_copy_title_stays_unique_and_within_45() -> None:
    assert copy_title("Hydrate", {"Hydrate"}) == "Hydrate (copy)"
    assert copy_title("Hydrate", {"Hydrate", "hydrate (copy)"}) == "Hydrate (copy 2)"
    long = "x" * 45
    assert len(copy_title(long, {long})) == 45


async def test_fifty_rewards_is_the_cap(channel: SimChannel, tmp_path) -> None:
    for n in range(MAX_REWARDS - 1):
        channel.create_reward(f"Reward {n}")
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    assert rewards.can_create
    await rewards.create(title="The fiftieth", cost=1)
    assert rewards.count == 50 and not rewards.can_create
    with pytest.raises(ValueError, match="50 rewards"):
        await rewards.create(title="One too many", cost=1)
    await queue.shutdown()


async def test_reward_set_switches_in_one_action(channel: SimChannel, tmp_path) -> None:
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    a = await rewards.create(title="Elden: summon", cost=10)
    b = await rewards.create(title="Elden: boss", cost=10)
    c = await rewards.create(title="Tetris: speed up", cost=10, enabled=False)
    assert rewards.reward_sets is not None
    rewards.reward_sets.save_set("Elden Ring", [a.id, b.id])
    rewards.reward_sets.save_set("Tetris", [c.id])
    changed = await rewards.apply_set("Tetris")
    assert changed == 3
    assert [sim_reward(channel, r.id)["is_enabled"] for r in (a, b, c)] == [False, False, True]
    # Saved locally: a new store on the same folder sees the sets.
    assert RewardSets(tmp_path).names() == ["Elden Ring", "Tetris"]
    await queue.shutdown()


async def test_deleting_a_reward_clears_its_rows_without_waiting_for_eventsub(
    channel: SimChannel, tmp_path
) -> None:
    rewards, queue = services(channel, tmp_path)
    await rewards.load()
    reward = await rewards.create(title="Hydrate", cost=100)
    other = await rewards.create(title="Stretch", cost=100)
    ids = [channel.redeem(reward.id, viewer=n) for n in range(3)]
    kept = channel.redeem(other.id)
    await until(lambda: len(queue.queue) == 4)
    await channel.events.drop()  # no redemption.update will arrive
    await rewards.delete(reward.id)
    assert queue.queue.ids() == [kept]
    assert [channel.status_of(i) for i in ids] == ["FULFILLED"] * 3
    await queue.shutdown()
