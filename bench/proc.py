"""Whole-process measurements: wall time and peak RSS of one child, the runner's env."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from emulator.runner_env import declared_inputs, runner_env

__all__ = ["declared_inputs", "runner_env"]

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"
EXAMPLE = ROOT / "examples" / "hello-sample"
PYTHON = sys.executable


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_rss_mb: float
    code: int


def run_once(
    argv: Sequence[str], env: Mapping[str, str], cwd: Path, *, timeout: float = 120
) -> Run:
    """Run ``argv`` to its end; wall time from spawn to reap, and its own peak RSS."""
    start = time.perf_counter()
    process = subprocess.Popen(
        list(argv), env=dict(env), cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    # wait4 reaps this child alone and gives its rusage (ru_maxrss in KiB on Linux).
    deadline = start + timeout
    while True:
        pid, status, usage = os.wait4(process.pid, os.WNOHANG if timeout else 0)
        if pid:
            break
        if time.perf_counter() > deadline:
            process.kill()
            raise TimeoutError(f"{argv} ran over {timeout} s")
        time.sleep(0.001)
    seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    return Run(seconds, usage.ru_maxrss / 1024, process.returncode)


def alternate(
    commands: Mapping[str, tuple[Sequence[str], Mapping[str, str], Path]], rounds: int
) -> dict[str, list[Run]]:
    """Run each command ``rounds`` times, interleaved and in a rotating order, so a
    noisy moment on the machine hits every command alike; one untimed warm-up each."""
    names = list(commands)
    for argv, env, cwd in commands.values():
        run_once(argv, env, cwd)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for i in range(rounds):
        order = names[i % len(names) :] + names[: i % len(names)]
        for name in order:
            argv, env, cwd = commands[name]
            runs[name].append(run_once(argv, env, cwd))
    return runs


def median_seconds(runs: Sequence[Run]) -> float:
    return statistics.median(r.seconds for r in runs)


def median_rss(runs: Sequence[Run]) -> float:
    return statistics.median(r.peak_rss_mb for r in runs)
