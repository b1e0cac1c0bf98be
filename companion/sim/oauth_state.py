"""OAuth part of the state: clients, access/refresh tokens, device codes."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from .base import StateBase
from .errors import SimError
from .events import AccessTokenRecord
from .records import ClientRecord, DeviceCodeRecord, RefreshRecord

if TYPE_CHECKING:
    from collections.abc import Iterable

_log = logging.getLogger(__name__)


def _oauth_error(status: int, message: str) -> SimError:
    return SimError(status, message)


class OAuthState(StateBase):
    """Clients, tokens and the device-code grant."""

    # -- clients -----------------------------------------------------------------------------

    def register_client(self, client_id: str, client_secret: str | None = None) -> None:
        """Register an OAuth client; ``client_secret`` None makes it a public client."""
        self.clients[client_id] = ClientRecord(client_id, client_secret)

    def is_public_client(self, client_id: str) -> bool:
        """True if ``client_id`` is registered without a secret."""
        client = self.clients.get(client_id)
        return client is not None and client.secret is None

    # -- tokens ------------------------------------------------------------------------------

    def lookup_access_token(self, token: str) -> AccessTokenRecord | None:
        """The record of an issued access token, or None if the simulator never issued it."""
        return self.access_tokens.get(token)

    def issue_user_token(
        self,
        client_id: str,
        user_id: str,
        scopes: Iterable[str],
        expires_in: int | None = None,
    ) -> dict[str, Any]:
        """Issue a user access token (with a refresh token) without any OAuth dance.

        Returns:
            The token response shape (``access_token``, ``expires_in``, ``refresh_token``,
            ``scope`` list, ``token_type``) as oauth/token.authorization_code.response.json.

        Raises:
            ValueError: The client or user is unknown.
        """
        if client_id not in self.clients:
            raise ValueError(f"unknown client {client_id!r}")
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id!r}")
        scope_set = frozenset(scopes)
        refresh = RefreshRecord(self.ids.token(50), client_id, user_id, scope_set)
        self.refresh_tokens[refresh.token] = refresh
        rec = self._new_access(client_id, user_id, scope_set, expires_in, refresh.token)
        return self._token_response(rec, refresh.token, with_expires=True)

    def issue_app_token(self, client_id: str) -> dict[str, Any]:
        """Issue an app access token (client credentials); no refresh token.

        Raises:
            ValueError: The client is unknown.
        """
        if client_id not in self.clients:
            raise ValueError(f"unknown client {client_id!r}")
        rec = self._new_access(client_id, None, frozenset(), self.config.app_token_ttl, None)
        return {
            "access_token": rec.token,
            "expires_in": self.config.app_token_ttl,
            "token_type": "bearer",
        }

    def _new_access(
        self,
        client_id: str,
        user_id: str | None,
        scopes: frozenset[str],
        expires_in: int | None,
        refresh_token: str | None,
    ) -> AccessTokenRecord:
        ttl = self.config.access_token_ttl if expires_in is None else expires_in
        now = self.now()
        rec = AccessTokenRecord(
            token=self.ids.token(30),
            client_id=client_id,
            user_id=user_id,
            scopes=scopes,
            expires_at=now + ttl,
            refresh_token=refresh_token,
            issued_at=now,
        )
        self.access_tokens[rec.token] = rec
        if user_id is not None:
            self.tokens_by_grant.setdefault((client_id, user_id), []).append(rec)
        return rec

    def _token_response(
        self, rec: AccessTokenRecord, refresh: str, *, with_expires: bool
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"access_token": rec.token}
        if with_expires:
            body["expires_in"] = int(rec.expires_at - rec.issued_at)
        body["refresh_token"] = refresh
        body["scope"] = sorted(rec.scopes)
        body["token_type"] = "bearer"
        return body

    def expire_token(self, access_token: str) -> None:
        """Make an access token expire now (as if its lifetime had run out)."""
        rec = self.access_tokens.get(access_token)
        if rec is not None:
            rec.expires_at = self.now() - 1

    def revoke_access_token(self, access_token: str) -> None:
        """Revoke one access token (what ``/oauth2/revoke`` does)."""
        rec = self.access_tokens.get(access_token)
        if rec is not None:
            rec.revoked = True

    def revoke_user_tokens(self, client_id: str, user_id: str) -> None:
        """The user disconnects the app: every token of the pair dies.

        Emits ``authorization.revoked`` with record ``{"client_id", "user_id"}``.
        """
        for rec in self.tokens_by_grant.get((client_id, user_id), []):
            rec.revoked = True
        for refresh in self.refresh_tokens.values():
            if refresh.client_id == client_id and refresh.user_id == user_id:
                refresh.revoked = True
        self.emit("authorization.revoked", user_id, {"client_id": client_id, "user_id": user_id})

    def revoke_all_tokens(self, client_id: str | None = None) -> int:
        """Revoke every access token (of ``client_id`` if given); returns how many died."""
        count = 0
        for rec in self.access_tokens.values():
            if not rec.revoked and (client_id is None or rec.client_id == client_id):
                rec.revoked = True
                count += 1
        return count

    def refresh(
        self, client_id: str, refresh_token: str, client_secret: str | None
    ) -> dict[str, Any]:
        """The ``refresh_token`` grant.

        Public clients' refresh tokens are single use: each refresh returns a new one and a
        second use of the old one fails with 400 "Invalid refresh token"
        (oauth/token.refresh.error_400_invalid_refresh_token.json). Confidential clients keep
        the same refresh token (Twitch says refresh tokens "may change"; the reference is
        silent on when, so only public clients rotate here).

        Raises:
            SimError: 400 with the documented body for a bad refresh token.
        """
        client = self.clients.get(client_id)
        if client is None:
            raise _oauth_error(400, "invalid client")
        if client.secret is not None and client_secret != client.secret:
            # The reference has no body for a wrong secret; this wording is ours.
            raise _oauth_error(400, "invalid client secret")
        rec = self.refresh_tokens.get(refresh_token)
        if rec is None or rec.client_id != client_id or rec.revoked or rec.used:
            raise SimError(400, "Invalid refresh token")
        if client.secret is None:
            rec.used = True
            new = RefreshRecord(self.ids.token(50), client_id, rec.user_id, rec.scopes)
            self.refresh_tokens[new.token] = new
            next_refresh = new.token
        else:
            next_refresh = rec.token
        access = self._new_access(client_id, rec.user_id, rec.scopes, None, next_refresh)
        # oauth/token.refresh.response.json has no expires_in; we send it anyway because the
        # token response of every other grant has it and clients need it to schedule refreshes.
        return self._token_response(access, next_refresh, with_expires=True)

    def client_credentials(self, client_id: str, client_secret: str | None) -> dict[str, Any]:
        """The ``client_credentials`` grant (confidential clients only).

        Raises:
            SimError: 400 for an unknown client, a public client or a wrong secret.
        """
        client = self.clients.get(client_id)
        if client is None:
            raise _oauth_error(400, "invalid client")
        if client.secret is None or client_secret != client.secret:
            raise _oauth_error(400, "invalid client secret")
        return self.issue_app_token(client_id)

    # -- device code grant -------------------------------------------------------------------

    def start_device_flow(self, client_id: str, scopes: Iterable[str]) -> DeviceCodeRecord:
        """``POST /oauth2/device``: create a device code for ``client_id``.

        Raises:
            SimError: 400 if the client is unknown (Twitch documents no body for this case).
        """
        if client_id not in self.clients:
            raise _oauth_error(400, "invalid client")
        user_code = self.ids.user_code()
        while user_code in self.device_codes_by_user_code:
            user_code = self.ids.user_code()
        rec = DeviceCodeRecord(
            device_code=self.ids.token(40),
            user_code=user_code,
            client_id=client_id,
            scopes=frozenset(scopes),
            expires_at=self.now() + self.config.device_code_ttl,
            interval=self.config.device_poll_interval,
        )
        self.device_codes[rec.device_code] = rec
        self.device_codes_by_user_code[user_code] = rec
        return rec

    def _device_by_user_code(self, user_code: str) -> DeviceCodeRecord:
        rec = self.device_codes_by_user_code.get(user_code.upper())
        if rec is None:
            raise ValueError(f"unknown user code {user_code!r}")
        return rec

    def approve_device(self, user_code: str, user_id: str) -> None:
        """The user enters ``user_code`` and authorizes the app.

        Raises:
            ValueError: Unknown user code or user, or the code is no longer pending.
        """
        rec = self._device_by_user_code(user_code)
        if user_id not in self.users:
            raise ValueError(f"unknown user {user_id!r}")
        if rec.status != "pending":
            raise ValueError(f"device code is {rec.status}")
        rec.status = "approved"
        rec.user_id = user_id

    def deny_device(self, user_code: str) -> None:
        """The user declines the authorization.

        Raises:
            ValueError: Unknown user code, or the code is no longer pending.
        """
        rec = self._device_by_user_code(user_code)
        if rec.status != "pending":
            raise ValueError(f"device code is {rec.status}")
        rec.status = "denied"

    def poll_device(self, client_id: str, device_code: str) -> dict[str, Any]:
        """The device grant at ``/oauth2/token``.

        Error bodies use Twitch's ``{"status", "message"}`` shape (oauth/secondary, Tier D).
        Documented messages: ``authorization_pending`` and ``invalid device code``. Twitch
        documents no ``slow_down``, expiry or denial body; for those we use RFC 8628's error
        codes as the message (``slow_down``, ``expired_token``, ``access_denied``) and its
        rules:

        * ``slow_down`` is "a variant of authorization_pending": only a code still waiting
          for the user gets it, when polled sooner than its interval after the previous
          poll; the interval then grows by 5 s for this and every later poll of the code.
        * Once the user has approved, the next poll gets the token however soon it comes,
          so a client that polls faster than ``interval`` is never starved of it.

        Raises:
            SimError: 400 for every not-yet-or-never case.
        """
        rec = self.device_codes.get(device_code)
        if rec is None or rec.client_id != client_id or rec.status == "spent":
            raise _oauth_error(400, "invalid device code")
        now = self.now()
        if now >= rec.expires_at:
            raise _oauth_error(400, "expired_token")
        last, rec.last_poll = rec.last_poll, now
        if rec.status == "pending" and self.config.auto_approve_login:
            auto = self.user_ids_by_login.get(self.config.auto_approve_login)
            if auto is not None:
                rec.status, rec.user_id = "approved", auto
        if rec.status == "denied":
            raise _oauth_error(400, "access_denied")
        if rec.status == "pending":
            # A small tolerance: a client that sleeps exactly `interval` between polls must
            # not be told to slow down because of scheduling jitter.
            if last is not None and now - last < rec.interval * 0.9:
                rec.interval += 5
                raise _oauth_error(400, "slow_down")
            raise _oauth_error(400, "authorization_pending")
        assert rec.user_id is not None
        rec.status = "spent"
        del self.device_codes_by_user_code[rec.user_code]
        return self.issue_user_token(client_id, rec.user_id, rec.scopes)

    def validate(self, access_token: str) -> dict[str, Any]:
        """``GET /oauth2/validate`` (oauth/validate.response.json shape).

        Raises:
            SimError: 401 "invalid access token" (oauth/validate.error_401.json).
        """
        rec = self.access_tokens.get(access_token)
        if rec is None or not rec.valid:
            raise SimError(401, "invalid access token")
        login = self.users[rec.user_id]["login"] if rec.user_id is not None else None
        return {
            "client_id": rec.client_id,
            # Documented: login and user_id are null for app access tokens.
            "login": login,
            "scopes": sorted(rec.scopes),
            "user_id": rec.user_id,
            "expires_in": max(0, int(rec.expires_at - self.now())),
        }

    def revoke(self, client_id: str, token: str) -> None:
        """``POST /oauth2/revoke``.

        Raises:
            SimError: 404 "client does not exist" or 400 "Invalid token" as documented.
        """
        if client_id not in self.clients:
            raise SimError(404, "client does not exist")
        rec = self.access_tokens.get(token)
        if rec is None or rec.client_id != client_id:
            raise SimError(400, "Invalid token")
        rec.revoked = True
