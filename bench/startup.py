"""Start-up (goal 1) and large manifests (goal 5): whole processes, alternated."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.proc import (
    ENTRYPOINT,
    EXAMPLE,
    PYTHON,
    alternate,
    median_rss,
    median_seconds,
    runner_env,
)

FLOOR = "import requests, yaml, jsonschema"
HEAVY = ("requests", "urllib3")


def heavy_imports(env: dict[str, str], cwd: Path) -> list[str]:
    """Which of the HTTP stack's top-level modules a dry-run imports (-X importtime)."""
    done = subprocess.run(
        [PYTHON, "-X", "importtime", str(ENTRYPOINT)],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    names = {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines() if "|" in line}
    return sorted(name for name in names if name in HEAVY)


def startup(rounds: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as tmp:
        env = runner_env(EXAMPLE, Path(tmp), dry_run="true")
        runs = alternate(
            {
                "action": ([PYTHON, str(ENTRYPOINT)], env, EXAMPLE),
                "floor": ([PYTHON, "-c", FLOOR], env, EXAMPLE),
            },
            rounds,
        )
        failed = [r.code for r in runs["action"] if r.code != 0]
        heavy = heavy_imports(env, EXAMPLE)
    action, floor = median_seconds(runs["action"]), median_seconds(runs["floor"])
    return {
        "rounds": rounds,
        "action_s": action,
        "floor_s": floor,
        "ratio": action / floor,
        "action_rss_mb": median_rss(runs["action"]),
        "floor_rss_mb": median_rss(runs["floor"]),
        "http_stack_imported": heavy,
        "failed_runs": len(failed),
    }


def write_large_workspace(root: Path, paths: int = 5000, tags: int = 1000) -> Path:
    """A workspace whose manifest lists ``paths`` existing files and ``tags`` tags."""
    lines = [
        "name: Large sample",
        "description: |",
        "  A manifest at the size limit the benchmark checks.",
        "license: MIT",
        "paths:",
    ]
    for i in range(paths):
        folder = root / "src" / f"d{i // 100:02d}"
        folder.mkdir(parents=True, exist_ok=True)
        (folder / f"f{i:04d}.ps1").write_text(f"# file {i}\n", encoding="utf-8")
        lines.append(f"  - src/d{i // 100:02d}/f{i:04d}.ps1")
    lines.append("tags:")
    for i in range(tags):
        lines.append(f"  - {{category: Topic{i % 7}, name: tag-{i:04d}}}" if i % 2 else f"  - t{i}")
    (root / "sample-exchange.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return root


def large_manifest(rounds: int) -> dict[str, Any]:
    """Whole-process `python -m publisher validate` of the example vs the large one."""
    with tempfile.TemporaryDirectory(prefix="bench-large-") as tmp:
        large = write_large_workspace(Path(tmp) / "ws")
        env = runner_env(EXAMPLE, Path(tmp) / "files")

        def validate(ws: Path) -> list[str]:
            return [PYTHON, "-m", "publisher", "validate", "--workspace", str(ws)]

        runs = alternate(
            {"small": (validate(EXAMPLE), env, EXAMPLE), "large": (validate(large), env, large)},
            rounds,
        )
    small, big = median_seconds(runs["small"]), median_seconds(runs["large"])
    return {
        "rounds": rounds,
        "paths": 5000,
        "tags": 1000,
        "small_s": small,
        "large_s": big,
        "ratio": big / small,
        "failed_runs": sum(1 for r in runs["small"] + runs["large"] if r.code != 0),
    }
