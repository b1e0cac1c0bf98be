"""Drive the app's real event loop hard and report how the refcounts of None/True/False move.

Run as a script (``python tests/helpers/refcount_probe.py``) so a defective Qt binding,
which ends in CPython's "deallocating None" abort, fails a test instead of killing pytest.
It prints one JSON object: the PySide6 version, the callbacks scheduled, and per phase the
change of each reference count. It stops early, and says so, as soon as a count has
dropped by more than ``--stop-drop`` (long before None could actually be freed).

The work is what the app does all stream long: asyncio callbacks (``call_soon``,
``call_later``, ``asyncio.sleep``) on :class:`companion.qtloop.CompanionEventLoop`, Qt
timers, signals carrying ``None``/``True``/``False``, and an item model whose ``data()``
answers ``None`` for most roles, painted by a view.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import sys
from pathlib import Path
from typing import Any

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

import PySide6
from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtWidgets import QApplication, QTableView

from companion import qtloop

ROWS = 20


class Emitter(QObject):
    carried = Signal(object)
    flag = Signal(bool)


class Table(QAbstractTableModel):
    """A model like the app's: text for the display role, None for everything else."""

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else ROWS

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> Any:
        if role == Qt.ItemDataRole.DisplayRole:
            return f"{index.row()}:{index.column()}"
        return None


def counts() -> tuple[int, int, int]:
    gc.collect()
    return sys.getrefcount(None), sys.getrefcount(True), sys.getrefcount(False)


async def one_round(emitter: Emitter, model: Table, view: QTableView, callbacks: int) -> None:
    """Schedule ``callbacks`` asyncio callbacks plus Qt work, and wait until all have run."""
    loop = asyncio.get_running_loop()
    ran = 0
    done = loop.create_future()

    def tick() -> None:
        nonlocal ran
        ran += 1
        if ran == callbacks and not done.done():
            done.set_result(None)

    for index in range(callbacks):
        if index % 2:
            loop.call_soon(tick)
        else:
            loop.call_later(0.001 * (index % 5), tick)
        if index % 50 == 0:
            emitter.carried.emit(None)
            emitter.flag.emit(True)
            emitter.flag.emit(False)
            QTimer.singleShot(0, lambda: None)
            model.dataChanged.emit(model.index(0, 0), model.index(ROWS - 1, 2))
            view.viewport().update()
            await asyncio.sleep(0)
    await asyncio.wait_for(done, timeout=60)
    await asyncio.sleep(0.005)


async def drive(total: int, chunk: int, stop_drop: int) -> dict[str, Any]:
    emitter = Emitter()
    received: list[object] = []
    emitter.carried.connect(received.append)
    emitter.flag.connect(received.append)
    model = Table()
    view = QTableView()
    view.setModel(model)
    view.resize(400, 300)
    view.show()
    loop = asyncio.get_running_loop()
    assert isinstance(loop, qtloop.CompanionEventLoop)
    await one_round(emitter, model, view, chunk)  # warm-up: caches, first paints
    received.clear()
    start = counts()
    scheduled_before = loop.callbacks_scheduled
    phases: list[list[int]] = []
    stopped_early = False
    done = 0
    while done < total:
        await one_round(emitter, model, view, chunk)
        received.clear()
        done += chunk
        now = counts()
        change = [n - s for n, s in zip(now, start, strict=True)]
        phases.append(change)
        if min(change) < -stop_drop:
            stopped_early = True
            break
    view.hide()
    return {
        "pyside6": PySide6.__version__,
        "callbacks_scheduled": loop.callbacks_scheduled - scheduled_before,
        "rounds": len(phases),
        "changes": phases,
        "final_change": phases[-1] if phases else [0, 0, 0],
        "stopped_early": stopped_early,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--callbacks", type=int, default=20_000)
    parser.add_argument("--chunk", type=int, default=1_000)
    parser.add_argument("--stop-drop", type=int, default=500)
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    app.setQuitOnLastWindowClosed(False)
    report = qtloop.run(lambda: drive(args.callbacks, args.chunk, args.stop_drop))
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
