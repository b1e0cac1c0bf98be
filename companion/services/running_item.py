"""What the predictions and polls services share: one running item kept live, the rest
as history, read through Helix and moved along by EventSub.

A Helix read can be older than what the service already saw (an End response or event
landing while the read was in flight), so an item known to have ended stays ended, and
ended ones the read does not list yet stay in the history. EventSub payloads leave some
counts out; each event is merged over what was known about the same item.

Signals:
    active_changed(object): the running item or None.
    history_changed(list): ended items, most recent first.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, ClassVar, Generic, Protocol, TypeVar

from PySide6.QtCore import Signal

from companion.core.errors import UserError
from companion.services.base import Service

if TYPE_CHECKING:
    from datetime import datetime

    from PySide6.QtCore import QObject

    from companion.twitch.models.users import PartialUser

_log = logging.getLogger(__name__)


class _Channel(Protocol):
    @property
    def id(self) -> str: ...  # read-only on PartialUser


class RunningItem(Protocol):
    """What a prediction or a poll has in common here."""

    id: str
    status: str

    @property
    def broadcaster(self) -> _Channel: ...


ItemT = TypeVar("ItemT", bound=RunningItem)


class RunningItemService(Service, Generic[ItemT]):
    """One running item and the recent history of one channel; subclasses add actions.

    Class attributes:
        SINGULAR / PLURAL: the item's name, for task names and messages.
        RUNNING: the statuses in which an item counts as running.
        HISTORY_SIZE: how many ended items are kept (one Helix page).
    """

    active_changed = Signal(object)
    history_changed = Signal(list)

    SINGULAR: ClassVar[str]
    PLURAL: ClassVar[str]
    RUNNING: ClassVar[frozenset[str]]
    HISTORY_SIZE: ClassVar[int]

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broadcaster: PartialUser | None = None
        self.active: ItemT | None = None
        self._history: list[ItemT] = []
        # Ended ids: a late progress event must not bring an ended item back.
        self._ended: set[str] = set()

    # -- what subclasses provide -----------------------------------------------------------

    async def _read(self, broadcaster: PartialUser) -> list[ItemT]:
        """One Helix page, most recent first."""
        raise NotImplementedError

    def _merge(self, new: ItemT, old: ItemT) -> ItemT:
        """Fill what an EventSub payload left out of ``new`` from ``old`` (same item)."""
        raise NotImplementedError

    def _started(self, item: ItemT) -> datetime:
        """When the item started (orders the history)."""
        raise NotImplementedError

    # -- reading ---------------------------------------------------------------------------

    @property
    def history(self) -> list[ItemT]:
        return list(self._history)

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        """Switch channel (None: signed out) and read its items."""
        self.broadcaster = broadcaster
        self._ended.clear()
        self._set_active(None)
        self._set_history([])
        if broadcaster is not None:
            self.refresh()

    def refresh(self) -> None:
        """Read the running item and the history again (latest request wins)."""
        self.spawn(self.reload(), name=f"{self.PLURAL} refresh", latest_wins=True)

    async def reload(self) -> None:
        if self.broadcaster is None:
            return
        self.apply_read(await self._read(self.broadcaster))

    def apply_read(self, items: list[ItemT]) -> None:
        """Take a Helix page (most recent first) as the current state (see module docs)."""
        ended = [item for item in items if item.status not in self.RUNNING]
        self._ended |= {item.id for item in ended}
        running = next(
            (i for i in items if i.status in self.RUNNING and i.id not in self._ended), None
        )
        if running is not None and self.active is not None and self.active.id == running.id:
            running = self._merge(running, self.active)
        history = {item.id: item for item in self._history}
        history.update({item.id: item for item in ended})
        newest_first = sorted(history.values(), key=self._started, reverse=True)
        self._set_active(running)
        self._set_history(newest_first[: self.HISTORY_SIZE])

    def on_event(self, kind: str, item: ItemT) -> None:
        """Apply a ``begin|progress|lock|end`` event of this channel."""
        if self.broadcaster is None or item.broadcaster.id != self.broadcaster.id:
            return
        if item.id in self._ended:
            return
        if kind == "end":
            self._finish(item)
            return
        if self.active is not None and self.active.id == item.id:
            item = self._merge(item, self.active)
        self._set_active(item)

    # -- actions' plumbing -----------------------------------------------------------------

    @property
    def creating(self) -> bool:
        """Whether a create request is in flight (a second Ctrl+Enter sends nothing)."""
        task = self._latest.get(f"{self.SINGULAR} create")
        return task is not None and not task.done()

    def _require_broadcaster(self) -> PartialUser:
        if self.broadcaster is None:
            raise UserError(f"Sign in to run {self.PLURAL}.")
        return self.broadcaster

    def _created(self, created: ItemT) -> ItemT:
        if self.active is None or self.active.id != created.id:
            self._set_active(created)
        return created

    def _apply_response(self, item: ItemT) -> None:
        """An End/Lock answer: still running (merged), or finished into the history."""
        if item.status in self.RUNNING:
            if item.id in self._ended:
                return
            if self.active is not None and self.active.id == item.id:
                item = self._merge(item, self.active)
            self._set_active(item)
        else:
            self._finish(item)

    def _finish(self, item: ItemT) -> None:
        if self.active is not None and self.active.id == item.id:
            item = self._merge(item, self.active)
            self._set_active(None)
        if item.id not in self._ended:
            self._ended.add(item.id)
            self._set_history([item, *self._history][: self.HISTORY_SIZE])

    def _set_active(self, item: ItemT | None) -> None:
        self.active = item
        self.active_changed.emit(item)

    def _set_history(self, history: list[ItemT]) -> None:
        self._history = history
        self.history_changed.emit(self.history)
