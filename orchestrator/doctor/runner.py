"""Running the probes: all at once, each in a thread of its own with a deadline, so that a
dead service costs its own checks a few seconds and never hangs the doctor.

A thread that overruns is abandoned (daemon threads: the process exits without it) and its
first check is reported as failed with the time it was given. Whatever a probe reports
passes through one scrubber: no secret this machine holds is ever shown.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace

from orchestrator.doctor.checks import Check, Probe, fail, skipped
from shared.audit import redact, register_secret

__all__ = ["run_probes"]

GRACE_S = 2.0  # beyond a probe's own timeout, for its clients' own deadlines to speak first


def run_probes(
    probes: Sequence[Probe],
    timeout_s: float,
    secrets: Sequence[str] = (),
    monotonic: Callable[[], float] = time.monotonic,
) -> list[Check]:
    """The checks of every probe, in the probes' order."""
    for secret in secrets:
        register_secret(secret)
    results: list[list[Check] | None] = [None] * len(probes)
    durations = [0.0] * len(probes)
    threads = []
    for index, probe in enumerate(probes):

        def work(index: int = index, probe: Probe = probe) -> None:
            started = monotonic()
            results[index] = _guarded(probe, timeout_s)
            durations[index] = monotonic() - started

        thread = threading.Thread(target=work, name=f"doctor-{probe.area}", daemon=True)
        thread.start()
        threads.append(thread)
    deadline = monotonic() + timeout_s + GRACE_S
    checks: list[Check] = []
    for index, (probe, thread) in enumerate(zip(probes, threads, strict=True)):
        thread.join(max(0.0, deadline - monotonic()))
        found = results[index]
        if thread.is_alive() or found is None:
            found = _timed_out(probe, timeout_s)
        checks += [_scrubbed(replace(c, seconds=round(durations[index], 2))) for c in found]
    return checks


def _guarded(probe: Probe, timeout_s: float) -> list[Check]:
    """The probe's checks; a probe that breaks fails its first check with the reason."""
    try:
        found = probe.run()
    except TimeoutError:  # a probe's own deadline (asyncio.wait_for): the service is silent
        return _timed_out(probe, timeout_s)
    except Exception as error:  # the doctor reports, it never crashes on what it examines
        first, *rest = probe.names
        why = f"the check itself failed ({type(error).__name__}: {error})"
        return [
            fail(probe.area, first, why, "run it again; if it persists, report it as a bug"),
            *skipped(probe.area, tuple(rest), f"not checked: {first} could not be checked"),
        ]
    return found


def _timed_out(probe: Probe, timeout_s: float) -> list[Check]:
    first, *rest = probe.names
    return [
        fail(
            probe.area,
            first,
            f"no answer within {timeout_s:g} s",
            "the service is down or unreachable (a firewall that drops packets looks like "
            f"this); check it is up{f' and {probe.address}' if probe.address else ''}, or "
            "give it longer with --timeout",
        ),
        *skipped(probe.area, tuple(rest), f"not checked: {first} did not answer"),
    ]


def _scrubbed(check: Check) -> Check:
    return replace(check, detail=redact(check.detail), fix=redact(check.fix))
