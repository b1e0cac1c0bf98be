"""A token goes only to the authority that issued it, and never in plain http to another
machine: the client refuses before sending, and the server receives nothing (issue 20.1).

Each test runs real simulators on loopback that record every request they receive.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import aiohttp
import pytest

from companion.auth.handler import KeyringTokenHandler
from companion.auth.token_store import SessionTokenStore
from companion.twitch import oauth
from companion.twitch.authority import TWITCH_AUTHORITY
from companion.twitch.client import Client
from companion.twitch.errors import InsecureURL, TokenAuthorityError
from companion.twitch.tokens import SimpleTokenHandler, Token
from tests.helpers.recording_sim import RecordingSimulator

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

CLIENT_ID = "authoritytest0client0000000001"
SCOPES = ["channel:read:goals"]
# Synthetic stand-ins for a real Twitch account's tokens.
REAL_ACCESS = "realtwitchaccess1111111111111a"
REAL_REFRESH = "realtwitchrefresh11111111111111111111111111111111b"
# TEST-NET-1 (RFC 5737): never routed, so even a bug could not leak anything there.
FAR = "http://192.0.2.10:8080"


async def started() -> RecordingSimulator:
    sim = RecordingSimulator()
    await sim.start(port=0)
    sim.state.register_client(CLIENT_ID, None)
    return sim


@pytest.fixture
async def sim() -> AsyncIterator[RecordingSimulator]:
    simulator = await started()
    yield simulator
    await simulator.stop()


@pytest.fixture
async def other_sim() -> AsyncIterator[RecordingSimulator]:
    simulator = await started()
    yield simulator
    await simulator.stop()


def real_twitch_token() -> Token:
    return Token(REAL_ACCESS, REAL_REFRESH, user_id="141981764", authority=TWITCH_AUTHORITY)


def client_for(sim: RecordingSimulator, handler: SimpleTokenHandler) -> Client:
    return Client(
        handler,
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
        retry_base_delay=0.01,
    )


async def test_twitch_token_is_not_sent_to_a_simulator(sim: RecordingSimulator) -> None:
    handler = SimpleTokenHandler("unused-access-token", CLIENT_ID)
    handler.user_token = real_twitch_token()
    async with client_for(sim, handler) as client:
        with pytest.raises(TokenAuthorityError) as caught:
            await client.fetch_users(ids=["141981764"], target=client.create_user("141981764"))
        with pytest.raises(TokenAuthorityError):
            session = await client.http.get_session()
            await handler.user_token.refreshed(handler, session, oauth_url=sim.oauth_url)
    assert str(caught.value).startswith(
        f"refusing to send a token issued by https://id.twitch.tv/oauth2 to {sim.base_url}:"
    )
    assert sim.received == []  # neither /oauth2/validate, nor /oauth2/token, nor Helix


async def test_helix_on_another_origin_gets_no_token(
    sim: RecordingSimulator, other_sim: RecordingSimulator
) -> None:
    """The token is the first simulator's: it validates there, and the second simulator,
    configured as the Helix host, never sees it."""
    user = sim.state.create_user("caster")["id"]
    issued = sim.state.issue_user_token(CLIENT_ID, user, SCOPES)
    handler = SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"])
    async with Client(
        handler, helix_url=other_sim.helix_url, oauth_url=sim.oauth_url, retry_base_delay=0.01
    ) as client:
        with pytest.raises(TokenAuthorityError):
            await client.create_user(user).get_goals()
    assert sim.sequence() == ["GET /oauth2/validate"]
    assert other_sim.received == []


async def test_token_without_authority_is_bound_to_its_first_authority(
    sim: RecordingSimulator, other_sim: RecordingSimulator
) -> None:
    user = sim.state.create_user("caster")["id"]
    issued = sim.state.issue_user_token(CLIENT_ID, user, SCOPES)
    handler = SimpleTokenHandler(issued["access_token"], CLIENT_ID, issued["refresh_token"])
    assert handler.user_token.authority is None
    async with client_for(sim, handler) as client:
        assert await client.create_user(user).get_goals() == []
    assert handler.user_token.authority == sim.oauth_url
    assert sim.sequence() == ["GET /oauth2/validate", "GET /helix/goals"]
    async with client_for(other_sim, handler) as client:
        with pytest.raises(TokenAuthorityError):
            await client.create_user(user).get_goals()
    assert other_sim.received == []


async def test_keyring_handler_keeps_only_its_own_authoritys_tokens(
    sim: RecordingSimulator,
) -> None:
    store = SessionTokenStore()
    handler = KeyringTokenHandler(CLIENT_ID, store, authority=sim.oauth_url)
    with pytest.raises(TokenAuthorityError, match="is not kept for"):
        await handler.remember("141981764", real_twitch_token(), tuple(SCOPES))
    assert await store.load(sim.oauth_url, "141981764") is None
    assert await store.load(TWITCH_AUTHORITY, "141981764") is None
    # A token that names no issuer is stamped with the handler's.
    token = Token("simaccess00000000", "simrefresh0000000")
    await handler.remember("141981764", token, tuple(SCOPES))
    assert token.authority == sim.oauth_url
    handed_out = await handler.get_user_token(Client(handler).create_user("141981764"), ())
    assert handed_out.authority == sim.oauth_url
    assert handed_out.access_token == "simaccess00000000"


async def test_sign_out_revokes_only_at_its_own_authority(sim: RecordingSimulator) -> None:
    store = SessionTokenStore()
    handler = KeyringTokenHandler(CLIENT_ID, store, authority=TWITCH_AUTHORITY)
    await handler.remember("141981764", real_twitch_token(), tuple(SCOPES))
    async with aiohttp.ClientSession() as session:
        with pytest.raises(TokenAuthorityError):
            await handler.sign_out("141981764", session, oauth_url=sim.oauth_url)
    assert sim.received == []
    assert await store.load(TWITCH_AUTHORITY, "141981764") is not None  # nothing deleted


class RequestStarts:
    """Counts requests aiohttp starts on a session (to prove nothing was attempted)."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self.config = aiohttp.TraceConfig()
        self.config.on_request_start.append(self._started)

    async def _started(
        self,
        session: aiohttp.ClientSession,
        context: object,
        params: aiohttp.TraceRequestStartParams,
    ) -> None:
        self.urls.append(str(params.url))


