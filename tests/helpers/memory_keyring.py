"""In-memory keyring backends for tests (``keyring.set_keyring(MemoryKeyring())``).

A subprocess (the real app started as ``python -m companion``) takes one through
``PYTHON_KEYRING_BACKEND=tests.helpers.memory_keyring.SeededMemoryKeyring``, preloaded from
:data:`SEED_ENV`; the simulator's throwaway tokens are the only ones ever put there.
"""

from __future__ import annotations

import json
import os
import threading

from keyring.backend import KeyringBackend
from keyring.errors import KeyringError, KeyringLocked, PasswordDeleteError

#: JSON list of ``[service, username, password]`` a :class:`SeededMemoryKeyring` starts with.
SEED_ENV = "COMPANION_TEST_KEYRING_SEED"


class MemoryKeyring(KeyringBackend):
    """Keeps passwords in a dict; records every call so tests can assert on them."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}
        self.calls: list[tuple[str, str, str]] = []

    def get_password(self, service: str, username: str) -> str | None:
        self.calls.append(("get", service, username))
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.calls.append(("delete", service, username))
        if (service, username) not in self.entries:
            raise PasswordDeleteError(username)
        del self.entries[(service, username)]


class SeededMemoryKeyring(MemoryKeyring):
    """A :class:`MemoryKeyring` that starts with the entries in :data:`SEED_ENV`."""

    def __init__(self) -> None:
        super().__init__()
        for service, username, password in json.loads(os.environ.get(SEED_ENV, "[]")):
            self.entries[(service, username)] = password


class RefusingKeyring(MemoryKeyring):
    """Reads work; every ``set_password`` raises ``error`` (a locked Secret Service
    raises ``KeyringLocked`` from ``set_password``: the collection will not unlock)."""

    def __init__(self, error: KeyringError | None = None) -> None:
        super().__init__()
        self.error = error or KeyringLocked("Failed to unlock the collection!")

    def set_password(self, service: str, username: str, password: str) -> None:
        self.calls.append(("set", service, username))
        raise self.error


class UnansweredKeyring(MemoryKeyring):
    """Every call waits for ever, as a locked Secret Service does while its unlock prompt
    is open and nobody answers it."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self._never = threading.Event()

    def _wait(self, what: str, service: str, username: str) -> None:
        self.calls.append((what, service, username))
        self.entered.set()
        self._never.wait()

    def get_password(self, service: str, username: str) -> str | None:
        self._wait("get", service, username)
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        self._wait("set", service, username)
