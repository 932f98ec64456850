"""What a ``send_email`` approval carries, written by the service's request
(:meth:`~servers.email_mcp.service.EmailService.request_send`) and read back by
:mod:`.outbox`: one model, so both sides agree on every field by construction.

The frontmatter keys are the model's (``from`` included), so approvals written before the
model existed still execute. The types are checked here and nothing else: what a value may
hold (an address's shape, a line break, a size) is :func:`.compose.build_message`'s to
refuse, as before. ``body`` is the field a person may edit before approving.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from servers.email_mcp.models import MailMessage

__all__ = ["SendEmailParams"]


class SendEmailParams(BaseModel):
    """``send_email``: the whole message, as the person saw it in the approval."""

    # an approval written by hand or by an older version may carry a field not used here;
    # a number where text belongs was written by YAML, not meant as a number
    model_config = ConfigDict(
        extra="ignore", frozen=True, populate_by_name=True, coerce_numbers_to_str=True
    )

    from_: str = Field(validation_alias="from", serialization_alias="from")
    to: list[str]
    cc: list[str] = Field(default_factory=list)
    subject: str
    body: str
    in_reply_to: str = ""
    references: list[str] = Field(default_factory=list)
    message_id: str
    draft_id: str = ""
    date: str | None = None  # the Date header, when a request fixes it (ours never do)

    @field_validator("cc", "references", "in_reply_to", "draft_id", mode="before")
    @classmethod
    def _empty(cls, value: Any, info: ValidationInfo) -> Any:
        """An empty optional field (null in the file) means "none", as it always did."""
        if value is None:
            return "" if info.field_name in ("in_reply_to", "draft_id") else []
        return value

    @classmethod
    def from_draft(cls, draft: MailMessage, draft_id: str) -> SendEmailParams:
        """The message as it sits in Drafts (its text ends with a newline)."""
        return cls(
            from_=draft.from_,
            to=draft.to,
            cc=draft.cc,
            subject=draft.subject,
            body=draft.text + "\n",
            in_reply_to=draft.in_reply_to,
            references=draft.references,
            message_id=draft.message_id,
            draft_id=draft_id,
        )

    @property
    def recipients(self) -> list[str]:
        return [*self.to, *self.cc]

    def to_params(self) -> dict[str, Any]:
        """The frontmatter's ``params`` (and :func:`.compose.build_message`'s input)."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)

    def render(self) -> str:
        """The message's headers as the person reads them in the approval file."""
        lines = [
            "## The message",
            "",
            f"- **From:** {self.from_}",
            f"- **To:** {', '.join(self.to)}",
        ]
        if self.cc:
            lines.append(f"- **Cc:** {', '.join(self.cc)}")
        lines += [
            f"- **Subject:** {self.subject}",
            f"- **In reply to:** `{self.in_reply_to or '-'}`",
            f"- **Message-ID:** `{self.message_id}`",
            "",
        ]
        return "\n".join(lines)
