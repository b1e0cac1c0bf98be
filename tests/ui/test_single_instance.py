"""A second start finds the first and asks it to come to the front."""

from __future__ import annotations

import socket
from pathlib import Path

from PySide6.QtCore import QDir

from companion.ui.single_instance import SingleInstanceGuard, activate_running_instance, server_name


def test_second_start_activates_the_first(qtbot) -> None:
    guard = SingleInstanceGuard()
    assert guard.listen()
    try:
        with qtbot.waitSignal(guard.activation_requested, timeout=3000):
            assert activate_running_instance() is True
    finally:
        guard.close()


def test_no_instance_running(qtbot) -> None:
    assert activate_running_instance() is False


def test_name_depends_on_the_data_folder(monkeypatch, tmp_path) -> None:
    first = server_name()
    other = tmp_path / "other"
    other.mkdir()
    monkeypatch.setenv("COMPANION_DATA_DIR", str(other))
    assert server_name() != first


def test_a_second_guard_never_takes_or_removes_a_live_socket(qtbot) -> None:
    """Issue 20, item 5: the owner's socket survives another guard's listen and close."""
    owner = SingleInstanceGuard()
    assert owner.listen() and owner.owner
    try:
        other = SingleInstanceGuard()
        assert other.listen() is False
        assert not other.owner
        other.close()
        with qtbot.waitSignal(owner.activation_requested, timeout=3000):
            assert activate_running_instance() is True
    finally:
        owner.close()
    assert activate_running_instance() is False  # the owner removed its socket


def test_a_stale_socket_file_is_replaced(qtbot) -> None:
    """A socket file nobody answers on (a crashed instance's) does not block a start."""
    path = Path(QDir.tempPath()) / server_name()
    # What a crash leaves: the socket file, with nobody listening on it.
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as dead:
        dead.bind(str(path))
    assert path.exists()
    assert activate_running_instance() is False
    guard = SingleInstanceGuard()
    try:
        assert guard.listen()
        with qtbot.waitSignal(guard.activation_requested, timeout=3000):
            assert activate_running_instance() is True
    finally:
        guard.close()
    assert not path.exists()
