"""TLS on the real servers: the whole flow over STARTTLS (IMAP and SMTP), certificates
verified (a server the CA file does not vouch for is refused with a clear error), and a
send refused at the TLS step that is sent once after the setting is fixed."""

from __future__ import annotations

import email
from pathlib import Path

import pytest
import trustme
from mcp import Client

from devstack.mail_servers import MailServers
from devstack.stack import wait_until
from servers.email_mcp.server import build_server
from servers.vault_mcp.server import build_server as build_vault
from tests.support.approving import approve, person_answers
from tests.support.mail_fixtures import draft_and_request, imap_settings, smtp_settings
from tests.support.tool_calls import error_text, ok

pytestmark = pytest.mark.anyio


def _stranger_ca(tmp_path: Path) -> Path:
    path = tmp_path / "other-ca.pem"
    trustme.CA().cert_pem.write_to_path(str(path))
    return path


async def test_us1_over_starttls(
    mail: MailServers, email_servers, make_settings, vault_path, clock
) -> None:
    async with (
        Client(email_servers("cloud", security="starttls")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(
            build_vault(make_settings("local"), clock),
            elicitation_callback=person_answers("approve"),
        ) as local_vault,
        Client(email_servers("local", security="starttls")) as local_mail,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
        approval_id = flow["request"]["approval_id"]  # type: ignore[index]
        await ok(local_vault, "approval_decide", approval_id=approval_id, decision="approve")
        sent = await ok(local_mail, "mail_send_approved", approval_id=approval_id)
    assert sent["sent"] and sent["filed_in_sent"]
    (reply,) = wait_until(lambda: mail.messages("client@example.test"))
    assert email.message_from_bytes(reply)["In-Reply-To"] == "<q1@client.example.test>"
    log = (mail.run_dir / "dovecot.log").read_text()
    assert "TLS" in log  # the plain port was upgraded, not used in clear


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_imap_server_not_vouched_for_by_the_ca_file_is_refused(
    mail: MailServers, make_settings, tmp_path: Path, security: str
) -> None:
    imap = imap_settings(mail, security=security).model_copy(
        update={"ca_file": _stranger_ca(tmp_path)}
    )
    async with Client(build_server(make_settings("cloud"), imap, None)) as c:
        text = await error_text(c, "mail_list")
    assert "TLS with the IMAP server" in text and "CERTIFICATE_VERIFY_FAILED" in text
    assert "AIE_IMAP_CA_FILE" in text


@pytest.mark.parametrize("security", ["ssl", "starttls"])
async def test_send_refused_at_tls_is_sent_once_after_the_fix(
    mail: MailServers, email_servers, make_settings, vault_path, clock, tmp_path: Path, security
) -> None:
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
    ):
        flow = await draft_and_request(cloud_mail, cloud_vault, mail)
    approval_id = flow["request"]["approval_id"]  # type: ignore[index]
    pending = vault_path / flow["request"]["path"]  # type: ignore[index]
    approve(vault_path, pending)

    bad_smtp = smtp_settings(mail, security=security).model_copy(
        update={"ca_file": _stranger_ca(tmp_path)}
    )
    local = make_settings("local")
    async with Client(build_server(local, imap_settings(mail), bad_smtp, clock)) as c:
        text = await error_text(c, "mail_send_approved", approval_id=approval_id)
    assert "TLS with the SMTP server" in text and "CERTIFICATE_VERIFY_FAILED" in text
    assert "AIE_SMTP_CA_FILE" in text and "nothing was accepted" in text
    assert mail.deliveries == []
    assert (vault_path / "Approved" / pending.name).is_file()  # still approved, retryable

    async with Client(email_servers("local")) as c:
        sent = await ok(c, "mail_send_approved", approval_id=approval_id)
    assert sent["sent"]
    assert len(wait_until(lambda: mail.messages("client@example.test"))) == 1
    assert len(mail.deliveries) == 1
