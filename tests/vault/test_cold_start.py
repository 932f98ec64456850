"""A stdio server answers ``initialize`` and ``tools/list`` from the record of its last start
with the same code, arguments and settings (shared/cold_start.py), while the SDK loads; the
real server checks the record and corrects it. Spoken to in raw JSON lines, as Claude Code
does, so that every message the client gets is seen."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from orchestrator.vault_init import init_vault
from tests.support.claude_cli import DEAD

BIN = Path(sys.executable).parent
HELLO = {
    "protocolVersion": "2025-06-18",
    "capabilities": {},
    "clientInfo": {"name": "test", "version": "1"},
}


class Stdio:
    """One server process and the messages it wrote."""

    def __init__(self, program: str, env: dict[str, str], *args: str) -> None:
        self.process = subprocess.Popen(
            [str(BIN / program), *args],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
        self.seen: list[dict[str, Any]] = []

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write((json.dumps({"jsonrpc": "2.0", **message}) + "\n").encode())
        self.process.stdin.flush()

    def ask(self, key: int, method: str, params: dict[str, Any] | None = None) -> Any:
        self.send({"id": key, "method": method, "params": params or {}})
        while True:
            assert self.process.stdout is not None
            line = self.process.stdout.readline()
            assert line, f"the server ended: {self.close()}"
            message = json.loads(line)
            self.seen.append(message)
            if message.get("id") == key:
                assert "result" in message, message
                return message["result"]

    def begin(self) -> list[str]:
        """The handshake and the first tool list: the names of the tools."""
        self.ask(1, "initialize", HELLO)
        self.send({"method": "notifications/initialized"})
        return [tool["name"] for tool in self.ask(2, "tools/list")["tools"]]

    def close(self) -> str:
        assert self.process.stdin is not None and self.process.stderr is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        return self.process.stderr.read().decode()

    def notified(self) -> bool:
        return any(m.get("method") == "notifications/tools/list_changed" for m in self.seen)


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    vault = tmp_path / "Vault"
    init_vault(vault)
    return {
        "PATH": os.environ["PATH"],
        "HOME": str(tmp_path / "home"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "AIE_ROLE": "local",
        "AIE_VAULT": str(vault),
    }


def records(env: dict[str, str]) -> list[Path]:
    return sorted((Path(env["XDG_STATE_HOME"]) / "ai-employee" / "cold-start").glob("*.json"))


@pytest.fixture
def recorded(env: dict[str, str]) -> Iterator[tuple[list[str], Path]]:
    """A first start, which records its answers: its tool names and the record."""
    first = Stdio("vault-mcp", env)
    names = first.begin()
    assert first.close() == ""
    (record,) = records(env)
    yield names, record


def test_a_second_start_answers_from_the_record_and_the_server_corrects_it(
    env: dict[str, str], recorded: tuple[list[str], Path]
) -> None:
    names, record = recorded
    data = json.loads(record.read_text("utf-8"))
    assert [t["name"] for t in data["tools"]["tools"]] == names
    # the record is changed behind the server's back: the next start lists what it says
    ghost = dict(data["tools"]["tools"][0], name="ghost_tool")
    data["tools"]["tools"].append(ghost)
    record.write_text(json.dumps(data), "utf-8")

    second = Stdio("vault-mcp", env)
    assert second.begin() == [*names, "ghost_tool"]  # answered from the record
    # the real server, once loaded, serves the calls and has set the record right
    assert second.ask(3, "tools/call", {"name": "task_list", "arguments": {}})["structuredContent"]
    assert second.notified()  # the client is told to list again...
    assert [t["name"] for t in second.ask(4, "tools/list")["tools"]] == names  # ...and does
    assert second.close() == ""
    assert [t["name"] for t in json.loads(record.read_text("utf-8"))["tools"]["tools"]] == names

    # positive control: a record that is right is used as is, and nobody is told anything
    third = Stdio("vault-mcp", env)
    assert third.begin() == names
    third.ask(3, "tools/call", {"name": "task_list", "arguments": {}})
    assert not third.notified()
    third.close()


def test_other_settings_never_get_another_starts_answers(
    env: dict[str, str], recorded: tuple[list[str], Path]
) -> None:
    names, _ = recorded
    assert "approval_decide" in names  # a laptop's vault server, which a person uses
    cloud = Stdio("vault-mcp", env | {"AIE_ROLE": "cloud"})
    listed = cloud.begin()
    assert "approval_decide" not in listed and set(listed) < set(names)
    assert not cloud.notified()
    cloud.close()
    # the arguments are part of the key too: an agent's server is unattended
    agent = Stdio("vault-mcp", env, "--unattended")
    answer = agent.ask(1, "initialize", HELLO)
    assert answer["capabilities"]["tools"]["listChanged"] is False  # the server's own
    agent.send({"method": "notifications/initialized"})
    assert "approval_decide" not in [t["name"] for t in agent.ask(2, "tools/list")["tools"]]
    agent.close()


def test_no_secret_reaches_the_record(env: dict[str, str], tmp_path: Path) -> None:
    secret = "pw-" + os.urandom(12).hex()
    settings = env | DEAD | {"AIE_IMAP_PASSWORD": secret, "AIE_SMTP_PASSWORD": secret}
    first = Stdio("email-mcp", settings)
    assert "mail_list" in first.begin()
    first.close()
    (record,) = records(env)
    found = record.name + record.read_text("utf-8")
    assert secret not in found
    # positive control: the same start with another password is the same key...
    again = Stdio("email-mcp", settings | {"AIE_IMAP_PASSWORD": secret + "x"})
    again.begin()
    again.close()
    assert records(env) == [record]
    # ...and with a setting that is no secret, another one
    other = Stdio("email-mcp", settings | {"AIE_IMAP_FOLDER_DRAFTS": "Brouillons"})
    other.begin()
    other.close()
    assert records(env) != [record]


def test_a_client_of_another_protocol_version_adds_its_answer_to_the_record(
    env: dict[str, str], recorded: tuple[list[str], Path]
) -> None:
    names, record = recorded
    older = Stdio("vault-mcp", env)
    older.ask(1, "initialize", HELLO | {"protocolVersion": "2025-03-26"})
    older.send({"method": "notifications/initialized"})
    assert [t["name"] for t in older.ask(2, "tools/list")["tools"]] == names
    older.close()
    answers = json.loads(record.read_text("utf-8"))["initialize"]
    assert set(answers) == {"2025-06-18", "2025-03-26"}  # the first client's is kept
    assert answers["2025-03-26"]["protocolVersion"] == "2025-03-26"
