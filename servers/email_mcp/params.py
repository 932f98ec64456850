"""The email tools' parameters as a model reads them: each with its description, format
and limits."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any, Final

from pydantic import Field

__all__ = [
    "DRAFT_ID_PATTERN",
    "Before",
    "DraftId",
    "Folder",
    "Limit",
    "Offset",
    "ReplyAll",
    "ReplyBody",
    "SearchBody",
    "SearchFrom",
    "SearchMessageId",
    "SearchSubject",
    "Since",
    "TriageBatch",
    "Uid",
    "UnseenOnly",
    "Validity",
]

# what mail_draft_reply returns: the Drafts folder's UIDVALIDITY and the draft's uid
DRAFT_ID_PATTERN: Final = r"^[0-9]{1,20}-[0-9]{1,20}$"

Folder = Annotated[
    str,
    Field(
        min_length=1,
        max_length=200,
        description="IMAP folder name as the server shows it, e.g. INBOX (default) or Archive",
    ),
]
Uid = Annotated[
    int, Field(ge=1, description="The message's uid in that folder, as mail_list returns it")
]
Validity = Annotated[
    int | None,
    Field(
        ge=1,
        description="The folder's UIDVALIDITY the uid came with (a task's meta has it); "
        "when it changed, the call fails instead of reading another mail",
    ),
]
UnseenOnly = Annotated[bool, Field(description="Only messages not yet read (IMAP UNSEEN)")]
Since = Annotated[
    date | None,
    Field(description="Only messages received on or after this day, e.g. 2026-11-01"),
]
Before = Annotated[
    date | None, Field(description="Only messages received before this day, e.g. 2026-12-01")
]
Limit = Annotated[
    int,
    Field(
        ge=1,
        le=1000,
        description="At most this many per page; a page of long headers is cut shorter to "
        "keep the reply readable, and next_offset continues",
    ),
]
Offset = Annotated[
    int,
    Field(ge=0, description="Skip this many (paging): pass the next_offset of the page before"),
]


def _search(what: str) -> Any:
    return Field(max_length=500, description=f"{what}; omit to not filter on it")


SearchFrom = Annotated[
    str | None,
    _search("Sender's address or name contains this text (IMAP FROM), e.g. alice@example.com"),
]
SearchSubject = Annotated[str | None, _search("Subject contains this text, e.g. invoice")]
SearchBody = Annotated[
    str | None, _search("Headers or body contain this text (IMAP TEXT), e.g. order 1042")
]
SearchMessageId = Annotated[
    str | None,
    _search("The exact Message-ID header, with its angle brackets, e.g. <abc@mail.example.com>"),
]
ReplyBody = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100_000,
        description="Your reply's text; greeting included, signature and quote are added",
    ),
]
ReplyAll = Annotated[
    bool,
    Field(description="true: also to the original's other recipients (Cc); false: the sender"),
]
DraftId = Annotated[
    str,
    Field(
        max_length=41,
        json_schema_extra={"pattern": DRAFT_ID_PATTERN},
        description="The draft_id mail_draft_reply returned, e.g. 1712345678-42",
    ),
]
TriageBatch = Annotated[
    int,
    Field(
        ge=1,
        le=200,
        description="At most this many unseen mails in this pass (default 200); call again "
        "while remaining > 0",
    ),
]
