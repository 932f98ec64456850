#!/usr/bin/env bash
# The time-sensitive tests (marker `clock`: approvals, leases, exactly-once, the demo) once
# more, with this process and every process it starts 400 days in the future (faketime).
# A test that hands data made under a fixed date to a process on the real clock fails here
# long before the calendar would catch it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v faketime >/dev/null 2>&1; then
    if [ "${CI:-}" = true ]; then
        echo "shifted clock: faketime is missing (apt-get install faketime)" >&2
        exit 1
    fi
    echo "shifted clock: NOT RUN, faketime is not installed (apt-get install faketime)" >&2
    exit 0
fi
echo "shifted clock: the time-sensitive tests at $(faketime '+400 days' date -u +%F)" >&2
exec faketime '+400 days' .venv/bin/pytest -q -m clock -p no:cacheprovider -n 2 --dist loadgroup
