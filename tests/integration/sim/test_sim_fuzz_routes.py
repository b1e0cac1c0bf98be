"""A small seeded fuzz over every simulator route: malformed input is a 4xx, never a 500
(issue 20, item 15).

Every route the simulator serves (Helix, its extras, OAuth, the control API) gets the same
deterministic mix of malformed requests: parameters with wrong types, non-finite and huge
numbers, lone surrogates, very long strings, bodies that are not JSON objects. A valid
token and the control token are sent, so the requests reach the routes' own checks. Twitch
answers such requests with a 4xx and its JSON error body; so must the simulator.
"""

from __future__ import annotations

import json
import random
from typing import TYPE_CHECKING, Any

from companion.sim import control_headers
from tests.integration.sim.sim_api import CLIENT_ID

if TYPE_CHECKING:
    import aiohttp

    from companion.sim import Simulator
    from tests.integration.sim.sim_api import Caster

SEED = 20
PER_ROUTE = 40

_NAMES_TEXT = (
    "access_token after amount background_color before broadcaster_id broadcaster_type"
    " channel_points_per_vote channel_points_voting_enabled choice_id choices client_id"
    " client_secret close_code condition cost count current_amount data description"
    " display_name duration ended_at expires_in extension first from_broadcaster_id game_id"
    " gifter_id global_cooldown_seconds goal_id id is_enabled is_featured"
    " is_global_cooldown_enabled is_max_per_stream_enabled is_max_per_user_per_stream_enabled"
    " is_user_input_required keepalive_timeout_seconds kind language live login max_per_stream"
    " max_per_user_per_stream moderator_id n name non_moderator_chat_delay"
    " non_moderator_chat_delay_duration only_manageable_rewards outcome_id outcomes period"
    " points poll_id prediction_id prediction_window prefix prompt rate reconnect refresh_token"
    " reward_id scope scopes seconds set_id sort start_time started_at status target_amount"
    " tier title to_broadcaster_id token_type total transport type user_code user_id"
    " user_input user_login version video_id viewer_count votes winning_outcome_id"
    " grant_type device_code"
)
#: Every query or body field name the simulator's routes read (from its source).
NAMES = tuple(_NAMES_TEXT.split())

#: Query values (text): empty, wrong type, huge, non-finite, long (four of them stay under
#: aiohttp's 8190-byte request line, past which its parser answers before any route).
QUERY_VALUES = ("", "abc", "-1", "0", "1e999", "NaN", "inf", "99999999999999999999999", "x" * 1500)

#: Body values (JSON): every JSON type, non-finite and huge numbers, a lone surrogate.
BODY_VALUES: tuple[Any, ...] = (
    None,
    True,
    -1,
    0,
    2**70,
    3.5,
    float("inf"),
    float("nan"),
    "",
    "abc",
    "\ud800",
    "x" * 3000,
    [],
    [1, "a"],
    {},
    {"a": {"b": []}},
)

#: Bodies that are not a JSON object at all.
RAW_BODIES = (b"", b"null", b"[]", b"{", b'"x"', b"\xff\xfe\x00", b"1e999", b'{"a": NaN}')


def route_table(sim: Simulator) -> list[tuple[str, str]]:
    """(method, path) of every route the simulator serves, except the WebSocket."""
    app = sim.build_app()
    seen: dict[tuple[str, str], None] = {}
    for route in app.router.routes():
        info = route.resource.get_info() if route.resource is not None else {}
        path = info.get("path") or info.get("formatter")
        if not path or route.method in ("HEAD", "*") or path == "/ws":
            continue
        seen[(route.method, str(path))] = None
    return list(seen)


