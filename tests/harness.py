"""Run ``entrypoint.py`` as a GitHub runner would run the action's container.

Every input declared in ``action.yml`` is passed as ``INPUT_<NAME>`` (hyphens
kept, empty when unset), with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and
the tag variables; the results are read back with the runner's own rules.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from emulator.runner_env import declared_inputs, runner_env

__all__ = ["declared_inputs", "runner_env"]  # re-exported for the tests
from tests.gha import Log, parse_log, parse_output_file

ROOT = Path(__file__).resolve().parent.parent
ENTRYPOINT = ROOT / "entrypoint.py"

SIMPLE_MANIFEST = """\
name: Find dropped flows
description: |
  Lists the flows that a **firewall rule** drops.
paths: [scripts/find-flows.ps1]
license: MIT
tags:
  - {category: Language, name: PowerShell}
  - Networking
"""


def make_workspace(root: Path, manifest: str = SIMPLE_MANIFEST) -> Path:
    (root / "scripts").mkdir(parents=True, exist_ok=True)
    (root / "scripts" / "find-flows.ps1").write_text("Get-DroppedFlows\n", encoding="utf-8")
    (root / "sample-exchange.yml").write_text(manifest, encoding="utf-8")
    return root


@dataclass
class Result:
    code: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str
    output_text: str

    @property
    def log(self) -> Log:
        return parse_log(self.stdout)

    @property
    def errors(self) -> list[str]:
        return [c.message for c in self.log.named("error")]

    def everything(self) -> str:
        return "\n".join([self.stdout, self.stderr, self.output_text, self.summary])


def start_action(
    workspace: Path, files: Path, extra_env: dict[str, str] | None = None, **inputs: str
) -> subprocess.Popen[str]:
    env = runner_env(workspace, files, repository="acme/flows", **inputs)
    env.update(extra_env or {})
    return subprocess.Popen(
        [sys.executable, str(ENTRYPOINT)],
        env=env,
        cwd=workspace,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def collect(process: subprocess.Popen[str], files: Path, timeout: float = 60) -> Result:
    stdout, stderr = process.communicate(timeout=timeout)
    output_text = (files / "set_output").read_text(encoding="utf-8")
    return Result(
        code=process.returncode,
        stdout=stdout,
        stderr=stderr,
        outputs=parse_output_file(output_text),
        summary=(files / "step_summary").read_text(encoding="utf-8"),
        output_text=output_text,
    )


def run_action(
    workspace: Path,
    extra_env: dict[str, str] | None = None,
    process_timeout: float = 60,
    **inputs: str,
) -> Result:
    """Run the action to completion; ``api_url="..."`` style keywords become inputs."""
    files = workspace.parent / f"{workspace.name}-files"
    if files.exists():
        for leftover in files.iterdir():
            leftover.unlink()
    process = start_action(workspace, files, extra_env, **inputs)
    return collect(process, files, process_timeout)
