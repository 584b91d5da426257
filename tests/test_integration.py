"""entrypoint.py as a subprocess, with a runner's environment, against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from emulator import Emulator
from tests.harness import make_workspace, run_action

CREDS = {"username": "demo", "password": "demo-password"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "repo")


def test_create_on_a_tag(workspace: Path, emulator: Emulator) -> None:
    result = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    assert result.code == 0, result.stdout + result.stderr
    sample_id = result.outputs["sample-id"]
    assert result.outputs["sample-url"] == f"{emulator.origin}/samples/{sample_id}"
    assert result.outputs["state"] == "FINISHED"
    assert result.outputs["download-url"].endswith(f"{sample_id}.zip")
    job = emulator.job(int(result.outputs["job-id"]))
    assert job is not None
    assert job["state"] == "FINISHED"
    sample = emulator.sample(int(sample_id))
    assert sample is not None
    assert sample["branch"] == "v1.2.3"
    assert sample["gitHubUrl"] == "https://github.com/acme/flows"
    assert sample["name"] == "Find dropped flows"
    assert "<strong>firewall rule</strong>" in sample["readmeHtml"]
    assert len(emulator.requests_for(method="POST")) == 1
    assert "Find dropped flows" in result.summary
    assert f"({emulator.origin}/samples/{sample_id})" in result.summary
    assert result.errors == []


def test_job_id_is_written_before_the_job_finishes(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(fail_jobs="boom")
    result = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    assert result.code == 1
    lines = result.output_text.splitlines()
    assert lines[0].startswith("job-id<<")
    assert result.outputs["job-id"] == str(emulator.jobs[0]["id"])


def test_update_an_existing_sample(workspace: Path, emulator: Emulator) -> None:
    existing = emulator.add_sample({"name": "Old name", "branch": "v1.0.0"})
    result = run_action(
        workspace,
        api_url=emulator.base_url,
        poll_interval="0.1",
        sample_id=str(existing["id"]),
        **CREDS,
    )
    assert result.code == 0, result.stdout + result.stderr
    assert result.outputs["sample-id"] == str(existing["id"])
    puts = emulator.requests_for(method="PUT")
    assert len(puts) == 1
    assert not emulator.requests_for(method="POST")
    assert json.loads(puts[0].body)["id"] == existing["id"]
    updated = emulator.sample(existing["id"])
    assert updated is not None
    assert (updated["name"], updated["branch"]) == ("Find dropped flows", "v1.2.3")
    assert len(emulator.samples) == 1


def test_update_from_the_manifest_sample_id(tmp_path: Path, emulator: Emulator) -> None:
    existing = emulator.add_sample({"name": "Old"})
    manifest = (
        f"name: New\ndescription: d\npaths: [scripts/find-flows.ps1]\nsample-id: {existing['id']}\n"
    )
    workspace = make_workspace(tmp_path / "repo", manifest)
    result = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    assert result.code == 0, result.stdout + result.stderr
    assert len(emulator.requests_for(method="PUT")) == 1


def test_resume_submits_nothing(workspace: Path, emulator: Emulator) -> None:
    first = run_action(workspace, api_url=emulator.base_url, timeout="0.05", **CREDS)
    assert first.code == 1
    job_id = first.outputs["job-id"]
    assert f"job-id: {job_id}" in "\n".join(first.errors)
    resumed = run_action(workspace, api_url=emulator.base_url, job_id=job_id, **CREDS)
    assert resumed.code == 0, resumed.stdout + resumed.stderr
    assert resumed.outputs["job-id"] == job_id
    assert resumed.outputs["sample-id"] == str(emulator.samples[0]["id"])
    assert len(emulator.requests_for(method="POST")) == 1


def test_job_error_is_a_failure_with_the_message(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(fail_jobs="Repository acme/flows is not public")
    result = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    assert result.code == 1
    assert len(result.errors) == 1
    assert "Repository acme/flows is not public" in result.errors[0]
    assert "stackTrace" not in result.stdout
    assert "at com." not in result.stdout
    assert "failed" in result.summary
    assert result.outputs["state"] == "FINISHED"


def test_stack_trace_only_when_debugging(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(fail_jobs="boom", stack_trace="java.lang.IllegalStateException: deep")
    quiet = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    debug = run_action(
        workspace,
        extra_env={"RUNNER_DEBUG": "1"},
        api_url=emulator.base_url,
        poll_interval="0.1",
        **CREDS,
    )
    assert "IllegalStateException" not in quiet.stdout
    debug_lines = [c.message for c in debug.log.named("debug")]
    assert any("IllegalStateException" in line for line in debug_lines)


def test_wrong_password_is_401_with_advice(workspace: Path, emulator: Emulator) -> None:
    result = run_action(
        workspace, api_url=emulator.base_url, username="demo", password="wrong-password"
    )
    assert result.code == 1
    assert len(result.errors) == 1
    assert "401" in result.errors[0]
    assert "secret" in result.errors[0]
    assert emulator.jobs == []


def test_timeout_names_the_job_and_how_to_resume(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(job_seconds=30)
    result = run_action(
        workspace, api_url=emulator.base_url, timeout="0.6", poll_interval="0.2", **CREDS
    )
    assert result.code == 1
    job_id = result.outputs["job-id"]
    (error,) = result.errors
    assert f"Job {job_id}" in error
    assert f"job-id: {job_id}" in error
    assert result.outputs["state"] in ("NEW", "RUNNING")


def test_dry_run_sends_nothing(workspace: Path, emulator: Emulator) -> None:
    result = run_action(workspace, api_url=emulator.base_url, dry_run="true")
    assert result.code == 0, result.stdout + result.stderr
    assert emulator.requests == []
    groups = result.log.named("group")
    assert groups
    assert "would be sent" in groups[0].message
    body_start = result.stdout.index("{")
    body = json.loads(result.stdout[body_start : result.stdout.rindex("}") + 1])
    assert body["name"] == "Find dropped flows"
    assert body["branch"] == "v1.2.3"
    assert "dry run" in result.summary


def test_bearer_token(workspace: Path, emulator: Emulator) -> None:
    result = run_action(
        workspace, api_url=emulator.base_url, token="demo-token", poll_interval="0.1"
    )
    assert result.code == 0, result.stdout + result.stderr
    assert {r.auth for r in emulator.requests} == {"bearer"}
    assert result.log.named("add-mask")[0].message == "demo-token"


def test_no_credentials_fails_before_any_request(workspace: Path, emulator: Emulator) -> None:
    result = run_action(workspace, api_url=emulator.base_url)
    assert result.code == 1
    assert "credentials" in result.errors[0]
    assert emulator.requests == []


def test_manifest_problem_is_annotated_at_its_line(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_workspace(
        tmp_path / "repo", "name: x\ndescription: d\ntype: SCRIPT\npaths: [missing.txt]\n"
    )
    result = run_action(workspace, api_url=emulator.base_url, **CREDS)
    assert result.code == 1
    errors = result.log.named("error")
    assert {(e.properties["file"], e.properties["line"]) for e in errors} == {
        ("sample-exchange.yml", "3"),
        ("sample-exchange.yml", "4"),
    }
    assert emulator.requests == []
    assert "Traceback" not in result.stderr


def test_sample_url_falls_back_when_no_web_url(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(web_url=False)
    result = run_action(workspace, api_url=emulator.base_url, poll_interval="0.1", **CREDS)
    assert result.code == 0
    assert result.outputs["sample-url"] == (
        f"https://code.vmware.com/samples/{result.outputs['sample-id']}"
    )


def test_invalid_input_is_one_clear_error(workspace: Path, emulator: Emulator) -> None:
    result = run_action(workspace, api_url=emulator.base_url, timeout="soon", **CREDS)
    assert result.code == 1
    assert result.errors == [
        "`timeout` must be a number of seconds, not 'soon'. For example: 600 or 2.5."
    ]
    assert "Traceback" not in result.stderr
