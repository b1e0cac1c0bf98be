"""What the streamer reads when the overlays cannot be served, and what start-up imports.

The overlay server's errors have entries in the message table (``LAZY_ERROR_TABLE``,
keyed by name so that naming them does not import the web server). Start-up must not
import ``aiohttp.web`` or the overlay server: they load after the first paint.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from companion.overlay.server import OverlayPortInUse, OverlayServerError
from companion.services.messages import LAZY_ERROR_TABLE, explain, explain_error
from tests.unit.test_messages import RAW, assert_readable


def test_every_lazy_entry_names_a_class_that_exists() -> None:
    import importlib

    for name in LAZY_ERROR_TABLE:
        module, _, qualname = name.rpartition(".")
        cls = getattr(importlib.import_module(module), qualname)
        assert issubclass(cls, BaseException), name


def test_a_taken_port_reads_as_sentences_naming_the_port() -> None:
    error = OverlayPortInUse(7480)
    assert explain(error) == (
        "Port 7480 is already used by another program (or another copy of Streamer "
        "Companion), so the overlays for OBS are not served. Choose another port in the "
        "Overlays tab and paste the new URLs into OBS, or close the other program."
    )
    assert_readable(explain(error))
    assert_readable(explain_error(error).then)


@pytest.mark.parametrize("error", [OverlayServerError(RAW), OSError(98, RAW)])
def test_other_start_failures_read_as_sentences(error: BaseException) -> None:
    text = explain(error)
    assert_readable(text)
    assert "RAWDETAIL" not in text


def test_start_up_does_not_import_the_web_server() -> None:
    code = (
        "import sys, companion.app, companion.app_panels;"
        "print(sorted(m for m in ('aiohttp.web', 'companion.overlay.server') if m in sys.modules))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert done.stdout.strip() == "[]"
