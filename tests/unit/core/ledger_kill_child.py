"""Child process for the kill -9 drill: writes batches to a ledger until it is killed.

Usage: ``python ledger_kill_child.py DB_PATH BATCH_SIZE``. After each batch's commit
returns it prints the batch's last redemption id to stdout and flushes, so the
parent knows which rows were committed before the kill.
"""

from __future__ import annotations

import sys
from pathlib import Path

from companion.core.ledger import Ledger
from tests.helpers.core_fakes import redemption


def main() -> None:
    path = Path(sys.argv[1])
    batch_size = int(sys.argv[2])
    ledger = Ledger(path)
    number = 0
    while True:
        batch = [redemption(number + offset, user_input="x" * 200) for offset in range(batch_size)]
        ledger.record_redemptions(batch)
        # Status moves too, so the kill can land in an UPDATE as well as an INSERT.
        ledger.record_status([(batch[0].redemption_id, "FULFILLED")])
        number += batch_size
        sys.stdout.write(f"{batch[-1].redemption_id}\n")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
