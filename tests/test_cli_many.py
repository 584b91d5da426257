"""The CLI with many manifests: `plan`, `validate` and `publish` over globs."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from emulator import Emulator
from publisher.cli import main
from tests.harness import ROOT
from tests.test_batch import GLOB, make_samples, manifest_of

RUNNER = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/flows",
    "GITHUB_REF_NAME": "v1.2.3",
}


def cli(
    workspace: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "publisher", *args],
        cwd=workspace,
        env={"PATH": os.environ.get("PATH", ""), "PYTHONPATH": str(ROOT), **RUNNER, **(env or {})},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_plan_prints_the_matrix(tmp_path: Path) -> None:
    workspace = make_samples(tmp_path / "repo", ["b", "a"])
    result = cli(workspace, "plan", GLOB)
    assert result.returncode == 0, result.stderr
    line = next(x for x in result.stdout.splitlines() if x.startswith("matrix"))
    matrix = json.loads(line.split(None, 1)[1])
    assert matrix == {"include": [{"manifest": manifest_of("a")}, {"manifest": manifest_of("b")}]}


def test_shell_expanded_paths_are_several_manifests(tmp_path: Path) -> None:
    workspace = make_samples(tmp_path / "repo", ["a", "b"], {"b": "name: B\n"})
    result = cli(workspace, "validate", manifest_of("a"), manifest_of("b"))
    assert result.returncode == 1
    assert f"error: {manifest_of('b')}:" in result.stderr
    assert f"error: {manifest_of('a')}" not in result.stderr


def test_publish_a_glob(
    tmp_path: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = make_samples(tmp_path / "repo", ["a", "b", "c"])
    code = main(
        [
            "publish",
            GLOB,
            "--workspace",
            str(workspace),
            "--api-url",
            emulator.base_url,
            "--poll-interval",
            "0.1",
            "--max-concurrency",
            "2",
        ],
        env={"SAMPLE_EXCHANGE_TOKEN": "demo-token", **RUNNER},
    )
    out = capsys.readouterr().out
    assert code == 0, out
    assert len(emulator.samples) == 3
    samples_line = next(x for x in out.splitlines() if x.startswith("samples  ["))
    samples = json.loads(samples_line.split(None, 1)[1])
    assert [s["state"] for s in samples] == ["FINISHED"] * 3
    assert f"[{manifest_of('a')}] Submitted: job" in out


def test_max_concurrency_flag_is_checked(tmp_path: Path) -> None:
    workspace = make_samples(tmp_path / "repo", ["a"])
    result = cli(workspace, "publish", GLOB, "--max-concurrency", "many")
    assert result.returncode == 2
    assert "--max-concurrency" in result.stderr
