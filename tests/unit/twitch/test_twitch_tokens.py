"""Token objects and handlers on their own (the request loop is in test_twitch_http.py)."""

from __future__ import annotations

import aiohttp
import pytest

from companion.twitch import (
    APIUnavailable,
    BaseToken,
    HTTPHandler,
    InvalidToken,
    IRCTokenHandler,
    RefreshFailure,
    SimpleTokenHandler,
    Token,
)
from companion.twitch.models import BaseUser
from tests.helpers.twitch_fakeserver import CLIENT_ID, FakeTwitch
from tests.helpers.twitch_recording import USER_ID, RecordingHandler


def test_base_token_compares_hashes_and_prints_the_token() -> None:
    a, b, c = BaseToken("abc"), BaseToken("abc"), Token("xyz")
    assert a == b
    assert a != c
    assert hash(a) == hash(b) == hash("abc")
    assert str(c) == "xyz"
    assert {a, b, c} == {a, c}
    assert "abc" not in repr(a)
    assert "xyz" not in repr(c)
    assert (a == "abc") is False


async def test_token_knows_its_scopes_only_after_validation(fake: FakeTwitch) -> None:
    access, refresh = fake.issue(USER_ID, ["channel:read:goals"], login="torpedo09")
    token = Token(access, refresh)
    http = HTTPHandler(RecordingHandler(access, refresh), oauth_url=fake.oauth_url)
    try:
        assert token.has_scope("channel:read:goals") is None
        assert await token.get(http, http.token_handler, await http.get_session()) == access
        assert token.has_scope("channel:read:goals") is True
        assert token.has_scope("channel:manage:polls") is False
        assert (token.user_id, token.login, token.client_id) == (USER_ID, "torpedo09", CLIENT_ID)
        # Validated once; the next get within the hour sends nothing.
        await token.get(http, http.token_handler, await http.get_session())
        assert fake.validate_calls == 1
    finally:
        await http.close()


async def test_a_validated_token_handed_to_the_handler_is_used_without_asking(
    fake: FakeTwitch,
) -> None:
    access, refresh = fake.issue(USER_ID, ["channel:read:goals"])
    http = HTTPHandler(RecordingHandler("other", None), oauth_url=fake.oauth_url)
    try:
        token = Token(access, refresh)
        with pytest.raises(ValueError, match="needs a validated token"):
            http.use_user_token(token)
        await token.validate(http, http.token_handler, await http.get_session())
        http.use_user_token(token)
        assert await http.user_token(BaseUser(USER_ID)) is token
        # Its first use sends nothing more: it was validated a moment ago.
        await token.get(http, http.token_handler, await http.get_session())
        assert fake.validate_calls == 1
    finally:
        await http.close()


async def test_invalid_token_is_reported_and_not_sent_again(fake: FakeTwitch) -> None:
    token = Token("never-issued", None)
    http = HTTPHandler(RecordingHandler("x", None), oauth_url=fake.oauth_url)
    try:
        session = await http.get_session()
        with pytest.raises(InvalidToken):
            await token.get(http, http.token_handler, session)
        with pytest.raises(InvalidToken):
            await token.get(http, http.token_handler, session)
        assert fake.validate_calls == 1
        assert token.invalid
    finally:
        await http.close()


async def test_seed_refresh_updates_in_place_and_refusal_raises(fake: FakeTwitch) -> None:
    access, refresh = fake.issue(USER_ID, ["channel:read:goals"])
    token = Token(access, refresh)
    handler = RecordingHandler(access, refresh)
    async with aiohttp.ClientSession() as session:
        new_access = await token.refresh(handler, session, oauth_url=fake.oauth_url)
        assert new_access == token.access_token != access
        assert token.refresh_token != refresh
        assert token.has_scope("channel:read:goals") is None  # revalidated at next use
        fake.refresh_script = ["refuse"]
        with pytest.raises(RefreshFailure) as caught:
            await token.refresh(handler, session, oauth_url=fake.oauth_url)
        assert (caught.value.refused, caught.value.status) == (True, 400)
        with pytest.raises(InvalidToken, match="no refresh token"):
            await Token("a").refresh(handler, session, oauth_url=fake.oauth_url)


def test_irc_handler_refuses_api_hooks() -> None:
    handler = IRCTokenHandler("chat-token")
    assert str(handler.get_irc_token(0)) == "chat-token"
    with pytest.raises(APIUnavailable, match="IRC connections only"):
        handler.get_client_credentials()
    with pytest.raises(APIUnavailable):
        handler.get_user_token(BaseUser(1), ("chat:read",))


def test_simple_handler_uses_the_client_token_when_given() -> None:
    plain = SimpleTokenHandler("user-token", "cid")
    assert plain.get_client_credentials() == ("cid", None)
    assert plain.get_client_token() is plain.user_token
    with_app = SimpleTokenHandler("user-token", "cid", client_token="app-token", client_secret="s")
    assert with_app.get_client_token() == BaseToken("app-token")
    assert with_app.get_client_credentials() == ("cid", "s")
    assert with_app.get_user_token(BaseUser("9"), ()) is with_app.user_token
