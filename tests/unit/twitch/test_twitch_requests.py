"""What the client sends equals Twitch's documented request bodies; OAuth and device flow."""

from __future__ import annotations

import json
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from companion.twitch import Client, InvalidToken, oauth
from companion.twitch.errors import DeviceCodeExpired, OAuthError
from companion.twitch.models import (
    CustomReward,
    CustomRewardRedemption,
    Extension,
    ExtensionBuilder,
)
from companion.twitch.models.extensions import parse_active_extensions
from tests.helpers.reference import REFERENCE
from tests.helpers.twitch_fakeserver import CLIENT_ID, FakeTwitch, Recorded, TokenInfo
from tests.helpers.twitch_recording import USER_ID, RecordingHandler

HELIX = REFERENCE / "helix"


def doc(name: str) -> Any:
    return json.loads((HELIX / name).read_text(encoding="utf-8"))


def answer_with(name: str) -> Any:
    async def handler(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        return web.json_response(doc(name))

    return handler


async def test_create_custom_reward_sends_the_documented_body(
    fake: FakeTwitch, client: Client
) -> None:
    fake.helix_handler = answer_with("create_custom_rewards.response.json")
    reward = await client.create_user(USER_ID).create_custom_reward("game analysis 1v1", 50000)
    (rec,) = fake.helix
    assert (rec.method, rec.path) == ("POST", "/helix/channel_points/custom_rewards")
    assert rec.query == [("broadcaster_id", USER_ID)]
    assert rec.json == doc("create_custom_rewards.request.json")
    assert reward.id == "afaa7e34-6b17-49f0-a19a-d1e76eaaf673"


@pytest.mark.parametrize(
    ("kwargs", "example"),
    [
        ({"enabled": False}, "update_custom_reward"),
        ({"title": "game analysis 2v2"}, "update_custom_reward.title"),
    ],
)
async def test_edit_sends_only_the_changed_fields(
    fake: FakeTwitch, client: Client, kwargs: dict[str, Any], example: str
) -> None:
    http = client.http
    reward = CustomReward(http, doc("get_custom_reward.response.json")["data"][0])
    fake.helix_handler = answer_with(f"{example}.response.json")
    edited = await reward.edit(**kwargs)
    (rec,) = fake.helix
    assert rec.method == "PATCH"
    assert rec.query == [
        ("broadcaster_id", "274637212"),
        ("id", "92af127c-7326-4483-a52b-b0da0be61c01"),
    ]
    assert rec.json == doc(f"{example}.request.json")
    assert edited is reward
    assert reward.title == "game analysis 2v2"
    assert reward.cost == 30000


async def test_refund_sends_the_documented_status(fake: FakeTwitch, client: Client) -> None:
    redemption = CustomRewardRedemption(
        client.http, doc("get_custom_reward_redemption.response.json")["data"][0]
    )
    redemption.status = "UNFULFILLED"
    fake.helix_handler = answer_with("update_redemption_status.response.json")
    await redemption.refund()
    (rec,) = fake.helix
    assert rec.json == doc("update_redemption_status.request.json")
    assert rec.param("id") == ["17fa2df1-ad76-4804-bfa5-a40ef63efe63"]
    assert rec.param("reward_id") == ["92af127c-7326-4483-a52b-b0da0be61c01"]
    assert redemption.status == "CANCELED"


async def test_reward_delete_sends_ids_and_accepts_204(fake: FakeTwitch, client: Client) -> None:
    async def no_content(request: web.Request, rec: Recorded, info: TokenInfo) -> web.Response:
        return web.Response(status=204)

    reward = CustomReward(client.http, doc("get_custom_reward.response.json")["data"][0])
    fake.helix_handler = no_content
    await reward.delete()
    (rec,) = fake.helix
    assert (rec.method, rec.param("id")) == ("DELETE", [reward.id])


async def test_prediction_requests_match_the_documented_bodies(fake: FakeTwitch) -> None:
    access, refresh = fake.issue("141981764", ["channel:manage:predictions"])
    async with Client(
        RecordingHandler(access, refresh), helix_url=fake.helix_url, oauth_url=fake.oauth_url
    ) as client:
        user = client.create_user("141981764")
        fake.helix_handler = answer_with("create_prediction.response.json")
        created = await user.create_prediction(
            "Any leeks in the stream?", ["Yes, give it time.", "Definitely not."], 120
        )
        fake.helix_handler = answer_with("end_prediction.response.json")
        ended = await user.end_prediction(
            "bc637af0-7766-4525-9308-4112f4cbf178",
            "RESOLVED",
            "73085848-a94d-4040-9d21-2cb7a89374b7",
        )
    create, end = fake.helix
    assert (create.method, create.path) == ("POST", "/helix/predictions")
    assert create.json == doc("create_prediction.request.json")
    assert (end.method, end.json) == ("PATCH", doc("end_prediction.request.json"))
    assert created.status == "ACTIVE"
    assert ended.status == "RESOLVED"


async def test_poll_requests_match_the_documented_bodies(fake: FakeTwitch) -> None:
    access, refresh = fake.issue("141981764", ["channel:manage:polls"])
    async with Client(
        RecordingHandler(access, refresh), helix_url=fake.helix_url, oauth_url=fake.oauth_url
    ) as client:
        user = client.create_user("141981764")
        fake.helix_handler = answer_with("create_poll.response.json")
        await user.create_poll("Heads or Tails?", ["Heads", "Tails"], 1800, 100)
        fake.helix_handler = answer_with("end_poll.response.json")
        ended = await user.end_poll("ed961efd-8a3f-4cf5-a9d0-e616c590cd2a", "TERMINATED")
    create, end = fake.helix
    assert create.json == doc("create_poll.request.json")
    assert end.json == doc("end_poll.request.json")
    assert ended.status == "TERMINATED"


async def test_update_extensions_sends_the_documented_body(
    fake: FakeTwitch, client: Client
) -> None:
    active = parse_active_extensions(doc("get_user_active_extensions.response.json"))
    builder = ExtensionBuilder(
        panels=list(active["panel"].values()),
        overlays=list(active["overlay"].values()),
        components=[
            Extension.create("lqnf3zxk0rv0g7gq92mtmnirjz2cjj", "0.0.1", x=0, y=0),
            Extension({"active": False}),
        ],
    )
    fake.helix_handler = answer_with("update_user_extensions.response.json")
    result = await client.create_user(USER_ID).update_extensions(builder)
    (rec,) = fake.helix
    assert (rec.method, rec.path) == ("PUT", "/helix/users/extensions")
    assert rec.json == doc("update_user_extensions.request.json")
    assert result["panel"]["3"].name == "Streamlabs Stream Schedule & Countdown"


async def test_fetch_users_by_ids_and_logins(fake: FakeTwitch, client: Client) -> None:
    fake.helix_handler = answer_with("get_users.response.json")
    users = await client.fetch_users(
        ids=["141981764"], logins=["twitchdev"], target=client.create_user(USER_ID)
    )
    (rec,) = fake.helix
    assert rec.query == [("id", "141981764"), ("login", "twitchdev")]
    assert [u.login for u in users] == ["twitchdev"]


# -- OAuth -------------------------------------------------------------------------------


async def test_device_flow_polls_until_authorized(fake: FakeTwitch) -> None:
    fake.device_script = ["pending", "pending", "ok"]
    naps: list[float] = []

    async def no_sleep(seconds: float) -> None:
        naps.append(seconds)

    async with aiohttp.ClientSession() as session:
        flow = oauth.DeviceFlow(
            session,
            CLIENT_ID,
            ["channel:manage:redemptions"],
            oauth_url=fake.oauth_url,
            sleep=no_sleep,
        )
        code = await flow.start()
        assert (code.user_code, code.expires_in, code.interval) == ("ABCDEFGH", 1800, 1)
        token = await flow.wait()
    assert token.scopes == ("channel:manage:redemptions",)
    assert token.refresh_token is not None
    assert naps == [1.0, 1.0]
    device, *polls = fake.oauth
    assert device.form == {"client_id": CLIENT_ID, "scopes": "channel:manage:redemptions"}
    assert [p.form["grant_type"] for p in polls] == [oauth.DEVICE_GRANT_TYPE] * 3
    assert all(p.form["device_code"] == "ike3GM8QIdYZs43KdrWPIO36LofILoCyFEzjlQ91" for p in polls)
    assert "client_secret" not in polls[0].form


async def test_device_flow_reports_a_spent_code(fake: FakeTwitch) -> None:
    fake.device_script = ["invalid"]
    async with aiohttp.ClientSession() as session:
        flow = oauth.DeviceFlow(session, CLIENT_ID, ["bits:read"], oauth_url=fake.oauth_url)
        await flow.start()
        with pytest.raises(DeviceCodeExpired):
            await flow.poll()


async def test_validate_and_revoke(fake: FakeTwitch) -> None:
    access, _refresh = fake.issue("141981764", ["channel:read:subscriptions"], login="twitchdev")
    async with aiohttp.ClientSession() as session:
        info = await oauth.validate_token(session, access, oauth_url=fake.oauth_url)
        assert (info.user_id, info.login, info.scopes) == (
            "141981764",
            "twitchdev",
            ("channel:read:subscriptions",),
        )
        assert info.client_id == CLIENT_ID
        await oauth.revoke_token(
            session, client_id=CLIENT_ID, token=access, oauth_url=fake.oauth_url
        )
        with pytest.raises(InvalidToken, match="invalid access token"):
            await oauth.validate_token(session, access, oauth_url=fake.oauth_url)
        with pytest.raises(OAuthError) as caught:
            await oauth.revoke_token(
                session, client_id=CLIENT_ID, token=access, oauth_url=fake.oauth_url
            )
        assert (caught.value.status, caught.value.message) == (400, "Invalid token")
        with pytest.raises(OAuthError) as caught:
            await oauth.revoke_token(
                session, client_id="nope", token=access, oauth_url=fake.oauth_url
            )
        assert (caught.value.status, caught.value.message) == (404, "client does not exist")
