"""``ai-employee vault init PATH``: the vault skeleton, starter files and sync ignore files.

Idempotent: folders and ``.keep`` files are created when missing, starter files are written
only when absent (a person's edits are never overwritten), ignore files are refreshed.

The ignore files keep ``Approved/`` and ``Rejected/`` on the machine (decisions are the
laptop's, :mod:`shared.sync_rules`). A replica whose ``.stignore`` did not say so before
may hold requests in ``Approved/`` that came from another device: they go back to
``Pending_Approval/`` for the person to approve again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shared.containment import real_folder
from shared.errors import VaultFileError
from shared.layout import APPROVED, DASHBOARD, DOMAINS, HANDBOOK, PENDING_APPROVAL, Layout
from shared.sync_rules import keeps_decisions
from shared.vault_files import atomic_write_text, read_doc

__all__ = ["InitReport", "init_vault"]


@dataclass
class InitReport:
    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)
    returned: list[str] = field(default_factory=list)  # approvals of unknown origin


def _template(name: str) -> str:
    return (resources.files("orchestrator") / "templates" / name).read_text("utf-8")


def init_vault(root: Path) -> InitReport:
    root = root.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} exists and is not a folder")
    report = InitReport(root)
    root.mkdir(parents=True, exist_ok=True)
    decisions_were_shared = not keeps_decisions(root)
    for folder in Layout(root).skeleton():
        folder.mkdir(parents=True, exist_ok=True)
        keep = folder / ".keep"
        if not keep.exists():
            keep.write_text("")
            report.created.append(keep.relative_to(root).as_posix())
    for name, template in ((DASHBOARD, "Dashboard.md"), (HANDBOOK, "Company_Handbook.md")):
        path = root / name
        if path.exists():
            report.kept.append(name)
        else:
            atomic_write_text(path, _template(template))
            report.created.append(name)
    for name, template in ((".stignore", "stignore"), (".gitignore-sync", "gitignore-sync")):
        path = root / name
        text = _template(template)
        if not path.exists() or path.read_text("utf-8") != text:
            atomic_write_text(path, text)
            report.created.append(name)
    if decisions_were_shared:
        report.returned = _return_approvals(root)
    return report


def _return_approvals(root: Path) -> list[str]:
    """Move what waits in ``Approved/`` back to ``Pending_Approval/<domain>/``."""
    returned = []
    for path in sorted((root / APPROVED).glob("appr-*.md")):
        try:
            domain = str(read_doc(path).meta.get("domain") or "")
        except (OSError, VaultFileError):
            domain = ""
        domain = domain if domain in DOMAINS else "general"
        folder = real_folder(root, f"{PENDING_APPROVAL}/{domain}")
        path.rename(folder / path.name)
        returned.append(path.stem)
    return returned
