"""The frozen app's entry script: what ``companion`` (``companion.cli:main``) runs."""

import sys

from companion.cli import main

if __name__ == "__main__":
    sys.exit(main())
