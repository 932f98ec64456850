"""Property tests of what triage derives from a mail: whatever bytes arrive, parsing
does not raise, and the title and task id it derives are ones the vault accepts."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from orchestrator.vault_init import init_vault
from servers.email_mcp.parse import parse_message
from servers.email_mcp.triage import task_title
from shared.ids import check_task_id, task_id_for
from shared.settings import CoreSettings
from shared.vault import Vault
from tests.support.clock import FakeClock

HEADER_NAMES = st.sampled_from(
    ["Subject", "From", "Message-ID", "Content-Type", "Auto-Submitted", "Precedence", "Date"]
)
HEADER_VALUES = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.builds(
        lambda cs, enc, body: f"=?{cs}?{enc}?{body}?=".encode(),
        st.sampled_from(["utf-8", "x-unknown", "iso-8859-1", ""]),
        st.sampled_from(["q", "b", "x"]),
        st.text(alphabet="=0123456789ABCDEFabcdef_?\r\n \t", max_size=60),
    ),
)
MAILS = st.builds(
    lambda headers, body: (
        b"".join(n.encode() + b": " + v + b"\r\n" for n, v in headers) + b"\r\n" + body
    ),
    st.lists(st.tuples(HEADER_NAMES, HEADER_VALUES), max_size=8),
    st.binary(max_size=500),
)


def _check_title(title: str) -> None:
    assert 1 <= len(title) <= 200 and title == title.strip()
    assert all(c.isprintable() or c == " " for c in title), repr(title)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=MAILS)
@example(raw=b"Subject: =?iso8859?b?/60?=\r\n\r\n")  # "\xff\xad": a soft hyphen (Cf) got through
def test_no_mail_raises_out_of_parsing_and_titles_are_one_line(raw: bytes) -> None:
    mail = parse_message(raw, 1, "INBOX")
    _check_title(task_title(mail))
    check_task_id(task_id_for("email", mail.message_id))


@settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(subject=st.text(max_size=400), sender=st.text(max_size=120))
def test_every_derived_title_is_accepted_by_the_vault(
    tmp_path: Path, subject: str, sender: str
) -> None:
    vault_dir = tmp_path / "Vault"
    if not vault_dir.exists():
        init_vault(vault_dir)
    vault = Vault(CoreSettings(role="cloud", vault=vault_dir), FakeClock())
    raw = (
        f"From: {sender!r}\r\nSubject: {subject}\r\nMessage-ID: <{abs(hash(subject))}@x>\r\n\r\n"
    ).encode("utf-8", "surrogatepass")
    mail = parse_message(raw, 1, "INBOX")
    title = task_title(mail)
    _check_title(title)
    vault.tasks.create("email", title, "body", source_id=mail.message_id)
