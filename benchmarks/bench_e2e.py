"""End to end on one machine (T012, issue 6): the whole Platinum stack of the demo (two
Syncthing replicas, Dovecot + SMTP, the Odoo stand-in, the inbox watcher, both agents as
processes), measured as a person would see it.

- mail arrival (SMTP accepted) to the approval request visible on the laptop's replica;
- approval (the file moved to Approved/) to the reply in the customer's INBOX;
- replica to replica: a file written on one side, seen on the other (Syncthing alone);
- the raw operations under them: IMAP IDLE to task (bench_email), one sync hop.

    .venv/bin/python -m benchmarks.bench_e2e [mails]
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import line, machine
from devstack.stack import PlatinumStack, on_dashboard, wait_until

MAILS = 20
HOPS = 20


def _pending(vault: Path) -> set[Path]:
    return set((vault / "Pending_Approval" / "email").glob("appr-*.md"))


def sync_hops(stack: PlatinumStack, n: int) -> tuple[list[float], list[float]]:
    there, back = [], []
    for i in range(n):
        for source, target, samples in (
            (stack.cloud_vault, stack.local_vault, there),
            (stack.local_vault, stack.cloud_vault, back),
        ):
            name = f"Bench/probe-{i}-{source.parent.name}.md"
            (source / name).parent.mkdir(exist_ok=True)
            start = time.perf_counter()
            (source / name).write_text(f"probe {i}\n")
            wait_until(lambda t=target / name: t.is_file(), 30, interval=0.01)  # type: ignore[misc]
            samples.append(time.perf_counter() - start)
    return there, back


def mails(stack: PlatinumStack, n: int) -> tuple[list[float], list[float]]:
    to_request, to_reply = [], []
    for i in range(n):
        seen = _pending(stack.local_vault)
        start = time.perf_counter()
        message_id = stack.client_sends(f"Question {i}", f"Hello,\n\nquestion number {i}?\n\nAlice")
        (new,) = wait_until(lambda s=seen: _pending(stack.local_vault) - s, 60, interval=0.02)  # type: ignore[misc]
        to_request.append(time.perf_counter() - start)
        wait_until(lambda a=new.stem: on_dashboard(stack.local_vault, a), 60, interval=0.02)  # type: ignore[misc]
        start = time.perf_counter()
        shutil.move(new, stack.local_vault / "Approved" / new.name)
        wait_until(
            lambda m=message_id: any(x.get("in-reply-to") == m for x in stack.client_inbox()),  # type: ignore[misc]
            60,
            interval=0.05,
        )
        to_reply.append(time.perf_counter() - start)
    return to_request, to_reply


def main(n: int = MAILS) -> None:
    print(f"end-to-end benchmark on {machine()}")
    with tempfile.TemporaryDirectory(prefix="aie-e2e-") as tmp, PlatinumStack(Path(tmp)) as stack:
        kind = (
            "two Syncthing instances (1 s watcher delay)" if stack.sync else "built-in folder sync"
        )
        print(f"  sync: {kind}")
        there, back = sync_hops(stack, HOPS)
        print(line("file written on cloud, seen on laptop", there))
        print(line("file written on laptop, seen on cloud", back))
        stack.start_watcher()
        stack.start_agent("cloud", interval_s=30)
        stack.start_agent("local", interval_s=30)
        time.sleep(4)  # both agents up and through their first pass
        to_request, to_reply = mails(stack, n)
    print(line(f"mail sent → request on laptop ({n} mails)", to_request))
    print(line(f"approval → reply in INBOX ({n} mails)", to_reply))
    p50 = sorted(to_request)[len(to_request) // 2]
    hop = sorted(there)[len(there) // 2]
    print(
        f"  goals: mail→request p50 under 5 s ({'met' if p50 < 5 else 'NOT met'}), "
        f"approval→reply p50 under 2 s "
        f"({'met' if sorted(to_reply)[len(to_reply) // 2] < 2 else 'NOT met'})"
    )
    print(
        f"  of mail→request, one sync hop is {hop / p50:.0%} "
        f"(p50 {hop * 1000:.0f} ms of {p50 * 1000:.0f} ms)"
    )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else MAILS)
