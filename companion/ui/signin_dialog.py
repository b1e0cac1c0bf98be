"""The device code sign-in dialog: a code to type at Twitch, and nothing else to do.

The dialog drives a device flow object (``companion.twitch.oauth.DeviceFlow`` or
anything with the same ``start``/``poll``/``wait`` shape) handed in by the caller, so
it never touches the network itself. It shows the user code, a button that opens the
verification page, the scopes being asked for and why, and the state of the wait:
waiting, slowed down, expired (get a new code), declined (try again), or failed.

Signals:
    finished_with_token(object): the flow's token response, once the user approved.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING, Any, Protocol

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import QDesktopServices, QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from companion.core.scopes import PANEL_PURPOSE
from companion.services.messages import explain
from companion.twitch.errors import AccessDenied, DeviceCodeExpired, OAuthError, TwitchError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from companion.twitch.oauth import DeviceCode

_log = logging.getLogger(__name__)


class DeviceFlowLike(Protocol):
    """What the dialog needs of a device flow."""

    async def start(self) -> DeviceCode: ...

    async def wait(self, *, timeout: float | None = None) -> Any: ...


class SignInDialog(QDialog):
    """Sign in to Twitch with the device code flow."""

    finished_with_token = Signal(object)

    def __init__(
        self,
        flow_factory: Callable[[], DeviceFlowLike],
        scopes: Sequence[str],
        *,
        reason: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to Twitch")
        self.setMinimumWidth(460)
        self._flow_factory = flow_factory
        self._task: asyncio.Task[None] | None = None
        self.token: Any = None
        self.verification_uri = ""

        layout = QVBoxLayout(self)
        if reason:
            reason_label = QLabel(reason)
            reason_label.setProperty("role", "notice")
            reason_label.setWordWrap(True)
            layout.addWidget(reason_label)
        intro = QLabel("Open Twitch's activation page and enter this code:")
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.code_label = QLabel("…")
        code_font = QFont(self.code_label.font())
        code_font.setPointSize(26)
        code_font.setBold(True)
        code_font.setLetterSpacing(QFont.SpacingType.AbsoluteSpacing, 4)
        self.code_label.setFont(code_font)
        self.code_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.code_label)

        buttons = QHBoxLayout()
        self.open_button = QPushButton("Open activation page")
        self.open_button.setEnabled(False)
        self.open_button.clicked.connect(self._open_page)
        self.copy_button = QPushButton("Copy code")
        self.copy_button.setProperty("secondary", True)
        self.copy_button.setEnabled(False)
        self.copy_button.clicked.connect(self._copy_code)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.copy_button)
        layout.addLayout(buttons)

        self.status_label = QLabel("Asking Twitch for a code…")
        self.status_label.setWordWrap(True)
        layout.addWidget(self.status_label)

        scope_lines = [f"• {scope}: {PANEL_PURPOSE.get(scope, '')}" for scope in scopes]
        self.scopes_label = QLabel(
            "Companion asks for:\n" + ("\n".join(scope_lines) if scope_lines else "• no scopes")
        )
        self.scopes_label.setWordWrap(True)
        self.scopes_label.setProperty("role", "empty")
        layout.addWidget(self.scopes_label)

        bottom = QHBoxLayout()
        self.retry_button = QPushButton("Get a new code")
        self.retry_button.hide()
        self.retry_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setProperty("secondary", True)
        self.cancel_button.clicked.connect(self.reject)
        bottom.addWidget(self.retry_button)
        bottom.addStretch(1)
        bottom.addWidget(self.cancel_button)
        layout.addLayout(bottom)

    # -- flow ----------------------------------------------------------------

    def start(self) -> None:
        """Start (or restart) the flow with a fresh device code."""
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self.retry_button.hide()
        self.code_label.setText("…")
        self.open_button.setEnabled(False)
        self.copy_button.setEnabled(False)
        self.status_label.setText("Asking Twitch for a code…")
        self._task = asyncio.get_event_loop().create_task(self._run(), name="device-sign-in")

    async def _run(self) -> None:
        flow = self._flow_factory()
        try:
            code = await flow.start()
            self.code_label.setText(code.user_code)
            self.verification_uri = code.verification_uri
            self.open_button.setEnabled(True)
            self.copy_button.setEnabled(True)
            minutes = max(1, code.expires_in // 60)
            self.status_label.setText(
                f"Waiting for you to approve on Twitch (the code works for {minutes} min)…"
            )
            token = await flow.wait()
        except asyncio.CancelledError:
            raise
        except DeviceCodeExpired:
            self._show_retry("The code expired before it was approved.")
            return
        except AccessDenied:
            self._show_retry("The sign-in was declined on Twitch.")
            return
        except (OAuthError, TwitchError, OSError) as error:
            _log.warning("device sign-in failed: %r", error)
            self._show_retry(f"Sign-in failed. {explain(error)}")
            return
        self.token = token
        self.status_label.setText("Signed in.")
        self.finished_with_token.emit(token)
        self.accept()

    def _show_retry(self, message: str) -> None:
        self.status_label.setText(message)
        self.code_label.setText("—")
        self.open_button.setEnabled(False)
        self.copy_button.setEnabled(False)
        self.retry_button.show()

    def _open_page(self) -> None:
        if self.verification_uri:
            QDesktopServices.openUrl(QUrl(self.verification_uri))

    def _copy_code(self) -> None:
        QGuiApplication.clipboard().setText(self.code_label.text())

    def done(self, result: int) -> None:
        # Closing the dialog in any way stops the polling.
        if self._task is not None and not self._task.done():
            self._task.cancel()
        super().done(result)
