"""Where ``uv`` is: the one answer for ``scripts/bootstrap.sh``, the benchmarks and the tests.

The bootstrap uses the ``uv`` on PATH, else installs it with ``pip install --user uv`` (or,
where that is refused, ``pip install uv``), which puts it where PATH often does not look:
``~/.local/bin`` on Linux. So look on PATH first, then where those installs (and Astral's
installer, which also uses ``~/.local/bin``) put it.

Standard library only: the bootstrap runs this file before any virtual environment exists,
``python3 -I devstack/find_uv.py``, which prints the path or exits 1.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

__all__ = ["find_uv", "uv_candidates"]


def uv_candidates() -> list[Path]:
    """The places ``uv`` is looked for after PATH, in order."""
    user_scheme = sysconfig.get_preferred_scheme("user")
    folders = [
        Path(sysconfig.get_path("scripts", user_scheme)),  # pip install --user
        Path.home() / ".local" / "bin",  # Astral's installer; the same folder on Linux
        Path(sysconfig.get_path("scripts")),  # pip install, run by this interpreter
        # ... or by the interpreter this virtual environment was made from
        Path(sysconfig.get_path("scripts", vars={"base": sys.base_prefix})),
    ]
    exe = "uv.exe" if sys.platform == "win32" else "uv"
    return list(dict.fromkeys(folder / exe for folder in folders))


def find_uv() -> Path | None:
    """The ``uv`` the bootstrap uses: PATH's, else the one ``pip install --user uv`` put in
    the user's scripts folder; None when there is none (``scripts/bootstrap.sh`` installs it)."""
    on_path = shutil.which("uv")
    if on_path is not None:
        return Path(on_path)
    for candidate in uv_candidates():
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None


def main() -> int:
    found = find_uv()
    if found is None:
        looked = ", ".join(str(path.parent) for path in uv_candidates())
        print(f"uv: not on PATH, nor in {looked}", file=sys.stderr)
        return 1
    print(found)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