async def test_plain_http_to_another_machine_is_refused_before_sending() -> None:
    starts = RequestStarts()
    oauth_url = f"{FAR}/oauth2"
    async with aiohttp.ClientSession(trace_configs=[starts.config]) as session:
        calls = [
            oauth.validate_token(session, REAL_ACCESS, oauth_url=oauth_url),
            oauth.refresh_token(
                session, client_id=CLIENT_ID, refresh_token=REAL_REFRESH, oauth_url=oauth_url
            ),
            oauth.revoke_token(
                session, client_id=CLIENT_ID, token=REAL_ACCESS, oauth_url=oauth_url
            ),
            oauth.start_device_flow(session, CLIENT_ID, SCOPES, oauth_url=oauth_url),
            oauth.poll_device_token(session, CLIENT_ID, "device-code", oauth_url=oauth_url),
            oauth.client_credentials_token(
                session, client_id=CLIENT_ID, client_secret="secret-value", oauth_url=oauth_url
            ),
        ]
        for call in calls:
            with pytest.raises(
                InsecureURL, match=re.escape("refusing plain http:// to 192.0.2.10")
            ):
                await call
    assert starts.urls == []

    handler = SimpleTokenHandler(REAL_ACCESS, CLIENT_ID)
    for urls in (
        {"helix_url": f"{FAR}/helix"},
        {"oauth_url": f"{FAR}/oauth2"},
        {"eventsub_url": "ws://192.0.2.10:8080/ws"},
    ):
        with pytest.raises(InsecureURL, match=re.escape("to 192.0.2.10")):
            Client(handler, **urls)
