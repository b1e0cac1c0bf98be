"""Streams, channel information, extensions and user look-ups."""

from __future__ import annotations

import logging
from typing import Any, Final

from .base import StateBase, public_user
from .errors import SimError, bad_request, not_found
from .ids import decode_cursor, encode_cursor, rfc3339

_log = logging.getLogger(__name__)

USERS_IDS_MAX: Final = 100  # id + login together
CHANNELS_IDS_MAX: Final = 100
STREAMS_FILTER_MAX: Final = 100
STREAMS_FIRST_MAX: Final = 100
STREAMS_FIRST_DEFAULT: Final = 20
EXTENSION_TYPES: Final = ("panel", "overlay", "component")
EXTENSION_INSTALL_TYPES: Final = frozenset({"component", "mobile", "overlay", "panel"})


class ChannelState(StateBase):
    """Streams, channel information, extensions, users."""

    # -- users -------------------------------------------------------------------------------

    def get_users(
        self, ids: list[str], logins: list[str], token_user_id: str | None, with_email: bool
    ) -> list[dict[str, Any]]:
        """Get Users. With neither ids nor logins, a user token gets its own user."""
        if len(ids) + len(logins) > USERS_IDS_MAX:
            raise bad_request(
                f"The request exceeded the maximum allowed number ({USERS_IDS_MAX}) of id and/or"
                " login query parameters."
            )
        if not ids and not logins:
            if token_user_id is None:
                raise bad_request(
                    "The id or login query parameter is required unless the request uses a"
                    " user access token."
                )
            ids = [token_user_id]
        found: dict[str, dict[str, Any]] = {}
        for uid in ids:
            if uid in self.users:
                found[uid] = self.users[uid]
        for login in logins:
            login_id = self.user_ids_by_login.get(login.lower())
            if login_id is not None:
                found[login_id] = self.users[login_id]
        # email only for the token's own user, and only with user:read:email.
        return [
            public_user(u, include_email=with_email and u["id"] == token_user_id)
            for u in found.values()
        ]

    # -- streams -----------------------------------------------------------------------------

    def set_stream_live(
        self,
        broadcaster_id: str,
        live: bool,
        *,
        viewer_count: int = 0,
        title: str | None = None,
    ) -> dict[str, Any] | None:
        """Start or end the broadcaster's stream; emits ``stream.online``/``stream.offline``.

        Returns:
            The Get Streams record when going live, None when going offline.
        """
        ch = self.channel(broadcaster_id)
        if live:
            if ch.stream is not None:
                return dict(ch.stream)
            user = self.users[broadcaster_id]
            info = ch.info
            now = self.now()
            ch.stream = {
                "id": self.ids.numeric(),
                "user_id": broadcaster_id,
                "user_login": user["login"],
                "user_name": user["display_name"],
                "game_id": info["game_id"],
                "game_name": info["game_name"],
                "type": "live",
                "title": title if title is not None else info["title"],
                "tags": list(info["tags"]),
                "viewer_count": viewer_count,
                "started_at": rfc3339(now),
                "language": info["broadcaster_language"],
                "thumbnail_url": (
                    "https://static-cdn.jtvnw.net/previews-ttv/"
                    f"live_user_{user['login']}-{{width}}x{{height}}.jpg"
                ),
                # Deprecated by Twitch: always empty / false.
                "tag_ids": [],
                "is_mature": False,
                "_seq": self.next_seq(),
            }
            self._on_stream_start(broadcaster_id)
            out = _public_stream(ch.stream)
            # Helix's started_at has whole seconds; EventSub's stream.online nanoseconds.
            exact = {"started_at": rfc3339(now, nanos=True)}
            self.emit("stream.online", broadcaster_id, out, exact_times=exact)
            return out
        if ch.stream is None:
            return None
        previous = _public_stream(ch.stream)
        ch.stream = None
        self.emit("stream.offline", broadcaster_id, previous, previous)
        return None

    def _on_stream_start(self, broadcaster_id: str) -> None:
        """Hook for other parts of the state (per-stream reward counters)."""

    def get_streams(
        self,
        *,
        user_ids: list[str],
        user_logins: list[str],
        game_ids: list[str],
        languages: list[str],
        type_: str,
        first: int,
        after: str | None,
        before: str | None,
    ) -> tuple[list[dict[str, Any]], str | None]:
        """Get Streams: live streams, most viewers first, cursor-paginated."""
        for name, values in (
            ("user_id", user_ids),
            ("user_login", user_logins),
            ("game_id", game_ids),
            ("language", languages),
        ):
            if len(values) > STREAMS_FILTER_MAX:
                raise bad_request(f"You may specify a maximum of {STREAMS_FILTER_MAX} {name}.")
        if type_ not in ("all", "live"):
            raise bad_request("The value in the type query parameter is not valid.")
        if after and before:
            raise bad_request("Specify after or before, not both.")
        login_ids = {self.user_ids_by_login.get(login.lower()) for login in user_logins}
        wanted_users = set(user_ids) | {u for u in login_ids if u is not None}
        streams = []
        for ch in self.channels.values():
            s = ch.stream
            if s is None:
                continue
            if (user_ids or user_logins) and s["user_id"] not in wanted_users:
                continue
            if game_ids and s["game_id"] not in game_ids:
                continue
            if languages and s["language"] not in languages:
                continue
            streams.append(s)

        def key(s: dict[str, Any]) -> tuple[int, int]:
            return (-int(s["viewer_count"]), int(s["_seq"]))

        streams.sort(key=key)
        cursor_value = after or before
        if cursor_value:
            cur = decode_cursor(cursor_value)
            if cur is None or not isinstance(cur.get("k"), list) or len(cur["k"]) != 2:
                raise bad_request("The cursor is not valid.")
            mark = (int(cur["k"][0]), int(cur["k"][1]))
            if after:
                streams = [s for s in streams if key(s) > mark]
            else:
                streams = [s for s in streams if key(s) < mark][-first:]
        page = streams[:first]
        cursor = encode_cursor({"k": list(key(page[-1]))}) if len(streams) > first else None
        return [_public_stream(s) for s in page], cursor

    # -- channel information ----------------------------------------------------------------

    def get_channels(self, broadcaster_ids: list[str]) -> list[dict[str, Any]]:
        """Get Channel Information: duplicates and unknown ids are ignored."""
        if not broadcaster_ids:
            raise bad_request("The broadcaster_id query parameter is required.")
        if len(broadcaster_ids) > CHANNELS_IDS_MAX:
            raise bad_request(
                "The number of broadcaster_id query parameters exceeds the maximum allowed."
            )
        out = []
        for bid in dict.fromkeys(broadcaster_ids):
            ch = self.channels.get(bid)
            if ch is not None:
                out.append(dict(ch.info, tags=list(ch.info["tags"])))
        return out

    def set_channel_info(self, broadcaster_id: str, **fields: Any) -> dict[str, Any]:
        """Control surface: change title, game, language, tags of a channel."""
        ch = self.channel(broadcaster_id)
        for name, value in fields.items():
            if name not in ch.info or name.startswith("broadcaster_id"):
                raise bad_request(f"unknown channel field {name!r}")
            ch.info[name] = value
        return dict(ch.info)

    # -- extensions --------------------------------------------------------------------------

    def install_extension(self, user_id: str, ext: dict[str, Any]) -> dict[str, Any]:
        """Install an extension for a user (Get User Extensions shape).

        ``ext`` needs ``id``, ``version``, ``name`` and ``type`` (list of component, mobile,
        overlay, panel); ``can_activate`` defaults to true.
        """
        ch = self.channel(user_id)
        try:
            types = [str(t) for t in ext["type"]]
            rec: dict[str, Any] = {
                "id": str(ext["id"]),
                "version": str(ext["version"]),
                "name": str(ext["name"]),
                "can_activate": bool(ext.get("can_activate", True)),
                "type": types,
            }
        except (KeyError, TypeError) as exc:
            raise bad_request(f"extension needs id, version, name and type: {exc}") from None
        if not types or not set(types) <= EXTENSION_INSTALL_TYPES:
            raise bad_request(
                f"extension type must be a subset of {sorted(EXTENSION_INSTALL_TYPES)}"
            )
        ch.extensions[rec["id"]] = rec
        return dict(rec)

    def get_user_extensions(self, user_id: str, include_inactive: bool) -> list[dict[str, Any]]:
        """Get User Extensions. Without ``user:edit:broadcast`` only active ones are listed
        (SOURCES.md: that scope "is needed to include inactive extensions")."""
        ch = self.channel(user_id)
        active_ids = {
            slot["id"]
            for slots in ch.active_extensions.values()
            for slot in slots.values()
            if slot.get("active")
        }
        return [
            dict(e, type=list(e["type"]))
            for e in ch.extensions.values()
            if include_inactive or e["id"] in active_ids
        ]

    def get_active_extensions(self, user_id: str) -> dict[str, Any]:
        """Get User Active Extensions: ``{panel, overlay, component}`` slot maps."""
        ch = self.channel(user_id)
        return {
            t: {k: dict(v) for k, v in ch.active_extensions[t].items()} for t in EXTENSION_TYPES
        }

    def update_active_extensions(self, user_id: str, data: Any) -> dict[str, Any]:
        """Update User Extensions. Validates the whole body before changing anything.

        Slots not named in the body keep their state. An extension activated under several
        types ends up only in the last one written ("the last write wins").

        Raises:
            SimError: 400 malformed body, 404 unknown id/version (or an extension that cannot
                be activated in that slot type).
        """
        ch = self.channel(user_id)
        if not isinstance(data, dict) or not set(data) <= set(EXTENSION_TYPES):
            raise bad_request("The JSON payload is malformed.")
        planned: list[tuple[str, str, dict[str, Any]]] = []
        for ext_type in EXTENSION_TYPES:
            slots = data.get(ext_type)
            if slots is None:
                continue
            if not isinstance(slots, dict):
                raise bad_request("The JSON payload is malformed.")
            for slot, entry in slots.items():
                if slot not in ch.active_extensions[ext_type] or not isinstance(entry, dict):
                    raise bad_request("The JSON payload is malformed.")
                active = entry.get("active")
                if not isinstance(active, bool):
                    raise bad_request("The JSON payload is malformed.")
                if not active:
                    planned.append((ext_type, slot, {"active": False}))
                    continue
                ext = ch.extensions.get(str(entry.get("id")))
                if (
                    ext is None
                    or ext["version"] != entry.get("version")
                    or ext_type not in ext["type"]
                    or not ext["can_activate"]
                ):
                    raise not_found(
                        "An extension with the specified id and version values was not found."
                    )
                value: dict[str, Any] = {
                    "active": True,
                    "id": ext["id"],
                    "version": ext["version"],
                    "name": ext["name"],
                }
                if ext_type == "component":
                    x, y = entry.get("x", 0), entry.get("y", 0)
                    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (x, y)):
                        raise bad_request("The JSON payload is malformed.")
                    value["x"], value["y"] = x, y
                planned.append((ext_type, slot, value))
        for ext_type, slot, value in planned:
            if value["active"]:
                # Last write wins: drop the extension from any other slot.
                for other_type, slots in ch.active_extensions.items():
                    for other_slot, current in slots.items():
                        if current.get("id") == value["id"] and (other_type, other_slot) != (
                            ext_type,
                            slot,
                        ):
                            slots[other_slot] = {"active": False}
            ch.active_extensions[ext_type][slot] = value
        return self.get_active_extensions(user_id)


def _public_stream(stream: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in stream.items() if not k.startswith("_")}
    out["tags"] = list(stream["tags"])
    return out


__all__ = ["ChannelState", "SimError"]
