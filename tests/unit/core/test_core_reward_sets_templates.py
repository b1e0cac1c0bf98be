"""Reward sets and prediction/poll templates: atomic JSON files, changes to send, limits."""

from __future__ import annotations

import json
import logging
from typing import TYPE_CHECKING

import pytest

from companion.core.jsonstore import StoreError, write_json_atomically
from companion.core.reward_sets import RewardSets, RewardToggle
from companion.core.templates import (
    PollTemplate,
    PredictionTemplate,
    TemplateInvalid,
    TemplateStore,
)
from companion.twitch.limits import LIMITS

if TYPE_CHECKING:
    from pathlib import Path


def check_limit(name: str, value: object) -> None:
    """What the app passes in: the client's one table of Twitch limits."""
    LIMITS[name].check(value)


# ---------------------------------------------------------------------- atomic writes


def test_atomic_write_replaces_and_leaves_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    target = folder / "x.json"
    write_json_atomically(target, {"version": 1, "a": "é"})
    write_json_atomically(target, {"version": 1, "a": "b"})
    assert json.loads(target.read_text(encoding="utf-8")) == {"version": 1, "a": "b"}
    assert sorted(p.name for p in folder.iterdir()) == ["x.json"]


def test_failed_write_keeps_the_old_file_and_no_temp(tmp_path: Path) -> None:
    folder = tmp_path / "store"
    folder.mkdir()
    target = folder / "x.json"
    write_json_atomically(target, {"version": 1, "keep": True})
    with pytest.raises(TypeError):
        write_json_atomically(target, {"version": 1, "bad": object()})
    # The replace step itself fails (the target is a folder): the temp file goes away.
    (folder / "taken").mkdir()
    (folder / "taken" / "inside").write_text("x", encoding="utf-8")
    with pytest.raises(OSError):
        write_json_atomically(folder / "taken", {"version": 1})
    assert json.loads(target.read_text(encoding="utf-8")) == {"version": 1, "keep": True}
    assert sorted(p.name for p in folder.iterdir()) == ["taken", "x.json"]


# ---------------------------------------------------------------------- reward sets


@pytest.fixture
def sets(scratch_data_dir: Path) -> RewardSets:
    store = RewardSets(scratch_data_dir)
    store.save_set("Elden Ring", ["boss", "hydrate-er", "death"])
    store.save_set("Tetris", ["tspin", "death"])
    store.save_set("Chill", ["song"])
    return store


def test_reward_sets_persist_in_order(sets: RewardSets, scratch_data_dir: Path) -> None:
    sets.save_set("  elden   ring ", ["boss", "boss", "death"])  # same set, new spelling
    reopened = RewardSets(scratch_data_dir)
    assert reopened.names() == ["elden ring", "Tetris", "Chill"]
    assert reopened.get("ELDEN RING") == ("boss", "death")
    data = json.loads((scratch_data_dir / "reward_sets.json").read_text(encoding="utf-8"))
    assert data["version"] == 1
    sets.rename_set("tetris", "Tetris 99")
    with pytest.raises(ValueError, match="already exists"):
        sets.rename_set("Chill", "TETRIS 99")
    assert sets.delete_set("chill") is True
    assert sets.delete_set("chill") is False
    assert RewardSets(scratch_data_dir).names() == ["elden ring", "Tetris 99"]
    with pytest.raises(KeyError):
        sets.get("Chill")
    with pytest.raises(ValueError, match="needs a name"):
        sets.save_set("   ", [])


def test_enable_set_turns_others_off_then_its_own_on(sets: RewardSets) -> None:
    current = {
        "boss": False,
        "hydrate-er": False,
        "death": True,  # in both games' sets: stays on
        "tspin": True,
        "song": True,
        "hydrate": True,  # in no set: left alone
    }
    assert sets.enable_set("Elden Ring", current) == [
        RewardToggle("tspin", False),
        RewardToggle("song", False),
        RewardToggle("boss", True),
        RewardToggle("hydrate-er", True),
    ]
    assert sets.enable_set("Elden Ring", current, exclusive=False) == [
        RewardToggle("boss", True),
        RewardToggle("hydrate-er", True),
    ]
    after = {**current, "boss": True, "hydrate-er": True, "tspin": False, "song": False}
    assert sets.enable_set("elden ring", after) == []  # nothing left to change
    # Without the current states: every toggle the switch implies.
    assert sets.enable_set("Tetris") == [
        RewardToggle("boss", False),
        RewardToggle("hydrate-er", False),
        RewardToggle("song", False),
        RewardToggle("tspin", True),
        RewardToggle("death", True),
    ]


