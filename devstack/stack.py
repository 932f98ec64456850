"""The whole Platinum setup on one machine, for the demo, the end-to-end tests and the
benchmark: two vault replicas synced by two real Syncthing instances on loopback, a real
Dovecot + SMTP relay and the Odoo stand-in as their own processes, and the two agents as
child processes of their own (``ai-employee cloud`` / ``ai-employee local``).

The mail servers, the Odoo stand-in and the scripted model live in this package and are
started here as processes (``python -m devstack...``), never imported by the agents: they
talk to them over the wire exactly as they would to a real mail provider and a real Odoo.
Everything runs from an installed wheel as well as from a checkout.
"""

from __future__ import annotations

import imaplib
import importlib.util
import json
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from email.message import EmailMessage
from email.utils import make_msgid
from pathlib import Path
from typing import IO, Any

from devstack.folder_sync import FolderSync
from devstack.syncpair import SyncPair, syncthing_available
from orchestrator.vault_init import init_vault

__all__ = ["PlatinumStack", "Say"]

BIN = Path(sys.executable).parent
Say = Callable[[str, str], None]
CLAUDE_VERSION = "2.1.331"
# scripts/bootstrap.sh pins the CLI here in a checkout; an installed package looks on PATH.
CHECKOUT_CLAUDE = Path(__file__).resolve().parent.parent / ".tools" / "node_modules" / ".bin"
OPS, CLIENT = "ops@example.test", "client@example.test"


def _quiet(who: str, text: str) -> None:
    pass


def claude_cli() -> Path | None:
    """The Claude Code CLI the demo drives: ``AIE_CLAUDE_COMMAND``, the checkout's pinned
    one, or ``claude`` on PATH."""
    named = os.environ.get("AIE_CLAUDE_COMMAND")
    if named:
        return Path(named)
    pinned = CHECKOUT_CLAUDE / "claude"
    if pinned.is_file():
        return pinned
    found = shutil.which("claude")
    return Path(found) if found else None


def missing_parts() -> list[str]:
    """What this machine lacks to run the stack, each with how to get it (empty: ready)."""
    missing = [
        f"the Python package {name} (install the demo extra: pip install 'ai-employee[demo]')"
        for name in ("aiosmtpd", "trustme")
        if importlib.util.find_spec(name) is None
    ]
    if not missing:
        from devstack.mail_servers import dovecot_available

        if not dovecot_available():
            missing.append(
                "Dovecot (apt-get install dovecot-imapd, or scripts/bootstrap.sh as root)"
            )
    return missing


