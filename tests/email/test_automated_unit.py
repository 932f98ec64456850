"""RFC 3834: mail sent by a machine is recognised from its headers and gets no reply."""

from __future__ import annotations

import pytest

from servers.email_mcp.drafter import draft_reply_text
from servers.email_mcp.handbook import Handbook
from servers.email_mcp.parse import parse_message


def _raw(sender: str = "Alice <alice@partner.example>", **headers: str) -> bytes:
    extra = "".join(f"{name.replace('_', '-')}: {value}\r\n" for name, value in headers.items())
    return (
        f"From: {sender}\r\nTo: ops@example.test\r\nSubject: Hello\r\n"
        f"Message-ID: <a@partner.example>\r\n{extra}\r\nSome text\r\n"
    ).encode()


AUTOMATED = [
    ({"Auto_Submitted": "auto-replied"}, "Auto-Submitted: auto-replied"),
    ({"Auto_Submitted": "auto-generated"}, "Auto-Submitted: auto-generated"),
    ({"Auto_Submitted": "auto-notified; owner-email=x@y"}, "Auto-Submitted: auto-notified"),
    ({"Precedence": "bulk"}, "Precedence: bulk"),
    ({"Precedence": "List"}, "Precedence: list"),
    ({"Precedence": "junk"}, "Precedence: junk"),
    ({"List_Id": "<news.partner.example>"}, "List-Id"),
    ({"List_Unsubscribe": "<mailto:u@partner.example>"}, "List-Unsubscribe"),
    ({"X_Autoreply": "yes"}, "X-Autoreply"),
    ({"X_Autorespond": "Out of office"}, "X-Autorespond"),
    (
        {"Content_Type": 'multipart/report; report-type=delivery-status; boundary="b"'},
        "report-type=delivery-status",
    ),
    (
        {"Content_Type": 'multipart/report; report-type=disposition-notification; boundary="b"'},
        "report-type=disposition-notification",
    ),
]


@pytest.mark.parametrize(("headers", "reason"), AUTOMATED)
def test_automated_headers_are_recognised_and_not_answered(headers, reason) -> None:
    mail = parse_message(_raw(**headers), 1, "INBOX")
    assert mail.automated is not None and reason in mail.automated
    decision = draft_reply_text(mail, Handbook())  # a handbook that would answer anyone
    assert decision.body is None and "automated" in decision.reason


@pytest.mark.parametrize(
    "sender",
    [
        "MAILER-DAEMON@mx.partner.example",
        "postmaster@partner.example",
        "no-reply@partner.example",
        "noreply+orders@shop.example",
        "do-not-reply@bank.example",
        "notifications@git.example",
        "bounces+123@list.example",
    ],
)
def test_automated_senders(sender) -> None:
    mail = parse_message(_raw(sender=sender), 1, "INBOX")
    assert mail.automated is not None and "automated sender" in mail.automated


@pytest.mark.parametrize(
    ("sender", "headers"),
    [
        ("Alice <alice@partner.example>", {"Auto_Submitted": "no"}),
        ("Alice <alice@partner.example>", {"Precedence": "first-class"}),
        ("Noreen Ply <noreen.ply@partner.example>", {}),
        ("Post Master General <pmg@partner.example>", {}),
    ],
)
def test_a_persons_mail_is_not_automated(sender, headers) -> None:
    mail = parse_message(_raw(sender=sender, **headers), 1, "INBOX")
    assert mail.automated is None
    assert draft_reply_text(mail, Handbook()).body is not None
