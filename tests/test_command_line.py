"""The CLI's validate / publish / status, for people and other CI systems."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from emulator import Emulator
from publisher.cli import main
from tests.harness import ROOT, make_workspace

ENV = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/flows",
    "GITHUB_REF_NAME": "v2.0.0",
}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "repo")


def test_validate_ok(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["validate", "--workspace", str(workspace)], ENV)
    out = capsys.readouterr().out
    assert code == 0
    assert "sample-exchange.yml is valid: 'Find dropped flows'" in out
    assert "::" not in out


def test_validate_reports_every_problem_for_a_person(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    workspace = make_workspace(tmp_path / "repo", "name: 5\ntype: NOPE\npaths: [../x]\n")
    code = main(["validate", "--workspace", str(workspace)], ENV)
    err = capsys.readouterr().err
    assert code == 1
    lines = [line for line in err.splitlines() if line.startswith("error: sample-exchange.yml:")]
    assert len(lines) >= 3
    assert any(line.startswith("error: sample-exchange.yml:2:7:") for line in lines)


def test_publish_with_env_credentials(
    workspace: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    env = ENV | {"SAMPLE_EXCHANGE_TOKEN": "demo-token"}
    argv = ["publish", "--workspace", str(workspace), "--api-url", emulator.base_url]
    code = main([*argv, "--poll-interval", "0.1"], env)
    out = capsys.readouterr().out
    assert code == 0, out
    sample = emulator.samples[0]
    assert sample["branch"] == "v2.0.0"
    assert f"sample-id     {sample['id']}" in out
    assert f"sample-url    {emulator.origin}/samples/{sample['id']}" in out
    assert "demo-token" not in out


def test_publish_dry_run_needs_no_credentials(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main(["publish", "--workspace", str(workspace), "--dry-run"], ENV)
    assert code == 0
    assert "valid" in capsys.readouterr().out


def test_status_once_and_wait(
    workspace: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.configure(job_seconds=0.5)
    env = ENV | {"SAMPLE_EXCHANGE_USERNAME": "demo", "SAMPLE_EXCHANGE_PASSWORD": "demo-password"}
    api = ["--api-url", emulator.base_url]
    from publisher.client import SampleExchangeClient

    job = SampleExchangeClient(emulator.base_url, token="demo-token").submit({"name": "x"})
    assert main(["status", str(job.id), *api], env) == 0
    assert f"Job {job.id}: " in capsys.readouterr().out
    assert main(["status", str(job.id), "--wait", "--poll-interval", "0.1", *api], env) == 0
    out = capsys.readouterr().out
    assert f"sample-id     {emulator.samples[0]['id']}" in out
    assert len(emulator.requests_for(method="POST")) == 1


def test_bad_flag_value_is_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["publish", "--timeout", "-3"], ENV) == 2
    assert "`--timeout` must be more than 0" in capsys.readouterr().err


def test_console_script_and_module_agree(workspace: Path) -> None:
    module = subprocess.run(
        [sys.executable, "-m", "publisher", "validate", "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        env=ENV | {"PATH": ""},
    )
    script = Path(sys.executable).parent / "sample-exchange-publish"
    console = subprocess.run(
        [str(script), "validate", "--workspace", str(workspace)],
        capture_output=True,
        text=True,
        check=False,
        env=ENV | {"PATH": ""},
    )
    assert module.returncode == console.returncode == 0
    assert module.stdout == console.stdout
