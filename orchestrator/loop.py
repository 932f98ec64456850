"""The long-running loop both agents share: a pass every few seconds, a heartbeat and a
health file, and a graceful stop on SIGTERM or SIGINT: the pass under way finishes, no
step is left half done."""

from __future__ import annotations

import logging
import signal
from collections.abc import Awaitable, Callable
from pathlib import Path

import anyio
import watchfiles

from orchestrator.health import Health
from orchestrator.toolbox import ToolBox, ToolFailed
from shared.clock import system_clock, to_iso

__all__ = ["run_loop"]

log = logging.getLogger("ai-employee")

Pass = Callable[[ToolBox, Health], Awaitable[None]]


async def run_loop(
    tools: ToolBox,
    health: Health,
    one_pass: Pass,
    interval_s: float,
    max_passes: int | None = None,
    wake_on: tuple[Path, ...] = (),
) -> None:
    """A pass every ``interval_s`` seconds, or sooner when a file under ``wake_on``
    changes (a person moving an approval, a sync bringing a task)."""
    stop = anyio.Event()
    wake = anyio.Event()

    async def watch_folders() -> None:
        nonlocal wake
        async for _ in watchfiles.awatch(*wake_on, stop_event=stop, debounce=200, step=50):
            wake.set()

    async def watch_signals() -> None:
        with anyio.open_signal_receiver(signal.SIGTERM, signal.SIGINT) as signals:
            async for signum in signals:
                log.info(
                    "received %s: finishing the current pass, then stopping",
                    signal.Signals(signum).name,
                )
                stop.set()
                return

    async with anyio.create_task_group() as group:
        group.start_soon(watch_signals)
        if wake_on:
            group.start_soon(watch_folders)
        health.write("running")
        while not stop.is_set():
            try:
                with anyio.CancelScope(shield=True):  # a pass is never cut in the middle
                    await one_pass(tools, health)
            except ToolFailed as failure:
                log.warning("%s", failure)
                health.error(str(failure))
            health.passes += 1
            health.last_pass = _now()
            health.write()
            if max_passes is not None and health.passes >= max_passes:
                break
            with anyio.move_on_after(interval_s):
                async with anyio.create_task_group() as waiting:

                    async def until(event: anyio.Event) -> None:
                        await event.wait()
                        waiting.cancel_scope.cancel()

                    waiting.start_soon(until, stop)
                    waiting.start_soon(until, wake)
            wake = anyio.Event()
        stop.set()  # the folder watcher's thread sees it within a step, not at its 5 s timeout
        group.cancel_scope.cancel()
    health.write("stopped")
    log.info("stopped after %d passes", health.passes)


def _now() -> str:
    return to_iso(system_clock())
