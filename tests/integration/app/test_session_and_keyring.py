"""Sign-in, refresh, re-login and sign-out through the keyring handler, against the simulator.

The handler's refresh-token write must happen before the new access token is used, since
public-client refresh tokens work once; the re-login prompt is the UI's injected coroutine.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING

import pytest

from companion.auth.handler import KeyringTokenHandler
from companion.auth.signout import PROMPT_TEXT, SignedOut, SignOutCause
from companion.auth.token_store import SERVICE_NAME, KeyringTokenStore
from companion.services.session import TwitchSession
from companion.sim import DEMO_CLIENT_ID, Simulator
from companion.twitch.client import Client
from companion.twitch.errors import InvalidToken
from companion.twitch.oauth import TokenResponse
from companion.twitch.tokens import Token

if TYPE_CHECKING:
    from tests.helpers.memory_keyring import MemoryKeyring

SCOPES = ["channel:manage:redemptions", "channel:read:goals"]


class Prompt:
    """A typed stand-in for the sign-in dialog: answers with tokens the test decides."""

    def __init__(self, sim: Simulator, *, cancel: bool = False) -> None:
        self.sim = sim
        self.cancel = cancel
        self.calls: list[tuple[str, str]] = []

    async def __call__(self, user_id: str, reason: str) -> Token | None:
        self.calls.append((user_id, reason))
        if self.cancel:
            return None
        issued = self.sim.state.issue_user_token(DEMO_CLIENT_ID, user_id, SCOPES)
        return Token(issued["access_token"], issued["refresh_token"], user_id=user_id)


def stored(backend: MemoryKeyring, user_id: str, sim: Simulator) -> dict[str, object]:
    return json.loads(backend.entries[(SERVICE_NAME, f"twitch-user:{user_id}@{sim.oauth_url}")])


async def remember_and_activate(session: TwitchSession, sim: Simulator) -> dict[str, object]:
    """Put a freshly issued token for the demo broadcaster in the keyring and sign in."""
    user_id = sim.demo_broadcaster_id
    issued = sim.state.issue_user_token(DEMO_CLIENT_ID, user_id, SCOPES)
    token = Token(issued["access_token"], issued["refresh_token"])
    await session.handler.remember(user_id, token, tuple(SCOPES))
    await session.activate(user_id)
    return issued


async def make_session(sim: Simulator, prompt: Prompt | None) -> tuple[TwitchSession, Client]:
    store = KeyringTokenStore()
    handler = KeyringTokenHandler(DEMO_CLIENT_ID, store, relogin=prompt, authority=sim.oauth_url)
    client = Client(
        handler,
        helix_url=sim.helix_url,
        oauth_url=sim.oauth_url,
        eventsub_url=sim.eventsub_url,
        retry_base_delay=0.01,
    )
    return TwitchSession(client, handler), client


@pytest.mark.qt_loop
async def test_device_sign_in_stores_tokens_in_keyring(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    session, client = await make_session(demo_sim, None)
    signed_in: list[object] = []
    session.signed_in.connect(signed_in.append)
    try:
        flow = await client.device_flow(DEMO_CLIENT_ID, SCOPES)
        code = await flow.start()
        demo_sim.state.approve_device(code.user_code, demo_sim.demo_broadcaster_id)
        response = await flow.wait(timeout=5)
        user = await session.sign_in_with(response)
        assert user.login == "democaster"
        assert signed_in == [user]
        entry = stored(memory_keyring, user.id, demo_sim)
        assert entry["access_token"] == response.access_token
        assert entry["refresh_token"] == response.refresh_token
        assert entry["scopes"] == SCOPES
        assert session.broadcaster is not None
        assert session.broadcaster.id == demo_sim.demo_broadcaster_id
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


async def _device_sign_in(session: TwitchSession, client: Client, sim: Simulator) -> TokenResponse:
    flow = await client.device_flow(DEMO_CLIENT_ID, SCOPES)
    code = await flow.start()
    sim.state.approve_device(code.user_code, sim.demo_broadcaster_id)
    response = await flow.wait(timeout=5)
    await session.sign_in_with(response)
    return response


@pytest.mark.qt_loop
async def test_a_new_sign_in_validates_its_token_once(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sign_in_with validates the new token to learn whose it is; activating that user
    must not validate it again (it used to: a fresh copy came from the keyring)."""
    validated: list[str] = []  # the tokens validated (compared, never printed)
    validate = demo_sim.state.validate

    def counted(access_token: str) -> dict[str, object]:
        validated.append(access_token)
        return validate(access_token)

    def which(*tokens: str) -> list[int]:
        """Of each validation, the index of the token it was for (-1: another token)."""
        return [tokens.index(t) if t in tokens else -1 for t in validated]

    monkeypatch.setattr(demo_sim.state, "validate", counted)
    session, client = await make_session(demo_sim, None)
    try:
        first = await _device_sign_in(session, client, demo_sim)
        assert which(first.access_token) == [0]
        # Signed in as the same user again: the new token replaces the cached one, and
        # it too is validated once.
        second = await _device_sign_in(session, client, demo_sim)
        assert which(first.access_token, second.access_token) == [0, 1]
        assert session.broadcaster is not None
        token = await client.http.user_token(session.broadcaster)
        assert token.user_id == demo_sim.demo_broadcaster_id
        in_use = token.access_token == second.access_token
        kept = stored(memory_keyring, token.user_id, demo_sim)["access_token"] == token.access_token
        assert (in_use, kept) == (True, True)
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_refresh_rotation_stores_new_refresh_token_first(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    prompt = Prompt(demo_sim)
    session, client = await make_session(demo_sim, prompt)
    user_id = demo_sim.demo_broadcaster_id
    try:
        issued = await remember_and_activate(session, demo_sim)
        demo_sim.state.expire_token(issued["access_token"])
        rewards = await session.broadcaster.get_custom_rewards(only_manageable=True)
        assert len(rewards) == 6
        entry = stored(memory_keyring, user_id, demo_sim)
        assert entry["refresh_token"] != issued["refresh_token"]
        assert entry["access_token"] != issued["access_token"]
        assert entry["scopes"] == SCOPES
        # The new tokens are live at Twitch; the spent refresh token is dead.
        record = demo_sim.state.lookup_access_token(str(entry["access_token"]))
        assert record is not None
        assert not record.expired
        assert demo_sim.state.refresh_tokens[str(issued["refresh_token"])].used
        assert not demo_sim.state.refresh_tokens[str(entry["refresh_token"])].used
        assert prompt.calls == []
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_dead_refresh_token_prompts_relogin_once_and_resumes(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    prompt = Prompt(demo_sim)
    session, client = await make_session(demo_sim, prompt)
    user_id = demo_sim.demo_broadcaster_id
    try:
        issued = await remember_and_activate(session, demo_sim)
        demo_sim.state.revoke_user_tokens(DEMO_CLIENT_ID, user_id)
        goals = await session.broadcaster.get_goals()
        assert len(goals) == 1
        assert prompt.calls == [(user_id, PROMPT_TEXT[SignOutCause.EXPIRED])]
        entry = stored(memory_keyring, user_id, demo_sim)
        assert entry["access_token"] != issued["access_token"]
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_cancelled_relogin_signs_out_and_stops_prompting(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    prompt = Prompt(demo_sim, cancel=True)
    session, client = await make_session(demo_sim, prompt)
    user_id = demo_sim.demo_broadcaster_id
    lost: list[SignedOut] = []
    gone: list[SignedOut] = []
    session.account_lost.connect(lost.append)
    session.signed_out.connect(gone.append)
    try:
        await remember_and_activate(session, demo_sim)
        broadcaster = session.broadcaster
        demo_sim.state.revoke_user_tokens(DEMO_CLIENT_ID, user_id)
        with pytest.raises(InvalidToken):
            await broadcaster.get_goals()
        with pytest.raises(InvalidToken):
            await broadcaster.get_goals()
        assert len(prompt.calls) == 1
        assert lost == [SignedOut(user_id, "DemoCaster", SignOutCause.EXPIRED)]
        assert gone == [SignedOut(user_id, "DemoCaster", SignOutCause.DECLINED)]
        assert gone[0].status == "Not signed in"
        assert session.user is None
        # The dead token is not kept in the keyring.
        assert memory_keyring.entries == {}
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_sign_out_revokes_and_deletes(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    session, client = await make_session(demo_sim, None)
    user_id = demo_sim.demo_broadcaster_id
    issued = demo_sim.state.issue_user_token(DEMO_CLIENT_ID, user_id, SCOPES)
    try:
        response = TokenResponse(
            access_token=issued["access_token"],
            refresh_token=issued["refresh_token"],
            scopes=tuple(SCOPES),
            expires_in=issued["expires_in"],
            token_type="bearer",
        )
        await session.sign_in_with(response)
        await session.sign_out()
        assert memory_keyring.entries == {}
        record = demo_sim.state.lookup_access_token(issued["access_token"])
        assert record is not None
        assert record.revoked
        assert session.user is None
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_one_prompt_for_every_request_and_revocation_then_reactivated(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    prompt = Prompt(demo_sim)
    session, client = await make_session(demo_sim, prompt)
    user_id = demo_sim.demo_broadcaster_id
    lost: list[SignedOut] = []
    signed_in: list[object] = []
    session.account_lost.connect(lost.append)
    session.signed_in.connect(signed_in.append)
    try:
        await remember_and_activate(session, demo_sim)
        broadcaster = session.broadcaster
        demo_sim.state.revoke_user_tokens(DEMO_CLIENT_ID, user_id)
        # Three requests meet the dead token while EventSub says the same thing twice.
        requests = [asyncio.ensure_future(broadcaster.get_goals()) for _ in range(3)]
        session.authorization_revoked(user_id)
        session.authorization_revoked(user_id)
        results = await asyncio.wait_for(asyncio.gather(*requests), timeout=5)
        assert [len(goals) for goals in results] == [1, 1, 1]
        assert len(prompt.calls) == 1
        assert len(lost) == 1
        async with asyncio.timeout(5):  # re-activation runs as a task of the session
            while len(signed_in) < 2:
                await asyncio.sleep(0.01)
        assert session.user is not None and session.user.id == user_id
        assert len(signed_in) == 2  # the first sign-in, then the re-activation
        assert session.lost is None
    finally:
        await session.shutdown()
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_authorization_revoke_for_another_app_or_user_is_ignored(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    prompt = Prompt(demo_sim)
    session, client = await make_session(demo_sim, prompt)
    user_id = demo_sim.demo_broadcaster_id
    try:
        await remember_and_activate(session, demo_sim)
        session.authorization_revoked(user_id, "another-client-id")
        session.authorization_revoked("999999")
        await asyncio.sleep(0.05)
        assert prompt.calls == []
        assert session.user is not None
    finally:
        await session.shutdown()
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]


@pytest.mark.qt_loop
async def test_a_refresh_that_lands_after_the_sign_out_is_not_kept_and_is_revoked(
    demo_sim: Simulator, memory_keyring: MemoryKeyring, qapp
) -> None:
    """A request in flight at the sign-out gets a 401 and refreshes; the sign-out finishes
    while the refresh is on its way (the simulator holds /oauth2/token for a second). The
    refreshed pair must not go back into the keyring or the client, and is revoked: no
    live token of the signed-out account is left anywhere."""
    session, client = await make_session(demo_sim, None)
    user_id = demo_sim.demo_broadcaster_id
    try:
        issued = await remember_and_activate(session, demo_sim)
        broadcaster = session.broadcaster
        assert broadcaster is not None
        demo_sim.state.expire_token(issued["access_token"])
        demo_sim.faults.set_latency(1.0, prefix="/oauth2/token")
        request = asyncio.get_running_loop().create_task(broadcaster.get_goals())
        for _ in range(500):  # until the refresh is on its way (it is held for 1 s)
            if client.http._refreshing:
                break
            await asyncio.sleep(0.01)
        assert client.http._refreshing, "the request never started its refresh"
        await session.sign_out()
        assert memory_keyring.entries == {}
        with pytest.raises(InvalidToken, match="signed out"):
            await request
        demo_sim.faults.set_latency(0.0)
        assert memory_keyring.entries == {}
        assert client.http._user_tokens == {}
        grant = demo_sim.state.tokens_by_grant[(DEMO_CLIENT_ID, user_id)]
        assert len(grant) == 2  # the signed-in token and the refresh's
        assert [record.revoked for record in grant] == [True, True]
        assert [str(record.token) == issued["access_token"] for record in grant] == [True, False]
    finally:
        await client.close()
        session.handler.store.close()  # type: ignore[attr-defined]
