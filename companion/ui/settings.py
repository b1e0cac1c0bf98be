"""The app's settings, persisted with QSettings. Never holds a token.

Keys are listed once here, with their types and defaults, so a typo cannot create
a second setting by accident.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from companion.core.paths import data_dir
from companion.twitch.authority import TWITCH_AUTHORITY, authority_key
from companion.ui.theme import ThemeChoice

if TYPE_CHECKING:
    from collections.abc import Iterable

SETTINGS_FILE_NAME = "settings.ini"

PANEL_KEYS = ("rewards", "queue", "history", "predictions", "polls", "goals", "extensions")

# Default client id for real sign-in; empty until the streamer registers one.
CLIENT_ID_ENV = "COMPANION_CLIENT_ID"

# Remembered accounts per authority (the OAuth base URL that issued their tokens), as JSON:
# {authority: {"accounts": {user_id: login}, "active": user_id or ""}}.
_AUTHORITIES_KEY = "auth/authorities"
# Before accounts were kept per authority: one list, always made for Twitch.
_LEGACY_ACCOUNTS_KEY = "auth/accounts"
_LEGACY_ACTIVE_KEY = "auth/active_account"


class AppSettings:
    """Typed access to the persisted settings."""

    def __init__(self, settings: QSettings | None = None) -> None:
        # An INI file in the app-data folder, beside the log and the ledger, so one
        # folder holds everything the app writes (and tests can point it elsewhere).
        if settings is None:
            settings = QSettings(str(data_dir() / SETTINGS_FILE_NAME), QSettings.Format.IniFormat)
        self._s = settings

    @property
    def path(self) -> str:
        return self._s.fileName()

    def sync(self) -> None:
        self._s.sync()

    # --- window and look ---
    @property
    def theme(self) -> ThemeChoice:
        value = str(self._s.value("ui/theme", ThemeChoice.SYSTEM.value))
        try:
            return ThemeChoice(value)
        except ValueError:
            return ThemeChoice.SYSTEM

    @theme.setter
    def theme(self, value: ThemeChoice) -> None:
        self._s.setValue("ui/theme", value.value)

    def window_geometry(self, name: str) -> QByteArray | None:
        value = self._s.value(f"windows/{name}/geometry")
        return value if isinstance(value, QByteArray) else None

    def set_window_geometry(self, name: str, geometry: QByteArray) -> None:
        self._s.setValue(f"windows/{name}/geometry", geometry)

    def window_opacity(self, name: str, default: float = 1.0) -> float:
        try:
            value = float(str(self._s.value(f"windows/{name}/opacity", default)))
        except ValueError:
            return default
        return min(max(value, 0.2), 1.0)

    def set_window_opacity(self, name: str, value: float) -> None:
        self._s.setValue(f"windows/{name}/opacity", min(max(value, 0.2), 1.0))

    def window_filter(self, name: str) -> tuple[str, str] | None:
        """The reward a window's queue was filtered to: (reward id, title), or None for all."""
        reward_id = str(self._s.value(f"windows/{name}/reward_filter", "") or "")
        if not reward_id:
            return None
        return reward_id, str(self._s.value(f"windows/{name}/reward_filter_title", "") or "")

    def set_window_filter(self, name: str, reward_id: str | None, title: str = "") -> None:
        """Remember a window's reward filter (None: every reward)."""
        self._s.setValue(f"windows/{name}/reward_filter", reward_id or "")
        self._s.setValue(f"windows/{name}/reward_filter_title", title if reward_id else "")

    @property
    def last_tab(self) -> str:
        """The panel key of the tab shown when the app last closed (default: the queue)."""
        return str(self._s.value("windows/main/tab", "queue") or "queue")

    @last_tab.setter
    def last_tab(self, key: str) -> None:
        self._s.setValue("windows/main/tab", key)

    # --- panels and notifications ---
    def enabled_panels(self) -> list[str]:
        value = self._s.value("panels/enabled", list(PANEL_KEYS))
        items = [value] if isinstance(value, str) else list(value or [])  # type: ignore[call-overload]  # QSettings returns object
        return [key for key in PANEL_KEYS if key in items]

    def set_enabled_panels(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        self._s.setValue("panels/enabled", [key for key in PANEL_KEYS if key in wanted])

    def _flag(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        if isinstance(value, str):
            return value.lower() in ("1", "true", "yes")
        return bool(value)

    @property
    def notify_redemptions(self) -> bool:
        return self._flag("notifications/redemptions", True)

    @notify_redemptions.setter
    def notify_redemptions(self, value: bool) -> None:
        self._s.setValue("notifications/redemptions", value)

    @property
    def undo_seconds(self) -> float:
        try:
            return max(0.0, float(str(self._s.value("queue/undo_seconds", 5.0))))
        except ValueError:
            return 5.0

    @undo_seconds.setter
    def undo_seconds(self, value: float) -> None:
        self._s.setValue("queue/undo_seconds", max(0.0, value))

    # --- accounts (ids and logins only; tokens live in the keyring) ---
    @property
    def client_id(self) -> str:
        return str(self._s.value("auth/client_id", ""))

    @client_id.setter
    def client_id(self, value: str) -> None:
        self._s.setValue("auth/client_id", value.strip())

    def _json_value(self, key: str) -> Any:
        try:
            return json.loads(str(self._s.value(key, "{}")))
        except ValueError:
            return None

    def _authorities(self) -> dict[str, dict[str, Any]]:
        """Every authority's remembered accounts and active account.

        Keys from before accounts were kept per authority were all written for Twitch: they
        read as Twitch's until the next write moves them under Twitch's authority.
        """
        value = self._json_value(_AUTHORITIES_KEY)
        raw = value if isinstance(value, dict) else {}
        result: dict[str, dict[str, Any]] = {}
        for authority, entry in raw.items():
            if not isinstance(entry, dict):
                continue
            accounts = entry.get("accounts")
            active = entry.get("active")
            result[str(authority)] = {
                "accounts": (
                    {str(k): str(v) for k, v in accounts.items()}
                    if isinstance(accounts, dict)
                    else {}
                ),
                "active": str(active) if active else "",
            }
        if TWITCH_AUTHORITY not in result and (
            self._s.contains(_LEGACY_ACCOUNTS_KEY) or self._s.contains(_LEGACY_ACTIVE_KEY)
        ):
            legacy = self._json_value(_LEGACY_ACCOUNTS_KEY)
            result[TWITCH_AUTHORITY] = {
                "accounts": (
                    {str(k): str(v) for k, v in legacy.items()} if isinstance(legacy, dict) else {}
                ),
                "active": str(self._s.value(_LEGACY_ACTIVE_KEY, "") or ""),
            }
        return result

    def _update_authority(self, authority: str, **changes: Any) -> None:
        data = self._authorities()
        entry = data.setdefault(authority_key(authority), {"accounts": {}, "active": ""})
        entry.update(changes)
        # Plain JSON text, so the INI file stays readable (and checkable for secrets).
        self._s.setValue(_AUTHORITIES_KEY, json.dumps(data, sort_keys=True))
        self._s.remove(_LEGACY_ACCOUNTS_KEY)
        self._s.remove(_LEGACY_ACTIVE_KEY)

    def accounts(self, authority: str) -> dict[str, str]:
        """Accounts signed in at ``authority``, as user id -> login (tokens: the keyring)."""
        entry = self._authorities().get(authority_key(authority))
        return dict(entry["accounts"]) if entry is not None else {}

    def set_accounts(self, authority: str, accounts: dict[str, str]) -> None:
        self._update_authority(authority, accounts=dict(sorted(accounts.items())))

    def active_account(self, authority: str) -> str | None:
        """The account that was active at ``authority`` when the app last ran there."""
        entry = self._authorities().get(authority_key(authority))
        return (str(entry["active"]) or None) if entry is not None else None

    def set_active_account(self, authority: str, user_id: str | None) -> None:
        self._update_authority(authority, active=user_id or "")
