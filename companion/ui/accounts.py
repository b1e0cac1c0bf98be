"""The re-login prompt and the sign-in entry points, as the UI side of the auth layer.

:class:`SignInController` turns "the HTTP layer needs a new token" into the device-code
dialog, non-modally: the coroutine awaits the dialog's outcome while the app keeps
running and the main window stays usable (it shows why nobody is signed in). Only one
dialog is open at a time; concurrent prompts share it.

Quitting never waits for the streamer to answer it: :meth:`SignInController.close` closes
the dialog and ends every wait for it with "no sign-in", and no dialog opens after that.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt

from companion.twitch.tokens import Token
from companion.ui.signin_dialog import SignInDialog

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable, Sequence

    from PySide6.QtWidgets import QWidget

    from companion.twitch.oauth import TokenResponse
    from companion.ui.signin_dialog import DeviceFlowLike

_log = logging.getLogger(__name__)


class SignInController(QObject):
    """Opens the sign-in dialog and reports its outcome to whoever awaits it.

    Args:
        flow_factory: Makes a fresh device flow (bound to the app's client and client id).
        scopes: What to ask for (the enabled panels' union).
        parent_widget: The window the dialog belongs to.
        validate: Validates a new token (fills in its user id and scopes).
    """

    def __init__(
        self,
        flow_factory: Callable[[], Awaitable[DeviceFlowLike]],
        scopes: Sequence[str],
        parent_widget: QWidget | None = None,
        validate: Callable[[Token], Awaitable[None]] | None = None,
    ) -> None:
        super().__init__(parent_widget)
        self._validate = validate
        self._flow_factory = flow_factory
        self.scopes = list(scopes)
        self._parent_widget = parent_widget
        self._pending: asyncio.Future[TokenResponse | None] | None = None
        self.dialog: SignInDialog | None = None
        self._closed = False

    async def ask(self, reason: str = "") -> TokenResponse | None:
        """Show the dialog (or join the open one); the token response, or None if cancelled.

        After :meth:`close` (the app is quitting) nothing opens and the answer is None.
        """
        if self._pending is not None and not self._pending.done():
            return await asyncio.shield(self._pending)
        if self._closed:
            return None
        loop = asyncio.get_running_loop()
        future: asyncio.Future[TokenResponse | None] = loop.create_future()
        self._pending = future
        try:
            flow = await self._flow_factory()
        except BaseException:
            # No dialog will answer: whoever joined this prompt meanwhile must not wait.
            if not future.done():
                future.set_result(None)
            raise
        if future.done():  # closed while the device flow was being made
            return None
        dialog = SignInDialog(lambda: flow, self.scopes, reason=reason, parent=self._parent_widget)
        self.dialog = dialog

        def finished(result: int) -> None:
            if not future.done():
                future.set_result(
                    dialog.token if result == SignInDialog.DialogCode.Accepted else None
                )
            dialog.deleteLater()
            self.dialog = None

        dialog.finished.connect(finished)
        # Not open(): that would make it window-modal. The streamer may read the window,
        # undo a queued action, or just leave the prompt for later.
        dialog.setWindowModality(Qt.WindowModality.NonModal)
        dialog.show()
        dialog.raise_()
        dialog.start()
        return await asyncio.shield(future)

    def close(self) -> None:
        """The app is quitting: close the dialog, end every wait for it, open no other.

        Whoever awaits :meth:`ask` (and so a re-login) gets None at once; the dialog's own
        device-code polling stops with it.
        """
        self._closed = True
        pending, self._pending = self._pending, None
        if pending is not None and not pending.done():
            pending.set_result(None)
        dialog = self.dialog
        if dialog is not None:
            _log.info("closing the sign-in prompt: the app is quitting")
            dialog.reject()  # finished() deletes it and clears self.dialog

    def bring_to_front(self) -> bool:
        """Raise the open dialog; False if none is open."""
        if self.dialog is None:
            return False
        self.dialog.show()
        self.dialog.raise_()
        self.dialog.activateWindow()
        return True

    async def relogin(self, user_id: str, reason: str) -> Token | None:
        """The ``KeyringTokenHandler`` prompt: a new Token for ``user_id``, or None."""
        response = await self.ask(reason)
        if response is None:
            return None
        token = Token(response.access_token, response.refresh_token, user_id=None)
        if self._validate is not None:
            await self._validate(token)
            if token.user_id != user_id:
                # Signing in as someone else cannot stand in for this account's token.
                _log.warning("re-login returned another account's token; ignored")
                return None
        return token
