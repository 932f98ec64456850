"""``ai-employee``: set up a vault, look at it, and run the agents or the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from orchestrator.vault_init import init_vault

app = typer.Typer(
    name="ai-employee",
    help="AI Employee, Platinum tier: a cloud agent that drafts and a local agent that "
    "executes what a person approved, sharing one markdown vault.",
    no_args_is_help=True,
    add_completion=False,
)
vault_app = typer.Typer(help="Create and inspect the shared vault.", no_args_is_help=True)
app.add_typer(vault_app, name="vault")
sync_app = typer.Typer(help="Configure Syncthing for the vault (T007).", no_args_is_help=True)
app.add_typer(sync_app, name="sync")
mail_app = typer.Typer(help="The business mailbox: sign in with OAuth 2.0.", no_args_is_help=True)
app.add_typer(mail_app, name="mail")
console = Console()
APPROVAL_ID_HELP = "The request's id, e.g. appr-1a2b3c4d5e6f7a8b"


@vault_app.command("init")
def vault_init(path: Annotated[Path, typer.Argument(help="Folder of the vault")]) -> None:
    """Create the vault folders, Dashboard.md, Company_Handbook.md and the ignore files."""
    try:
        report = init_vault(path)
    except OSError as error:
        console.print(f"[red]ai-employee vault init: {error}[/red]")
        raise typer.Exit(1) from None
    console.print(
        f"Vault ready at [bold]{report.root}[/bold]: "
        f"{len(report.created)} created, {len(report.kept)} kept as they were.",
        soft_wrap=True,  # one line, so that the path can be copied and the line grepped
    )
    if report.returned:
        console.print(
            f"{len(report.returned)} request(s) in Approved/ may have come from another device "
            "(this replica's .stignore did not keep Approved/ home): moved back to "
            "Pending_Approval/, approve them again: " + ", ".join(report.returned),
            soft_wrap=True,
            markup=False,
        )


@vault_app.command("archive")
def vault_archive(
    path: Annotated[Path, typer.Argument(help="Folder of the vault")],
    keep_months: Annotated[
        int, typer.Option(min=0, help="Months of finished work left in Done/ itself")
    ] = 3,
) -> None:
    """Move finished work from Done/ into Done/YYYY-MM/ folders (by the month it was
    finished); links to it keep working."""
    from datetime import UTC, datetime

    from orchestrator.vault_archive import archive_done
    from shared.errors import VaultFileError

    try:
        report = archive_done(path.expanduser().resolve(), keep_months, datetime.now(UTC))
    except (OSError, VaultFileError) as error:
        console.print(f"ai-employee vault archive: {error}", markup=False)
        raise typer.Exit(1) from None
    months = ", ".join(f"{m}: {n}" for m, n in sorted(report.moved.items())) or "nothing"
    console.print(f"Archived {report.total} files from Done/ ({months}).", markup=False)


@mail_app.command("login")
def mail_login(
    provider: Annotated[str, typer.Argument(help="google or microsoft (or custom)")],
    show_token: Annotated[
        bool,
        typer.Option(
            "--show-token",
            help="Print the refresh token once, to put into another machine's .env",
        ),
    ] = False,
) -> None:
    """Sign the mailbox in (OAuth 2.0) and keep its refresh token on this machine. Uses
    AIE_OAUTH_CLIENT_ID (and _SECRET, _TENANT) and AIE_IMAP_USER from the settings."""
    import os

    from orchestrator import mail_login as login
    from shared.settings import CoreSettings, ImapSettings, MailAuth, load

    if provider not in ("google", "microsoft", "custom"):
        console.print(
            "ai-employee mail login: PROVIDER is google, microsoft or custom", markup=False
        )
        raise typer.Exit(2)
    os.environ["AIE_MAIL_AUTH"] = "oauth2"
    os.environ["AIE_OAUTH_PROVIDER"] = provider
    program = "ai-employee mail login"
    core, imap, auth = (
        load(CoreSettings, program),
        load(ImapSettings, program),
        load(MailAuth, program),
    )
    flow = login.device_login if auth.device_url else login.loopback_login
    try:
        token = flow(auth, lambda text: console.print(text, markup=False, soft_wrap=True))
        where = login.store_refresh_token(core, auth, imap.user, token)
    except (login.LoginFailed, OSError) as error:
        console.print(f"{program}: {error}", markup=False)
        raise typer.Exit(1) from None
    console.print(
        f"Signed in as {imap.user}; the refresh token is kept in {where} (mode 600).",
        markup=False,
        soft_wrap=True,
    )
    if show_token:
        console.print(
            "For another machine (each should have its own sign-in where it can), put this "
            "into its .env as AIE_OAUTH_REFRESH_TOKEN, then forget it:",
            markup=False,
        )
        print(token["refresh_token"])


@app.command()
def status(
    vault: Annotated[Path | None, typer.Option(help="Vault folder (default: AIE_VAULT)")] = None,
) -> None:
    """Both agents, queues, pending approvals, conflicts and sync health, as tables."""
    from orchestrator.status_view import show_status

    raise typer.Exit(show_status(console, vault))


@app.command()
def doctor(
    role: Annotated[
        str | None, typer.Option(help="cloud or local (default: AIE_ROLE)", show_default=False)
    ] = None,
    json_output: Annotated[
        bool, typer.Option("--json", help="One JSON object, for monitoring")
    ] = False,
    timeout: Annotated[
        float, typer.Option(min=0.5, help="Seconds each service is given to answer")
    ] = 10.0,
) -> None:
    """Check this machine's setup for its role: settings, vault, sync, mail, Odoo, Claude
    Code and PM2, each for real, with how to fix what fails. Exit code 1 on any failure."""
    import os

    from dotenv import dotenv_values

    from orchestrator.doctor import run_doctor

    chosen = role or os.environ.get("AIE_ROLE") or dotenv_values(".env").get("AIE_ROLE") or ""
    if chosen not in ("cloud", "local"):
        console.print("ai-employee doctor: give --role cloud|local or set AIE_ROLE", markup=False)
        raise typer.Exit(2)
    raise typer.Exit(run_doctor(Console(), chosen, json_output, timeout))  # type: ignore[arg-type]


@app.command()
def approve(
    approval_id: Annotated[str, typer.Argument(help=APPROVAL_ID_HELP)],
) -> None:
    """Approve a pending request on the laptop: shows what would execute, rendered here from
    its parameters, and asks you to confirm. Needs you at a terminal."""
    from orchestrator.approve import decide_at_terminal

    raise typer.Exit(decide_at_terminal(console, approval_id, approve=True))


@app.command()
def reject(
    approval_id: Annotated[str, typer.Argument(help=APPROVAL_ID_HELP)],
    reason: Annotated[str, typer.Option(help="Why; kept with the request and in the audit log")],
) -> None:
    """Reject a pending request on the laptop: nothing it asks for is ever done. Shows it and
    asks you to confirm. Needs you at a terminal."""
    from orchestrator.approve import decide_at_terminal

    raise typer.Exit(decide_at_terminal(console, approval_id, approve=False, reason=reason))


@app.command()
def demo(
    workdir: Annotated[Path, typer.Option(help="Where the demo keeps its vaults and logs")] = Path(
        "demo-run"
    ),
    claude_code: Annotated[
        bool,
        typer.Option(
            "--claude-code",
            help="Acts 1 and 2 through the real Claude Code CLI, its model scripted on loopback",
        ),
    ] = False,
) -> None:
    """Run the Platinum story on this machine: two vault replicas, both agents, a sync."""
    from devstack.demo import run_demo

    raise typer.Exit(run_demo(console, workdir, claude_code))


@app.command()
def cloud(
    interval: Annotated[float, typer.Option(help="Seconds between passes")] = 10.0,
    passes: Annotated[int | None, typer.Option(help="Stop after this many passes")] = None,
) -> None:
    """The cloud agent: triage mail, draft replies and invoices, ask for approvals. Never
    sends or posts. Runs until SIGTERM (PM2 keeps it up)."""
    from orchestrator.agents import run_agent

    raise typer.Exit(run_agent("cloud", interval, passes))


@app.command()
def local(
    interval: Annotated[float, typer.Option(help="Seconds between passes")] = 10.0,
    passes: Annotated[int | None, typer.Option(help="Stop after this many passes")] = None,
) -> None:
    """The local agent: execute what a person approved, file rejections, resolve sync
    conflicts, refresh Dashboard.md; covers email when the cloud is away."""
    from orchestrator.agents import run_agent

    raise typer.Exit(run_agent("local", interval, passes))


@app.command()
def watch(
    cycle: Annotated[
        float, typer.Option(help="Seconds per IDLE cycle (polls at least this often)")
    ] = 25.0,
) -> None:
    """Watch the inbox (IMAP IDLE) and turn new mail into vault tasks, until SIGTERM
    (the same as ``email-watch``, the email server's own daemon)."""
    from servers.email_mcp.daemon import run_watch

    raise typer.Exit(run_watch(cycle, "ai-employee watch"))


@sync_app.command("config")
def sync_config(
    side: Annotated[str, typer.Argument(help="cloud (the VM) or local (the laptop)")],
    home: Annotated[
        Path | None,
        typer.Option(help="Syncthing home to apply to (its config.xml holds the API key)"),
    ] = None,
    script: Annotated[bool, typer.Option(help="Print the same calls as a curl script")] = False,
) -> None:
    """Configure this machine's Syncthing for the vault from the SYNCTHING_* settings
    (.env and the environment): the peer device, the folder, what never syncs."""
    import os

    from dotenv import dotenv_values

    from orchestrator.syncthing_config import (
        SyncthingApplyError,
        SyncthingConfigError,
        apply,
        gui_endpoint,
        plan_from_env,
    )

    if side not in ("cloud", "local"):
        console.print("[red]ai-employee sync config: SIDE is cloud or local[/red]")
        raise typer.Exit(2)
    env = {k: v or "" for k, v in dotenv_values(".env").items()} | dict(os.environ)
    try:
        plan = plan_from_env(side, env)  # type: ignore[arg-type]
        if script or home is None:
            print(plan.shell_script())
            if home is None and not script:
                console.print("[dim]give --home to apply it to a running Syncthing[/dim]")
            return
        apply(plan, *gui_endpoint(home))
    except SyncthingConfigError as error:
        console.print(f"[red]ai-employee sync config: {error}[/red]")
        raise typer.Exit(2) from None
    except (SyncthingApplyError, OSError) as error:
        console.print(f"[red]ai-employee sync config: {error}[/red]")
        raise typer.Exit(1) from None
    console.print(f"Syncthing configured ({side} side) for {plan.vault_path}")
