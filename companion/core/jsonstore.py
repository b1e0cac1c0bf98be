"""Small JSON files in the data folder, written atomically.

A settings-like file must never be left half written (a crash, a full disk, the
app killed mid-save): the new content goes to a temporary file in the same
folder, is flushed to disk, and then replaces the old file with ``os.replace``,
which is atomic on POSIX and Windows. A reader sees the old file or the new one.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
import time
from pathlib import Path
from typing import Any

__all__ = ["StoreError", "read_json", "write_json_atomically"]

_log = logging.getLogger(__name__)


class StoreError(RuntimeError):
    """A stored file cannot be used (written by a newer app, or not the expected shape)."""


def write_json_atomically(path: Path, data: Any) -> None:
    """Write ``data`` as JSON to ``path`` through a temporary file and ``os.replace``."""
    text = json.dumps(data, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    handle, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8", newline="\n") as stream:
            stream.write(text)
            stream.flush()
            os.fsync(stream.fileno())
        temp.replace(path)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise


def read_json(path: Path, *, kind: str, version: int) -> dict[str, Any] | None:
    """Read a versioned JSON object (``{"version": n, ...}``), or None if there is none.

    A file that is not valid JSON, or not an object, is moved aside to
    ``<name>.corrupt-<epoch>`` (kept for the user, logged) and treated as missing,
    so one bad file does not stop the app.

    Raises:
        StoreError: The file has a newer ``version`` than this app understands.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    try:
        data = json.loads(text)
        if not isinstance(data, dict) or not isinstance(data.get("version"), int):
            raise ValueError("not a versioned JSON object")
    except ValueError as exc:
        aside = path.with_name(f"{path.name}.corrupt-{int(time.time())}")
        path.replace(aside)
        _log.warning("%s file %s was unreadable (%s); moved it to %s", kind, path, exc, aside.name)
        return None
    if data["version"] > version:
        raise StoreError(
            f"{kind} file {path} has version {data['version']}; this app knows up to {version}"
        )
    return data
