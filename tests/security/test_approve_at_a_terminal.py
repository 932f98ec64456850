"""``ai-employee approve ID`` and ``ai-employee reject ID --reason TEXT``: a person at a
terminal on the laptop reads the laptop's rendering and confirms. With no terminal (a
script, a pipe, an agent's shell) nothing can be decided."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

from shared.settings import CoreSettings
from shared.vault import Vault
from shared.vault_files import read_doc

BIN = Path(sys.executable).parent


def _request(vault: Path, amount: float, subject: str = "Re: October") -> str:
    cloud = Vault(CoreSettings(role="cloud", vault=vault))
    task, _ = cloud.tasks.create("email", f"Reply {amount}", "b", source_id=f"<{amount}@x>")
    cloud.claims.claim(task.id)
    params = {
        "from": "ops@example.test",
        "to": ["alice@example.test"],
        "subject": f"{subject} \u202e{amount}",
        "body": "Attached.\n",
        "message_id": f"<r{amount}@example.test>",
    }
    approval, _ = cloud.request_approval(task.id, "send_email", params, "Send it", ("body",))
    return approval.id


def _env(vault: Path, role: str = "local") -> dict[str, str]:
    return dict(os.environ, AIE_ROLE=role, AIE_VAULT=str(vault), COLUMNS="100")


def _at_a_terminal(args: list[str], env: dict[str, str], answer: str) -> tuple[int, str]:
    """Run ``ai-employee ARGS`` on a pseudo-terminal; type ``answer`` at its question."""
    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [str(BIN / "ai-employee"), *args], stdin=slave, stdout=slave, stderr=slave, env=env
    )
    os.close(slave)
    screen, answered = b"", False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            screen += chunk
        if not answered and b"[y/N]" in screen:
            os.write(master, answer.encode() + b"\n")
            answered = True
        if proc.poll() is not None and not ready:
            break
    os.close(master)
    return proc.wait(10), screen.decode("utf-8", "replace").replace("\r\n", "\n")


def test_a_person_approves_what_the_laptop_shows(vault_path: Path) -> None:
    approval_id = _request(vault_path, 48000)
    code, screen = _at_a_terminal(["approve", approval_id], _env(vault_path), "y")
    assert code == 0, screen
    assert "as this laptop renders it from its parameters" in screen
    assert "alice@example.test" in screen and "<U+202E>48000" in screen  # shown, not obeyed
    assert "Approved: Approved/" in screen
    meta = read_doc(vault_path / "Approved" / f"{approval_id}.md").meta
    assert meta["decided_via"] == "terminal" and meta["decided_by"] == "owner"


def test_no_answer_no_decision(vault_path: Path) -> None:
    approval_id = _request(vault_path, 10)
    code, screen = _at_a_terminal(["approve", approval_id], _env(vault_path), "n")
    assert code == 1 and "Nothing recorded." in screen
    assert (vault_path / "Pending_Approval" / "email" / f"{approval_id}.md").is_file()
    code, screen = _at_a_terminal(
        ["reject", approval_id, "--reason", "wrong amount"], _env(vault_path), "yes"
    )
    assert code == 0, screen
    meta = read_doc(vault_path / "Rejected" / f"{approval_id}.md").meta
    assert meta["reason"] == "wrong amount" and meta["decided_via"] == "terminal"


def test_no_terminal_no_decision(vault_path: Path) -> None:
    """What an agent's shell or a script could do: pipe a 'y' in. Refused."""
    approval_id = _request(vault_path, 20)
    done = subprocess.run(
        [str(BIN / "ai-employee"), "approve", approval_id],
        input="y\n",
        env=_env(vault_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "needs a person at a terminal" in done.stdout
    assert (vault_path / "Pending_Approval" / "email" / f"{approval_id}.md").is_file()


def test_not_on_the_cloud_and_not_an_altered_request(vault_path: Path) -> None:
    approval_id = _request(vault_path, 30)
    code, screen = _at_a_terminal(["approve", approval_id], _env(vault_path, "cloud"), "y")
    assert code == 2 and "decisions are made on the laptop" in screen
    pending = vault_path / "Pending_Approval" / "email" / f"{approval_id}.md"
    head, body = pending.read_text().split("\n---\n", 1)  # the text a person reads changes
    pending.write_text(head + "\n---\n" + body.replace("alice@example.test", "bob@example.test"))
    code, screen = _at_a_terminal(["approve", approval_id], _env(vault_path), "y")
    assert code == 1 and "cannot be approved" in screen, screen
    assert pending.is_file()
    # positive control: the altered request can be rejected
    code, _ = _at_a_terminal(["reject", approval_id, "--reason", "altered"], _env(vault_path), "y")
    assert code == 0 and (vault_path / "Rejected" / pending.name).is_file()
