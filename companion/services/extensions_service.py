"""Extensions: what is installed, what sits in each slot, and one update for all slots.

The slot board has the three panel slots, the overlay slot and the two video-component
slots (with x/y), as Twitch's Update User Extensions example shows. A plan maps each slot
to an extension (id, version, x, y) or None (empty). Applying sends every slot in one
``update_extensions`` call, then reads the active extensions back: Twitch's answer, not
our plan, is what the board shows afterwards.

Signals:
    loaded(list, dict): installed extensions and the active map (type -> slot -> ext).
    applied(list): messages about what Twitch kept differently from the plan (may be empty).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Final

from PySide6.QtCore import Signal

from companion.services.base import Service
from companion.twitch.models.extensions import Extension, ExtensionBuilder

if TYPE_CHECKING:
    from PySide6.QtCore import QObject

    from companion.twitch.models.extensions import ActiveExtensions, MaybeActiveExtension
    from companion.twitch.models.users import PartialUser

_log = logging.getLogger(__name__)

#: (type, slot) of every slot on the board, in the order Twitch numbers them.
SLOTS: Final = (
    ("panel", "1"),
    ("panel", "2"),
    ("panel", "3"),
    ("overlay", "1"),
    ("component", "1"),
    ("component", "2"),
)

Slot = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Placement:
    """An extension placed in a slot (x/y only for components)."""

    id: str
    version: str
    name: str = ""
    x: int | None = None
    y: int | None = None


Plan = dict[Slot, Placement | None]


def plan_from_active(active: ActiveExtensions) -> Plan:
    """The board as Twitch reports it."""
    plan: Plan = {}
    for kind, slot in SLOTS:
        ext = active.get(kind, {}).get(slot)
        if ext is None or not ext.active or ext.id is None or ext.version is None:
            plan[(kind, slot)] = None
        else:
            plan[(kind, slot)] = Placement(ext.id, ext.version, ext.name or "", ext.x, ext.y)
    return plan


def candidates(installed: list[MaybeActiveExtension], kind: str) -> list[MaybeActiveExtension]:
    """Installed extensions that can be activated in a slot of ``kind``."""
    return [ext for ext in installed if ext.can_activate and kind in ext.types]


def conflicts(plan: Plan) -> list[str]:
    """Extensions placed under more than one slot type: Twitch keeps the last write."""
    kinds_by_id: dict[str, set[str]] = {}
    names: dict[str, str] = {}
    for (kind, _slot), placed in plan.items():
        if placed is not None:
            kinds_by_id.setdefault(placed.id, set()).add(kind)
            names[placed.id] = placed.name or placed.id
    return [
        f"{names[ext_id]} is placed as {' and '.join(sorted(kinds))}: Twitch keeps only the "
        "last one written (component, after overlay, after panel)."
        for ext_id, kinds in kinds_by_id.items()
        if len(kinds) > 1
    ]


def builder_for(plan: Plan) -> ExtensionBuilder:
    """Every slot of the plan, empty ones as ``{"active": false}``."""
    lists: dict[str, list[Extension]] = {"panel": [], "overlay": [], "component": []}
    for kind, slot in SLOTS:
        placed = plan.get((kind, slot))
        if placed is None:
            lists[kind].append(Extension({"active": False}))
        elif kind == "component":
            lists[kind].append(
                Extension.create(placed.id, placed.version, x=placed.x or 0, y=placed.y or 0)
            )
        else:
            lists[kind].append(Extension.create(placed.id, placed.version))
    return ExtensionBuilder(lists["panel"], lists["overlay"], lists["component"])


def differences(plan: Plan, kept: Plan) -> list[str]:
    """What Twitch kept differently from what was asked, slot by slot, for people."""
    out = []
    for slot in SLOTS:
        asked, got = plan.get(slot), kept.get(slot)
        asked_id = asked.id if asked else None
        got_id = got.id if got else None
        if asked_id != got_id:
            label = f"{slot[0]} {slot[1]}"
            asked_name = (asked.name or asked.id) if asked else "empty"
            got_name = (got.name or got.id) if got else "empty"
            out.append(f"{label}: asked for {asked_name}, Twitch kept {got_name}")
    return out


class ExtensionsService(Service):
    """Reads and updates the broadcaster's extension slots."""

    # object, not dict: a Qt map would turn the (type, slot) keys into strings.
    loaded = Signal(object, object)
    applied = Signal(list)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.broadcaster: PartialUser | None = None
        self.installed: list[MaybeActiveExtension] = []
        self.plan: Plan = dict.fromkeys(SLOTS)

    def set_broadcaster(self, broadcaster: PartialUser | None) -> None:
        self.broadcaster = broadcaster
        self.installed = []
        self.plan = dict.fromkeys(SLOTS)
        if broadcaster is not None:
            self.refresh()

    def refresh(self) -> None:
        self.spawn(self.reload(), name="extensions refresh", latest_wins=True)

    async def reload(self) -> Plan:
        if self.broadcaster is None:
            return self.plan
        self.installed = await self.broadcaster.fetch_extensions()
        active = await self.broadcaster.fetch_active_extensions()
        self.plan = plan_from_active(active)
        self.loaded.emit(self.installed, self.plan)
        return self.plan

    def apply(self, plan: Plan) -> None:
        """Send the whole board in one update (see :meth:`apply_now`)."""
        self.spawn(self.apply_now(plan), name="extensions update")

    async def apply_now(self, plan: Plan) -> list[str]:
        if self.broadcaster is None:
            return []
        await self.broadcaster.update_extensions(builder_for(plan))
        kept = await self.reload()
        messages = differences(plan, kept)
        self.applied.emit(messages)
        return messages
