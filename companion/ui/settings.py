"""The app's settings, persisted with QSettings. Never holds a token.

Keys are listed once here, with their types and defaults, so a typo cannot create
a second setting by accident.

A value of the wrong type or out of range (a hand-edited file, ``panels/enabled=@Point(1 2)``,
an undo window of ``inf``) never stops the app (issue 20, item 3): the default is used, the
file is left as it is (changing the setting in the app replaces the value), and the key is
noted once in :meth:`AppSettings.problems`, which the app shows at start. A file QSettings
cannot parse is noted the same way.
"""

from __future__ import annotations

import json
import logging
import os
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings

from companion.core.errors import UserError
from companion.core.overlay_rules import (
    DEFAULT_OVERLAY_PORT,
    MAX_OVERLAY_PORT,
    MIN_OVERLAY_PORT,
    AlertRule,
    check_alert_seconds,
    check_overlay_port,
    finite_number,
)
from companion.core.paths import data_dir
from companion.twitch.authority import TWITCH_AUTHORITY, authority_key
from companion.ui.theme import ThemeChoice

if TYPE_CHECKING:
    from collections.abc import Iterable

_log = logging.getLogger(__name__)

SETTINGS_FILE_NAME = "settings.ini"

PANEL_KEYS = (
    "rewards",
    "queue",
    "history",
    "predictions",
    "polls",
    "goals",
    "extensions",
    "overlays",
)
#: The panels of every version before the Overlays tab (see enabled_panels).
_PANELS_BEFORE_OVERLAYS = PANEL_KEYS[:7]

#: The longest undo window a settings file may ask for (the menu offers up to 10 s); a
#: longer one would hold a streamer's click for minutes, and ``inf`` for ever.
MAX_UNDO_SECONDS = 60.0

