"""The image (goal 4): build time, size over the base, bytecode, container vs host dry-run.

Runs only when a Docker engine answers. The build uses ``--no-cache`` (the base
image stays; pip's cache is off in the Dockerfile, so every wheel is fetched) and
``--network host`` (dockerd here runs with --bridge=none).
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.proc import ENTRYPOINT, EXAMPLE, PYTHON, ROOT, runner_env

TAG = "sample-exchange-publish:bench"
WORKSPACE = "/github/workspace"

# Run inside the container and on the host alike: median wall time of the dry-run.
TIMER = """
import json, os, statistics, subprocess, sys, time
argv, env, rounds = json.loads(sys.argv[1]), json.loads(sys.argv[2]), int(sys.argv[3])
times = []
for _ in range(rounds + 1):
    start = time.perf_counter()
    subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, check=True)
    times.append(time.perf_counter() - start)
print(statistics.median(times[1:]))
"""

# Modules the dry-run imports whose source has no up-to-date bytecode next to it.
UNCOMPILED = """
import importlib.util, os, sys
import publisher.action, publisher.manifest, jsonschema, yaml, markdown_it
missing = [n for n, m in list(sys.modules.items())
           if getattr(m, "__file__", None) and m.__file__.endswith(".py")
           and not os.path.exists(importlib.util.cache_from_source(m.__file__))]
print(len(missing))
"""


def engine_answers() -> bool:
    if shutil.which("docker") is None:
        return False
    try:
        done = subprocess.run(["docker", "info"], capture_output=True, timeout=20, check=False)
    except subprocess.TimeoutExpired:
        return False
    return done.returncode == 0


def _docker(*args: str, timeout: float = 900) -> str:
    done = subprocess.run(
        ["docker", *args], capture_output=True, text=True, timeout=timeout, check=False
    )
    if done.returncode != 0:
        raise RuntimeError(f"docker {args[0]} failed: {done.stderr.strip()[-500:]}")
    return done.stdout.strip()


def base_image(dockerfile: Path) -> str:
    match = re.search(r"^FROM\s+(\S+)", dockerfile.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise RuntimeError("no FROM line in the Dockerfile")
    return match.group(1)


def size_bytes(image: str) -> int:
    return int(_docker("image", "inspect", "--format", "{{.Size}}", image))


def image(rounds: int) -> dict[str, Any]:
    if not engine_answers():
        return {"skipped": "no engine"}
    base = base_image(ROOT / "Dockerfile")
    try:
        size_bytes(base)
    except RuntimeError:
        return {"skipped": f"base image {base} not present (run tests/e2e/setup.sh)"}
    start = time.perf_counter()
    _docker("build", "--no-cache", "--network", "host", "-t", TAG, str(ROOT))
    build_s = time.perf_counter() - start
    added = size_bytes(TAG) - size_bytes(base)
    uncompiled = int(_docker("run", "--rm", "--entrypoint", "python", TAG, "-c", UNCOMPILED))

    with tempfile.TemporaryDirectory(prefix="bench-image-") as tmp:
        files = Path(tmp)
        host_env = runner_env(EXAMPLE, files, dry_run="true")
        host_s = float(
            subprocess.run(
                [
                    PYTHON,
                    "-c",
                    TIMER,
                    json.dumps([PYTHON, str(ENTRYPOINT)]),
                    json.dumps(host_env),
                    str(rounds),
                ],
                capture_output=True,
                text=True,
                check=True,
                cwd=EXAMPLE,
                timeout=300,
            ).stdout
        )
        # The same env as the runner gives the container: paths as mounted inside it.
        inner = {
            k: v.replace(str(EXAMPLE), WORKSPACE).replace(tmp, "/github/file_commands")
            for k, v in host_env.items()
        }
        inner["PATH"] = "/usr/local/bin:/usr/bin:/bin"
        inner["HOME"] = "/github/home"
        container_s = float(
            _docker(
                "run", "--rm", "--network", "none", "--entrypoint", "python",
                "-v", f"{EXAMPLE}:{WORKSPACE}:ro", "-v", f"{tmp}:/github/file_commands",
                "-w", WORKSPACE, TAG,
                "-c", TIMER, json.dumps(["python", "/app/entrypoint.py"]), json.dumps(inner),
                str(rounds),
            )
        )  # fmt: skip
    _docker("image", "rm", TAG)
    return {
        "base": base,
        "build_s": build_s,
        "added_mb": added / 1e6,
        "uncompiled_modules": uncompiled,
        "host_dry_run_s": host_s,
        "container_dry_run_s": container_s,
        "ratio": container_s / host_s,
    }
