"""The mailbox, against the real Dovecot and SMTP relay of the stack: a refused or
unreachable IMAP login, a silent server, a Drafts or Sent folder that is not there, a
server without IDLE (or one that lists it and refuses it), Exchange's missing keywords,
a refused SMTP login (nothing is ever sent), SMTP settings on the cloud, and OAuth 2.0
sign-in, working and revoked."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.imap_proxy import ImapProxy
from devstack.mail_servers import MailServers, free_port
from devstack.oauth_provider import OAuthProvider
from tests.support.doctor import doctor, failing, passing
from tests.support.doctor_stack import OPS, DoctorStack

pytestmark = pytest.mark.xdist_group("doctor")  # one dev stack (and one PM2) per run

LOGIN, FOLDERS, IDLE, SMTP = "IMAP login", "IMAP folders", "IMAP IDLE and keywords", "SMTP login"


def test_a_refused_imap_password(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_IMAP_PASSWORD": "not-it"})
    failing(
        run,
        LOGIN,
        fix="set AIE_IMAP_USER and AIE_IMAP_PASSWORD",
        detail=f"refused the login for {OPS!r}",
    )
    assert run.check(FOLDERS)["status"] == run.check(IDLE)["status"] == "skip"
    passing(run, SMTP)  # its own password is right


def test_an_unreachable_imap_server(doctor_stack: DoctorStack) -> None:
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_IMAP_PORT": str(free_port())})
    failing(
        run,
        LOGIN,
        fix="check that the mail server is up and AIE_IMAP_HOST and AIE_IMAP_PORT",
        detail="cannot reach the IMAP server",
    )


def test_a_server_that_never_answers_costs_the_timeout_only(doctor_stack: DoctorStack) -> None:
    """A listener that takes the connection and never greets (as a firewall that drops
    packets looks): the IMAP checks fail after --timeout, the rest is checked meanwhile."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        env = doctor_stack.env("local", claude=False) | {
            "AIE_IMAP_PORT": str(silent.getsockname()[1]),
            "AIE_IMAP_SECURITY": "none",
        }
        started = time.monotonic()
        run = doctor(env, "--timeout", "1")
        took = time.monotonic() - started
    failing(
        run,
        LOGIN,
        fix="check it is up and AIE_IMAP_HOST and AIE_IMAP_PORT, or give it longer with --timeout",
        detail="no answer within 1 s",
    )
    assert took < 6, took
    passing(run, SMTP, "Odoo rights")


def test_a_sent_folder_that_is_not_there(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False) | {"AIE_IMAP_SENT_FOLDER": "Sent Messages"}
    run = doctor(env)
    check = failing(
        run,
        FOLDERS,
        fix="set AIE_IMAP_DRAFTS_FOLDER / AIE_IMAP_SENT_FOLDER",
        detail="cannot open the folder 'Sent Messages'",
    )
    assert "Drafts" not in check["detail"]
    passing(run, LOGIN, IDLE)


def _plain(env: dict[str, str], port: int) -> dict[str, str]:
    return env | {"AIE_IMAP_PORT": str(port), "AIE_IMAP_SECURITY": "none"}


def test_a_server_without_idle(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False)
    with ImapProxy(doctor_stack.mail.imap_port, exchange=False, idle="hide") as proxy:
        run = doctor(_plain(env, proxy.port))
    check = run.check(IDLE)
    assert check["status"] == "warn", check
    assert "the server does not offer IDLE" in check["detail"]
    assert proxy.commands.count("IDLE") == 0
    assert "the watcher polls" in check["fix"]
    assert run.exit_code == 0, run.output  # a slower mailbox, not a broken one
    passing(run, LOGIN, FOLDERS)


def test_a_server_that_lists_idle_and_refuses_it(doctor_stack: DoctorStack) -> None:
    """Reading the capability is not enough: the doctor idles on INBOX as the watcher does."""
    env = doctor_stack.env("local", claude=False)
    with ImapProxy(doctor_stack.mail.imap_port, exchange=False, idle="refuse") as proxy:
        run = doctor(_plain(env, proxy.port))
    check = run.check(IDLE)
    assert (check["status"], proxy.commands.count("IDLE")) == ("warn", 1), check
    assert "lists IDLE but refused it" in check["detail"]
    control = doctor(_plain(env, doctor_stack.mail.imap_port))  # Dovecot itself idles
    assert "IDLE: yes (idled on INBOX)" in control.check(IDLE)["detail"]


