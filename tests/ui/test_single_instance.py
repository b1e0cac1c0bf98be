"""A second start finds the first and asks it to come to the front."""

from __future__ import annotations

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
