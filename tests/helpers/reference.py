"""Where the shared reference material is: Twitch's documented bodies and the seed.

CI clones the repository into a fresh folder with a copy of ``shared/`` beside it, so
the path is found relative to the checkout (``<repo>/../shared``); the environment
variable ``COMPANION_SHARED_DIR`` overrides it.
"""

from __future__ import annotations

import os
from pathlib import Path


def _find_shared() -> Path:
    candidates = []
    if os.environ.get("COMPANION_SHARED_DIR"):
        candidates.append(Path(os.environ["COMPANION_SHARED_DIR"]))
    repo = Path(__file__).resolve().parents[2]
    candidates += [repo.parent / "shared", Path("/work/shared")]
    for candidate in candidates:
        if (candidate / "twitch-reference").is_dir():
            return candidate
    raise RuntimeError(
        "shared/ (twitch-reference and seed) not found; looked in "
        + ", ".join(str(c) for c in candidates)
        + "; set COMPANION_SHARED_DIR"
    )


SHARED = _find_shared()
REFERENCE = SHARED / "twitch-reference"
SEED_FILE = SHARED / "seed" / "000_fb769ffef5653a28.txt"
