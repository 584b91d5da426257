"""The action's image in a real Docker engine, started the way the GitHub runner starts it.

What only a real container shows: the Dockerfile builds, the entrypoint's absolute
path, inputs spelled as the runner spells them (``INPUT_API-URL`` keeps its hyphen),
paths under ``/github/...`` rather than the host's, and outputs written in a form
the runner accepts.
"""

from __future__ import annotations

import re
import subprocess
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest
from e2e_support import (
    TAG_ENV,
    declared_inputs,
    emulator,
    get_json,
    input_env,
    parse_file_command,
    skip_module_without_engine,
    write_sample,
)

skip_module_without_engine()

PASSWORD = "demo-password"


@dataclass
class StepResult:
    returncode: int
    stdout: str
    stderr: str
    outputs: dict[str, str]
    summary: str


def run_action(image: str, workspace: Path, tmp: Path, with_: dict[str, str]) -> StepResult:
    """``docker run`` as the runner does for a ``runs.using: docker`` step."""
    file_commands = tmp / "file_commands"
    file_commands.mkdir()
    step = uuid.uuid4()
    output_name, summary_name = f"set_output_{step}", f"step_summary_{step}"
    env = {
        **input_env(with_),
        **TAG_ENV,
        "HOME": "/github/home",
        "GITHUB_WORKSPACE": "/github/workspace",
        "GITHUB_OUTPUT": f"/github/file_commands/{output_name}",
        "GITHUB_STEP_SUMMARY": f"/github/file_commands/{summary_name}",
        "RUNNER_TEMP": "/home/runner/work/_temp",
    }
    # The runner creates both files before the step; the action appends.
    (file_commands / output_name).touch()
    (file_commands / summary_name).touch()
    args = ["docker", "run", "--rm", "--network", "host", "--workdir", "/github/workspace"]
    args += ["-v", f"{workspace}:/github/workspace", "-v", f"{file_commands}:/github/file_commands"]
    for name, value in env.items():
        args += ["-e", f"{name}={value}"]
    proc = subprocess.run([*args, image], capture_output=True, text=True, timeout=120)
    return StepResult(
        returncode=proc.returncode,
        stdout=proc.stdout,
        stderr=proc.stderr,
        outputs=parse_file_command((file_commands / output_name).read_text(encoding="utf-8")),
        summary=(file_commands / summary_name).read_text(encoding="utf-8"),
    )


def credentials(base_url: str) -> dict[str, str]:
    return {
        "api-url": base_url,
        "username": "demo",
        "password": PASSWORD,
        "poll-interval": "0.2",
        "timeout": "60",
    }


def test_inputs_follow_action_yml() -> None:
    """The env the tests build comes from action.yml: all inputs, hyphens kept."""
    env = input_env({"api-url": "http://127.0.0.1:1/x"})
    assert set(env) == {f"INPUT_{name.upper()}" for name in declared_inputs()}
    assert env["INPUT_API-URL"] == "http://127.0.0.1:1/x"
    with pytest.raises(KeyError, match="not declared"):
        input_env({"api-endpoint": "renamed"})


def test_publishes_a_sample_on_a_tag(action_image: str, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    write_sample(workspace)
    with emulator("--job-seconds", "1") as base_url:
        result = run_action(action_image, workspace, tmp_path, credentials(base_url))
        detail = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
        assert result.returncode == 0, detail

        outputs = result.outputs
        assert set(outputs) >= {"sample-id", "sample-url", "job-id", "download-url", "state"}
        assert outputs["sample-id"].isdigit(), outputs
        assert outputs["job-id"].isdigit(), outputs
        assert outputs["state"] == "FINISHED"
        sample = get_json(f"{base_url}/search/samples/{outputs['sample-id']}")

    # What the server holds is what the manifest and the tag context said.
    assert sample["name"] == "Hello e2e sample"
    assert sample["branch"] == "v1.2.3"
    assert sample["gitHubUrl"] == "https://github.com/acme/hello-sample"
    assert sample["paths"] == ["scripts/hello.sh"]
    assert outputs["sample-url"] == sample["webUrl"]
    assert outputs["download-url"] == sample["downloadUrl"]

    assert "Hello e2e sample" in result.summary
    assert outputs["sample-id"] in result.summary
    assert outputs["sample-url"] in result.summary
    # The password was masked before anything was printed, and never printed.
    assert f"::add-mask::{PASSWORD}" in result.stdout.splitlines()[0]
    assert PASSWORD not in result.stdout.replace(f"::add-mask::{PASSWORD}", "")
    assert PASSWORD not in result.stderr + result.summary


def test_a_failing_job_fails_the_step(action_image: str, tmp_path: Path) -> None:
    workspace = tmp_path / "workspace"
    write_sample(workspace)
    reason = "Repository could not be cloned"
    with emulator("--job-seconds", "1", "--fail-jobs", reason) as base_url:
        result = run_action(action_image, workspace, tmp_path, credentials(base_url))

    detail = f"stdout:\n{result.stdout}\nstderr:\n{result.stderr}"
    assert result.returncode == 1, detail
    # The job id is written as soon as it is known, so a failed run still has it.
    assert result.outputs.get("job-id", "").isdigit(), result.outputs
    assert not result.outputs.get("sample-id")
    errors = [line for line in result.stdout.splitlines() if line.startswith("::error")]
    assert errors, detail
    assert any(reason in line for line in errors), errors
    assert reason in result.summary
    assert re.search(re.escape(result.outputs["job-id"]), result.summary)


def test_a_missing_manifest_is_an_annotation(action_image: str, tmp_path: Path) -> None:
    """No network needed: the program checks its inputs and exits 1 with one ::error."""
    workspace = tmp_path / "workspace"
    workspace.mkdir()
    result = run_action(
        action_image, workspace, tmp_path, {"manifest": "nope.yml", "dry-run": "true"}
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert any(line.startswith("::error") for line in result.stdout.splitlines()), result.stdout
    assert "nope.yml" in result.stdout
    assert not result.outputs.get("sample-id")