def fuzz_request(
    rng: random.Random, caster_id: str
) -> tuple[dict[str, str], bytes | None, str | None]:
    """One malformed request: query, body, content type."""
    query = {name: rng.choice(QUERY_VALUES) for name in rng.sample(NAMES, rng.randint(0, 4))}
    if rng.random() < 0.7:
        query["broadcaster_id"] = caster_id  # mostly past the first check, to reach the next
    shape = rng.random()
    if shape < 0.25:
        return query, None, None
    if shape < 0.4:
        return query, rng.choice(RAW_BODIES), "application/json"
    fields = {name: rng.choice(BODY_VALUES) for name in rng.sample(NAMES, rng.randint(1, 8))}
    if rng.random() < 0.5:
        fields["broadcaster_id"] = caster_id
    body = json.dumps(fields).encode("utf-8", "surrogatepass").replace(b"\xed\xa0\x80", b"\\ud800")
    return query, body, "application/json"


async def test_no_route_answers_500_to_malformed_input(
    sim: Simulator, session: aiohttp.ClientSession, caster: Caster
) -> None:
    rng = random.Random(SEED)
    routes = route_table(sim)
    assert len(routes) > 40
    server_errors: list[str] = []
    bad_bodies: list[str] = []
    sent = 0
    for method, path in routes:
        for _ in range(PER_ROUTE):
            query, body, content_type = fuzz_request(rng, caster.id)
            headers = {
                "Authorization": f"Bearer {caster.token}",
                "Client-Id": CLIENT_ID,
                **control_headers(sim.control_token),
            }
            if content_type is not None:
                headers["Content-Type"] = content_type
            async with session.request(
                method, sim.base_url + path, params=query, data=body, headers=headers
            ) as resp:
                text = await resp.text()
                sent += 1
            where = f"{method} {path} {query} {body[:200] if body else body!r}"
            if resp.status >= 500:
                server_errors.append(f"{resp.status} {where}: {text[:200]}")
            elif resp.status >= 400 and path.startswith(("/helix/", "/_sim/")):
                try:
                    error = json.loads(text)
                except ValueError:
                    error = None
                if not (
                    isinstance(error, dict)
                    and set(error) == {"error", "status", "message"}
                    and error["status"] == resp.status
                ):
                    bad_bodies.append(f"{resp.status} {where}: {text[:200]}")
    assert sent == len(routes) * PER_ROUTE
    assert server_errors == []
    assert bad_bodies == []


#: One field broken at a time: every JSON type, huge and non-finite numbers, bad text.
MUTATIONS: tuple[Any, ...] = (
    None,
    True,
    -1,
    2**70,
    10**400,
    float("inf"),
    float("nan"),
    "",
    "\ud800",
    "x" * 3000,
    [],
    [1, "a"],
    {},
    [{}],
    {"a": {"b": []}},
)


