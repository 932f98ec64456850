"""What the email tools return."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Attachment",
    "DraftResult",
    "MailListResult",
    "MailMessage",
    "MailSummary",
    "SendRequestResult",
    "SendResult",
    "SuggestResult",
    "TriageProblem",
    "TriageResult",
]


class Attachment(BaseModel):
    filename: str
    content_type: str
    size: int = Field(description="Size in bytes, decoded")


class MailSummary(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    uid: int
    folder: str
    message_id: str = Field(description="Message-ID; synthesized from the content if absent")
    from_: str = Field(alias="from", serialization_alias="from")
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    date: str = Field(description="ISO 8601, or the raw Date header when unparsable")
    flags: list[str] = Field(default_factory=list)
    size: int = 0
    has_attachments: bool = False
    automated: str | None = Field(
        default=None,
        description="Why this mail was sent by a machine (RFC 3834), which is never "
        "answered; null for a person's mail",
    )


class MailMessage(MailSummary):
    reply_to: list[str] = Field(default_factory=list)
    in_reply_to: str = ""
    references: list[str] = Field(default_factory=list)
    text: str = Field(
        description="The text body; HTML converted to text when there is no text part"
    )
    html_only: bool = False
    attachments: list[Attachment] = Field(default_factory=list)
    defects: list[str] = Field(
        default_factory=list, description="MIME problems found while reading"
    )
    text_cut: int = Field(
        default=0,
        description="Characters left out at the end of a text too long for one reply",
    )
    not_listed: dict[str, int] = Field(
        default_factory=dict,
        description="Per list (to, cc, references...), entries left out of a very long one",
    )


class MailListResult(BaseModel):
    folder: str
    uidvalidity: int
    total: int = Field(description="Messages matching, before paging")
    messages: list[MailSummary]
    next_offset: int | None = None


class DraftResult(BaseModel):
    draft_id: str = Field(description="Pass to mail_request_send")
    message_id: str = Field(description="The reply's own Message-ID, fixed now")
    folder: str
    to: list[str]
    cc: list[str]
    subject: str
    in_reply_to: str
    references: list[str]
    replaced_drafts: int = Field(
        default=0, description="Earlier drafts of ours for the same mail, now removed"
    )


class SendRequestResult(BaseModel):
    approval_id: str
    path: str
    created: bool


class SendResult(BaseModel):
    approval_id: str
    message_id: str
    to: list[str]
    sent: bool
    edited: list[str] = Field(default_factory=list, description="Fields a person edited")
    filed_in_sent: bool
    task_id: str


class SuggestResult(BaseModel):
    body: str | None = Field(description="Reply text to pass to mail_draft_reply, or null")
    reason: str
    automated: str | None = Field(
        default=None, description="Why the mail is automated (never answered), or null"
    )


class TriageProblem(BaseModel):
    uid: int
    message_id: str = ""
    problem: str = Field(description="Why this mail could not become a normal task")
    quarantine_task: str | None = Field(
        default=None, description="The task that shows the owner this mail, if one was made"
    )


class TriageResult(BaseModel):
    scanned: int
    created: list[str] = Field(description="Ids of the tasks created in this pass")
    already_known: int = Field(description="Unseen mails that already had a task")
    remaining: int = Field(description="Unseen mails left for the next pass (backlog)")
    automated: list[str] = Field(
        default_factory=list, description="Tasks of automated mail: to be filed, never answered"
    )
    problems: list[TriageProblem] = Field(
        default_factory=list, description="Mails that could not become a normal task, and why"
    )
    problems_not_listed: int = Field(
        default=0,
        description="Problems left out of this reply to keep it readable (each has its "
        "quarantine task in created, and the audit log lists them all)",
    )
