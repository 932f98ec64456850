"""How the laptop's pass grows with the vault: the vault tools one local-agent pass calls
(heartbeat, conflicts_resolve, approval_list approved and rejected, vault_status,
dashboard_refresh), through the in-memory MCP client, on

- a small vault: 1,000 tasks in Done/ and 10 pending requests;
- a year's worth: 100,000 tasks in Done/ and 1,000 pending requests;
- a flood: 1,000 tasks in Done/ and 20,000 pending requests (a compromised cloud can write
  any number).

The files are written as the servers write them (the same frontmatter and bodies), by
copying one rendered file per kind: building them through the tools would take minutes.

Run: .venv/bin/python -m benchmarks.bench_vault_scale
"""

from __future__ import annotations

import shutil
import statistics
import tempfile
import time
from pathlib import Path

import anyio
from mcp import Client

from benchmarks.common import machine
from orchestrator.vault_init import init_vault
from servers.vault_mcp.server import build_server
from shared.settings import CoreSettings
from shared.vault import Vault

PASS = (
    ("heartbeat", {"note": "bench"}),
    ("conflicts_resolve", {}),
    ("approval_list", {"state": "approved"}),
    ("approval_list", {"state": "rejected"}),
    ("vault_status", {}),
    ("dashboard_refresh", {}),
)
SHAPES = {
    "small (1k done, 10 pending)": (1_000, 10),
    "a year (100k done, 1k pending)": (100_000, 1_000),
    "flood (1k done, 20k pending)": (1_000, 20_000),
}


def _build(base: Path, done: int, pending: int) -> Path:
    root = base / f"Vault-{done}-{pending}"
    init_vault(root)
    cloud = Vault(CoreSettings(role="cloud", vault=root))
    task, _ = cloud.tasks.create("email", "Reply to Alice", "A mail.\n", source_id="<seed@b>")
    cloud.claims.claim(task.id)
    reply = {
        "from": "ops@example.test",
        "to": ["alice@example.test"],
        "subject": "Re: October",
        "body": "Attached.\n",
        "message_id": "<r@example.test>",
    }
    approval, _ = cloud.request_approval(task.id, "send_email", reply, "Reply", ("body",))
    cloud.claims.complete(task.id, "done", "done")
    done_text = (root / "Done" / f"{task.id}.md").read_bytes()
    request = root / approval.path
    request_text = request.read_bytes()
    request.unlink()
    for n in range(done):
        (root / "Done" / f"email-{n:012x}.md").write_bytes(done_text)
    folder = root / "Pending_Approval" / "email"
    for n in range(pending):
        (folder / f"appr-{n:016x}.md").write_bytes(request_text)
    return root


async def _pass(root: Path, rounds: int) -> list[float]:
    samples = []
    async with Client(build_server(CoreSettings(role="local", vault=root))) as client:
        for _ in range(rounds):
            started = time.perf_counter()
            for tool, args in PASS:
                result = await client.call_tool(tool, args)
                if result.is_error:
                    raise RuntimeError(f"{tool}: {result.content}")
            samples.append(time.perf_counter() - started)
    return samples


def main(rounds: int = 5) -> None:
    print(f"Vault at scale: one laptop pass of vault tools, on {machine()}")
    results = {}
    with tempfile.TemporaryDirectory(prefix="aie-bench-scale-") as tmp:
        for label, (done, pending) in SHAPES.items():
            started = time.perf_counter()
            root = _build(Path(tmp), done, pending)
            built = time.perf_counter() - started
            samples = anyio.run(_pass, root, rounds)
            results[label] = statistics.median(samples)
            print(
                f"  {label:<34} pass p50 {results[label] * 1000:8.1f} ms, the first "
                f"{samples[0] * 1000:8.1f} ms   (n={rounds}; vault built in {built:.1f} s)"
            )
            shutil.rmtree(root)
    small = results["small (1k done, 10 pending)"]
    for label, seconds in results.items():
        print(f"  {label:<34} {seconds / small:6.1f}x the small vault's pass")


if __name__ == "__main__":
    main()
