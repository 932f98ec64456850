"""Settings fail with one clear line and no secret; the audit log redacts and never tears."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import SecretStr

from shared.audit import AuditLog, redact, register_secret
from shared.ids import task_id_for

BIN = Path(sys.executable).parent


def _run(cmd: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(BIN / cmd)],
        env={"PATH": os.environ["PATH"], **env},
        capture_output=True,
        text=True,
        timeout=30,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
    )


def test_missing_setting_is_one_clear_line(tmp_path: Path) -> None:
    r = _run("vault-mcp", {"AIE_ROLE": "cloud"}, tmp_path)
    assert r.returncode == 2
    assert r.stderr.strip() == "vault-mcp: setting AIE_VAULT: is not set (required)"


def test_invalid_setting_names_it_without_echoing_secrets(tmp_path: Path) -> None:
    r = _run(
        "vault-mcp",
        {"AIE_ROLE": "boss", "AIE_VAULT": str(tmp_path), "AIE_IMAP_PASSWORD": "hunter2-secret"},
        tmp_path,
    )
    assert r.returncode == 2
    assert r.stderr.startswith("vault-mcp: setting AIE_ROLE: Input should be 'cloud' or 'local'")
    assert "Traceback" not in r.stderr and "hunter2" not in r.stderr


def test_vault_that_does_not_exist(tmp_path: Path) -> None:
    r = _run("vault-mcp", {"AIE_ROLE": "cloud", "AIE_VAULT": str(tmp_path / "nope")}, tmp_path)
    assert r.returncode == 2
    assert "AIE_VAULT" in r.stderr and "ai-employee vault init" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1


def test_redact_removes_secret_keys_and_known_values() -> None:
    register_secret(SecretStr("s3cr3t-value"))
    event = redact(
        {
            "password": "x",
            "api_key": "y",
            "nested": {"Authorization": "Bearer z"},
            "note": "the value s3cr3t-value leaked",
            "items": [SecretStr("a")],
        }
    )
    text = json.dumps(event)
    assert "s3cr3t-value" not in text and '"x"' not in text and "Bearer" not in text
    assert event["note"] == "the value [redacted] leaked"


def _append_many(vault: str, agent: str, n: int) -> None:
    log = AuditLog(Path(vault), agent)
    for i in range(n):
        log.record("test", f"target-{i}", params={"pad": "x" * 3000})


def test_concurrent_writers_never_interleave(tmp_path: Path) -> None:
    ctx = mp.get_context("spawn")
    procs = [
        ctx.Process(target=_append_many, args=(str(tmp_path), "same-agent", 200)) for _ in range(4)
    ]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    (log_file,) = list((tmp_path / "Logs").glob("*.jsonl"))
    lines = log_file.read_bytes().splitlines()
    assert len(lines) == 800
    assert all(json.loads(line)["action"] == "test" for line in lines)


def test_audit_events_merge_agents_in_time_order(tmp_path: Path) -> None:
    from tests.support.clock import FakeClock

    clock = FakeClock()
    a, b = AuditLog(tmp_path, "cloud-agent", clock), AuditLog(tmp_path, "local-agent", clock)
    a.record("one", "t")
    clock.advance(seconds=1)
    b.record("two", "t")
    clock.advance(seconds=1)
    a.record("three", "t")
    assert [e["action"] for e in a.events()] == ["one", "two", "three"]
    assert len(a.files()) == 2


@pytest.mark.parametrize("source", ["<abc@example.test>", "x" * 900, "<é@ü>", "../../etc"])
def test_task_ids_are_stable_safe_file_names(source: str) -> None:
    tid = task_id_for("email", source)
    assert tid == task_id_for("email", source)
    assert tid.startswith("email-") and "/" not in tid and "." not in tid and len(tid) <= 64


def test_json_log_lines_are_structured_and_scrubbed(monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import json
    import logging

    from shared.audit import register_secret
    from shared.serving import setup_logging

    monkeypatch.setenv("AIE_LOG_FORMAT", "json")
    register_secret("hunter2-imap-password")
    root = logging.getLogger()
    saved, saved_level = root.handlers[:], root.level
    try:
        setup_logging()
        logging.getLogger("ai-employee").warning("login with %s failed", "hunter2-imap-password")
    finally:
        root.handlers[:], root.level = saved, saved_level
    (line,) = capsys.readouterr().err.strip().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "WARNING" and entry["logger"] == "ai-employee"
    assert "hunter2" not in line and "failed" in entry["message"]
