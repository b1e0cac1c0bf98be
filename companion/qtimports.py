"""Keep the Qt binding's look at every imported module out of the line cache (issue 18).

PySide6 (6.4 on, PYSIDE-2029) replaces ``__import__`` and, after each module is imported,
asks whether its source mentions "PySide6" (``shibokensupport.feature._mod_uses_pyside``;
its ``from __feature__ import snake_case`` switching needs to know). It asks through
``inspect.getsource``, which reads through :mod:`linecache`, and the line cache keeps every
line of every module it read for the life of the process. For this app that is the ~390
modules imported after Qt (aiohttp, the client, every panel): 13 MiB of the smoke test's
124 MiB peak, plus ~35 ms of CPU on the way to the first usable queue.

:func:`scan_without_line_cache` gives the binding the same answer read straight from the
file, so nothing is kept. The line cache then fills only as it did without Qt: when a
traceback or a warning is formatted. Anything that is not a plain source file on disk (a
frozen bundle's archive, an extension module) still goes to the binding's own check.

The hook is private to PySide6, so this is careful: where it is missing (another release,
PyPy, which has no feature switching) nothing is changed and the app runs as before.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable
    from types import ModuleType

#: The module PySide6 publishes its feature switching as (shibokensupport.feature).
FEATURE_MODULE = "PySide6.support.feature"
#: What the binding searches each module's source for.
_MARK = b"PySide6"


def scan_without_line_cache() -> bool:
    """Make the binding's per-import check read sources without filling the line cache.

    Imports ``PySide6.QtCore`` (which installs the binding's import hook) if nobody has.
    Safe to call more than once.

    Returns:
        True if the check is now the file-reading one; False if this PySide6 has no such
        check to replace (nothing was changed).
    """
    import PySide6.QtCore  # noqa: F401  (installs the hook and publishes FEATURE_MODULE)

    feature = sys.modules.get(FEATURE_MODULE)
    original: Callable[[ModuleType], bool] | None = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or original is None:
        return False
    if getattr(original, "__wrapped__", None) is not None:
        return True  # done already

    def mod_uses_pyside(module: ModuleType) -> bool:
        """The binding's test ("does the source mention PySide6?") without the cache."""
        path = getattr(module, "__file__", None)
        if not isinstance(path, str) or not path.endswith(".py"):
            return original(module)
        try:
            with open(path, "rb") as source:  # noqa: PTH123  (one read; no Path object per import)
                return _MARK in source.read()
        except OSError:
            # Gone or unreadable since the import: the binding's own way decides.
            return original(module)

    # __wrapped__ marks the check as done and keeps the binding's own for its fallbacks.
    mod_uses_pyside.__wrapped__ = original  # type: ignore[attr-defined]  # a function attribute
    feature._mod_uses_pyside = mod_uses_pyside  # type: ignore[attr-defined]  # a private hook
    return True
