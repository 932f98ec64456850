"""The one error hierarchy of the project.

Every anticipated failure is raised as one of these; the MCP SDK carries the message
of a ``ToolError`` (and only of a ``ToolError``) to the client, so the root derives from it.
Each message names the problem and what to do next.

    AIEError
    ├── InvalidInput          bad argument the type hints could not catch
    ├── NotFound              unknown task, approval, message, invoice
    ├── AlreadyClaimed        someone else holds a fresh claim (fields: task_id, holder)
    ├── WrongState            the object is not in a state that allows the step
    ├── VaultFileError        a vault file that cannot be read (bad YAML, not UTF-8, too big)
    ├── VaultWriteError       the vault cannot be written (disk full, read-only); also an OSError
    ├── RoleForbidden         a local-only step asked of a cloud server
    ├── ApprovalError         an approval that must not be executed
    │   ├── ApprovalRequired  not in Approved/
    │   ├── ApprovalExpired
    │   ├── ParamsChanged     parameters no longer match their hash, or the target changed
    │   └── AlreadyExecuted
    └── UpstreamError         an outside service failed
        ├── ImapError
        ├── SmtpError
        └── OdooError
"""

from __future__ import annotations

import errno

from mcp.server.mcpserver.exceptions import ToolError

__all__ = [
    "AIEError",
    "AlreadyClaimed",
    "AlreadyExecuted",
    "ApprovalError",
    "ApprovalExpired",
    "ApprovalRequired",
    "ImapError",
    "InvalidInput",
    "NotFound",
    "OdooError",
    "ParamsChanged",
    "RoleForbidden",
    "SmtpError",
    "UpstreamError",
    "VaultFileError",
    "VaultWriteError",
    "WrongState",
    "vault_write_error",
]


class AIEError(ToolError):
    """Root of every domain error; its message reaches the agent verbatim."""


class InvalidInput(AIEError):
    pass


class NotFound(AIEError):
    pass


class AlreadyClaimed(AIEError):
    def __init__(self, task_id: str, holder: str, message: str) -> None:
        super().__init__(message)
        self.task_id = task_id
        self.holder = holder


class WrongState(AIEError):
    pass


class VaultFileError(AIEError):
    pass


class VaultWriteError(AIEError, OSError):
    """Nothing half-written is left behind; the step can be retried once the disk has room."""


_WRITE_ERRNOS = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EIO}


def vault_write_error(what: str, error: OSError) -> OSError:
    """The error to raise for an OSError while writing ``what``: a clear VaultWriteError
    for a full, read-only or failing disk; any other OSError (a file that moved) as is."""
    if isinstance(error, VaultWriteError) or error.errno not in _WRITE_ERRNOS:
        return error
    code = errno.errorcode.get(error.errno or 0, "")
    return VaultWriteError(
        f"cannot write {what}: {error.strerror or error} ({code}); "
        "nothing was half-written: free space or make the vault writable, then retry."
    )


class RoleForbidden(AIEError):
    pass


class ApprovalError(AIEError):
    def __init__(self, approval_id: str, message: str) -> None:
        super().__init__(message)
        self.approval_id = approval_id


class ApprovalRequired(ApprovalError):
    pass


class ApprovalExpired(ApprovalError):
    pass


class ParamsChanged(ApprovalError):
    pass


class AlreadyExecuted(ApprovalError):
    pass


class UpstreamError(AIEError):
    pass


class ImapError(UpstreamError):
    pass


class SmtpError(UpstreamError):
    pass


class OdooError(UpstreamError):
    pass