def valid_requests(
    sim: Simulator, caster_id: str
) -> dict[tuple[str, str], tuple[dict[str, str], dict[str, Any]]]:
    """(method, path) -> (query, body) of a request each route would accept."""
    state = sim.state
    viewer = str(state.create_user("fuzzviewer", "FuzzViewer", "")["id"])
    reward = state.create_reward(caster_id, CLIENT_ID, {"title": "fuzz", "cost": 1})
    redemption = state.redeem(caster_id, reward["id"], viewer)
    prediction = state.create_prediction(
        caster_id,
        {"title": "p", "outcomes": [{"title": "a"}, {"title": "b"}], "prediction_window": 60},
    )
    poll = state.create_poll(
        caster_id, {"title": "q", "choices": [{"title": "a"}, {"title": "b"}], "duration": 60}
    )
    rewards = "/helix/channel_points/custom_rewards"
    return {
        ("POST", rewards): (
            {"broadcaster_id": caster_id},
            {
                "title": "new",
                "cost": 5,
                "prompt": "x",
                "background_color": "#FFFFFF",
                "is_max_per_stream_enabled": True,
                "max_per_stream": 3,
                "is_global_cooldown_enabled": True,
                "global_cooldown_seconds": 60,
            },
        ),
        ("PATCH", rewards): (
            {"broadcaster_id": caster_id, "id": reward["id"]},
            {"title": "t2", "cost": 5, "is_paused": False, "is_enabled": True},
        ),
        ("PATCH", rewards + "/redemptions"): (
            {"broadcaster_id": caster_id, "reward_id": reward["id"], "id": redemption["id"]},
            {"status": "CANCELED"},
        ),
        ("POST", "/helix/predictions"): (
            {},
            {
                "broadcaster_id": caster_id,
                "title": "pp",
                "outcomes": [{"title": "a"}, {"title": "b"}],
                "prediction_window": 60,
            },
        ),
        ("PATCH", "/helix/predictions"): (
            {},
            {
                "broadcaster_id": caster_id,
                "id": prediction["id"],
                "status": "RESOLVED",
                "winning_outcome_id": prediction["outcomes"][0]["id"],
            },
        ),
        ("POST", "/helix/polls"): (
            {},
            {
                "broadcaster_id": caster_id,
                "title": "qq",
                "choices": [{"title": "a"}, {"title": "b"}],
                "duration": 60,
                "channel_points_voting_enabled": True,
                "channel_points_per_vote": 10,
            },
        ),
        ("PATCH", "/helix/polls"): (
            {},
            {"broadcaster_id": caster_id, "id": poll["id"], "status": "TERMINATED"},
        ),
        ("POST", "/helix/eventsub/subscriptions"): (
            {},
            {
                "type": "channel.channel_points_custom_reward_redemption.add",
                "version": "1",
                "condition": {"broadcaster_user_id": caster_id},
                "transport": {"method": "websocket", "session_id": "nosuchsession"},
            },
        ),
        ("POST", "/_sim/users"): ({}, {"login": "zz", "display_name": "Z"}),
        ("POST", "/_sim/faults"): ({}, {"kind": "latency", "seconds": 0, "prefix": "/helix/x"}),
        ("POST", "/_sim/goals"): (
            {},
            {"broadcaster_id": caster_id, "target_amount": 10, "current_amount": 0},
        ),
        ("POST", "/_sim/channels"): ({}, {"broadcaster_id": caster_id, "title": "t"}),
        ("POST", "/_sim/streams"): ({}, {"broadcaster_id": caster_id, "live": True}),
        ("POST", "/_sim/redemptions/many"): ({}, {"broadcaster_id": caster_id, "count": 1}),
        ("POST", "/_sim/eventsub/silence"): ({}, {"seconds": 0}),
        ("POST", "/_sim/eventsub/drop"): ({}, {"close_code": 4000}),
        ("POST", "/_sim/extensions"): (
            {},
            {
                "user_id": caster_id,
                "extension": {"id": "e1", "version": "1", "name": "E", "type": ["panel"]},
            },
        ),
    }


async def test_valid_bodies_with_one_field_broken_never_answer_500(
    sim: Simulator, session: aiohttp.ClientSession, caster: Caster
) -> None:
    headers = {
        "Authorization": f"Bearer {caster.token}",
        "Client-Id": CLIENT_ID,
        **control_headers(sim.control_token),
    }
    server_errors: list[str] = []
    sent = 0
    requests = valid_requests(sim, caster.id)
    for (method, path), (query, body) in requests.items():
        for field in body:
            for value in MUTATIONS:
                broken = json.dumps({**body, field: value}).encode("utf-8", "surrogatepass")
                broken = broken.replace(b"\xed\xa0\x80", b"\\ud800")
                async with session.request(
                    method, sim.base_url + path, params=query, data=broken, headers=headers
                ) as resp:
                    text = await resp.text()
                    sent += 1
                if resp.status >= 500:
                    server_errors.append(f"{resp.status} {method} {path} {field}={value!r:.40}")
                elif resp.status >= 400:
                    assert set(json.loads(text)) == {"error", "status", "message"}, text
    assert sent == sum(len(body) for _, body in requests.values()) * len(MUTATIONS) == 780
    assert server_errors == []
