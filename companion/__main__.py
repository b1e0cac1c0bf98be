"""``python -m companion``."""

import sys

from companion.app import main

if __name__ == "__main__":
    sys.exit(main())
