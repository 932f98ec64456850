"""``python -m devstack.scripted_model --port 0 --record FILE``: serve until SIGTERM
or until standard input closes; print one line ``scripted model listening on URL`` when
ready (the demo starts it this way, as it starts the Odoo stand-in)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devstack.lifetime import wait_for_stop

from .server import ScriptedModel


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m devstack.scripted_model")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--record", type=Path, help="append each request here, one JSON line")
    parser.add_argument("--fault", action="append", default=[], help="see policies.FAULTS")
    args = parser.parse_args()
    with ScriptedModel(args.port, args.fault, args.record) as model:
        print(f"scripted model listening on {model.url}", flush=True)
        wait_for_stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
