"""Run ``entrypoint.py`` as a GitHub runner would run the action's container.

Every input declared in ``action.yml`` is passed as ``INPUT_<NAME>`` (hyphens
kept, empty when unset), with ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY`` and
the tag variables; the results are read back with the runner's own rules.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

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


def declared_inputs() -> dict[str, str]:
    """Input name → default, straight from action.yml."""
    action = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    return {name: str(spec.get("default", "")) for name, spec in action["inputs"].items()}


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


def runner_env(workspace: Path, files: Path, inputs: dict[str, str]) -> dict[str, str]:
    values = declared_inputs()
    unknown = set(inputs) - set(values)
    if unknown:
        raise KeyError(f"not inputs of action.yml: {sorted(unknown)}")
    values.update(inputs)
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(files),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "set_output"),
        "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
        "GITHUB_REF": "refs/tags/v1.2.3",
        "GITHUB_REF_NAME": "v1.2.3",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/flows",
    }
    env.update({f"INPUT_{name.upper()}": value for name, value in values.items()})
    return env


def start_action(
    workspace: Path, files: Path, extra_env: dict[str, str] | None = None, **inputs: str
) -> subprocess.Popen[str]:
    files.mkdir(parents=True, exist_ok=True)
    for name in ("set_output", "step_summary"):
        (files / name).touch()
    env = runner_env(workspace, files, {k.replace("_", "-"): v for k, v in inputs.items()})
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


def interrupt(process: subprocess.Popen[str], sig: signal.Signals) -> None:
    process.send_signal(sig)
