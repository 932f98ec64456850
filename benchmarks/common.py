"""What every benchmark prints (the machine, and figures with their units), and the peer
tools they compare with, installed on demand."""

from __future__ import annotations

import os
import platform
import statistics
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from devstack.find_uv import find_uv


def machine() -> str:
    cpu = platform.processor() or "unknown cpu"
    try:
        with open("/proc/cpuinfo") as info:
            for line in info:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return (
        f"{platform.node()}: {cpu}, {os.cpu_count()} cores, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    """Seconds per call, one sample per call."""
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return samples


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000,
        "mean_ms": statistics.fmean(ordered) * 1000,
    }


def line(label: str, samples: list[float]) -> str:
    s = summary(samples)
    return (
        f"  {label:<44} p50 {s['p50_ms']:8.3f} ms   p95 {s['p95_ms']:8.3f} ms   (n={len(samples)})"
    )


def peer_tool(package: str) -> tuple[Path | None, str]:
    """The peer's executable (named as its package) and version, or None and why not. It is
    installed with the bootstrap's uv into a virtual environment of its own, kept in the
    temporary folder for the next run."""
    venv = Path(tempfile.gettempdir()) / f"aie-peer-{package}"
    exe, python = venv / "bin" / package, venv / "bin" / "python"
    if not exe.exists():
        found = find_uv()
        if found is None:
            return None, "uv is not installed (scripts/bootstrap.sh installs it)"
        uv = str(found)
        subprocess.run([uv, "venv", "-q", str(venv)], check=False, capture_output=True)
        install = [uv, "pip", "install", "-q", "--python", str(python), package]
        done = subprocess.run(install, check=False, capture_output=True, text=True)
        if not exe.exists():
            tail = (done.stderr or done.stdout).strip().splitlines()[-1:] or ["no output"]
            return None, f"`{uv} pip install {package}` failed: {tail[0]}"
    code = f"import importlib.metadata as m; print(m.version({package!r}))"
    version = subprocess.run([str(python), "-c", code], capture_output=True, text=True).stdout
    return exe, version.strip() or "unknown version"
