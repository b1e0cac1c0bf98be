"""Which OAuth scopes each panel needs; sign-in asks for the union of the enabled ones.

From SOURCES.md: managing rewards and redemptions needs ``channel:manage:redemptions``
(it also grants reading them); predictions and polls need their ``manage`` scopes;
goals need ``channel:read:goals``; listing *inactive* extensions and updating the slots
needs ``user:edit:broadcast``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Iterable

PANEL_SCOPES: dict[str, tuple[str, ...]] = {
    "rewards": ("channel:manage:redemptions",),
    "queue": ("channel:manage:redemptions",),
    "predictions": ("channel:manage:predictions",),
    "polls": ("channel:manage:polls",),
    "goals": ("channel:read:goals",),
    "extensions": ("user:edit:broadcast",),
}

PANEL_PURPOSE: dict[str, str] = {
    "channel:manage:redemptions": "manage channel-points rewards and their redemptions",
    "channel:manage:predictions": "start, lock, resolve and cancel predictions",
    "channel:manage:polls": "start and end polls",
    "channel:read:goals": "show your creator goals",
    "user:edit:broadcast": "show and arrange your extensions",
}


def scopes_for(panels: Iterable[str]) -> list[str]:
    """The sorted union of the scopes the given panels need."""
    wanted: set[str] = set()
    for panel in panels:
        wanted.update(PANEL_SCOPES.get(panel, ()))
    return sorted(wanted)
