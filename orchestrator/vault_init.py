"""``ai-employee vault init PATH``: the vault skeleton, starter files and sync ignore files.

Idempotent: folders and ``.keep`` files are created when missing, starter files are written
only when absent (a person's edits are never overwritten), ignore files are refreshed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path

from shared.layout import DASHBOARD, HANDBOOK, Layout
from shared.vault_files import atomic_write_text

__all__ = ["InitReport", "init_vault"]


@dataclass
class InitReport:
    root: Path
    created: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)


def _template(name: str) -> str:
    return (resources.files("orchestrator") / "templates" / name).read_text("utf-8")


def init_vault(root: Path) -> InitReport:
    root = root.expanduser().resolve()
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(f"{root} exists and is not a folder")
    report = InitReport(root)
    root.mkdir(parents=True, exist_ok=True)
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
    return report
