"""Many manifests (issue 6): 100 samples with 2 s jobs at the default concurrency.

Goal: wall time ≤ 1.3 x ceil(N / max-concurrency) x 2 s, shown beside the same
run with ``max-concurrency: 1``. Both runs use the real entrypoint against one
emulator on 127.0.0.1.
"""

from __future__ import annotations

import math
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.proc import ENTRYPOINT, PYTHON, declared_inputs, runner_env
from emulator import Emulator

JOB_SECONDS = 2.0
MANIFEST = """\
name: Sample {i:03d}
description: Sample number {i} of a repository that releases many at once.
paths: [samples/s{i:03d}/run.sh]  # relative to the workspace
license: MIT
tags: [Bench]
"""


def write_samples(root: Path, count: int) -> None:
    for i in range(count):
        folder = root / "samples" / f"s{i:03d}"
        folder.mkdir(parents=True)
        (folder / "sample-exchange.yml").write_text(MANIFEST.format(i=i), encoding="utf-8")
        (folder / "run.sh").write_text(f"echo {i}\n", encoding="utf-8")


def _publish(workspace: Path, files: Path, concurrency: int) -> dict[str, Any]:
    with Emulator(job_seconds=JOB_SECONDS) as emu:
        env = runner_env(
            workspace,
            files,
            manifest="samples/*/sample-exchange.yml",
            api_url=emu.base_url,
            token="demo-token",  # noqa: S106 -- the emulator's demo token
            max_concurrency=str(concurrency),
            timeout="900",
        )
        started = time.perf_counter()
        done = subprocess.run(
            [PYTHON, str(ENTRYPOINT)],
            env=env,
            cwd=workspace,
            capture_output=True,
            text=True,
            timeout=1200,
            check=False,
        )
        seconds = time.perf_counter() - started
        jobs = len(emu.jobs)
        polls = len(emu.requests_for(op="poll"))
    if done.returncode != 0:
        raise RuntimeError(f"publish failed ({done.returncode}): {done.stdout[-500:]}")
    return {"seconds": seconds, "jobs": jobs, "polls": polls}


def many(count: int) -> dict[str, Any]:
    default = int(declared_inputs()["max-concurrency"])
    with tempfile.TemporaryDirectory(prefix="bench-many-") as tmp:
        workspace = Path(tmp) / "repo"
        write_samples(workspace, count)
        pooled = _publish(workspace, Path(tmp) / "pooled", default)
        serial = _publish(workspace, Path(tmp) / "serial", 1)
    budget = 1.3 * math.ceil(count / default) * JOB_SECONDS
    return {
        "manifests": count,
        "job_seconds": JOB_SECONDS,
        "max_concurrency": default,
        "pooled": pooled,
        "serial": serial,
        "budget_s": budget,
        "speedup": serial["seconds"] / pooled["seconds"],
    }
