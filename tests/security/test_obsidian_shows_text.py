"""Issue 20, attack 4: what a mail says must never run in the owner's Obsidian. Before,
mail text was copied into task files as it was: ``dataviewjs`` blocks, Templater tags,
``<img>`` and ``<iframe>``, ``javascript:`` links all landed in the vault, and summaries
went into Dashboard.md unescaped.

Every file the flow writes from a hostile mail (the task, the approval request, the
Dashboard) is rendered with a CommonMark renderer and loaded into headless Chromium: no
script runs, no active element is left. Positive control: the same mail text as the old
code wrote it does run there."""

from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt
from mcp import Client

from devstack.mail_servers import MailServers
from servers.vault_mcp.server import build_server as build_vault
from tests.support.mail_fixtures import incoming
from tests.support.tool_calls import ok

pytestmark = pytest.mark.anyio

HOSTILE = """Hello,

<img src=x onerror="document.title='PWNED-img'">
<script>document.title='PWNED-script'</script>
<iframe src="javascript:parent.document.title='PWNED-iframe'"></iframe>
[invoice](javascript:document.title='PWNED-link')
![[secrets.md]]
%%hidden from the owner%%
<%* app.vault.delete(app.vault.getFiles()[0]) %>

```dataviewjs
dv.paragraph(app.vault.getFiles().length)
```
Thanks
"""
ACTIVE = re.compile(r"<(img|script|iframe|object|embed|video|audio|svg|form)\b", re.I)


def _chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        if found := shutil.which(name):
            return found
    pytest.skip("NOT RUN: no Chromium (scripts/bootstrap.sh installs it as root)")


def _rendered_dom(markdown: str, tmp: Path) -> str:
    """The DOM Chromium ends with after loading the Markdown rendered as HTML, scripts on."""
    body = MarkdownIt("commonmark", {"html": True}).enable("table").render(markdown)
    page = tmp / "page.html"
    page.write_text(f"<html><head><title>clean</title></head><body>{body}</body></html>")
    done = subprocess.run(
        [
            _chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={tmp / 'profile'}",
            "--virtual-time-budget=2000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _obsidian_syntax_outside_code(markdown: str) -> list[str]:
    """What Obsidian and its common plugins act on, outside code blocks (inside one it is
    text): embeds, comments, Dataview and DataviewJS blocks and inline queries."""
    found = []
    for token in MarkdownIt("commonmark").enable("table").parse(markdown):
        if token.type in ("fence", "code_block"):
            if token.info.strip().lower().startswith("dataview"):
                found.append(f"a {token.info} block")
            continue
        for pattern in ("![[", "%%", "`$=", "`=", "<%"):
            if pattern in token.content:
                found.append(pattern)
    return found


def _assert_inert(markdown: str, tmp: Path) -> None:
    assert "<%" not in markdown  # Templater reads the raw file, frontmatter included
    text = markdown.split("\n---\n", 1)[-1]  # the body; the frontmatter is not rendered
    assert _obsidian_syntax_outside_code(text) == []
    dom = _rendered_dom(text, tmp)
    assert "<title>clean</title>" in dom, dom[:500]
    assert not ACTIVE.search(dom), ACTIVE.search(dom)
    assert not re.search(r"""href=["']?\s*javascript:""", dom, re.I)
    assert not re.search(r"\son[a-z]+=", html.unescape(re.sub(r">[^<]*<", "><", dom)))


async def test_a_hostile_mail_shows_as_text_everywhere(
    mail: MailServers,
    email_servers: Any,
    make_settings: Any,
    vault_path: Path,
    clock: Any,
    tmp_path: Path,
) -> None:
    mail.deliver(
        "ops@example.test",
        incoming(
            subject="<img src=x onerror=\"document.title='PWNED-subject'\"> [[x]]", body=HOSTILE
        ),
    )
    async with (
        Client(email_servers("cloud")) as cloud_mail,
        Client(build_vault(make_settings("cloud"), clock)) as cloud_vault,
        Client(build_vault(make_settings("local"), clock)) as local_vault,
    ):
        (task_id,) = (await ok(cloud_mail, "mail_triage"))["created"]
        await ok(cloud_vault, "task_claim", task_id=task_id)
        task = (await ok(cloud_vault, "task_get", task_id=task_id))["task"]
        draft = await ok(cloud_mail, "mail_draft_reply", uid=task["meta"]["uid"], body="Noted.")
        request = await ok(
            cloud_mail, "mail_request_send", task_id=task_id, draft_id=draft["draft_id"]
        )
        await ok(
            cloud_vault,
            "update_post",
            title="<iframe src=javascript:alert(1)> drafted",
            body="see [[x]]",
        )
        await ok(local_vault, "dashboard_refresh")
    files = {
        "task": vault_path / task["path"],
        "approval": vault_path / request["path"],
        "dashboard": vault_path / "Dashboard.md",
    }
    for name, path in files.items():
        out = tmp_path / name
        out.mkdir()
        _assert_inert(path.read_text("utf-8"), out)
    assert "PWNED" in files["task"].read_text()  # the text is all there, shown as text


def test_the_detector_sees_what_the_old_task_file_did(tmp_path: Path) -> None:
    """Positive control: the mail text as the old triage copied it into the task."""
    old_task = f"# Reply to Alice: hi\n\n**From:** alice@example.test\n\n{HOSTILE}\n"
    dom = _rendered_dom(old_task, tmp_path)
    assert "PWNED" in dom and ACTIVE.search(dom)
    assert {"![[", "%%", "<%", "a dataviewjs block"} <= set(_obsidian_syntax_outside_code(old_task))
