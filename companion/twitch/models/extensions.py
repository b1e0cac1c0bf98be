"""Extensions: installed (MaybeActiveExtension), active (ActiveExtension), and the builder.

Active extensions come as ``{"panel": {"1": {...}}, "overlay": {...}, "component": {...}}``;
slot keys are strings numbered from ``"1"``. An empty slot may be just ``{"active": false}``.
Only component entries have ``x``/``y``.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Final

from ..http import Route
from ..scopes import SCOPES
from ._payload import Fields, data_list

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ..http import HTTPHandler
    from . import users

__all__ = [
    "EXTENSION_TYPES",
    "ActiveExtension",
    "ActiveExtensions",
    "Extension",
    "ExtensionBuilder",
    "MaybeActiveExtension",
]

_log = logging.getLogger(__name__)

#: The slot types of Update User Extensions, in the order Twitch lists them.
EXTENSION_TYPES: Final = ("panel", "overlay", "component")

#: type -> slot ("1", "2", ...) -> extension.
ActiveExtensions = dict[str, dict[str, "ActiveExtension"]]


class Extension:
    """An extension placed in a slot (what :class:`ExtensionBuilder` sends).

    Args:
        data: ``{"id", "version", "active", "name"?, "x"?, "y"?}``; an inactive slot may be
            only ``{"active": false}``.

    Attributes:
        id: The extension id, or None for an empty slot.
        version: Its version, or None for an empty slot.
        active: Whether it is active in the slot.
        name: Its name, if given.
        x: X coordinate (video components only), else None.
        y: Y coordinate (video components only), else None.
    """

    __slots__ = ("active", "id", "name", "version", "x", "y")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "extension")
        self.active = f.flag("active")
        self.id = f.opt_id("id")
        self.version = f.opt_text("version")
        self.name = f.opt_text("name")
        self.x = f.opt_integer("x")
        self.y = f.opt_integer("y")

    @classmethod
    def create(
        cls,
        id: str,
        version: str,
        *,
        active: bool = True,
        x: int | None = None,
        y: int | None = None,
    ) -> Extension:
        """An extension for a builder slot (x/y only for components)."""
        data: dict[str, Any] = {"id": id, "version": version, "active": active}
        if x is not None:
            data["x"] = x
        if y is not None:
            data["y"] = y
        return cls(data)

    def to_payload(self) -> dict[str, Any]:
        """The slot body Update User Extensions expects."""
        if not self.active and self.id is None:
            return {"active": False}
        body: dict[str, Any] = {"active": self.active, "id": self.id, "version": self.version}
        if self.x is not None:
            body["x"] = self.x
        if self.y is not None:
            body["y"] = self.y
        return body

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Extension):
            return NotImplemented
        return (self.id, self.version, self.active, self.x, self.y) == (
            other.id,
            other.version,
            other.active,
            other.x,
            other.y,
        )

    def __hash__(self) -> int:
        return hash((self.id, self.version))

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} id={self.id!r} version={self.version!r} active={self.active}>"
        )


class ActiveExtension(Extension):
    """An entry of Get User Active Extensions (``x``/``y`` for video components)."""

    __slots__ = ()


class MaybeActiveExtension:
    """An installed extension (Get User Extensions) that may or may not be active.

    Attributes:
        id: The extension id.
        version: Its version.
        name: Its name.
        can_activate: Whether it is configured so that it can be activated.
        types: Where it can go: ``component``, ``mobile``, ``overlay``, ``panel``.
    """

    __slots__ = ("can_activate", "id", "name", "types", "version")

    def __init__(self, data: Any) -> None:
        f = data if isinstance(data, Fields) else Fields(data, "extension")
        self.id = f.id("id")
        self.version = f.text("version")
        self.name = f.text("name")
        self.can_activate = f.flag("can_activate")
        self.types = f.texts("type")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, MaybeActiveExtension):
            return NotImplemented
        return (self.id, self.version) == (other.id, other.version)

    def __hash__(self) -> int:
        return hash((self.id, self.version))

    def __repr__(self) -> str:
        return f"<MaybeActiveExtension id={self.id!r} name={self.name!r}>"


class ExtensionBuilder:
    """The extensions to activate, by type; slots are numbered from ``"1"`` in list order.

    Args:
        panels: Extensions for the panel slots.
        overlays: Extensions for the overlay slot(s).
        components: Extensions for the component slots (with x/y).
    """

    __slots__ = ("components", "overlays", "panels")

    def __init__(
        self,
        panels: Sequence[Extension] | None = None,
        overlays: Sequence[Extension] | None = None,
        components: Sequence[Extension] | None = None,
    ) -> None:
        self.panels = list(panels or ())
        self.overlays = list(overlays or ())
        self.components = list(components or ())

    def to_payload(self) -> dict[str, Any]:
        """The request body: ``{"data": {"panel": {"1": ...}, ...}}`` (empty types left out)."""
        data: dict[str, Any] = {}
        for kind, items in zip(
            EXTENSION_TYPES, (self.panels, self.overlays, self.components), strict=True
        ):
            if items:
                data[kind] = {str(slot): ext.to_payload() for slot, ext in enumerate(items, 1)}
        return {"data": data}

    def __repr__(self) -> str:
        return (
            f"<ExtensionBuilder panels={len(self.panels)} overlays={len(self.overlays)}"
            f" components={len(self.components)}>"
        )


def parse_active_extensions(body: Any) -> ActiveExtensions:
    """Read the ``data`` map of Get/Update User Active Extensions.

    Raises:
        PayloadError: The body does not have that shape.
    """
    data = Fields(body, "response").obj("data")
    result: ActiveExtensions = {}
    for kind in EXTENSION_TYPES:
        slots = data.opt_obj(kind)
        result[kind] = {}
        if slots is None:
            continue
        for slot in slots.data:
            result[kind][str(slot)] = ActiveExtension(slots.obj(str(slot)))
    return result


async def fetch_extensions(
    http: HTTPHandler, user: users.PartialUser
) -> list[MaybeActiveExtension]:
    """Get User Extensions (for the token's user)."""
    name = "PartialUser.fetch_extensions"
    route = Route("GET", "users/extensions/list")
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return [MaybeActiveExtension(item) for item in data_list(data, "response")]


async def fetch_active_extensions(http: HTTPHandler, user: users.PartialUser) -> ActiveExtensions:
    """Get User Active Extensions of ``user``."""
    name = "PartialUser.fetch_active_extensions"
    route = Route("GET", "users/extensions", params={"user_id": user.id})
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return parse_active_extensions(data)


async def update_extensions(
    http: HTTPHandler, user: users.PartialUser, builder: ExtensionBuilder
) -> ActiveExtensions:
    """Update User Extensions with ``builder``'s slots; returns the resulting map.

    Types the builder leaves empty are not sent, and Twitch leaves them as they are; to
    empty a slot, put ``Extension({"active": False})`` in it. An extension placed under
    several types ends up where it was written last (Twitch: "the last write wins").
    """
    name = "PartialUser.update_extensions"
    route = Route("PUT", "users/extensions", json=builder.to_payload())
    data = await http.request(route, user=user, scopes=SCOPES[name], name=name)
    return parse_active_extensions(data)