class _Service:
    """A child process that prints one line when it is ready."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.name = argv[2] if len(argv) > 2 else argv[0]
        self.log = log.open("ab")
        self.proc = subprocess.Popen(
            argv,
            cwd=log.parent,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log,
        )

    def ready_line(self, timeout: float = 60.0) -> str:
        stdout = self.proc.stdout
        assert stdout is not None
        found: list[str] = []
        reader = threading.Thread(target=lambda: found.append(stdout.readline().decode()))
        reader.start()
        reader.join(timeout)
        if not found or not found[0]:
            self.stop()
            raise RuntimeError(f"{self.name} did not start; see {self.log.name}")
        return found[0]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.log.close()


class PlatinumStack:
    def __init__(
        self,
        workdir: Path,
        say: Say = _quiet,
        use_syncthing: bool | None = None,
        claude_code: bool = False,
    ) -> None:
        self.workdir = workdir.resolve()
        self.claude_code = claude_code
        self.model_url = ""
        self.claude_command = ""
        self.model_record = self.workdir / "logs" / "model-requests.jsonl"
        self.say = say
        self.cloud_vault = self.workdir / "cloud" / "Vault"
        self.local_vault = self.workdir / "local" / "Vault"
        self.logs = self.workdir / "logs"
        self.use_syncthing = (
            syncthing_available() is not None if use_syncthing is None else use_syncthing
        )
        self.sync: SyncPair | None = None
        self._fallback: FolderSync | None = None
        self._fallback_stop = threading.Event()
        self.mail_users: dict[str, dict[str, str]] = {}
        self.ca_file = ""
        self.odoo_url = ""
        self._services: list[_Service] = []
        self.agents: dict[str, subprocess.Popen[bytes]] = {}
        self._agent_logs: dict[str, IO[bytes]] = {}

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> PlatinumStack:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        for vault in (self.cloud_vault, self.local_vault):
            init_vault(vault)
        self._start_sync()
        mail = _Service([sys.executable, "-m", "devstack.mail_process"], self.logs / "mail.log")
        self._services.append(mail)
        info = json.loads(mail.ready_line())
        self.mail_users, self.ca_file = info["users"], info["ca_file"]
        self.say("mail", "Dovecot (IMAPS) and an SMTP relay on loopback")
        odoo = _Service(
            [sys.executable, "-m", "devstack.odoo_standin", "--port", "0", "--db", "acme"],
            self.logs / "odoo.log",
        )
        self._services.append(odoo)
        line = odoo.ready_line()
        self.odoo_url = line.split("listening on ", 1)[1].split()[0]
        self.say("odoo", f"Odoo stand-in (Odoo 17 JSON-RPC) at {self.odoo_url}")
        if self.claude_code:
            self._start_model()

    def _start_model(self) -> None:
        """The scripted model Claude Code talks to, and the pinned CLI that talks to it."""
        cli = claude_cli()
        if cli is None or not cli.is_file():
            raise RuntimeError(
                "the Claude Code CLI was not found: run scripts/bootstrap.sh in a checkout, "
                "put `claude` on PATH or set AIE_CLAUDE_COMMAND"
            )
        self.claude_command = str(cli)
        model = _Service(
            [
                sys.executable,
                "-m",
                "devstack.scripted_model",
                "--port",
                "0",
                "--record",
                str(self.model_record),
            ],
            self.logs / "model.log",
        )
        self._services.append(model)
        self.model_url = model.ready_line().split("listening on ", 1)[1].split()[0]
        self.say(
            "model",
            f"Claude Code {CLAUDE_VERSION}; its model: a scripted Messages API at {self.model_url}",
        )

    def _start_sync(self) -> None:
        if self.use_syncthing:
            self.sync = SyncPair(self.cloud_vault, self.local_vault, self.workdir / "syncthing")
            self.sync.start()
            self.sync.wait_connected(timeout=60)
            self.say(
                "sync", "two Syncthing instances on loopback share the vault (1 s watcher delay)"
            )
            return
        self.say(
            "sync",
            "[bold red]Syncthing is not installed: the replicas are synced by the built-in "
            "folder sync (Syncthing's rules, once a second) instead[/]",
        )
        self._fallback = FolderSync(self.cloud_vault, self.local_vault)

        def loop() -> None:
            while not self._fallback_stop.wait(1.0):
                if self._fallback is not None:
                    self._fallback.sync()

        threading.Thread(target=loop, daemon=True).start()

    def stop(self) -> None:
        for role in list(self.agents):
            self.stop_agent(role)
        for service in reversed(self._services):
            service.stop()
        self._services.clear()
        self._fallback_stop.set()
        if self.sync is not None:
            self.sync.stop()
            self.sync = None

    # -- sync control --------------------------------------------------------------------------
    def disconnect(self) -> None:
        if self.sync is not None:
            self.sync.pause_all()
        else:
            self._fallback_stop.set()

    def reconnect(self) -> None:
        if self.sync is not None:
            self.sync.resume_all()
        elif self._fallback is not None:
            self._fallback_stop = threading.Event()
            self._start_sync()

    def wait_synced(self, timeout: float = 60.0) -> float:
        if self.sync is not None:
            return self.sync.wait_until_synced(timeout)
        start = time.monotonic()
        assert self._fallback is not None
        self._fallback.sync()
        return time.monotonic() - start

    # -- agents --------------------------------------------------------------------------------
    def env(self, role: str) -> dict[str, str]:
        ops = self.mail_users[OPS]
        env = {k: v for k, v in os.environ.items() if not k.startswith("AIE_")}
        env |= {k: v for k, v in ops.items() if k.startswith("AIE_IMAP")}
        vault = self.cloud_vault if role == "cloud" else self.local_vault
        env |= {
            "AIE_ROLE": role,
            "AIE_VAULT": str(vault),
            "AIE_ODOO_URL": self.odoo_url,
            "AIE_ODOO_DB": "acme",
        }
        if role == "cloud":  # read and draft only: no SMTP, an Odoo user that cannot post
            env |= {"AIE_ODOO_USER": "drafter", "AIE_ODOO_PASSWORD": "acme-drafter-api-key"}
        else:
            env |= {k: v for k, v in ops.items() if k.startswith("AIE_SMTP")}
            env |= {"AIE_ODOO_USER": "admin", "AIE_ODOO_PASSWORD": "acme-admin-api-key"}
        if self.claude_code:
            home = self.workdir / "claude-home"  # never the person's own Claude settings
            home.mkdir(exist_ok=True)
            env |= {
                "AIE_CLAUDE_CODE": "1",
                "AIE_CLAUDE_COMMAND": self.claude_command,
                "HOME": str(home),
                "ANTHROPIC_BASE_URL": self.model_url,
                "ANTHROPIC_API_KEY": "sk-scripted-model",
                "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC": "1",
            }
        return env

    def start_agent(self, role: str, interval_s: float = 1.0, **extra: str) -> None:
        self._spawn(role, role, [role, "--interval", str(interval_s)], extra)

    def start_watcher(self, cycle_s: float = 25.0) -> None:
        """The cloud's inbox watcher (IMAP IDLE), as PM2 runs it beside the cloud agent."""
        self._spawn("watcher", "cloud", ["watch", "--cycle", str(cycle_s)], {})

    def _spawn(self, name: str, role: str, args: list[str], extra: dict[str, str]) -> None:
        log = (self.logs / f"{name}.log").open("ab")
        self._agent_logs[name] = log
        self.agents[name] = subprocess.Popen(
            [str(BIN / "ai-employee"), *args], env=self.env(role) | extra, stdout=log, stderr=log
        )

    def stop_agent(self, role: str) -> None:
        proc = self.agents.pop(role, None)
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
        log = self._agent_logs.pop(role, None)
        if log:
            log.close()

    # -- the outside world ---------------------------------------------------------------------
    def _tls(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.ca_file)

    def client_sends(self, subject: str, body: str) -> str:
        """The customer writes to the business, through the SMTP relay; returns the Message-ID."""
        user = self.mail_users[CLIENT]
        msg = EmailMessage()
        msg["From"] = f"Alice Client <{CLIENT}>"
        msg["To"] = f"Acme Ops <{OPS}>"
        msg["Subject"] = subject
        msg["Message-ID"] = make_msgid(domain="client.example.test")
        msg.set_content(body)
        with smtplib.SMTP_SSL(
            user["AIE_SMTP_HOST"], int(user["AIE_SMTP_PORT"]), context=self._tls()
        ) as smtp:
            smtp.login(CLIENT, user["AIE_SMTP_PASSWORD"])
            smtp.send_message(msg)
        return str(msg["Message-ID"])

    def client_inbox(self) -> list[dict[str, str]]:
        """Subject, In-Reply-To and Message-ID of each mail in the customer's INBOX."""
        user = self.mail_users[CLIENT]
        with imaplib.IMAP4_SSL(
            user["AIE_IMAP_HOST"], int(user["AIE_IMAP_PORT"]), ssl_context=self._tls()
        ) as imap:
            imap.login(CLIENT, user["AIE_IMAP_PASSWORD"])
            imap.select("INBOX", readonly=True)
            _, data = imap.uid(
                "FETCH", "1:*", "(BODY.PEEK[HEADER.FIELDS (SUBJECT IN-REPLY-TO MESSAGE-ID)])"
            )
        found = []
        for item in data:
            if isinstance(item, tuple):
                headers: dict[str, str] = {}
                for line in item[1].decode(errors="replace").splitlines():
                    if ":" in line:
                        name, value = line.split(":", 1)
                        headers[name.strip().lower()] = value.strip()
                found.append(headers)
        return found


def on_dashboard(vault: Path, approval_id: str) -> bool:
    """The local agent lists the request on Dashboard.md: the laptop has seen it waiting,
    and this is where the person finds it."""
    try:
        return approval_id in (vault / "Dashboard.md").read_text("utf-8")
    except OSError:
        return False


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> Any:
    """Poll until ``predicate()`` is truthy; return its value, or raise TimeoutError."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise TimeoutError(f"not within {timeout:g} s")
