"""Completion latency (goal 2): the real action against the emulator, default inputs.

Each (job length, progress profile, repeat) gets its own emulator on 127.0.0.1
(job settings are per server) and its own ``entrypoint.py`` subprocess; all of
them run at once. Latency is the action's exit (time.time when the process is
reaped) minus the job's finish as the emulator recorded it (``finishedAt``, the
same epoch clock); polls are the GET requests in the emulator's log.
"""

from __future__ import annotations

import statistics
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.proc import ENTRYPOINT, EXAMPLE, PYTHON, runner_env
from emulator import Emulator

PROFILES = ("linear", "none")


@dataclass
class Trial:
    seconds: float
    profile: str
    code: int = -1
    exited_at: float = 0.0
    finished_at: float | None = None
    polls: int = 0
    stderr: str = ""

    @property
    def latency(self) -> float | None:
        if self.code != 0 or self.finished_at is None:
            return None
        return self.exited_at - self.finished_at


def _run(emu: Emulator, trial: Trial, files: Path) -> None:
    env = runner_env(
        EXAMPLE,
        files,
        api_url=emu.base_url,
        username="demo",
        password="demo-password",  # noqa: S106 -- the emulator's demo login
    )
    process = subprocess.Popen(
        [PYTHON, str(ENTRYPOINT)],
        env=env,
        cwd=EXAMPLE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    _, stderr = process.communicate(timeout=trial.seconds + 120)
    trial.exited_at = time.time()
    trial.code = process.returncode
    trial.stderr = stderr[-2000:]
    jobs = emu.jobs
    trial.finished_at = jobs[0]["finishedAt"] if jobs else None
    trial.polls = sum(1 for r in emu.requests_for(op="poll"))


def run_trials(lengths: tuple[float, ...], repeats: int, stagger: float = 0.15) -> list[Trial]:
    trials = [Trial(s, p) for _ in range(repeats) for s in lengths for p in PROFILES]
    emulators = [Emulator(job_seconds=t.seconds, progress=t.profile).start() for t in trials]
    try:
        with tempfile.TemporaryDirectory(prefix="bench-latency-") as tmp:
            threads = []
            for i, (emu, trial) in enumerate(zip(emulators, trials, strict=True)):
                thread = threading.Thread(target=_run, args=(emu, trial, Path(tmp) / str(i)))
                thread.start()
                threads.append(thread)
                time.sleep(stagger)  # spread the start-ups over the two cores
            for thread in threads:
                thread.join()
    finally:
        for emu in emulators:
            emu.stop()
    return trials


def latency(quick: bool) -> dict[str, Any]:
    lengths = (3.0, 10.0, 30.0)
    repeats = 1 if quick else 3
    trials = run_trials(lengths, repeats)
    rows = []
    for profile in PROFILES:
        for seconds in lengths:
            mine = [t for t in trials if t.seconds == seconds and t.profile == profile]
            latencies = [t.latency for t in mine if t.latency is not None]
            rows.append(
                {
                    "job_s": seconds,
                    "progress": profile,
                    "runs": len(mine),
                    "failed": len(mine) - len(latencies),
                    "median_latency_s": statistics.median(latencies) if latencies else None,
                    "latencies_s": latencies,
                    "max_polls": max(t.polls for t in mine),
                    "polls": [t.polls for t in mine],
                    "errors": [t.stderr for t in mine if t.latency is None],
                }
            )
    return {"repeats": repeats, "poll_interval_s": 2.0, "rows": rows}
