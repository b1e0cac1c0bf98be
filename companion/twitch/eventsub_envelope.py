"""The envelope of an EventSub WebSocket message, checked before anything reads it.

[WSR]/[HWE] (``twitch-reference/EVENTSUB_RULES.md``): every message is a JSON object with
``metadata`` (``message_id``, ``message_type``, ``message_timestamp``; notifications and
revocations add ``subscription_type`` and ``subscription_version``) and a ``payload`` object.
A message without that shape cannot be trusted in any part, so it is dropped whole
(:class:`MalformedMessage`) and the session goes on: one bad message must not cost a
reconnect and a resync.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any, Final

from .body import decode_json

__all__ = ["Envelope", "MalformedMessage", "parse_envelope"]

_log = logging.getLogger(__name__)

#: Message types that carry an event and must have an id and a time.
_EVENT_TYPES: Final = frozenset({"notification", "revocation"})


class MalformedMessage(ValueError):
    """An EventSub message without the documented shape; it is dropped, never half-read.

    The text says what is wrong without quoting the message (it is logged).

    Attributes:
        kind: ``metadata.message_type`` when it could be read, else ``""``.
        message_id: ``metadata.message_id`` when it could be read, else ``""``.
    """

    def __init__(self, reason: str, *, kind: str = "", message_id: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.kind = kind
        self.message_id = message_id


@dataclass(frozen=True, slots=True)
class Envelope:
    """A message whose envelope has the documented shape.

    Attributes:
        kind: ``metadata.message_type``.
        message_id: ``metadata.message_id`` (``""`` when absent, allowed for session messages).
        metadata: The ``metadata`` object.
        payload: The ``payload`` object (``{}`` when absent or null).
    """

    kind: str
    message_id: str
    metadata: dict[str, Any]
    payload: dict[str, Any]


def _type_name(value: object) -> str:
    return "null" if value is None else type(value).__name__


def parse_envelope(frame: str | bytes) -> Envelope:
    """Check one frame's envelope.

    Args:
        frame: A text frame's data (bytes: a binary frame, which Twitch never sends).

    Raises:
        MalformedMessage: Not JSON, nested past the parser's limit, not an object, or
            ``metadata``/``payload`` (or a notification's ``subscription``/``event``) of the
            wrong type.
    """
    if not isinstance(frame, str):
        raise MalformedMessage("a binary frame (Twitch sends only text)")
    try:
        data = decode_json(frame)
    except ValueError as exc:
        raise MalformedMessage(f"not JSON: {exc}") from None
    if not isinstance(data, dict):
        raise MalformedMessage(f"a JSON {_type_name(data)}, not an object")
    metadata = data.get("metadata")
    if not isinstance(metadata, dict):
        raise MalformedMessage(f"metadata is {_type_name(metadata)}, not an object")
    kind = metadata.get("message_type")
    if not isinstance(kind, str) or not kind:
        raise MalformedMessage("no message_type")
    message_id = metadata.get("message_id")
    if message_id is not None and not isinstance(message_id, str):
        raise MalformedMessage(f"message_id is {_type_name(message_id)}", kind=kind)
    message_id = message_id or ""
    payload = data.get("payload")
    if payload is None:
        payload = {}
    if not isinstance(payload, dict):
        raise MalformedMessage(
            f"payload is {_type_name(payload)}, not an object", kind=kind, message_id=message_id
        )
    if kind in _EVENT_TYPES:
        if not message_id:
            raise MalformedMessage("no message_id", kind=kind)
        for key in ("subscription", "event"):
            part = payload.get(key)
            if part is not None and not isinstance(part, dict):
                raise MalformedMessage(
                    f"payload.{key} is {_type_name(part)}, not an object",
                    kind=kind,
                    message_id=message_id,
                )
    return Envelope(kind, message_id, metadata, payload)
