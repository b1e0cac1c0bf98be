"""One running app per data folder: a second start brings the first to the front.

The first instance listens on a local socket named after the data folder (so tests
and separate profiles with their own folders do not collide); a second instance
connects, sends one line, and exits.

Only the owner ever removes the socket: a guard removes a socket file only after finding
that nobody answers on it (a crash left it behind), and closes only a socket it listens on.
A live instance's socket is never taken over (issue 20, item 5: ``--smoke-test`` beside a
running app used to delete it, and the next start ran a second instance on the folder).

Signals:
    activation_requested: another start asked this instance to come to the front.
"""

from __future__ import annotations

import hashlib
import logging
import os

from PySide6.QtCore import QObject, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from companion.core.paths import data_dir

_log = logging.getLogger(__name__)

_ACTIVATE = b"activate\n"
_CONNECT_TIMEOUT_MS = 500


def server_name() -> str:
    """The local socket name for this user and data folder."""
    digest = hashlib.sha256(str(data_dir().resolve()).encode()).hexdigest()[:16]
    user = os.environ.get("USER") or os.environ.get("USERNAME") or "user"
    return f"streamer-companion-{user}-{digest}"


def instance_answers(name: str | None = None) -> bool:
    """True if an instance listens on the socket (connects, sends nothing)."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
        return False
    socket.disconnectFromServer()
    return True


def activate_running_instance(name: str | None = None) -> bool:
    """If an instance is running, ask it to come to the front and return True."""
    socket = QLocalSocket()
    socket.connectToServer(name or server_name())
    if not socket.waitForConnected(_CONNECT_TIMEOUT_MS):
        return False
    socket.write(_ACTIVATE)
    socket.waitForBytesWritten(_CONNECT_TIMEOUT_MS)
    socket.disconnectFromServer()
    return True


class SingleInstanceGuard(QObject):
    """Listens for later starts of the app."""

    activation_requested = Signal()

    def __init__(self, name: str | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.name = name or server_name()
        self._server = QLocalServer(self)
        self._server.newConnection.connect(self._on_connection)

    def listen(self) -> bool:
        """Start listening; False if another instance owns the socket, or it failed.

        A socket file nobody answers on (left by a crash) is removed first; one a live
        instance answers on is left alone.
        """
        if instance_answers(self.name):
            _log.warning("another instance owns the single-instance socket; not taking it")
            return False
        QLocalServer.removeServer(self.name)
        ok = self._server.listen(self.name)
        if not ok:
            _log.warning("single-instance socket unavailable: %s", self._server.errorString())
        return ok

    @property
    def owner(self) -> bool:
        """True while this guard listens on the socket (and so may remove it)."""
        return self._server.isListening()

    def close(self) -> None:
        """Stop listening and remove the socket, if this guard owns it; else nothing."""
        if self.owner:
            self._server.close()

    def _on_connection(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            socket.readyRead.connect(self._on_ready_read)
            socket.disconnected.connect(socket.deleteLater)

    def _on_ready_read(self) -> None:
        socket = self.sender()
        if not isinstance(socket, QLocalSocket):
            return
        if bytes(socket.readAll().data()).startswith(_ACTIVATE.strip()):
            _log.info("another start asked this instance to come to the front")
            self.activation_requested.emit()
