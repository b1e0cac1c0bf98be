"""Request helpers shared by the extra route modules: store lookup, pages, ids, times."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final, TypeVar

from ..errors import SimError, bad_request
from ..http_common import STATE_KEY, parse_first
from ..ids import decode_cursor, encode_cursor, rfc3339
from .store import ExtrasStore, extras_store

if TYPE_CHECKING:
    from collections.abc import Sequence

    from aiohttp import web

    from ..events import AccessTokenRecord

_log = logging.getLogger(__name__)

T = TypeVar("T")

#: Helix's usual "at most 100 of a repeated parameter".
IDS_MAX: Final = 100


def store_of(request: web.Request) -> ExtrasStore:
    """The extras store of the simulator serving ``request``."""
    return extras_store(request.app[STATE_KEY])


def time_text(epoch: float | None) -> str:
    """RFC 3339 (whole seconds, as these endpoints' examples show), ``""`` for None."""
    return "" if epoch is None else rfc3339(epoch)


def parse_time(raw: str, name: str) -> float:
    """An RFC 3339 query value as epoch seconds.

    Raises:
        SimError: 400 if it does not parse.
    """
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        raise bad_request(
            f"The format of the date and time in the {name} query parameter is not valid."
        ) from None
    if value.tzinfo is None:
        raise bad_request(f"The {name} query parameter must include a time zone.")
    return value.timestamp()


def page(
    request: web.Request,
    items: Sequence[T],
    kind: str,
    *,
    default: int = 20,
    maximum: int = 100,
) -> tuple[list[T], str | None]:
    """One page of ``items`` after the ``after`` cursor, ``first`` at most ``maximum``.

    Cursors are opaque to clients; ours carry the list kind and the offset. One from another
    list, or made up, is a 400 (the reference does not document the answer to a bad cursor).
    """
    first = parse_first(request, default, maximum)
    start = 0
    after = request.query.get("after")
    if after:
        decoded = decode_cursor(after)
        offset = decoded.get("o") if decoded else None
        if decoded is None or decoded.get("k") != kind or not isinstance(offset, int) or offset < 0:
            raise bad_request("The cursor in the after query parameter is not valid.")
        start = offset
    chunk = list(items[start : start + first])
    end = start + len(chunk)
    cursor = encode_cursor({"k": kind, "o": end}) if end < len(items) else None
    return chunk, cursor


def paged(data: list[dict[str, Any]], cursor: str | None) -> dict[str, Any]:
    """``{"data", "pagination"}`` with an empty pagination object on the last page."""
    return {"data": data, "pagination": {"cursor": cursor} if cursor else {}}


def require_moderator(
    store: ExtrasStore, rec: AccessTokenRecord, broadcaster_id: str | None, moderator_id: str | None
) -> tuple[str, str]:
    """The ``broadcaster_id``/``moderator_id`` pair of a moderator action.

    Order as Helix lists it: both required (400), ``moderator_id`` must be the token's user
    (401), the broadcaster must exist (400), the moderator must moderate the channel (403).
    """
    if not broadcaster_id:
        raise bad_request("The broadcaster_id query parameter is required.")
    if not moderator_id:
        raise bad_request("The moderator_id query parameter is required.")
    if moderator_id != rec.user_id:
        raise SimError(401, "The ID in moderator_id must match the user ID in the access token.")
    store.channel(broadcaster_id)
    if not store.is_moderator(broadcaster_id, moderator_id):
        raise SimError(403, "The user in moderator_id is not one of the broadcaster's moderators.")
    return broadcaster_id, moderator_id


def ids_param(request: web.Request, name: str, maximum: int = IDS_MAX) -> list[str]:
    """A repeated id parameter, at most ``maximum`` values, duplicates dropped (order kept)."""
    values = list(dict.fromkeys(v for v in request.query.getall(name, []) if v))
    if len(values) > maximum:
        raise bad_request(
            f"The request exceeded the maximum allowed number ({maximum}) of {name}"
            " query parameters."
        )
    return values
