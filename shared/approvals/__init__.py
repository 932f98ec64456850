"""Approvals: what a person approves, how the laptop shows it, records the decision and
checks it before anything executes.

- :mod:`.model`: the states, the listed summary, the parameter hash, an executable approval;
- :mod:`.store`: the request files (find, ask, list, move);
- :mod:`.rendering`: the laptop's own rendering of a request, and reading a person's edits;
- :mod:`.decisions`: recording a person's decision (terminal or elicitation);
- :mod:`.execution`: the checks before execution (decided here, read as rendered, intact).
"""

from shared.approvals.decisions import DecidedVia, Shown
from shared.approvals.model import ApprovalState, ApprovalSummary, Executable, params_hash
from shared.approvals.rendering import headline, render_request
from shared.approvals.store import Approvals

__all__ = [
    "ApprovalState",
    "ApprovalSummary",
    "Approvals",
    "DecidedVia",
    "Executable",
    "Shown",
    "headline",
    "params_hash",
    "render_request",
]
