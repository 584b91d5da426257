"""Faults between the action and the server: nothing lost, nothing published twice."""

from __future__ import annotations

from pathlib import Path

import pytest

from emulator import HOSTILE_TEXT, Emulator, FaultRule
from tests.harness import make_workspace, run_action

CREDS = {"username": "demo", "password": "demo-password"}
FAST = {"poll_interval": "0.1"}


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    return make_workspace(tmp_path / "repo")


def publish(workspace: Path, emulator: Emulator, **inputs: str) -> object:
    return run_action(workspace, api_url=emulator.base_url, **(CREDS | FAST | inputs))


def one_job_published(emulator: Emulator) -> None:
    assert len(emulator.jobs) == 1
    assert len(emulator.samples) == 1


@pytest.mark.parametrize("status", [502, 503, 504])
def test_gateway_burst_on_polls_clears(workspace: Path, emulator: Emulator, status: int) -> None:
    emulator.add_fault(FaultRule(kind="status", status=status, op="poll", count=3))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    one_job_published(emulator)
    polls = emulator.requests_for(method="GET")
    assert [r.status for r in polls[:3]] == [status] * 3


def test_long_poll_outage_is_survived_within_the_deadline(
    workspace: Path, emulator: Emulator
) -> None:
    # More failures than urllib3's own retries: the watcher keeps going.
    emulator.add_fault(FaultRule(kind="html", status=502, op="poll", count=12))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    assert result.log.named("warning"), "the outage is reported as a warning"
    one_job_published(emulator)


@pytest.mark.parametrize("as_date", [False, True])
def test_429_on_submit_is_retried_after_waiting(
    workspace: Path, emulator: Emulator, as_date: bool
) -> None:
    emulator.add_fault(
        FaultRule(
            kind="status",
            status=429,
            op="submit",
            count=1,
            retry_after=1.0,
            retry_after_date=as_date,
        )
    )
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    posts = emulator.requests_for(method="POST")
    assert [r.status for r in posts] == [429, 202]
    assert posts[1].time - posts[0].time >= 0.5  # Retry-After was honoured, not ignored
    one_job_published(emulator)


def test_503_with_retry_after_on_submit_is_retried(workspace: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="status", status=503, op="submit", count=1, retry_after=0.2))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    one_job_published(emulator)


@pytest.mark.parametrize(("kind", "status"), [("status", 503), ("html", 502), ("status", 504)])
def test_ambiguous_submit_failure_is_not_retried(
    workspace: Path, emulator: Emulator, kind: str, status: int
) -> None:
    emulator.add_fault(FaultRule(kind=kind, status=status, op="submit", count=1))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    assert len(emulator.requests_for(method="POST")) == 1
    (error,) = result.errors
    assert str(status) in error
    assert "<" not in error, "HTML is reduced to its text"


def test_read_timeout_on_submit_never_resubmits(workspace: Path, emulator: Emulator) -> None:
    # The server creates the job, then stalls past the client's read timeout.
    emulator.add_fault(FaultRule(kind="stall", op="submit", count=1, seconds=5.0))
    result = run_action(workspace, api_url=emulator.base_url, timeout="1.5", **CREDS)
    assert result.code == 1
    assert len(emulator.requests_for(method="POST")) == 1
    assert len(emulator.jobs) == 1
    (error,) = result.errors
    assert "may have reached the server" in error
    assert "twice" in error


def test_connection_reset_on_submit_never_resubmits(workspace: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="reset", op="submit", count=1, phase="after"))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    assert len(emulator.requests_for(method="POST")) == 1
    assert "may have reached the server" in result.errors[0]


def test_connection_refused_says_check_api_url(workspace: Path) -> None:
    with Emulator() as emu:
        dead = emu.base_url
    result = run_action(workspace, api_url=dead, timeout="5", **CREDS)
    assert result.code == 1
    assert "Could not connect" in result.errors[0]
    assert "api-url" in result.errors[0]


@pytest.mark.parametrize("kind", ["reset", "truncated"])
def test_poll_faults_are_retried(workspace: Path, emulator: Emulator, kind: str) -> None:
    emulator.add_fault(FaultRule(kind=kind, op="poll", count=2))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    one_job_published(emulator)


def test_stalled_poll_is_cut_by_the_read_timeout_and_retried(emulator: Emulator) -> None:
    from publisher.client import SampleExchangeClient

    client = SampleExchangeClient(emulator.base_url, token="demo-token", read_timeout=0.3)
    job = client.submit({"name": "x", "url": "https://github.com/a/b"})
    assert job.id is not None
    emulator.add_fault(FaultRule(kind="stall", op="poll", count=1, seconds=3.0))
    again = client.get_job(job.id)
    assert again.id == job.id
    statuses = [r.status for r in emulator.requests_for(method="GET")]
    assert len(statuses) == 2


def test_stalled_poll_never_outlives_the_deadline(workspace: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="stall", op="poll", seconds=30.0))
    result = run_action(
        workspace, api_url=emulator.base_url, timeout="2", process_timeout=15, **CREDS, **FAST
    )
    assert result.code == 1
    assert f"job-id: {result.outputs['job-id']}" in result.errors[0]


def test_stuck_job_times_out_with_resume_advice(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(job_mode="stuck")
    result = run_action(workspace, api_url=emulator.base_url, timeout="1", **CREDS, **FAST)
    assert result.code == 1
    assert f"job-id: {result.outputs['job-id']}" in result.errors[0]
    assert result.outputs["state"] == "RUNNING"


def test_state_going_backwards_is_waited_out(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(job_mode="regress", job_seconds=0.6)
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    one_job_published(emulator)


def test_unknown_state_is_named(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(job_mode="unknown", unknown_state="PAUSED")
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    assert "'PAUSED'" in result.errors[0]


def test_finished_without_sample_id(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(job_mode="no-sample-id")
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    assert "without a sample id" in result.errors[0]


@pytest.mark.parametrize(
    ("status", "advice"),
    [(403, "permission"), (400, "server's message"), (422, "server's message")],
)
def test_refusals_say_what_to_do(
    workspace: Path, emulator: Emulator, status: int, advice: str
) -> None:
    emulator.add_fault(
        FaultRule(kind="status", status=status, op="submit", count=1, message="name is taken")
    )
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    (error,) = result.errors
    assert f"HTTP {status}" in error
    assert "name is taken" in error
    assert advice in error
    assert "Traceback" not in result.stderr


def test_unknown_job_on_resume(workspace: Path, emulator: Emulator) -> None:
    result = run_action(workspace, api_url=emulator.base_url, job_id="999999", **CREDS)
    assert result.code == 1
    assert "no job 999999" in result.errors[0]
    assert "api-url" in result.errors[0]


def test_200_that_is_not_json_on_submit(workspace: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="html", status=200, op="submit", count=1))
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    assert "not JSON" in result.errors[0]


def test_hostile_server_text_never_acts_as_a_command(workspace: Path, emulator: Emulator) -> None:
    emulator.configure(fail_jobs=HOSTILE_TEXT)
    result = run_action(workspace, api_url=emulator.base_url, **CREDS, **FAST)
    assert result.code == 1
    names = [c.name for c in result.log.commands]
    assert set(names) <= {"add-mask", "group", "endgroup", "error", "stop-commands"}
    assert [c.message for c in result.log.named("add-mask")] == ["demo-password"]
    assert not result.log.legacy
    assert "::set-output name=sample-id::666" in result.errors[0]
    assert "sample-id" not in result.outputs
