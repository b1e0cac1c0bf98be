"""RecentIds keeps the newest ids up to its cap, in the order they came."""

from __future__ import annotations

import pytest

from companion.core.recent_ids import RecentIds


def test_past_the_cap_the_oldest_is_forgotten() -> None:
    ids = RecentIds(3)
    for item in ("a", "b", "c", "d"):
        ids.add(item)
    assert len(ids) == 3
    assert "a" not in ids
    assert all(item in ids for item in ("b", "c", "d"))


def test_adding_a_known_id_keeps_its_place() -> None:
    ids = RecentIds(2)
    ids.add("a")
    ids.add("b")
    ids.add("a")  # already there: still the oldest
    ids.add("c")
    assert "a" not in ids and "b" in ids and "c" in ids
    assert len(ids) == 2


def test_a_cap_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1, not 0"):
        RecentIds(0)
