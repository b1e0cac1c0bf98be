"""The frozen app's entry script: what ``companion`` (``companion.app:main``) runs."""

import sys

from companion.app import main

if __name__ == "__main__":
    sys.exit(main())
