"""The stand-in as a separate process, driven through its ``/standin/*`` endpoints."""

from __future__ import annotations

import json
import os
import queue
import subprocess
import sys
import tempfile
import threading
import urllib.request
from pathlib import Path
from types import TracebackType
from typing import Any

from .server import StandinThread

REPO_ROOT = Path(__file__).resolve().parents[3]


class StandinProcess:
    """``python -m devstack.odoo_standin`` in a child process (same options as the thread).

    Use it for tests that restart the server (with ``db_path`` the data survives) or kill it.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        db: str = "acme",
        version: str = "17.0",
        db_path: str | Path | None = None,
        seed: dict[str, Any] | str | Path | None = None,
        in_payment: bool = False,
        today: str | None = None,
        reset: bool = False,
    ) -> None:
        self.host, self.port, self.db = host, port, db
        self._argv = ["--host", host, "--db", db, "--version", version]
        if db_path:
            self._argv += ["--db-path", str(db_path)]
        if in_payment:
            self._argv.append("--in-payment")
        if today:
            self._argv += ["--today", today]
        if reset:
            self._argv.append("--reset")
        self._seed_file: str | None = None
        if isinstance(seed, dict):
            fd, self._seed_file = tempfile.mkstemp(prefix="odoo-standin-seed-", suffix=".json")
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(seed, fh)
            self._argv += ["--seed", self._seed_file]
        elif seed:
            self._argv += ["--seed", str(seed)]
        self.proc: subprocess.Popen[str] | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, timeout: float = 20.0) -> StandinProcess:
        """Start the child and wait for its "listening on" line (it names the real port)."""
        env = dict(os.environ, PYTHONPATH=str(REPO_ROOT))
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "devstack.odoo_standin",
                "--port",
                str(self.port),
                *self._argv,
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        assert self.proc.stdout is not None
        threading.Thread(
            target=lambda: lines.put(self.proc.stdout.readline()),  # type: ignore[union-attr]
            daemon=True,
        ).start()
        try:
            line = lines.get(timeout=timeout)
        except queue.Empty:
            self.stop()
            raise RuntimeError("odoo-standin did not start in time") from None
        if "listening on" not in line:
            self.stop()
            raise RuntimeError(f"odoo-standin failed to start: {line!r}")
        self.port = int(line.split()[3].rsplit(":", 1)[1])
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """SIGTERM, then SIGKILL if the child does not exit in ``timeout`` seconds."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        if self.proc and self.proc.stdout:
            self.proc.stdout.close()

    def kill(self) -> None:
        """SIGKILL the child at once (crash tests)."""
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def __enter__(self) -> StandinProcess:
        return self.start() if self.proc is None else self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
        if self._seed_file:
            Path(self._seed_file).unlink(missing_ok=True)

    # -- test API over HTTP --------------------------------------------------------------
    def _request(self, path: str, payload: Any = None) -> Any:
        data = None if payload is None else json.dumps(payload).encode("utf-8")
        req = urllib.request.Request(
            self.url + path,
            data=data,
            method="POST" if data else "GET",
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            return json.loads(resp.read())

    def stats(self) -> dict[str, Any]:
        return self._request("/standin/stats")  # type: ignore[no-any-return]

    def reset_stats(self) -> None:
        self._request("/standin/stats/reset", {})

    def control(self, **changes: Any) -> dict[str, Any]:
        return self._request("/standin/control", changes)  # type: ignore[no-any-return]

    def reset(self, seed: dict[str, Any] | None = None) -> None:
        self._request("/standin/reset", seed or {})


def start_standin(
    *, subprocess: bool = False, host: str = "127.0.0.1", port: int = 0, **options: Any
) -> StandinThread | StandinProcess:
    """Start a stand-in (a thread by default, a child process with ``subprocess=True``).

    The returned object has ``.url``, ``.port``, ``.stop()``, ``stats()``, ``reset_stats()``,
    ``control(**knobs)`` and ``reset(seed)``, and is a context manager.
    """
    if subprocess:
        return StandinProcess(host, port, **options).start()
    return StandinThread(host, port, **options).start()
