"""Reading a Helix answer: a bounded read, strict JSON, large bodies decoded off the loop.

Twitch's pages are small: the largest documented one, a full page of Get Predictions
(25 predictions x 10 outcomes x 10 top predictors), is about 0.4 MB, and most are a few
kilobytes (SOURCES.md gives page sizes, not byte sizes; the reference is silent on a maximum).
So an answer is read only up to :data:`MAX_BODY_BYTES` (ten times that page): a bigger one
is refused unread instead of being buffered, whatever its ``Content-Length`` says.

JSON is decoded strictly (``NaN`` and ``Infinity`` are not JSON), and a body of
:data:`OFF_LOOP_BYTES` or more is decoded in a worker thread, so the event loop (the UI
thread, under qasync) keeps running meanwhile. Python's C decoder holds the GIL for the whole
parse, so a thread alone barely helps; the worker's decoder therefore goes through small
Python hooks, at which the interpreter lets the UI thread run every few milliseconds.
Measured on a 2-core machine, 4 MiB of small nested objects: the longest stall of a 1 ms
ticker fell from 490 ms (inline) and 425 ms (thread, no hooks) to 70 ms (thread, hooks).
"""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    import aiohttp

__all__ = ["MAX_BODY_BYTES", "OFF_LOOP_BYTES", "Answer", "decode_json", "read_answer"]

_log = logging.getLogger(__name__)

#: The largest answer read (see the module docstring for why 4 MiB).
MAX_BODY_BYTES: Final = 4 * 1024 * 1024
#: Answers this big or bigger are decoded in a worker thread (inline, 64 KiB of the worst
#: shape decodes in about 8 ms: below one frame).
OFF_LOOP_BYTES: Final = 64 * 1024


class _TooLarge(Exception):
    pass


@dataclass(frozen=True, slots=True)
class Answer:
    """What a response said.

    Attributes:
        body: The decoded JSON; the text when it is not JSON; None when empty or refused.
        message: Twitch's ``message`` field when there is one, else the reason phrase.
        problem: Why the body cannot be used ("is not JSON (...)", "is over the ... cap"),
            or None.
        retryable: The problem may be transient (a cut or garbled body, not an oversize one).
    """

    body: Any
    message: str
    problem: str | None = None
    retryable: bool = False


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    # A Python-level hook on purpose: see the module docstring (GIL hand-over points).
    return dict(pairs)


def _int(text: str) -> int:
    return int(text)


def _float(text: str) -> float:
    return float(text)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


#: One strict decoder for every inline decode: ``json.loads`` with a keyword argument builds a
#: new decoder (and its scanner) on every call, about 6 us.
_STRICT: Final = json.JSONDecoder(parse_constant=_no_constant)


def decode_json(raw: bytes | str, *, yielding: bool = False) -> Any:
    """Decode one JSON document from ``raw`` (bytes in UTF-8, or UTF-16/32 as RFC 8259 allows).

    Args:
        raw: The body (or an EventSub text frame).
        yielding: Decode through Python hooks so other threads get the GIL regularly (for
            worker threads; slower).

    Raises:
        ValueError: ``raw`` is not JSON: a syntax error, ``NaN``/``Infinity``, bad UTF-8,
            or nesting deeper than the interpreter's recursion limit.
    """
    try:
        if yielding:
            return json.loads(
                raw,
                object_pairs_hook=_object,
                parse_int=_int,
                parse_float=_float,
                parse_constant=_no_constant,
            )
        if isinstance(raw, bytes | bytearray):
            # What json.loads does with bytes: UTF-8, -16 or -32 by the first bytes.
            raw = raw.decode(json.detect_encoding(raw), "surrogatepass")
        return _STRICT.decode(raw)
    except RecursionError:
        raise ValueError("nested deeper than the parser allows") from None


async def _read_capped(response: aiohttp.ClientResponse, cap: int) -> bytes:
    declared = response.content_length
    if declared is not None and declared > cap:
        raise _TooLarge(f"declares {declared} bytes; it was not read")
    encoding = response.headers.get("Content-Encoding", "identity").strip().lower()
    if declared is not None and encoding == "identity":
        # The body is exactly the declared bytes (aiohttp's parser stops there), at most the
        # cap: one read instead of a loop over chunks. A compressed body is not: its length
        # is the compressed one, so it takes the loop below, which caps what it inflates to.
        try:
            return await response.content.readexactly(declared)
        except asyncio.IncompleteReadError as exc:
            # The connection ended early: a network failure like any other (retried for reads).
            # Imported here: this module is also used where aiohttp is not loaded yet.
            from aiohttp import ClientPayloadError

            raise ClientPayloadError(
                f"the answer ended after {len(exc.partial)} of its {declared} bytes"
            ) from None
    chunks: list[bytes] = []
    size = 0
    # iter_any hands over what arrived; aiohttp stops reading the socket while its own small
    # buffer is full, so memory stays bounded by the cap.
    async for chunk in response.content.iter_any():
        size += len(chunk)
        if size > cap:
            raise _TooLarge(f"went past it; reading stopped after {size} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def read_answer(response: aiohttp.ClientResponse, *, cap: int = MAX_BODY_BYTES) -> Answer:
    """Read and decode ``response``'s body, at most ``cap`` bytes of it.

    Never raises for the body's content: problems are reported in :attr:`Answer.problem`.
    Network errors while reading (``aiohttp.ClientError``, ``TimeoutError``) propagate.
    """
    reason = response.reason or ""
    if response.status == 204:
        return Answer(None, reason)
    try:
        raw = await _read_capped(response, cap)
    except _TooLarge as exc:
        limit = f"{cap // (1024 * 1024)} MiB" if cap % (1024 * 1024) == 0 else f"{cap} bytes"
        return Answer(None, reason, problem=f"is over the {limit} cap ({exc})")
    if not raw:
        return Answer(None, reason)
    try:
        if len(raw) >= OFF_LOOP_BYTES:
            body = await asyncio.to_thread(decode_json, raw, yielding=True)
        else:
            body = decode_json(raw)
    except ValueError as exc:
        text = raw.decode("utf-8", errors="replace")
        return Answer(text, reason, problem=f"is not JSON ({exc})", retryable=True)
    message = reason
    if isinstance(body, dict) and isinstance(body.get("message"), str) and body["message"]:
        message = body["message"]
    return Answer(body, message)