#: The overlay port used until one is chosen in the app (else 7480): the test suite gives
#: each test its own, so a copy of the app running on the same machine never collides.
OVERLAY_PORT_ENV = "COMPANION_OVERLAY_PORT"

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
        # Key -> what was wrong with its value; each is logged and noted once.
        self._bad: dict[str, str] = {}
        if settings.status() is QSettings.Status.FormatError:
            self._note("(the file)", "could not be read in full; what could not be read is ignored")

    def _note(self, key: str, problem: str) -> None:
        if key in self._bad:
            return
        self._bad[key] = problem
        _log.warning("settings: %s %s; the default is used (%s)", key, problem, self.path)

    def _wrong(self, key: str, value: object, expected: str) -> None:
        self._note(key, f"holds {_shown(value)}, not {expected}")

    def problems(self) -> dict[str, str]:
        """Settings whose stored value could not be used, key -> what was wrong."""
        return dict(self._bad)

    def check(self) -> dict[str, str]:
        """Read every setting once (as the app will) and return :meth:`problems`."""
        _ = self.theme, self.notify_redemptions, self.undo_seconds, self.client_id
        _ = self.overlay_enabled, self.overlay_port
        self.alert_rules()
        self.overlay_page_options()
        self.enabled_panels()
        self._authorities()
        self._s.beginGroup("windows")
        names = self._s.childGroups()
        self._s.endGroup()
        for name in names:
            self.window_geometry(name)
            self.window_opacity(name)
        return self.problems()

    @property
    def path(self) -> str:
        return self._s.fileName()

    def sync(self) -> None:
        self._s.sync()

    # --- window and look ---
    @property
    def theme(self) -> ThemeChoice:
        value = self._s.value("ui/theme", ThemeChoice.SYSTEM.value)
        known = {choice.value: choice for choice in ThemeChoice}
        if isinstance(value, str) and value in known:
            return known[value]
        self._wrong("ui/theme", value, f"one of {', '.join(known)}")
        return ThemeChoice.SYSTEM

    @theme.setter
    def theme(self, value: ThemeChoice) -> None:
        self._s.setValue("ui/theme", value.value)

    def window_geometry(self, name: str) -> QByteArray | None:
        key = f"windows/{name}/geometry"
        value = self._s.value(key)
        if value is None or isinstance(value, QByteArray):
            return value
        self._wrong(key, value, "a saved window geometry")
        return None

    def set_window_geometry(self, name: str, geometry: QByteArray) -> None:
        self._s.setValue(f"windows/{name}/geometry", geometry)

    def window_opacity(self, name: str, default: float = 1.0) -> float:
        key = f"windows/{name}/opacity"
        value = finite_number(self._s.value(key, default))
        if value is None:
            self._wrong(key, self._s.value(key), "a number from 0.2 to 1")
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
        """The panels shown, in tab order.

        A panel this file has never heard of (one added by a newer version than the one
        that last stored the list, such as Overlays) is shown: the streamer never hid it.
        """
        value = self._s.value("panels/enabled", list(PANEL_KEYS))
        items: object = [] if value is None else [value] if isinstance(value, str) else value
        # (QSettings writes an empty list as @Invalid(), read back as None.)
        if not isinstance(items, list) or not all(isinstance(item, str) for item in items):
            self._wrong("panels/enabled", value, "a list of panel names")
            return list(PANEL_KEYS)
        known = self._s.value("panels/known")
        if isinstance(known, str):
            known = [known]
        if not isinstance(known, list):
            # Stored before the list of known panels was kept: by a version that knew
            # every panel up to Extensions.
            known = list(_PANELS_BEFORE_OVERLAYS)
        # Names this version does not know (a newer version's panels) are ignored.
        return [key for key in PANEL_KEYS if key in items or key not in known]

    def set_enabled_panels(self, keys: Iterable[str]) -> None:
        wanted = set(keys)
        self._s.setValue("panels/enabled", [key for key in PANEL_KEYS if key in wanted])
        self._s.setValue("panels/known", list(PANEL_KEYS))

    def _flag(self, key: str, default: bool) -> bool:
        value = self._s.value(key, default)
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        self._wrong(key, value, "true or false")
        return default

    @property
    def notify_redemptions(self) -> bool:
        return self._flag("notifications/redemptions", True)

    @notify_redemptions.setter
    def notify_redemptions(self, value: bool) -> None:
        self._s.setValue("notifications/redemptions", value)

    @property
    def undo_seconds(self) -> float:
        value = finite_number(self._s.value("queue/undo_seconds", 5.0))
        if value is None or not 0.0 <= value <= MAX_UNDO_SECONDS:
            self._wrong(
                "queue/undo_seconds",
                self._s.value("queue/undo_seconds"),
                f"a number of seconds from 0 to {MAX_UNDO_SECONDS:g}",
            )
            return 5.0
        return value

    @undo_seconds.setter
    def undo_seconds(self, value: float) -> None:
        self._s.setValue("queue/undo_seconds", min(max(0.0, value), MAX_UNDO_SECONDS))

    # --- overlays (OBS browser sources) ---
    @property
    def overlay_enabled(self) -> bool:
        """Whether the app serves the overlay pages (on unless turned off)."""
        return self._flag("overlay/enabled", True)

    @overlay_enabled.setter
    def overlay_enabled(self, value: bool) -> None:
        self._s.setValue("overlay/enabled", value)

    @property
    def overlay_port(self) -> int:
        """The loopback port the overlay server listens on (default 7480)."""
        value = self._s.value("overlay/port", _default_overlay_port())
        try:
            return check_overlay_port(value)
        except UserError:
            self._wrong(
                "overlay/port",
                value,
                f"a whole number from {MIN_OVERLAY_PORT} to {MAX_OVERLAY_PORT}",
            )
            return _default_overlay_port()

    @overlay_port.setter
    def overlay_port(self, value: int) -> None:
        """Store a port; raises :class:`UserError` naming the limit for a bad one."""
        self._s.setValue("overlay/port", check_overlay_port(value))

    def alert_rules(self) -> dict[str, AlertRule]:
        """Every reward's own alert rule (rewards not listed use :class:`AlertRule`'s defaults)."""
        key = "overlay/alerts"
        value = self._s.value(key, "{}")
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            raw = json.loads(value)
            if not isinstance(raw, dict):
                raise ValueError(raw)
            rules: dict[str, AlertRule] = {}
            for reward_id, entry in raw.items():
                if not isinstance(entry, dict) or not isinstance(entry.get("on"), bool):
                    raise ValueError(entry)
                rules[str(reward_id)] = AlertRule(
                    entry["on"], check_alert_seconds(entry.get("seconds"))
                )
        except ValueError:
            self._wrong(key, value, "the alert choices this app wrote")
            return {}
        return rules

    def alert_rule(self, reward_id: str) -> AlertRule:
        """Whether a reward's redemptions are alerted, and for how long."""
        return self.alert_rules().get(reward_id, AlertRule())

    def set_alert_rule(self, reward_id: str, rule: AlertRule) -> None:
        """Store one reward's rule; raises :class:`UserError` for a duration out of range."""
        seconds = check_alert_seconds(rule.seconds)
        rules = self.alert_rules()
        rules[reward_id] = AlertRule(rule.enabled, seconds)
        data = {rid: {"on": each.enabled, "seconds": each.seconds} for rid, each in rules.items()}
        self._s.setValue("overlay/alerts", json.dumps(data, sort_keys=True))

    def overlay_page_options(self) -> dict[str, dict[str, str]]:
        """The options chosen per overlay page (page name -> option -> value), as text."""
        key = "overlay/page_options"
        value = self._s.value(key, "{}")
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            raw = json.loads(value)
            if not isinstance(raw, dict) or not all(
                isinstance(options, dict) and all(isinstance(v, str) for v in options.values())
                for options in raw.values()
            ):
                raise ValueError(raw)
        except ValueError:
            self._wrong(key, value, "the overlay options this app wrote")
            return {}
        return {str(page): {str(k): v for k, v in opts.items()} for page, opts in raw.items()}

    def set_overlay_page_options(self, page: str, options: dict[str, str]) -> None:
        """Remember one page's options (its URL is rebuilt from them at the next start)."""
        every = self.overlay_page_options()
        every[page] = dict(sorted(options.items()))
        self._s.setValue("overlay/page_options", json.dumps(every, sort_keys=True))

    # --- accounts (ids and logins only; tokens live in the keyring) ---
    @property
    def client_id(self) -> str:
        value = self._s.value("auth/client_id", "")
        if isinstance(value, str):
            return value
        self._wrong("auth/client_id", value, "text")
        return ""

    @client_id.setter
    def client_id(self, value: str) -> None:
        self._s.setValue("auth/client_id", value.strip())

    def _json_value(self, key: str) -> Any:
        value = self._s.value(key, "{}")
        try:
            if not isinstance(value, str):
                raise ValueError(value)
            return json.loads(value)
        except ValueError:
            self._wrong(key, value, "the accounts this app wrote")
            return None

    def _authorities(self) -> dict[str, dict[str, Any]]:
        """Every authority's remembered accounts and active account.

        Keys from before accounts were kept per authority were all written for Twitch: they
        read as Twitch's until the next write moves them under Twitch's authority.
        """
        value = self._json_value(_AUTHORITIES_KEY)
        if value is not None and not isinstance(value, dict):
            self._wrong(_AUTHORITIES_KEY, value, "the accounts this app wrote")
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


def _default_overlay_port() -> int:
    """7480, or the port ``COMPANION_OVERLAY_PORT`` names (ignored, and logged, if bad)."""
    text = os.environ.get(OVERLAY_PORT_ENV, "")
    if text:
        try:
            return check_overlay_port(text)
        except UserError as refusal:
            _log.warning("%s ignored: %s", OVERLAY_PORT_ENV, refusal)
    return DEFAULT_OVERLAY_PORT


_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def _shown(value: object) -> str:
    """A stored value as a short phrase for the log and the start notice."""
    if isinstance(value, str):
        text = value if len(value) <= 40 else value[:37] + "..."
        return repr(text)
    if isinstance(value, list):
        return "a list"
    return f"a {type(value).__name__}"
