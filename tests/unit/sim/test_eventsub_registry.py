"""The EventSub subscription registry on its own: routing index, moves, limits."""

from __future__ import annotations

import time
from typing import Any

from companion.sim.events import AccessTokenRecord
from companion.sim.eventsub_subscriptions import MAX_DISABLED_KEPT, SubscriptionRegistry

SCOPES = frozenset({"channel:read:goals", "channel:read:polls"})
USERS = {"1", "2", "3", "4", "5"}


def _token(user_id: str | None, client_id: str = "c1") -> AccessTokenRecord:
    return AccessTokenRecord(
        token=f"t-{client_id}-{user_id}",
        client_id=client_id,
        user_id=user_id,
        scopes=SCOPES,
        expires_at=time.time() + 3600,
    )


def _registry() -> SubscriptionRegistry:
    return SubscriptionRegistry(lambda sid: "2024-01-01T00:00:00Z", USERS.__contains__)


def _body(type_: str, broadcaster: str, session: str = "s1") -> dict[str, Any]:
    return {
        "type": type_,
        "version": "1",
        "condition": {"broadcaster_user_id": broadcaster},
        "transport": {"method": "websocket", "session_id": session},
    }


def test_routing_index_tracks_enable_disable_move_remove() -> None:
    reg = _registry()
    status, _, sub = reg.create(_token("1"), _body("channel.goal.begin", "1"))
    assert status == 202
    assert sub is not None
    routed = reg.route("channel.goal.begin", "1")
    assert routed is not None
    assert list(routed.values()) == [sub]
    assert reg.route("channel.goal.begin", "2") is None

    assert reg.move_session("s1", "s2", "2024-01-02T00:00:00Z") == 1
    assert (sub.session_id, sub.connected_at) == ("s2", "2024-01-02T00:00:00Z")
    assert reg.enabled_count("s1") == 0
    assert reg.enabled_count("s2") == 1

    assert reg.disable_session("s2", "websocket_disconnected") == 1
    assert reg.route("channel.goal.begin", "1") is None
    assert sub.status == "websocket_disconnected"
    assert sub.disconnected_at is not None
    assert reg.get(sub.id) is sub

    reg.remove(sub)
    assert reg.get(sub.id) is None


def test_payload_json_is_cached_until_a_change() -> None:
    reg = _registry()
    _, _, sub = reg.create(_token("1"), _body("channel.poll.begin", "1"))
    assert sub is not None
    first = sub.payload_json()
    assert sub.payload_json() is first
    reg.disable(sub, "authorization_revoked", disconnected=False)
    assert '"status":"authorization_revoked"' in sub.payload_json()
    assert sub.disconnected_at is None


def test_three_subscriptions_with_the_same_type_and_condition_per_client() -> None:
    reg = _registry()
    # Four different users of one client, all watching broadcaster 5 go online.
    for user in ("1", "2", "3"):
        status, _, _ = reg.create(_token(user), _body("stream.online", "5", f"s{user}"))
        assert status == 202
    status, body, sub = reg.create(_token("4"), _body("stream.online", "5", "s4"))
    assert (status, sub) == (429, None)
    assert body["error"] == "Too Many Requests"
    # Another client is counted separately.
    assert reg.create(_token("4", "c2"), _body("stream.online", "5", "s4"))[0] == 202


def test_duplicate_across_the_users_sessions_is_409() -> None:
    reg = _registry()
    assert reg.create(_token("1"), _body("channel.poll.begin", "1", "s1"))[0] == 202
    assert reg.create(_token("1"), _body("channel.poll.begin", "1", "s2"))[0] == 409


def test_request_shape_errors() -> None:
    reg = _registry()
    assert reg.create(_token("1"), [])[0] == 400
    assert reg.create(_token("1"), {"type": "channel.poll.begin"})[0] == 400
    body = _body("channel.poll.begin", "1")
    body["transport"] = {"method": "carrier-pigeon"}
    assert reg.create(_token("1"), body)[0] == 400
    body["transport"] = {"method": "webhook", "callback": "https://example.com"}
    assert reg.create(_token("1"), body)[0] == 401  # user token with webhook
    assert reg.create(_token(None), body)[0] == 400  # the simulator has no webhooks
    body = _body("channel.poll.begin", "1")
    body["condition"] = {"broadcaster_user_id": 1}
    assert reg.create(_token("1"), body)[0] == 400


def test_delete_needs_an_id() -> None:
    assert _registry().delete(_token("1"), "")[0] == 400


def test_old_disabled_subscriptions_are_forgotten() -> None:
    reg = _registry()
    subs = []
    for i in range(MAX_DISABLED_KEPT + 5):
        body = _body("stream.online", "1", f"s{i}")
        status, _, sub = reg.create(_token("1"), body)
        assert status == 202
        assert sub is not None
        reg.disable_session(f"s{i}", "websocket_disconnected")
        subs.append(sub)
    assert [reg.get(s.id) for s in subs[:5]] == [None] * 5
    assert all(reg.get(s.id) is s for s in subs[5:])