def test_a_server_without_keywords_is_said(doctor_stack: DoctorStack) -> None:
    """Exchange keeps no keywords of ours: triage keeps its own record, so it is no failure."""
    env = doctor_stack.env("local", claude=False)
    with ImapProxy(doctor_stack.mail.imap_port) as exchange:
        run = doctor(_plain(env, exchange.port))
    assert "keywords: no (triage keeps its own record)" in run.check(IDLE)["detail"]
    assert "keywords: yes" in doctor(_plain(env, doctor_stack.mail.imap_port)).check(IDLE)["detail"]
    passing(run, LOGIN, FOLDERS, IDLE)


def test_a_refused_smtp_login_sends_nothing(doctor_stack: DoctorStack) -> None:
    delivered = len(doctor_stack.mail.deliveries)
    run = doctor(doctor_stack.env("local", claude=False) | {"AIE_SMTP_PASSWORD": "not-it"})
    failing(
        run,
        SMTP,
        fix="set AIE_SMTP_USER and AIE_SMTP_PASSWORD",
        detail=f"refused the login of {OPS!r} (535",
    )
    passing(run, LOGIN)
    assert "nothing sent" in doctor(doctor_stack.env("local", claude=False)).check(SMTP)["detail"]
    assert len(doctor_stack.mail.deliveries) == delivered


def test_no_smtp_on_the_laptop(doctor_stack: DoctorStack) -> None:
    env = doctor_stack.env("local", claude=False)
    run = doctor({k: v for k, v in env.items() if not k.startswith("AIE_SMTP_")})
    failing(run, SMTP, fix="set AIE_SMTP_HOST", detail="approved replies cannot be sent")


def test_smtp_credentials_on_the_cloud_are_a_warning(
    doctor_stack: DoctorStack, pm2_cloud: Callable[..., str]
) -> None:
    smtp = {k: v for k, v in doctor_stack.mail.settings_env(OPS).items() if "SMTP" in k}
    run = doctor(doctor_stack.env("cloud", claude=False) | smtp)
    check = run.check(SMTP)
    assert check["status"] == "warn", check
    assert "remove AIE_SMTP_* from the VM's .env" in check["fix"]
    assert run.exit_code == 0, run.output
    assert doctor(doctor_stack.env("cloud", claude=False)).check(SMTP)["status"] == "skip"


@pytest.fixture(scope="module")
def oauth_mail() -> Iterator[tuple[MailServers, OAuthProvider]]:
    """A Gmail-shaped mailbox ([Gmail]/Drafts, [Gmail]/Sent Mail) that signs in with
    XOAUTH2 only through our token endpoint (20 s access tokens, rotating refresh tokens)."""
    with (
        OAuthProvider(access_ttl_s=20) as provider,
        MailServers(profile="gmail", oauth=provider) as mail,
    ):
        yield mail, provider


def test_oauth_sign_in_and_a_revoked_grant(
    doctor_stack: DoctorStack, oauth_mail: tuple[MailServers, OAuthProvider], tmp_path: Path
) -> None:
    mail, provider = oauth_mail
    refresh = provider.grant(OPS)
    mailbox = {k: v for k, v in mail.settings_env(OPS).items() if not k.endswith("_PASSWORD")}
    env = doctor_stack.env("local", claude=False) | mailbox
    env |= {
        "AIE_MAIL_AUTH": "oauth2",
        "AIE_OAUTH_PROVIDER": "custom",
        "AIE_OAUTH_TOKEN_URL": provider.token_url,
        "AIE_OAUTH_CLIENT_ID": "aie-test-client",
        "AIE_OAUTH_REFRESH_TOKEN": refresh,
        "AIE_STATE_DIR": str(tmp_path / "state"),  # where the rotated refresh token is kept
    }
    run = doctor(env)
    passing(run, LOGIN, FOLDERS, IDLE, SMTP)
    assert "with OAuth 2.0 (XOAUTH2)" in run.check(LOGIN)["detail"]
    assert "with OAuth 2.0 (XOAUTH2)" in run.check(SMTP)["detail"]
    assert "'[Gmail]/Drafts'" in run.check(FOLDERS)["detail"]
    assert run.exit_code == 0, run.output

    provider.revoke(OPS)
    provider.expire_access_tokens()
    run = doctor(env)
    failing(run, LOGIN, fix="ai-employee mail login google|microsoft", also=(SMTP,))
    assert "ai-employee mail login" in run.check(SMTP)["fix"]
    assert refresh not in run.output
