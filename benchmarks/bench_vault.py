"""Vault benchmarks: task_claim latency against the raw rename and the reference filesystem
MCP server's move_file, and vault_status / task_list over a vault of 10,000 tasks.

Run: .venv/bin/python -m benchmarks.bench_vault
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client, StdioServerParameters

from benchmarks.common import line, machine, summary, timed
from orchestrator.vault_init import init_vault
from servers.vault_mcp.service import VaultService
from shared.settings import CoreSettings
from shared.vault import Vault

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FS_SERVER = ROOT / ".tools" / "node_modules" / ".bin" / "mcp-server-filesystem"
N = 200


def _vault_with_tasks(base: Path, n: int, role: str = "cloud") -> Vault:
    root = base / f"Vault-{n}-{time.monotonic_ns()}"
    init_vault(root)
    vault = Vault(CoreSettings(role=role, vault=root))  # type: ignore[arg-type]
    for i in range(n):
        vault.tasks.create("email", f"Task {i}", "body", source_id=f"<{i}@bench>")
    return vault


def bench_raw_rename(base: Path) -> list[float]:
    src, dst = base / "raw-src", base / "raw-dst"
    src.mkdir()
    dst.mkdir()
    for i in range(N):
        (src / f"t{i}.md").write_text("---\ntitle: x\n---\nbody\n")
    names = iter(range(N))

    def one() -> None:
        i = next(names)
        (src / f"t{i}.md").rename(dst / f"t{i}.md")

    return timed(one, N)


def bench_raw_durable_claim(base: Path) -> list[float]:
    """The floor of a claim that survives a crash whole: the rename, then the stamped file
    written beside it, fsynced and renamed over it (what the claim service does on disk)."""
    src, dst = base / "durable-src", base / "durable-dst"
    src.mkdir()
    dst.mkdir()
    text = "---\ntitle: x\nstatus: needs_action\n---\nbody\n"
    for i in range(N):
        (src / f"t{i}.md").write_text(text)
    stamped = (text.replace("needs_action", "in_progress") + "claimed_by: x\n").encode()
    names = iter(range(N))

    def one() -> None:
        i = next(names)
        target = dst / f"t{i}.md"
        (src / f"t{i}.md").rename(target)
        tmp = dst / f".t{i}.tmp"
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
        os.write(fd, stamped)
        os.fsync(fd)
        os.close(fd)
        os.replace(tmp, target)

    return timed(one, N)


def bench_service(base: Path) -> list[float]:
    vault = _vault_with_tasks(base, N)
    ids = iter([loc.path.stem for loc in vault.tasks.scan("needs_action")])
    return timed(lambda: vault.claims.claim(next(ids)), N)


async def bench_tool_stdio(base: Path) -> tuple[list[float], list[float]]:
    vault = _vault_with_tasks(base, N)
    ids = [loc.path.stem for loc in vault.tasks.scan("needs_action")]
    params = StdioServerParameters(
        command=str(BIN / "vault-mcp"),
        args=[],
        env={"AIE_ROLE": "cloud", "AIE_VAULT": str(vault.root)},
    )
    samples = []
    async with Client(params, mode="legacy") as client:
        await client.call_tool("vault_status", {})  # warm up
        for task_id in ids:
            start = time.perf_counter()
            result = await client.call_tool("task_claim", {"task_id": task_id})
            samples.append(time.perf_counter() - start)
            assert not result.is_error and result.structured_content["claimed"]  # type: ignore[index]
        reads = []
        for task_id in ids:
            start = time.perf_counter()
            await client.call_tool("task_get", {"task_id": task_id})
            reads.append(time.perf_counter() - start)
    return samples, reads


async def bench_filesystem_peer(base: Path) -> list[float] | None:
    if not FS_SERVER.exists():
        return None
    root = base / "peer"
    (root / "Needs_Action").mkdir(parents=True)
    (root / "In_Progress").mkdir()
    for i in range(N):
        (root / "Needs_Action" / f"t{i}.md").write_text("---\ntitle: x\n---\nbody\n")
    params = StdioServerParameters(command=str(FS_SERVER), args=[str(root)])
    samples = []
    async with Client(params, mode="legacy") as client:
        await client.call_tool("list_allowed_directories", {})
        for i in range(N):
            args = {
                "source": str(root / "Needs_Action" / f"t{i}.md"),
                "destination": str(root / "In_Progress" / f"t{i}.md"),
            }
            start = time.perf_counter()
            result = await client.call_tool("move_file", args)
            samples.append(time.perf_counter() - start)
            assert not result.is_error, result.content
    return samples


def bench_big_vault(base: Path) -> tuple[list[float], list[float], int]:
    """10,000 tasks: 1,000 waiting, 200 in progress, 8,800 done."""
    vault = _vault_with_tasks(base, 10_000, role="local")
    ids = [loc.path.stem for loc in vault.tasks.scan("needs_action")]
    for task_id in ids[:9_000]:
        vault.claims.claim(task_id)
    for task_id in ids[:8_800]:
        vault.claims.complete(task_id, "done")
    service = VaultService(vault.settings)
    status = timed(service.status, 20)
    listing = timed(lambda: service.list_tasks("needs_action", None, None, 50, 0), 20)
    total = service.status().counts["done"]
    return status, listing, total


def main() -> None:
    print(f"vault benchmarks on {machine()}")
    base = Path(tempfile.mkdtemp(prefix="aie-bench-"))
    try:
        raw = bench_raw_rename(base)
        durable = bench_raw_durable_claim(base)
        service = bench_service(base)
        tool, reads = anyio.run(bench_tool_stdio, base)
        peer = anyio.run(bench_filesystem_peer, base)
        print(f"task_claim, {N} claims each:")
        print(line("raw os.rename", raw))
        print(line("raw durable claim (rename, fsync'd rewrite)", durable))
        print(line("claim service call (read, rename, stamp)", service))
        floor = summary(service)["p50_ms"] / summary(durable)["p50_ms"]
        print(f"  claim service / raw durable claim at p50: {floor:.2f}x")
        print(line("task_claim tool over stdio", tool))
        print(line("task_get tool over stdio (SDK round trip)", reads))
        if peer is None:
            print("  filesystem MCP server: not installed (run scripts/bootstrap.sh)")
        else:
            print(line("server-filesystem move_file over stdio", peer))
            ratio = summary(tool)["p50_ms"] / summary(peer)["p50_ms"]
            print(f"  ratio ours/peer at p50: {ratio:.2f}x (goal: 1.5x or better)")
        status, listing, done = bench_big_vault(base)
        print(f"vault of 10,000 tasks ({done} done, 1,000 waiting, 200 in progress):")
        print(line("vault_status service call", status))
        print(line("task_list (page of 50) service call", listing))
        print("  goal: under 200 ms each")
    finally:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()
