"""The ``companion`` command: answers ``--version`` before loading Qt, aiohttp and the app.

Importing the whole app costs most of a second; printing a version should not.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from companion import __version__

if TYPE_CHECKING:
    from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``companion`` and ``python -m companion``."""
    args = list(sys.argv[1:] if argv is None else argv)
    if "--version" in args:
        print(f"companion {__version__}")
        return 0
    # The slow import (Qt, aiohttp, every panel) happens only when the app really starts.
    # First Qt, told not to keep the source of every module imported after it (qtimports).
    from companion.qtimports import scan_without_line_cache

    scan_without_line_cache()
    from companion.app import main as app_main

    return app_main(args)
