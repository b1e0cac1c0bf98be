"""What the app has imported when its window first paints (issue 18, item 1).

The window paints first; aiohttp and the Twitch client, the services and panels, the ledger
and SQLite, the tray and the keyring are imported after. A child Python runs the real app
(``--smoke-test``, offscreen, a scratch data folder) and writes ``sys.modules`` twice: when
``MainWindow.first_painted`` fires, and when the process exits (by then the smoke test has
built every panel, so the names below are really used, just later).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pathlib import Path

#: Modules (and packages, with everything under them) the first paint must not import.
NOT_AT_FIRST_PAINT = (
    "asyncio",
    "qasync",
    "companion.qtloop",
    "aiohttp",
    "keyring",
    "sqlite3",
    "companion.twitch.client",
    "companion.twitch.http",
    "companion.twitch.eventsub",
    "companion.twitch.models",
    "companion.services",
    "companion.core.ledger",
    "companion.app_panels",
    "companion.auth",
    "companion.sim",
    "companion.ui.tray",
    "companion.ui.queue_panel",
    "companion.ui.history_view",
    "companion.ui.rewards_panel",
)

#: Of those, what a smoke test never loads: it signs nobody in (so keeps no token in the
#: keyring) and starts no demo.
NOT_IN_A_SMOKE_TEST = ("companion.twitch.client", "companion.sim", "keyring")

CHILD = """
import atexit, json, sys
from companion.ui import main_window

snapshots = {}
out = sys.argv[1]

def snapshot(name):
    snapshots.setdefault(name, sorted(sys.modules))

def save():
    snapshot("exit")
    import linecache
    snapshots["line_cache"] = sorted(
        name for name, module in list(sys.modules.items())
        if getattr(module, "__file__", None) in linecache.cache
    )
    with open(out, "w") as f:
        json.dump(snapshots, f)

atexit.register(save)
built = main_window.MainWindow.__init__

def init(self, *args, **kwargs):
    built(self, *args, **kwargs)
    # Connected before anything the app connects: runs first when the window first paints.
    self.first_painted.connect(lambda: snapshot("first_paint"))

main_window.MainWindow.__init__ = init
from companion.cli import main
sys.exit(main(["--smoke-test"]))
"""


def loaded(modules: list[str], name: str) -> list[str]:
    """``name`` and the modules under it that are in ``modules``."""
    return [module for module in modules if module == name or module.startswith(name + ".")]


def test_first_paint_imports_none_of_the_twitch_side(
    scratch_data_dir: Path, tmp_path: Path
) -> None:
    out = tmp_path / "modules.json"
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", COMPANION_DATA_DIR=str(scratch_data_dir))
    env.pop("PYTEST_CURRENT_TEST", None)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, str(out)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    snapshots = json.loads(out.read_text(encoding="utf-8"))
    assert sorted(snapshots) == ["exit", "first_paint", "line_cache"]
    at_paint, at_exit = snapshots["first_paint"], snapshots["exit"]
    early = {name: loaded(at_paint, name) for name in NOT_AT_FIRST_PAINT}
    assert {name: found for name, found in early.items() if found} == {}
    # The smoke test went on to build every panel (it starts no client and no simulator):
    # what they need was loaded after all.
    later = [name for name in NOT_AT_FIRST_PAINT if name not in NOT_IN_A_SMOKE_TEST]
    assert [name for name in later if not loaded(at_exit, name)] == []
    # Nothing imported after the paint kept its source in memory (companion.qtimports: Qt's
    # import hook read each one through the line cache, 13 MiB of the peak).
    after_paint = sorted(set(at_exit) - set(at_paint))
    assert len(after_paint) > 200
    assert [name for name in after_paint if name in snapshots["line_cache"]] == []
    # And the first paint was a real one, of the app's window.
    for name in ("PySide6.QtWidgets", "companion.ui.main_window", "companion.app"):
        assert name in at_paint


def test_the_authority_known_before_the_client_is_the_clients(scratch_data_dir: Path, qapp) -> None:
    """The accounts' authority is worked out before the first paint without importing the
    client (``_oauth_url``): it must name the OAuth URL the client then signs in with."""
    from companion.app import CompanionApp, parse_args
    from companion.twitch.authority import TWITCH_AUTHORITY, authority_key
    from companion.twitch.oauth import DEFAULT_OAUTH_URL

    assert DEFAULT_OAUTH_URL == TWITCH_AUTHORITY
    for argv in ([], ["--twitch-url", "http://127.0.0.1:8080/"]):
        app = CompanionApp(qapp, parse_args(argv))
        assert app._oauth_url() == app._endpoints()[1]
        assert app.authority == authority_key(app._endpoints()[1])
    assert CompanionApp(qapp, parse_args(["--twitch-url", "http://127.0.0.1:8080"])).authority == (
        "http://127.0.0.1:8080/oauth2"
    )
