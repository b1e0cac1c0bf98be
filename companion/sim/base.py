"""The data every part of the simulator's state shares: users, clients, tokens, listeners."""

from __future__ import annotations

import logging
import time
from collections import deque
from typing import TYPE_CHECKING, Any

from .errors import SimError
from .events import AccessTokenRecord, DomainEvent, Listener
from .ids import IdFactory, rfc3339
from .records import (
    ChannelRecord,
    ClientRecord,
    DeviceCodeRecord,
    PollRecord,
    PredictionRecord,
    RedemptionRecord,
    RefreshRecord,
    RewardRecord,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from .config import SimConfig

_log = logging.getLogger(__name__)

BROADCASTER_TYPES = frozenset({"affiliate", "partner", ""})


class StateBase:
    """Containers and helpers shared by the state's mixins.

    Args:
        config: The simulator's configuration.
    """

    def __init__(self, config: SimConfig) -> None:
        self.config = config
        self.ids = IdFactory(config.seed)
        self.users: dict[str, dict[str, Any]] = {}
        self.user_ids_by_login: dict[str, str] = {}
        self.clients: dict[str, ClientRecord] = {}
        self.access_tokens: dict[str, AccessTokenRecord] = {}
        self.refresh_tokens: dict[str, RefreshRecord] = {}
        # (client_id, user_id) -> access tokens issued for that pair, for bulk revocation.
        self.tokens_by_grant: dict[tuple[str, str], list[AccessTokenRecord]] = {}
        self.device_codes: dict[str, DeviceCodeRecord] = {}
        self.device_codes_by_user_code: dict[str, DeviceCodeRecord] = {}
        self.channels: dict[str, ChannelRecord] = {}
        self.redemptions: dict[str, RedemptionRecord] = {}
        # (settled at, reward, redemption), oldest first: what the retention window drops.
        self.settled_redemptions: deque[tuple[float, RewardRecord, RedemptionRecord]] = deque()
        # Global id -> record indexes, so movers can find an object by id alone.
        self.prediction_index: dict[str, PredictionRecord] = {}
        self.poll_index: dict[str, PollRecord] = {}
        self.goal_index: dict[str, str] = {}  # goal id -> broadcaster id
        self._listeners: list[Listener] = []
        self._seq = 0

    def __repr__(self) -> str:
        return f"{type(self).__name__}(users={len(self.users)}, clients={len(self.clients)})"

    # -- time and sequence -------------------------------------------------------------------

    def now(self) -> float:
        """The simulator's clock (epoch seconds)."""
        return time.time()

    def next_seq(self) -> int:
        """A strictly increasing number used to order records and build cursors."""
        self._seq += 1
        return self._seq

    # -- listeners ---------------------------------------------------------------------------

    def add_listener(self, fn: Listener) -> None:
        """Call ``fn`` synchronously with a `DomainEvent` after every state change."""
        self._listeners.append(fn)

    def remove_listener(self, fn: Listener) -> None:
        """Stop calling ``fn`` (no error if it was not registered)."""
        if fn in self._listeners:
            self._listeners.remove(fn)

    def emit(
        self,
        kind: str,
        broadcaster_id: str,
        record: dict[str, Any],
        previous: dict[str, Any] | None = None,
        exact_times: Mapping[str, str] | None = None,
    ) -> None:
        """Tell every listener about a change; a failing listener cannot break the state.

        ``exact_times`` are the nanosecond spellings of the record's whole-second Helix times
        (see `DomainEvent.exact_times`).
        """
        if not self._listeners:
            return
        event = DomainEvent(kind, broadcaster_id, record, previous, exact_times or {})
        for fn in list(self._listeners):
            try:
                fn(event)
            except Exception:
                _log.exception("state listener failed on %s", kind)

    # -- users -------------------------------------------------------------------------------

    def create_user(
        self,
        login: str,
        display_name: str | None = None,
        broadcaster_type: str = "affiliate",
        *,
        description: str = "",
        email: str | None = None,
    ) -> dict[str, Any]:
        """Create a user (and their channel) and return it in Helix's Get Users shape.

        Raises:
            ValueError: The login is taken or empty, or the broadcaster type is unknown.
        """
        login = login.lower()
        if not login or login in self.user_ids_by_login:
            raise ValueError(f"login {login!r} is empty or taken")
        if broadcaster_type not in BROADCASTER_TYPES:
            raise ValueError(f"broadcaster_type must be one of {sorted(BROADCASTER_TYPES)}")
        user_id = self.ids.numeric()
        user = {
            "id": user_id,
            "login": login,
            "display_name": display_name or login,
            "type": "",
            "broadcaster_type": broadcaster_type,
            "description": description,
            "profile_image_url": (
                f"https://static-cdn.jtvnw.net/jtv_user_pictures/{login}-profile_image-300x300.png"
            ),
            "offline_image_url": "",
            # Deprecated by Twitch ("Any data in this field is not valid"); always 0 here.
            "view_count": 0,
            "email": email or f"{login}@example.invalid",
            "created_at": rfc3339(self.now()),
        }
        self.users[user_id] = user
        self.user_ids_by_login[login] = user_id
        self.channels[user_id] = ChannelRecord(
            broadcaster_id=user_id,
            info={
                "broadcaster_id": user_id,
                "broadcaster_login": login,
                "broadcaster_name": user["display_name"],
                "broadcaster_language": "en",
                "game_id": "",
                "game_name": "",
                "title": "",
                "delay": 0,
                "tags": [],
                "content_classification_labels": [],
                "is_branded_content": False,
            },
        )
        return public_user(user, include_email=True)

    def get_user(self, user_id: str) -> dict[str, Any]:
        """The stored user record.

        Raises:
            SimError: 404 if there is no such user.
        """
        user = self.users.get(user_id)
        if user is None:
            raise SimError(404, f"user {user_id} not found")
        return user

    def channel(self, broadcaster_id: str) -> ChannelRecord:
        """The channel of ``broadcaster_id``.

        Raises:
            SimError: 400 if there is no such broadcaster.
        """
        ch = self.channels.get(broadcaster_id)
        if ch is None:
            raise SimError(400, "The broadcaster ID is not valid.")
        return ch

    def broadcaster_fields(self, broadcaster_id: str) -> dict[str, str]:
        """The ``broadcaster_id/login/name`` triple most Helix objects carry."""
        user = self.users[broadcaster_id]
        return {
            "broadcaster_id": broadcaster_id,
            "broadcaster_login": user["login"],
            "broadcaster_name": user["display_name"],
        }


def public_user(user: dict[str, Any], *, include_email: bool) -> dict[str, Any]:
    """A copy of a stored user as Get Users serves it (``email`` only with user:read:email)."""
    out = dict(user)
    if not include_email:
        out.pop("email", None)
    return out
