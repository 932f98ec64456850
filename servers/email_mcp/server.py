"""``email-mcp``: read, search, triage and draft mail on any role; send approved replies,
exactly once, on the local machine only (the tool does not exist on a cloud server)."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from mcp.server import MCPServer

from servers.email_mcp.models import (
    DraftResult,
    MailListResult,
    MailMessage,
    SendRequestResult,
    SendResult,
    SuggestResult,
    TriageResult,
)
from servers.email_mcp.params import (
    Before,
    DraftId,
    Folder,
    Limit,
    Offset,
    ReplyAll,
    ReplyBody,
    SearchBody,
    SearchFrom,
    SearchMessageId,
    SearchSubject,
    Since,
    TriageBatch,
    Uid,
    UnseenOnly,
    Validity,
)
from servers.email_mcp.service import EmailService, Query
from shared.audit import register_secret
from shared.clock import Clock, system_clock
from shared.errors import InvalidInput
from shared.ids import ApprovalId, TaskId
from shared.serving import parse_transport, run, setup_logging, tool
from shared.settings import (
    CoreSettings,
    ImapSettings,
    MailAuth,
    MailIdentity,
    SmtpSettings,
    load,
    mail_auth,
    resolve_mail_address,
)
from shared.tool_hints import ToolHints

__all__ = ["build_server", "main"]

HINTS = ToolHints(open_world=True)
READ = HINTS.read
WRITE = HINTS.write
SEND = HINTS.irreversible


INSTRUCTIONS = """The business mailbox. mail_triage turns new mail into vault tasks;
mail_get reads one; mail_draft_reply saves a threaded reply in Drafts; mail_request_send asks
a person to approve sending it. Only the local machine sends (mail_send_approved)."""


def build_server(
    core: CoreSettings,
    imap: ImapSettings,
    smtp: SmtpSettings | None,
    clock: Clock = system_clock,
    address: str | None = None,
    auth: MailAuth | None = None,
) -> MCPServer[Any]:
    """``address`` is the mailbox's own (AIE_MAIL_ADDRESS); by default the IMAP user.
    ``auth``: how the mailbox signs in (password by default, or OAuth 2.0)."""
    service = EmailService(core, imap, smtp, clock, address, auth)

    @asynccontextmanager
    async def lifespan(server: MCPServer[Any]) -> AsyncIterator[None]:
        try:
            yield None
        finally:
            await service.close()

    mcp: MCPServer[Any] = MCPServer(
        "email", version="0.1.0", instructions=INSTRUCTIONS, lifespan=lifespan
    )

    @tool(mcp, READ, title="List mail")
    async def mail_list(
        folder: Folder = "INBOX",
        unseen_only: UnseenOnly = False,
        since: Since = None,
        before: Before = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MailListResult:
        """List messages in a folder, newest first, a page at a time (next_offset pages on).
        Each has uid, message_id, from, subject and date; read one with mail_get."""
        return await service.list_mail(folder, Query(unseen_only, since, before), limit, offset)

    @tool(mcp, READ, title="Search mail")
    async def mail_search(
        folder: Folder = "INBOX",
        from_address: SearchFrom = None,
        subject: SearchSubject = None,
        text: SearchBody = None,
        since: Since = None,
        before: Before = None,
        unseen_only: UnseenOnly = False,
        message_id: SearchMessageId = None,
        limit: Limit = 50,
        offset: Offset = 0,
    ) -> MailListResult:
        """Search a folder by sender, subject, text, Message-ID and dates (all given
        criteria must match), newest first."""
        if not any((from_address, subject, text, since, before, unseen_only, message_id)):
            raise InvalidInput("give at least one criterion, or use mail_list")
        query = Query(unseen_only, since, before, from_address, subject, text, message_id)
        return await service.list_mail(folder, query, limit, offset)

    @tool(mcp, READ, title="Read a mail")
    async def mail_get(
        uid: Uid, folder: Folder = "INBOX", uidvalidity: Validity = None
    ) -> MailMessage:
        """Read one message: decoded headers, the text (HTML turned into text when there is
        no text part), attachments as name, type and size, and the threading ids."""
        return await service.read(uid, folder, uidvalidity)

    @tool(mcp, WRITE, title="Draft a reply")
    async def mail_draft_reply(
        uid: Uid,
        body: ReplyBody,
        reply_all: ReplyAll = False,
        folder: Folder = "INBOX",
        uidvalidity: Validity = None,
    ) -> DraftResult:
        """Save a threaded reply (Re: subject, In-Reply-To, References, the quoted original,
        the handbook's signature) in the Drafts folder. Next: mail_request_send."""
        return await service.draft_reply(uid, body, reply_all, folder, uidvalidity)

    @tool(mcp, WRITE, title="Ask to send a draft")
    async def mail_request_send(task_id: TaskId, draft_id: DraftId) -> SendRequestResult:
        """Ask a person to approve sending a draft: writes the approval request with the
        whole message in the vault. Nothing is sent until it is approved."""
        return await service.request_send(task_id, draft_id)

    @tool(mcp, WRITE, title="Triage new mail")
    async def mail_triage(batch: TriageBatch = 200) -> TriageResult:
        """Turn unseen mail into Needs_Action/email/ tasks, once per Message-ID. A backlog
        is worked in batches: call again while remaining > 0."""
        return await service.triage(batch)

    @tool(mcp, READ, title="Suggest a reply")
    async def mail_suggest_reply(
        uid: Uid, folder: Folder = "INBOX", uidvalidity: Validity = None
    ) -> SuggestResult:
        """The built-in drafter's reply text for a message, following Company_Handbook.md,
        or why it should not be answered automatically (body is then null)."""
        return await service.suggest_reply(uid, folder, uidvalidity)

    async def mail_send_approved(approval_id: ApprovalId) -> SendResult:
        """Send a reply a person approved, exactly once (local machine only). The message
        comes from the approval file, with the person's edits; a second call sends nothing."""
        return await service.send_approved(approval_id)

    if core.role == "local":
        tool(mcp, SEND, title="Send an approved reply")(mail_send_approved)
    return mcp


def main() -> None:
    args = parse_transport("email-mcp")
    core = load(CoreSettings, "email-mcp")
    imap = load(ImapSettings, "email-mcp")
    smtp = load(SmtpSettings, "email-mcp") if core.role == "local" else None
    auth = mail_auth("email-mcp", imap, smtp)
    address = load(MailIdentity, "email-mcp").mail_address
    try:
        resolve_mail_address(address, imap.user)
    except ValueError as error:  # reading and triage still work; drafting says why not
        print(f"email-mcp: setting {error}; drafting is refused until it is set", file=sys.stderr)
    for secret in (
        imap.password,
        smtp.password if smtp else None,
        auth.oauth_client_secret,
        auth.oauth_refresh_token,
    ):
        register_secret(secret)
    setup_logging()
    run(build_server(core, imap, smtp, address=address, auth=auth), args)
