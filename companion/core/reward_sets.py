"""Reward sets: named groups of reward ids (one per game, say) kept on this machine.

Switching to a set turns its rewards on and, by default, the rewards of the other
sets off; rewards that belong to no set (a "hydrate" reward used in every game)
are left as they are. The core only computes the changes; the rewards service
sends them (Update Custom Reward, ``is_enabled``).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, NamedTuple

from .errors import UserError
from .jsonstore import StoreError, read_json, write_json_atomically

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping
    from pathlib import Path

__all__ = ["RewardSets", "RewardToggle"]

_log = logging.getLogger(__name__)

_FILE_VERSION = 1
# Not a Twitch limit: a name long enough for any game title, short enough for a menu.
_MAX_NAME_LENGTH = 100


class RewardToggle(NamedTuple):
    """One change to send: set ``is_enabled`` of ``reward_id``."""

    reward_id: str
    is_enabled: bool


def _clean_name(name: str) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        raise UserError("A reward set needs a name.")
    if len(cleaned) > _MAX_NAME_LENGTH:
        raise UserError(f"A reward set name is at most {_MAX_NAME_LENGTH} characters.")
    return cleaned


class RewardSets:
    """The reward sets saved in ``<data_dir>/reward_sets.json``.

    Names are unique ignoring case ("Elden Ring" and "elden ring" are one set);
    the spelling last saved is kept. Every change is written at once, atomically.

    Args:
        data_dir: The app's data folder.

    Raises:
        StoreError: The file was written by a newer app or has the wrong shape.
    """

    FILE_NAME = "reward_sets.json"

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / self.FILE_NAME
        self._sets: dict[str, tuple[str, ...]] = {}
        data = read_json(self.path, kind="reward sets", version=_FILE_VERSION)
        if data is not None:
            try:
                for entry in data["sets"]:
                    self._sets[_clean_name(str(entry["name"]))] = tuple(
                        dict.fromkeys(str(reward_id) for reward_id in entry["reward_ids"])
                    )
            except (KeyError, TypeError, ValueError) as exc:
                raise StoreError(f"reward sets file {self.path} is malformed: {exc}") from exc

    def __repr__(self) -> str:
        return f"RewardSets({str(self.path)!r}, sets={len(self._sets)})"

    def _find(self, name: str) -> str | None:
        folded = _clean_name(name).casefold()
        return next((known for known in self._sets if known.casefold() == folded), None)

    def _save(self) -> None:
        write_json_atomically(
            self.path,
            {
                "version": _FILE_VERSION,
                "sets": [
                    {"name": name, "reward_ids": list(reward_ids)}
                    for name, reward_ids in self._sets.items()
                ],
            },
        )

    def names(self) -> list[str]:
        """Every set's name, in the order they were created."""
        return list(self._sets)

    def get(self, name: str) -> tuple[str, ...]:
        """The reward ids of a set.

        Raises:
            KeyError: No set has that name.
        """
        known = self._find(name)
        if known is None:
            raise KeyError(name)
        return self._sets[known]

    def save_set(self, name: str, reward_ids: Iterable[str]) -> None:
        """Create or replace a set (repeated ids are kept once, in first order)."""
        cleaned = _clean_name(name)
        known = self._find(cleaned)
        ids = tuple(dict.fromkeys(reward_ids))
        if known is not None and known != cleaned:
            # Same set, new spelling: keep its place in the list under the new name.
            self._sets = {(cleaned if k == known else k): v for k, v in self._sets.items()}
        self._sets[cleaned] = ids
        self._save()

    def rename_set(self, old: str, new: str) -> None:
        """Rename a set.

        Raises:
            KeyError: No set is called ``old``.
            ValueError: Another set is already called ``new``.
        """
        known = self._find(old)
        if known is None:
            raise KeyError(old)
        cleaned = _clean_name(new)
        clash = self._find(cleaned)
        if clash is not None and clash != known:
            raise UserError(f"A reward set called “{clash}” already exists.")
        self._sets = {(cleaned if k == known else k): v for k, v in self._sets.items()}
        self._save()

    def delete_set(self, name: str) -> bool:
        """Delete a set; returns False if there was none."""
        known = self._find(name)
        if known is None:
            return False
        del self._sets[known]
        self._save()
        return True

    def forget_reward(self, reward_id: str) -> int:
        """Drop a deleted reward from every set; returns how many sets held it."""
        holders = [name for name, ids in self._sets.items() if reward_id in ids]
        for name in holders:
            self._sets[name] = tuple(i for i in self._sets[name] if i != reward_id)
        if holders:
            self._save()
        return len(holders)

    def enable_set(
        self, name: str, current: Mapping[str, bool] | None = None, *, exclusive: bool = True
    ) -> list[RewardToggle]:
        """The changes that switch the channel to a set.

        Args:
            name: The set to switch to.
            current: ``is_enabled`` of every reward the app can manage, by id. With it,
                only real changes are returned and ids of rewards that no longer exist
                are skipped; without it (None), every toggle the switch implies is.
            exclusive: Also turn off the rewards of other sets that are not in this one.

        Returns:
            Turn-offs first (so viewers never see two games' rewards at once), then
            turn-ons, each in set order, every reward at most once.

        Raises:
            KeyError: No set has that name.
        """
        members = self.get(name)
        chosen = self._find(name)
        member_set = set(members)
        if current is not None:
            missing = [reward_id for reward_id in members if reward_id not in current]
            if missing:
                _log.info("reward set %r names %d rewards that no longer exist", name, len(missing))

        def differs(reward_id: str, wanted: bool) -> bool:
            if current is None:
                return True
            return reward_id in current and bool(current[reward_id]) != wanted

        off: list[RewardToggle] = []
        if exclusive:
            others = dict.fromkeys(
                reward_id
                for other, ids in self._sets.items()
                if other != chosen
                for reward_id in ids
                if reward_id not in member_set
            )
            off = [
                RewardToggle(reward_id, False) for reward_id in others if differs(reward_id, False)
            ]
        on = [RewardToggle(reward_id, True) for reward_id in members if differs(reward_id, True)]
        return off + on