def test_enable_set_skips_deleted_rewards(
    sets: RewardSets, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="companion.core.reward_sets"):
        changes = sets.enable_set("Tetris", {"tspin": False, "boss": True})
    assert changes == [RewardToggle("boss", False), RewardToggle("tspin", True)]
    assert [r.getMessage() for r in caplog.records] == [
        "reward set 'Tetris' names 1 rewards that no longer exist"
    ]
    assert sets.forget_reward("death") == 2
    assert sets.get("Tetris") == ("tspin",)


def test_corrupt_file_is_moved_aside_and_newer_file_refused(scratch_data_dir: Path) -> None:
    path = scratch_data_dir / "reward_sets.json"
    path.write_text("{not json", encoding="utf-8")
    assert RewardSets(scratch_data_dir).names() == []
    assert [p.name.startswith("reward_sets.json.corrupt-") for p in scratch_data_dir.iterdir()] == [
        True
    ]
    path.write_text(json.dumps({"version": 2, "sets": []}), encoding="utf-8")
    with pytest.raises(StoreError, match="version 2"):
        RewardSets(scratch_data_dir)
    path.write_text(json.dumps({"version": 1, "sets": [{"name": "x"}]}), encoding="utf-8")
    with pytest.raises(StoreError, match="malformed"):
        RewardSets(scratch_data_dir)


# ---------------------------------------------------------------------- templates


def test_templates_validate_against_the_limits(scratch_data_dir: Path) -> None:
    store = TemplateStore(scratch_data_dir, check_limit)
    good = PredictionTemplate("Boss", "Will we beat the boss?", ("Yes", "No"), 120)
    store.save_prediction(good)
    bad = PredictionTemplate("Bad", "x" * 46, ("Only one",), 10)
    with pytest.raises(TemplateInvalid) as caught:
        store.save_prediction(bad)
    assert len(caught.value.problems) == 3
    assert [
        ("prediction_title" in p, "prediction_outcomes" in p, "prediction_window" in p)
        for p in caught.value.problems
    ] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
    poll = PollTemplate("Next game", "What next?", ("A", "B", "C"), 300, channel_points_per_vote=50)
    store.save_poll(poll)
    with pytest.raises(TemplateInvalid, match="poll_choice_title"):
        store.save_poll(PollTemplate("Long", "Q", ("A", "B" * 26), 300))
    with pytest.raises(TemplateInvalid, match="poll_channel_points_per_vote"):
        store.save_poll(PollTemplate("Pricey", "Q", ("A", "B"), 300, 1_000_001))
    with pytest.raises(TemplateInvalid, match="needs a name"):
        store.save_poll(PollTemplate(" ", "Q", ("A", "B"), 300))
    reopened = TemplateStore(scratch_data_dir, check_limit)
    assert reopened.predictions() == [good]
    assert reopened.polls() == [poll]
    assert reopened.prediction("BOSS") == good
    assert reopened.poll("next GAME") == poll
    assert reopened.delete_poll("next game") is True
    assert reopened.delete_poll("next game") is False
    assert reopened.delete_prediction("boss") is True
    assert TemplateStore(scratch_data_dir, check_limit).predictions() == []


def test_template_with_the_same_name_replaces_the_old_one(scratch_data_dir: Path) -> None:
    store = TemplateStore(scratch_data_dir, check_limit)
    store.save_poll(PollTemplate("Vote", "Old?", ("A", "B"), 60))
    store.save_poll(PollTemplate("VOTE", "New?", ("C", "D"), 90))
    assert [(p.name, p.title) for p in TemplateStore(scratch_data_dir, check_limit).polls()] == [
        ("VOTE", "New?")
    ]
    assert sorted(p.name for p in scratch_data_dir.iterdir()) == ["templates.json"]
