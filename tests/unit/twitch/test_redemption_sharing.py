"""A redemption listing shares one broadcaster and one reward object between its items.

``get_redemptions`` reads each item through one ``CustomRewardRedemption._listing_reader``
per listing: an item whose broadcaster (id, login, name) or reward (id, title, prompt,
cost) equals the item before's gets that item's very object, else a new one. Here every
item read that way must equal, value for value, the same item read alone by the
constructor (whatever was shared before it), the shared objects must be the same object
exactly where the values are the same, and the shared models must refuse assignment.
"""

from __future__ import annotations

import copy
import gc
from typing import TYPE_CHECKING, Any

import pytest

from companion.twitch.models import (
    BaseUser,
    CustomReward,
    CustomRewardRedemption,
    PartialCustomReward,
    PartialUser,
)
from tests.unit.twitch.test_redemption_fast_read import (
    DOCUMENTED,
    HTTP,
    ODD_VALUES,
    PATHS,
    SIMULATED,
    _changed,
    _snapshot,
)

if TYPE_CHECKING:
    from collections.abc import Iterable


def _item(n: int, **changes: Any) -> dict[str, Any]:
    """The simulator's item with its own id and one of three viewers; ``changes`` apply to
    the item (``reward_title`` etc. to its reward)."""
    item = copy.deepcopy(SIMULATED)
    item["id"] = f"redemption-{n}"
    item["user_id"], item["user_login"], item["user_name"] = (f"2{n % 3}", f"v{n % 3}", f"V{n % 3}")
    for key, value in changes.items():
        if key.startswith("reward_"):
            item["reward"][key.removeprefix("reward_")] = value
        else:
            item[key] = value
    return item


def _listing(
    items: Iterable[Any], parent: CustomReward | None = None
) -> list[CustomRewardRedemption]:
    read = CustomRewardRedemption._listing_reader(HTTP, parent)
    return [read(item) for item in items]


def _alone(item: Any, parent: CustomReward | None = None) -> tuple[Any, ...]:
    return _snapshot(lambda: CustomRewardRedemption(HTTP, copy.deepcopy(item), parent))


def test_a_page_shares_one_broadcaster_and_one_reward_and_reads_the_same() -> None:
    items = [_item(n) for n in range(50)]
    page = _listing(copy.deepcopy(items))
    assert [_snapshot(lambda r=r: r) for r in page] == [_alone(i) for i in items]
    first = page[0]
    assert all(r.broadcaster is first.broadcaster for r in page)
    assert all(r.reward is first.reward for r in page)
    assert type(first.broadcaster) is PartialUser
    assert type(first.reward) is PartialCustomReward
    # Viewers are not shared: one user object per item, even for the same viewer.
    assert len({id(r.user) for r in page}) == 50
    assert page[0].user == page[3].user  # same viewer, equal values, another object
    assert (first.broadcaster.id, first.broadcaster.login, first.broadcaster.name) == (
        "100000001",
        "pagecaster",
        "PageCaster",
    )
    assert (first.reward.id, first.reward.title, first.reward.prompt, first.reward.cost) == (
        "6b0404f2-b094-40b8-ab01-a1c12a3a2107",
        "Bench",
        None,
        1,
    )


def test_tracked_objects_per_item_are_two() -> None:
    """The redemption and its viewer; the time is not tracked, the rest is shared."""
    page = _listing([_item(n) for n in range(100)])
    tracked = {
        id(obj)
        for r in page
        for obj in (r, r.broadcaster, r.user, r.reward, r.redeemed_at, r.id, r.status)
        if gc.is_tracked(obj)
    }
    assert len(tracked) == 2 * 100 + 2  # + one broadcaster and one reward
    assert not gc.is_tracked(page[0].redeemed_at)


