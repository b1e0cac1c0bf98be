"""Accounts and sign-in (part of the composition root).

:class:`AccountsMixin` gives :class:`companion.app.CompanionApp` its Twitch side: where
tokens are kept (the keyring, or this run's memory when the streamer chose that), the
client and the session built on the run's endpoints (Twitch's, a ``--twitch-url``
simulator's, or the demo's in-process simulator), the device-code sign-in, switching and
signing out, and what the window, the tray and the panels show as accounts come and go.
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

from companion.twitch.authority import TWITCH_AUTHORITY
from companion.ui.settings import CLIENT_ID_ENV

# What the Twitch side needs (aiohttp, the client, the keyring, the token stores) is imported
# where it is used: this module is on the first-paint path (see companion.app), which must not
# pay for any of it.

if TYPE_CHECKING:
    import argparse
    import asyncio
    from collections.abc import Coroutine

    from companion.app_panels import PanelSet
    from companion.auth.handler import KeyringTokenHandler
    from companion.auth.signout import SignedOut
    from companion.auth.token_store import KeyringRefused, TokenStore, UnavailableTokenStore
    from companion.services.live_events import LiveEvents
    from companion.services.session import TwitchSession
    from companion.sim import Simulator
    from companion.twitch.client import Client
    from companion.twitch.models.users import PartialUser, User
    from companion.twitch.oauth import DeviceFlow
    from companion.twitch.tokens import Token
    from companion.ui.accounts import SignInController
    from companion.ui.main_window import MainWindow
    from companion.ui.settings import AppSettings
    from companion.ui.tray import TrayIcon

_log = logging.getLogger(__name__)

#: Redemptions per second the demo channel's simulated viewers make.
DEMO_TRAFFIC_RATE = 0.4

#: Seconds live events wait for the queue's first read after a sign-in (see _go_live).
FIRST_READ_WAIT = 5.0

#: The button that keeps a sign-in in memory for this run when no keyring will hold it.
KEEP_FOR_RUN = "Keep sign-in for this run only"
#: How long the offer to keep a refused sign-in for this run waits for an answer.
KEEP_OFFER_SECONDS = 600.0


class AccountsMixin:
    """The accounts, tokens and sign-in of :class:`companion.app.CompanionApp`."""

    if TYPE_CHECKING:  # provided by CompanionApp and MenusMixin
        args: argparse.Namespace
        settings: AppSettings
        window: MainWindow | None
        tray: TrayIcon | None
        sim: Simulator | None
        client: Client | None
        session: TwitchSession | None
        handler: KeyringTokenHandler | None
        store: TokenStore | None
        signin: SignInController | None
        panels: PanelSet | None
        authority: str | None
        _discovered_client_id: str
        _keep_offer: asyncio.Future[bool] | None

        def spawn(
            self, coro: Coroutine[Any, Any, Any], *, name: str
        ) -> asyncio.Task[Any] | None: ...
        @property
        def live(self) -> LiveEvents: ...
        def notify_error(self, text: str) -> None: ...
        def _refresh_account_menu(self) -> None: ...

    def _make_token_store(self) -> TokenStore:
        from companion.auth.token_store import (
            KeyringTokenStore,
            KeyringUnavailable,
            SessionTokenStore,
            UnavailableTokenStore,
        )

        if self.args.demo:
            # Demo tokens belong to the in-process simulator: never put them in the keyring.
            return SessionTokenStore()
        try:
            return KeyringTokenStore(keep_in_memory=self._offer_keep_for_run)
        except KeyringUnavailable as error:
            _log.warning("no usable keyring: %s", error)
            store = UnavailableTokenStore(str(error))
            self._offer_session_store(store)
            return store

    def _offer_session_store(self, store: UnavailableTokenStore) -> None:
        """Say plainly that there is no keyring, and offer this-run-only storage."""
        from companion.auth.token_store import KeyringUnavailable
        from companion.services.messages import explain

        assert self.window is not None
        self.window.show_notice(
            f"{explain(KeyringUnavailable(store.reason))} Nothing is saved to a file instead.",
            timeout_ms=0,
            action=(KEEP_FOR_RUN, self._use_session_store),
        )

    async def _offer_keep_for_run(self, error: KeyringRefused) -> bool:
        """The keyring refused a sign-in the streamer just approved: offer this run only.

        The same choice as without a keyring, as a notice that stays until answered: its
        button keeps the sign-in (and this run's later ones) in memory; Dismiss, no
        answer within :data:`KEEP_OFFER_SECONDS`, or quitting keeps nothing.

        Returns:
            True if the streamer chose to keep the sign-in for this run.
        """
        import asyncio

        from companion.services.messages import explain_error

        window = self.window
        if window is None:
            return False
        answer: asyncio.Future[bool] = asyncio.get_running_loop().create_future()
        self._keep_offer = answer

        def choose(keep: bool) -> None:
            if not answer.done():
                answer.set_result(keep)

        why = explain_error(error).what
        window.show_notice(
            f"{why} Unlock it and sign in again, or keep this sign-in for this run only. "
            "Nothing is saved to a file instead.",
            timeout_ms=0,
            action=(KEEP_FOR_RUN, lambda: choose(True)),
        )
        dismiss_button = window.notice_bar.dismiss_button
        declined = dismiss_button.clicked.connect(lambda: choose(False))
        try:
            async with asyncio.timeout(KEEP_OFFER_SECONDS):
                keep = await answer
        except TimeoutError:
            keep = False
        finally:
            dismiss_button.clicked.disconnect(declined)
            if self._keep_offer is answer:
                self._keep_offer = None
        _log.info("keep the refused sign-in for this run only: %s (user's choice)", keep)
        return keep

    def _close_offers(self) -> None:
        """The app is quitting: an open "keep for this run only" offer is answered no."""
        offer, self._keep_offer = self._keep_offer, None
        if offer is not None and not offer.done():
            offer.set_result(False)

    def _use_session_store(self) -> None:
        from companion.auth.token_store import SessionTokenStore

        self.store = SessionTokenStore()
        if self.handler is not None:
            self.handler.store = self.store
        _log.info("tokens are kept in memory for this run only (user's choice)")
        self.spawn(self.sign_in(), name="sign-in")

    def _client_id(self) -> str:
        if self.args.demo:
            from companion.sim import DEMO_CLIENT_ID

            return DEMO_CLIENT_ID
        return (
            os.environ.get(CLIENT_ID_ENV, "").strip()
            or self.settings.client_id
            or self._discovered_client_id
        )

    def _oauth_url(self) -> str:
        """The OAuth URL of this run (:meth:`_endpoints`'s second) without importing the
        client: the authority of the accounts is known before the first paint."""
        if self.sim is not None:
            return self.sim.oauth_url
        if self.args.twitch_url:
            return f"{self.args.twitch_url.rstrip('/')}/oauth2"
        # The client's DEFAULT_OAUTH_URL (a unit test keeps the two equal).
        return TWITCH_AUTHORITY

    def _endpoints(self) -> tuple[str, str, str]:
        """Helix, OAuth and EventSub URLs of this run: the demo simulator's, the
        ``--twitch-url`` server's, or Twitch's."""
        from companion.twitch.http import DEFAULT_EVENTSUB_URL, DEFAULT_HELIX_URL
        from companion.twitch.oauth import DEFAULT_OAUTH_URL

        if self.sim is not None:
            return self.sim.helix_url, self.sim.oauth_url, self.sim.eventsub_url
        if self.args.twitch_url:
            base = self.args.twitch_url.rstrip("/")
            ws_base = "ws" + base.removeprefix("http")  # http -> ws, https -> wss
            return f"{base}/helix", f"{base}/oauth2", f"{ws_base}/ws"
        return DEFAULT_HELIX_URL, DEFAULT_OAUTH_URL, DEFAULT_EVENTSUB_URL

    async def _discover_client_id(self) -> None:
        """No client id and ``--twitch-url`` on this machine: ask the simulator for its demo
        client id. Twitch, and any other host, is never asked."""
        from companion.auth.sim_discovery import discover_demo_client_id, discovery_url

        if self._client_id() or discovery_url(self.args.twitch_url) is None or self.client is None:
            return
        session = await self.client.http.get_session()
        found = await discover_demo_client_id(session, self.args.twitch_url)
        if found and self.handler is not None:
            self._discovered_client_id = found
            self.handler.client_id = self._client_id()
            self.client.http.forget_client_id()

    def _build_client(self) -> None:
        from companion.auth.handler import KeyringTokenHandler
        from companion.services.session import TwitchSession
        from companion.twitch.client import Client
        from companion.ui.accounts import SignInController

        assert self.window is not None
        self.store = self._make_token_store()
        helix_url, oauth_url, eventsub_url = self._endpoints()
        # The handler keeps and looks up tokens under this run's authority only.
        self.handler = KeyringTokenHandler(self._client_id(), self.store, authority=oauth_url)
        self.client = Client(
            self.handler, helix_url=helix_url, oauth_url=oauth_url, eventsub_url=eventsub_url
        )
        self.session = TwitchSession(self.client, self.handler)
        window = self.window
        self.session.signed_in.connect(self._on_signed_in)
        self.session.account_lost.connect(self._on_account_lost)
        self.session.signed_out.connect(self._on_signed_out)
        self.live.authorization_revoked.connect(self.session.authorization_revoked)
        self.session.ratelimit_changed.connect(window.set_ratelimit)
        self.session.error.connect(self.notify_error)

        client = self.client
        handler = self.handler

        async def make_flow() -> DeviceFlow:
            # Read each time: the client id may have been set in Settings since start-up.
            return await client.device_flow(self._client_id(), self.scopes())

        async def validate(token: Token) -> None:
            await token.validate(client.http, handler, await client.http.get_session())

        self.signin = SignInController(make_flow, self.scopes(), window, validate=validate)
        self.handler.relogin = self.signin.relogin

    def scopes(self) -> list[str]:
        from companion.core.scopes import scopes_for

        return scopes_for(self.settings.enabled_panels())

    async def sign_in(self) -> None:
        """Run the device-code sign-in and make the new account active."""
        from companion.auth.token_store import KeyringRefused, UnavailableTokenStore

        if self.session is None or self.signin is None:
            return
        if isinstance(self.store, UnavailableTokenStore):
            self._offer_session_store(self.store)
            return
        if self.signin.bring_to_front():
            return  # a (re-login) prompt is open already: one dialog, not two
        if not self._client_id():
            await self._discover_client_id()
        if not self._client_id():
            self.notify_error(
                "No Twitch client id is set. Register one (see the README) and set "
                f"{CLIENT_ID_ENV} or the client id in Settings."
            )
            return
        response = await self.signin.ask()
        if response is None:
            return
        try:
            await self.session.sign_in_with(response)
        except KeyringRefused:
            # The streamer was asked (keep it for this run only?) and said no: told already.
            _log.info("sign-in not kept: the keyring refused it and this run's memory was declined")

    async def sign_out(self) -> None:
        if self.session is not None and self.session.user is not None:
            user_id = self.session.user.id
            await self.session.sign_out()
            if self.panels is not None:
                self.panels.set_broadcaster(None)  # the streamer let go of the channel
            if self.authority is not None:
                accounts = self.settings.accounts(self.authority)
                accounts.pop(user_id, None)
                self.settings.set_accounts(self.authority, accounts)
                self.settings.set_active_account(self.authority, None)
            self._refresh_account_menu()

    async def switch_account(self, user_id: str) -> None:
        if self.session is not None:
            known = self.settings.accounts(self.authority) if self.authority is not None else {}
            await self.session.activate(user_id, name=known.get(user_id))

    def _on_signed_in(self, user: User) -> None:
        assert self.window is not None and self.panels is not None
        broadcaster = self.session.broadcaster if self.session is not None else None
        self.panels.set_broadcaster(broadcaster)
        self.panels.release(send=True)  # what waited for this sign-in goes out now
        if self.session is not None and self.session.broadcaster:
            self.spawn(self._go_live(self.session.broadcaster), name="live events")
        name = user.display_name or user.login or user.id
        self._show_account(f"Signed in as {name}" + (" (demo)" if self.args.demo else ""), None)
        if self.authority is not None:
            accounts = self.settings.accounts(self.authority)
            accounts[user.id] = user.login or user.id
            self.settings.set_accounts(self.authority, accounts)
            self.settings.set_active_account(self.authority, user.id)
            self._refresh_account_menu()

    async def _go_live(self, broadcaster: PartialUser) -> None:
        """Connect live events for ``broadcaster`` once the queue has read what waits.

        The queue's read (started at sign-in) goes out first rather than behind EventSub's
        subscription requests (55 on the demo channel), so the queue fills sooner (issue
        18: first usable). What changes between the panels' reads and the subscriptions is
        read again when the first session is live (``LiveEvents.first_live``, wired in
        ``PanelSet.wire``). A slow read holds the connection back
        :data:`FIRST_READ_WAIT` seconds at most.
        """
        assert self.panels is not None and self.session is not None
        await self.panels.queue.wait_read(FIRST_READ_WAIT)
        if self.session.broadcaster is not broadcaster:
            # Lost, signed out or switched meanwhile: whatever replaced this sign-in
            # connects for itself (or nobody is signed in to connect for).
            _log.info("live events not started: the sign-in changed while the queue read")
            return
        await self.live.start(self.session.http, broadcaster)

    def _on_account_lost(self, lost: SignedOut) -> None:
        """The token died: show it at once; keep the queue and forms for the re-login."""
        assert self.panels is not None
        self.panels.hold()
        self.spawn(self.live.stop(), name="live events stop")
        self._show_account(lost.status, lost.banner)

    def _on_signed_out(self, gone: SignedOut) -> None:
        """Signed out for good: what waited for a re-login is reported as not sent."""
        assert self.panels is not None
        self.panels.release(send=False)
        self.spawn(self.live.stop(), name="live events stop")
        self._show_account(gone.status, gone.banner)

    def _show_account(self, status: str, signed_out_banner: str | None) -> None:
        """The account's state in the status bar, above the panels, in the pinned queue
        and in the tray."""
        assert self.window is not None and self.tray is not None and self.panels is not None
        signed_out_status = None if signed_out_banner is None else status
        self.window.set_account(status)
        self.window.set_signed_out(signed_out_banner)
        self.panels.set_signed_out(signed_out_status, signed_out_banner)
        self.tray.set_signed_out(signed_out_status)

    async def _start_demo(self) -> None:
        from companion.sim import DEMO_BROADCASTER_LOGIN, SimConfig, Simulator

        self.sim = Simulator(
            SimConfig(
                demo=True,
                traffic_rate=DEMO_TRAFFIC_RATE,
                auto_approve_login=DEMO_BROADCASTER_LOGIN,
                device_poll_interval=0.2,
            )
        )
        await self.sim.start(host="127.0.0.1", port=0)
        _log.info("demo simulator listening on %s", self.sim.base_url)
        self._build_client()
        assert self.client is not None and self.session is not None
        # The real device-code flow, approved by the simulator's demo viewer on first poll.
        flow = await self.client.device_flow(self._client_id(), self.scopes())
        await flow.start()
        response = await flow.wait(timeout=30)
        await self.session.sign_in_with(response)

    async def _start_real(self) -> None:
        from companion.twitch.errors import InvalidToken

        self._build_client()
        assert self.session is not None and self.authority is not None
        await self._discover_client_id()
        user_id = self.settings.active_account(self.authority)
        if not user_id:
            return
        login = self.settings.accounts(self.authority).get(user_id)
        try:
            await self.session.activate(user_id, name=login)
        except InvalidToken:
            if self.handler is None or not self.handler.is_signed_out(user_id):
                raise
            # The stored token was dead and the re-login prompt declined: the window says
            # so already (signed out, with a Sign in button); no error notice on top.
            _log.info("the remembered account %s was not signed in again at start-up", user_id)
