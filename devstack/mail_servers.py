"""A private Dovecot (IMAP, IMAPS, STARTTLS) and an aiosmtpd relay that delivers into it.

Started by the test fixtures and by the demo, on loopback ports, in a throwaway folder.
Follows ../shared/notes/mail-servers.md: root and non-root configs, ``killpg`` to stop,
``PR_SET_PDEATHSIG`` so a killed test run leaves no Dovecot behind, delivery through
``dovecot-lda`` so a test sees the reply arrive in the recipient's INBOX.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import ctypes
import email
import email.policy
import errno
import grp
import json
import logging
import os
import pwd
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from devstack.oauth_provider import OAuthProvider
from servers.email_mcp import mutf7

warnings.filterwarnings("ignore", message="Requiring AUTH while not requiring TLS")
logging.getLogger("mail.log").setLevel(logging.ERROR)

DOVECOT = "/usr/sbin/dovecot"
LDA = "/usr/lib/dovecot/dovecot-lda"
# The folders of each provider's mailboxes (../shared/notes/mail-providers.md): Gmail's under
# [Gmail]/ with "/" between levels, Outlook's localized (German here: non-ASCII names).
_SENT = "special_use = \\Sent"
PROFILES = {
    "plain": {"separator": ".", "drafts": "Drafts", "sent": "Sent", "sent_flag": _SENT},
    "gmail": {
        "separator": "/",
        "drafts": "[Gmail]/Drafts",
        "sent": "[Gmail]/Sent Mail",
        "sent_flag": _SENT,
    },
    "outlook": {
        "separator": "/",
        "drafts": "Entwürfe",
        "sent": "Gesendete Elemente",
        "sent_flag": _SENT,
    },
    # a server whose Sent folder is neither marked \Sent nor named so (the tests' error case)
    "unmarked": {"separator": ".", "drafts": "Drafts", "sent": "Copies", "sent_flag": ""},
}
DEFAULT_USERS = {
    "ops@example.test": "ops-pw",
    "client@example.test": "client-pw",
    "bob@example.test": "bob-pw",
}

CONFIG = """\
base_dir = {run}/base
state_dir = {run}/state
log_path = {run}/dovecot.log
protocols = imap
listen = 127.0.0.1
first_valid_uid = {uid}
default_internal_user = {user}
default_internal_group = {group}
default_login_user = {login_user}
ssl = yes
ssl_cert = <{run}/cert.pem
ssl_key = <{run}/key.pem
disable_plaintext_auth = no
auth_failure_delay = 0
lda_mailbox_autocreate = yes
mail_max_userip_connections = 100
{oauth_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN {run}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={run}/home/%u allow_all_users=yes
}}
mail_location = maildir:~/Maildir
namespace inbox {{
  inbox = yes
  separator = {separator}
  mailbox "{drafts}" {{
    auto = create
    special_use = \\Drafts
  }}
  mailbox "{sent}" {{
    auto = create
    {sent_flag}
  }}
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    port = {imap_port}
  }}
  inet_listener imaps {{
    port = {imaps_port}
  }}
}}
service anvil {{
  chroot =
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


# SASL XOAUTH2 and OAUTHBEARER, the tokens checked against the OAuth provider's RFC 7662
# introspection endpoint (../shared/notes/mail-providers.md)
OAUTH_PASSDB = """auth_mechanisms = plain login xoauth2 oauthbearer
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {run}/oauth2.conf.ext
}}
"""
OAUTH_CONF = """introspection_mode = post
introspection_url = {url}
force_introspection = yes
username_attribute = email
active_attribute = active
active_value = true
"""


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port free now and not handed out before by this process.

    The kernel may give the same ephemeral port to two binds in a row once the first socket
    is closed; two listeners of one server picked that way collide (Dovecot refuses the
    configuration: "duplicate listener").
    """
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def _die_with_parent() -> None:
    libc = ctypes.CDLL("libc.so.6", use_errno=True)
    libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


class _PortTaken(RuntimeError):
    """Another process bound a port between our picking it and our binding it."""


def dovecot_available() -> bool:
    return Path(DOVECOT).exists() and Path(LDA).exists()


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes


class _Relay:
    """aiosmtpd handler: refuse unknown recipients, record, deliver through dovecot-lda."""

    def __init__(self, servers: MailServers) -> None:
        self.servers = servers

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802
        """SASL XOAUTH2 as Gmail and Microsoft do it: a refused token gets a 334 challenge
        with a JSON error, the client answers with an empty line, then 535."""
        initial = args[1] if len(args) > 1 else ""
        if not initial:
            answer = await server.challenge_auth("", encode_to_b64=False)
            initial = answer.decode() if isinstance(answer, bytes) else ""
        try:
            fields = dict(
                part.split("=", 1)
                for part in base64.b64decode(initial).decode().split("\x01")
                if "=" in part
            )
        except ValueError:
            fields = {}
        user = fields.get("user", "")
        token = fields.get("auth", "").removeprefix("Bearer ")
        oauth = self.servers.oauth
        if oauth is not None and user and oauth.user_of(token) == user:
            return AuthResult(
                success=True, handled=False, auth_data=LoginPassword(user.encode(), b"")
            )
        error = json.dumps({"status": "401", "schemes": "bearer", "scope": "mail"})
        await server.challenge_auth(error, encode_to_b64=True)
        return AuthResult(success=False, handled=False)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() not in self.servers.users:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        data = bytes(envelope.original_content or envelope.content)
        profile, reply = self.servers.profile, "250 Message accepted for delivery"
        if profile == "outlook":  # Microsoft rewrites the Message-ID and says the new one
            data, new_id = _rewrite_message_id(data)
            reply = f"250 2.0.0 OK {new_id} [Hostname=AM0PR01MB0001.eurprd01.prod.outlook.com]"
        self.servers.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), data))
        for rcpt in envelope.rcpt_tos:
            code = await self.servers.deliver_async(rcpt, data, envelope.mail_from)
            if code != 0:
                return "451 4.3.0 Local delivery failed"
        auth = getattr(session, "auth_data", None)
        sender = auth.login.decode("utf-8", "replace") if isinstance(auth, LoginPassword) else ""
        if profile in ("gmail", "outlook") and sender in self.servers.users:
            # both providers file their own copy of what was submitted in Sent
            copy = await self.servers.deliver_async(
                sender, data, envelope.mail_from, self.servers.sent
            )
            if copy != 0:
                return "451 4.3.0 Filing the Sent copy failed"
        return reply


def _rewrite_message_id(data: bytes) -> tuple[bytes, str]:
    """The mail with a Message-ID of Microsoft's, the original kept as
    X-Microsoft-Original-Message-ID; and the new id."""
    message = email.message_from_bytes(data, policy=email.policy.compat32)
    original = message["Message-ID"]
    new_id = f"<{secrets.token_hex(10).upper()}@AM0PR01MB0001.eurprd01.prod.outlook.com>"
    if original:
        message["X-Microsoft-Original-Message-ID"] = original
        message.replace_header("Message-ID", new_id)
    else:
        message["Message-ID"] = new_id
    return message.as_bytes(), new_id


def real_clock_env() -> dict[str, str]:
    """This environment without libfaketime: the shifted-clock run (make test) moves our
    processes' clock, not the mail server's, as on a real machine whose clock is off.
    Dovecot itself stops answering after a few seconds under libfaketime."""
    return {
        k: v for k, v in os.environ.items() if k != "LD_PRELOAD" and not k.startswith("FAKETIME")
    }


@dataclass
class MailServers:
    """Dovecot + three SMTP listeners (STARTTLS submission, SMTPS, plain) on loopback."""

    users: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_USERS))
    host: str = "127.0.0.1"
    run_dir: Path = field(default_factory=lambda: Path(tempfile.mkdtemp(prefix="aie-mail-")))
    imap_port: int = field(default_factory=free_port)
    imaps_port: int = field(default_factory=free_port)
    smtp_port: int = field(default_factory=free_port)
    smtps_port: int = field(default_factory=free_port)
    smtp_plain_port: int = field(default_factory=free_port)
    deliveries: list[Delivery] = field(default_factory=list)
    profile: str = "plain"
    oauth: OAuthProvider | None = None  # XOAUTH2 on IMAP and SMTP, checked against it

    def __post_init__(self) -> None:
        self.run_dir.chmod(0o755)
        self.ca = trustme.CA()
        leaf = self.ca.issue_cert("127.0.0.1", "localhost")
        leaf.private_key_pem.write_to_path(str(self.run_dir / "key.pem"))
        leaf.cert_chain_pems[0].write_to_path(str(self.run_dir / "cert.pem"))
        self.ca_file = self.run_dir / "ca.pem"
        self.ca.cert_pem.write_to_path(str(self.ca_file))
        self._server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        leaf.configure_cert(self._server_ctx)
        self.conf = self.run_dir / "dovecot.conf"
        self._proc: subprocess.Popen[bytes] | None = None
        self._controllers: list[Controller] = []

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> MailServers:
        if not dovecot_available():
            raise RuntimeError("Dovecot is not installed (Debian package dovecot-imapd)")
        # A port picked free can be taken before we bind it (parallel test workers do it):
        # then pick new ones and try again.
        tries_left = 5
        while True:
            try:
                self._write_config()
                self._start_dovecot()
                self._start_smtp()
                return self
            except _PortTaken:
                self._stop_listeners()
                tries_left -= 1
                if not tries_left:
                    raise
                for name in ("imap", "imaps", "smtp", "smtps", "smtp_plain"):
                    setattr(self, f"{name}_port", free_port())

    def stop(self) -> None:
        self._stop_listeners()
        shutil.rmtree(self.run_dir, ignore_errors=True)

    def _stop_listeners(self) -> None:
        for controller in self._controllers:
            with contextlib.suppress(Exception):
                controller.stop()
        self._controllers.clear()
        self._stop_dovecot()

    def restart_imap(self, down_for_s: float = 0.0) -> None:
        """Stop Dovecot and start it again on the same ports and mailboxes."""
        self._stop_dovecot()
        time.sleep(down_for_s)
        self._start_dovecot()

    def stop_imap(self) -> None:
        self._stop_dovecot()

    def start_imap(self) -> None:
        self._start_dovecot()

    def __enter__(self) -> MailServers:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _write_config(self) -> None:
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            user = group = "dovecot"
            login_user, uid, gid = "dovenull", entry.pw_uid, entry.pw_gid
        else:
            entry = pwd.getpwuid(os.geteuid())
            user, group = entry.pw_name, grp.getgrgid(entry.pw_gid).gr_name
            login_user, uid, gid = user, entry.pw_uid, entry.pw_gid
        home = self.run_dir / "home"
        home.mkdir(exist_ok=True)
        if os.geteuid() == 0:
            os.chown(home, uid, gid)
        self._write_users()
        self.conf.write_text(
            CONFIG.format(
                run=self.run_dir,
                uid=uid,
                gid=gid,
                user=user,
                group=group,
                login_user=login_user,
                imap_port=self.imap_port,
                imaps_port=self.imaps_port,
                oauth_passdb=OAUTH_PASSDB.format(run=self.run_dir) if self.oauth else "",
                **PROFILES[self.profile],
            )
        )
        if self.oauth is not None:
            conf = OAUTH_CONF.format(url=self.oauth.introspection_url)
            (self.run_dir / "oauth2.conf.ext").write_text(conf)

    def _write_users(self) -> None:
        lines = [f"{name}:{{PLAIN}}{pw}::::::" for name, pw in self.users.items()]
        (self.run_dir / "users").write_text("\n".join(lines) + "\n")

    def _start_dovecot(self) -> None:
        self._proc = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.conf)],
            env=real_clock_env(),
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                out = self._proc.stdout.read().decode() if self._proc.stdout else ""
                self._proc = None
                if "Address already in use" in out or "duplicate listener" in out:
                    raise _PortTaken(out)
                raise RuntimeError(f"dovecot exited: {out}")
            try:
                with socket.create_connection((self.host, self.imap_port), timeout=1) as s:
                    if s.recv(64).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.01)
        raise RuntimeError("dovecot did not greet within 15 s")

    def _stop_dovecot(self) -> None:
        if self._proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self._proc.pid, signal.SIGTERM)
        self._proc.wait(10)
        self._proc = None

    def _start_smtp(self) -> None:
        users = self.users

        def auth(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
            ok = (
                isinstance(data, LoginPassword)
                and users.get(data.login.decode()) == data.password.decode()
            )
            return AuthResult(success=ok, handled=False, auth_data=data)

        relay = _Relay(self)
        common: dict[str, Any] = {
            "hostname": self.host,
            "authenticator": auth,
            "auth_required": True,
        }
        self._controllers = [
            Controller(
                relay,
                port=self.smtp_port,
                tls_context=self._server_ctx,
                require_starttls=True,
                **common,
            ),
            Controller(
                relay,
                port=self.smtps_port,
                ssl_context=self._server_ctx,
                auth_require_tls=False,
                **common,
            ),
            Controller(relay, port=self.smtp_plain_port, auth_require_tls=False, **common),
        ]
        for controller in self._controllers:
            try:
                controller.start()
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise _PortTaken(str(error)) from None
                raise

    # -- mail ------------------------------------------------------------------------------------
    def add_user(self, address: str, password: str) -> None:
        """Add a mailbox user; the passwd file is re-read about once a second."""
        self.users[address] = password
        self._write_users()
        time.sleep(1.1)

    def deliver(self, to: str, message: bytes, mail_from: str = "sender@example.test") -> None:
        """Put a message into a user's INBOX as an MTA would (dovecot-lda)."""
        code = subprocess.run(
            [LDA, "-c", str(self.conf), "-d", to, "-f", mail_from],
            input=message,
            env=real_clock_env(),
            capture_output=True,
            timeout=30,
        )
        if code.returncode != 0:
            raise RuntimeError(f"dovecot-lda failed: {code.stderr.decode()}")

    def deliver_to_maildir(self, to: str, message: bytes) -> None:
        """Drop a message into ``Maildir/new`` as an MTA would, even while Dovecot is down."""
        new = self.maildir(to) / "new"
        new.mkdir(parents=True, exist_ok=True)
        path = new / f"{time.time_ns()}.P{os.getpid()}.aie-test"
        path.write_bytes(message)
        if os.geteuid() == 0:
            entry = pwd.getpwnam("dovecot")
            os.chown(path, entry.pw_uid, entry.pw_gid)

    async def deliver_async(
        self, to: str, message: bytes, mail_from: str, folder: str | None = None
    ) -> int:
        into = ["-m", folder] if folder else []
        proc = await asyncio.create_subprocess_exec(
            LDA,
            "-c",
            str(self.conf),
            "-d",
            to,
            "-f",
            mail_from,
            *into,
            env=real_clock_env(),
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        await proc.communicate(message)
        return proc.returncode or 0

    def client_ssl_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context()
        self.ca.configure_trust(ctx)
        return ctx

    @property
    def drafts(self) -> str:
        return PROFILES[self.profile]["drafts"]

    @property
    def sent(self) -> str:
        return PROFILES[self.profile]["sent"]

    def maildir(self, user: str, folder: str = "INBOX") -> Path:
        """Maildir++ on disk: levels joined by ".", names in modified UTF-7."""
        base = self.run_dir / "home" / user / "Maildir"
        if folder == "INBOX":
            return base
        levels = folder.split(PROFILES[self.profile]["separator"])
        return base / ("." + ".".join(mutf7.encode(level) for level in levels))

    def messages(self, user: str, folder: str = "INBOX") -> list[bytes]:
        """Raw messages in a user's folder, read from the Maildir (new and cur)."""
        root = self.maildir(user, folder)
        found = []
        for sub in ("new", "cur"):
            if (root / sub).is_dir():
                found += [p.read_bytes() for p in sorted((root / sub).iterdir())]
        return found

    def settings_env(self, user: str = "ops@example.test", security: str = "ssl") -> dict[str, str]:
        """The AIE_IMAP_* and AIE_SMTP_* settings for one mailbox user."""
        imap_port = {"ssl": self.imaps_port, "starttls": self.imap_port, "none": self.imap_port}
        smtp_port = {
            "ssl": self.smtps_port,
            "starttls": self.smtp_port,
            "none": self.smtp_plain_port,
        }
        return {
            "AIE_IMAP_HOST": self.host,
            "AIE_IMAP_PORT": str(imap_port[security]),
            "AIE_IMAP_USER": user,
            "AIE_IMAP_PASSWORD": self.users[user],
            "AIE_IMAP_SECURITY": security,
            "AIE_IMAP_CA_FILE": str(self.ca_file),
            "AIE_SMTP_HOST": self.host,
            "AIE_SMTP_PORT": str(smtp_port[security]),
            "AIE_SMTP_USER": user,
            "AIE_SMTP_PASSWORD": self.users[user],
            "AIE_SMTP_SECURITY": security,
            "AIE_SMTP_CA_FILE": str(self.ca_file),
            "AIE_IMAP_TIMEOUT_S": "10",
            "AIE_SMTP_TIMEOUT_S": "10",
        }