@pytest.mark.parametrize(
    ("change", "which"),
    [
        ({"broadcaster_name": "Renamed"}, "broadcaster"),
        ({"broadcaster_login": "renamed"}, "broadcaster"),
        ({"broadcaster_login": None}, "broadcaster"),
        ({"broadcaster_id": "100000009"}, "broadcaster"),
        ({"reward_title": "Edited"}, "reward"),
        ({"reward_prompt": "Say hi"}, "reward"),
        ({"reward_cost": 2}, "reward"),
        ({"reward_id": "another-reward"}, "reward"),
    ],
)
def test_a_change_mid_listing_gets_a_new_object_and_earlier_items_keep_theirs(
    change: dict[str, Any], which: str
) -> None:
    """E.g. the reward edited or the channel renamed between two pages."""
    items = [_item(n) for n in range(3)] + [_item(n, **change) for n in range(3, 6)]
    page = _listing(copy.deepcopy(items))
    assert [_snapshot(lambda r=r: r) for r in page] == [_alone(i) for i in items]
    before, after = [getattr(r, which) for r in page[:3]], [getattr(r, which) for r in page[3:]]
    assert before[0] is before[1] is before[2]
    assert after[0] is after[1] is after[2]
    assert after[0] is not before[0]
    other = "reward" if which == "broadcaster" else "broadcaster"
    assert all(getattr(r, other) is getattr(page[0], other) for r in page)


def test_empty_texts_and_nulls_are_the_same_key() -> None:
    """``""`` and null both read as None, so they share (as they read the same)."""
    page = _listing([_item(0, broadcaster_login=""), _item(1, broadcaster_login=None)])
    assert page[0].broadcaster is page[1].broadcaster
    assert page[0].broadcaster.login is None


@pytest.mark.parametrize("path", PATHS)
def test_an_odd_item_after_a_plain_one_reads_as_it_does_alone(path: str) -> None:
    """Whatever an item holds, what the item before left to share never leaks into it."""
    for base in (DOCUMENTED, SIMULATED):
        changes: list[list[tuple[str, str, Any]]] = [[(path, "delete", None)]]
        changes += [[(path, "replace", value)] for value in ODD_VALUES]
        for change in changes:
            odd = _changed(base, change)
            read = CustomRewardRedemption._listing_reader(HTTP, None)
            read(copy.deepcopy(base))
            assert _snapshot(lambda read=read, odd=odd: read(copy.deepcopy(odd))) == _alone(odd)
            # And the plain item after the odd one still reads as it does alone.
            again = _snapshot(lambda read=read, base=base: read(copy.deepcopy(base)))
            assert again == _alone(base)


def test_the_parent_reward_is_used_and_the_broadcaster_still_shared() -> None:
    parent_item = copy.deepcopy(SIMULATED["reward"])
    parent_item.update(
        broadcaster_id="100000001",
        broadcaster_login="pagecaster",
        broadcaster_name="PageCaster",
        background_color="#00E5CB",
        is_enabled=True,
        is_user_input_required=False,
        max_per_stream_setting={"is_enabled": False, "max_per_stream": 0},
        max_per_user_per_stream_setting={"is_enabled": False, "max_per_user_per_stream": 0},
        global_cooldown_setting={"is_enabled": False, "global_cooldown_seconds": 0},
        is_paused=False,
        is_in_stock=True,
        should_redemptions_skip_request_queue=False,
        redemptions_redeemed_current_stream=None,
        cooldown_expires_at=None,
        image=None,
        default_image={"url_1x": "a", "url_2x": "b", "url_4x": "c"},
    )
    parent = CustomReward(HTTP, parent_item)
    items = [_item(n) for n in range(4)]
    page = _listing(copy.deepcopy(items), parent)
    assert [_snapshot(lambda r=r: r) for r in page] == [_alone(i, parent) for i in items]
    assert all(r.reward is parent for r in page)
    assert all(r.broadcaster is page[0].broadcaster for r in page)


def test_shared_models_refuse_assignment() -> None:
    (first, second) = _listing([_item(0), _item(1)])
    broadcaster, reward = first.broadcaster, first.reward
    for obj, attribute, value in [
        (broadcaster, "id", "1"),
        (broadcaster, "login", "x"),
        (broadcaster, "name", "X"),
        (reward, "id", "r"),
        (reward, "title", "T"),
        (reward, "prompt", "P"),
        (reward, "cost", 9),
    ]:
        before = getattr(obj, attribute)
        with pytest.raises(AttributeError):
            setattr(obj, attribute, value)
        with pytest.raises(AttributeError):
            delattr(obj, attribute)
        assert getattr(obj, attribute) == before
    assert second.broadcaster.login == "pagecaster"
    assert second.reward.title == "Bench"
    plain = BaseUser(5)
    with pytest.raises(AttributeError):
        plain.id = "6"  # type: ignore[misc]  # the point: a read-only property
    assert plain.id == "5"
    # The redemption itself is the item's own and stays as it was.
    assert first.id == "redemption-0"
