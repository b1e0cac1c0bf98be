"""Fault switches: latency, 5xx, 429, connection resets, malformed bodies, token revocation."""

from __future__ import annotations

import logging
import math
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Final

if TYPE_CHECKING:
    from .state import SimState

_log = logging.getLogger(__name__)

FAULT_KINDS: Final = frozenset({"status", "throttle", "reset", "malformed", "revoke"})
SERVER_ERROR_STATUSES: Final = frozenset({500, 502, 503, 504})


@dataclass(slots=True)
class PendingFault:
    """A fault that will hit the next ``remaining`` matching requests.

    Attributes:
        kind: ``status`` (answer ``status``), ``throttle`` (429 with an empty bucket),
            ``reset`` (close the connection without answering), ``malformed`` (cut the JSON
            body in half), ``revoke`` (revoke the request's access token, then handle it).
        remaining: How many more requests it hits.
        status: The status for ``status`` faults.
        prefix: Only requests whose path starts with this are hit (None = all but the
            control API and the EventSub socket).
    """

    kind: str
    remaining: int
    status: int = 0
    prefix: str | None = None

    def matches(self, path: str) -> bool:
        """True if this fault applies to ``path``."""
        return self.prefix is None or path.startswith(self.prefix)


class Faults:
    """The simulator's fault switches, shared by the Python and HTTP control surfaces.

    Faults are consumed in the order they were queued; each request takes at most one.
    The control API (``/_sim``) and the EventSub socket (``/ws``) are never hit; the
    socket has its own faults on the hub.

    Args:
        state: The state (for token revocation).
    """

    def __init__(self, state: SimState) -> None:
        self._state = state
        self._pending: list[PendingFault] = []
        self.latency: float = 0.0
        self.latency_prefix: str | None = None
        self.hits: dict[str, int] = dict.fromkeys(FAULT_KINDS, 0)

    def __repr__(self) -> str:
        return f"Faults(latency={self.latency}, pending={self._pending!r})"

    # -- switches ----------------------------------------------------------------------------

    def set_latency(self, seconds: float, prefix: str | None = None) -> None:
        """Delay every matching response by ``seconds`` (0 turns it off)."""
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError(f"latency must be a finite number of seconds >= 0, not {seconds!r}")
        self.latency = seconds
        self.latency_prefix = prefix

    def fail_next(self, n: int, status: int = 503, prefix: str | None = None) -> None:
        """The next ``n`` matching requests get ``status`` (500, 502, 503 or 504)."""
        if status not in SERVER_ERROR_STATUSES:
            raise ValueError(f"status must be one of {sorted(SERVER_ERROR_STATUSES)}")
        self._queue(PendingFault("status", n, status, prefix))

    def throttle_next(self, n: int, prefix: str | None = None) -> None:
        """The next ``n`` matching requests get 429 with ``Ratelimit-Remaining: 0``."""
        self._queue(PendingFault("throttle", n, 429, prefix))

    def reset_next(self, n: int, prefix: str | None = None) -> None:
        """The next ``n`` matching requests see their connection closed without a response."""
        self._queue(PendingFault("reset", n, 0, prefix))

    def malform_next(self, n: int, prefix: str | None = None) -> None:
        """The next ``n`` matching responses carry a truncated (invalid) JSON body."""
        self._queue(PendingFault("malformed", n, 0, prefix))

    def revoke_next(self, n: int, prefix: str | None = None) -> None:
        """The access tokens of the next ``n`` matching requests are revoked before handling
        (the requests then fail with 401 as any request with a revoked token)."""
        self._queue(PendingFault("revoke", n, 0, prefix))

    def revoke_tokens(self, client_id: str | None = None) -> int:
        """Revoke every access token now (of ``client_id`` if given); returns the count."""
        return self._state.revoke_all_tokens(client_id)

    def clear(self) -> None:
        """Turn every switch off."""
        self._pending.clear()
        self.latency = 0.0
        self.latency_prefix = None

    def _queue(self, fault: PendingFault) -> None:
        if fault.remaining < 1:
            raise ValueError("n must be >= 1")
        if fault.prefix is not None and not fault.prefix.startswith("/"):
            raise ValueError("prefix must be a path starting with '/'")
        self._pending.append(fault)

    # -- used by the server ------------------------------------------------------------------

    def latency_for(self, path: str) -> float:
        """Seconds to delay a request to ``path``."""
        if self.latency and (self.latency_prefix is None or path.startswith(self.latency_prefix)):
            return self.latency
        return 0.0

    def take(self, path: str) -> PendingFault | None:
        """Consume one matching fault for a request to ``path`` (None if none applies)."""
        if not self._pending:
            return None
        for i, fault in enumerate(self._pending):
            if fault.matches(path):
                fault.remaining -= 1
                if fault.remaining == 0:
                    del self._pending[i]
                self.hits[fault.kind] += 1
                return PendingFault(fault.kind, 1, fault.status, fault.prefix)
        return None

    def snapshot(self) -> dict[str, Any]:
        """The switches as JSON (``GET /_sim/faults``)."""
        return {
            "latency": self.latency,
            "latency_prefix": self.latency_prefix,
            "pending": [asdict(f) for f in self._pending],
            "hits": dict(self.hits),
        }
