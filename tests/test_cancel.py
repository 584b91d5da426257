"""A cancelled run (SIGTERM/SIGINT) stops at once and leaves what is needed to resume."""

from __future__ import annotations

import signal
import time
from pathlib import Path

import pytest

from emulator import Emulator
from tests.gha import parse_output_file
from tests.harness import collect, make_workspace, start_action


def wait_for_output(path: Path, name: str) -> str:
    """Block until the action has written ``name`` (bounded, not a timing assertion)."""
    for _ in range(400):
        outputs = parse_output_file(path.read_text(encoding="utf-8")) if path.exists() else {}
        if name in outputs:
            return outputs[name]
        time.sleep(0.05)
    raise AssertionError(f"{name} was never written")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_cancel_while_waiting_writes_job_id_and_how_to_resume(
    tmp_path: Path, emulator: Emulator, sig: signal.Signals
) -> None:
    emulator.configure(job_seconds=300)
    workspace = make_workspace(tmp_path / "repo")
    files = tmp_path / "files"
    # A 120 s first wait: the run can only end in time if the signal cuts the sleep.
    process = start_action(
        workspace,
        files,
        api_url=emulator.base_url,
        token="demo-token",
        poll_interval="120",
    )
    job_id = wait_for_output(files / "set_output", "job-id")
    process.send_signal(sig)
    result = collect(process, files, timeout=20)
    assert result.code == 1
    assert result.outputs["job-id"] == job_id
    assert result.outputs["state"] == "NEW"
    (error,) = result.errors
    assert sig.name in error
    assert f"job-id: {job_id}" in error
    assert f"job-id: {job_id}" in result.summary
    assert "Traceback" not in result.stderr
    assert len(emulator.jobs) == 1


def test_cancel_during_a_stalled_submit(tmp_path: Path, emulator: Emulator) -> None:
    from emulator import FaultRule

    emulator.add_fault(FaultRule(kind="stall", op="submit", phase="before", seconds=60))
    workspace = make_workspace(tmp_path / "repo")
    files = tmp_path / "files"
    process = start_action(workspace, files, api_url=emulator.base_url, token="demo-token")
    for _ in range(400):  # until the submit has reached the server
        if emulator.requests_for(method="POST"):
            break
        time.sleep(0.05)
    process.send_signal(signal.SIGTERM)
    result = collect(process, files, timeout=20)
    assert result.code == 1
    (error,) = result.errors
    assert "a job may exist" in error
    assert "job-id" not in result.outputs
