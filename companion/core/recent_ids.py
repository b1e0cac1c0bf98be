"""A bounded, insertion-ordered set of ids: remembers the newest, forgets the oldest."""

from __future__ import annotations


class RecentIds:
    """The last ``cap`` ids added (a dict keeps insertion order; each entry holds one
    reference to ``None``, which the soak test accounts for through ``len()``)."""

    __slots__ = ("_cap", "_ids")

    def __init__(self, cap: int) -> None:
        if cap < 1:
            raise ValueError(f"a RecentIds cap must be at least 1, not {cap}")
        self._cap = cap
        self._ids: dict[str, None] = {}

    def add(self, item: str) -> None:
        """Remember ``item``; past the cap the oldest id is forgotten."""
        self._ids[item] = None
        if len(self._ids) > self._cap:
            del self._ids[next(iter(self._ids))]

    def __contains__(self, item: object) -> bool:
        return item in self._ids

    def __len__(self) -> int:
        return len(self._ids)
