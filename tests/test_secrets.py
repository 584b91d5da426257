"""No secret reaches a log, an output or the summary, in any scenario.

Every run uses planted values for the password, the token and the
contributor's GitHub token that the server returns inside each Sample; the
only place a credential may appear is the ``::add-mask::`` command itself,
which the runner consumes.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from emulator import HOSTILE_TEXT, PLANTED_GITHUB_TOKEN, Emulator, FaultRule
from tests.harness import Result, make_workspace, run_action

PASSWORD = "Pl4nted-Passw0rd-9f1c"
TOKEN = "pl4nted-bearer-token-77aa"
SECRETS = (PASSWORD, TOKEN, PLANTED_GITHUB_TOKEN)

Scenario = Callable[[Emulator], dict[str, str]]


def basic(emu: Emulator) -> dict[str, str]:
    return {"username": "demo", "password": PASSWORD}


def bearer(emu: Emulator) -> dict[str, str]:
    return {"token": TOKEN}


def both(emu: Emulator) -> dict[str, str]:
    return {"username": "demo", "password": PASSWORD, "token": TOKEN}


def job_error(emu: Emulator) -> dict[str, str]:
    emu.configure(fail_jobs=f"failed for {PASSWORD}", stack_trace=f"at x {TOKEN}")
    return both(emu)


def server_echoes_secret(emu: Emulator) -> dict[str, str]:
    emu.add_fault(
        FaultRule(kind="status", status=400, op="submit", message=f"bad password {PASSWORD}")
    )
    return basic(emu)


def hostile(emu: Emulator) -> dict[str, str]:
    emu.configure(fail_jobs=HOSTILE_TEXT + TOKEN)
    return bearer(emu)


def wrong_secret(emu: Emulator) -> dict[str, str]:
    emu.configure(password="the-real-one", token="the-real-token")
    return both(emu)


def timeout(emu: Emulator) -> dict[str, str]:
    emu.configure(job_seconds=30)
    return both(emu) | {"timeout": "0.5"}


def gateway(emu: Emulator) -> dict[str, str]:
    emu.add_fault(FaultRule(kind="html", status=502, op="poll", count=2))
    return both(emu)


def dry_run(emu: Emulator) -> dict[str, str]:
    return both(emu) | {"dry-run": "true"}


def resume(emu: Emulator) -> dict[str, str]:
    return both(emu) | {"job-id": "999"}


SCENARIOS: list[Scenario] = [
    basic,
    bearer,
    both,
    job_error,
    server_echoes_secret,
    hostile,
    wrong_secret,
    timeout,
    gateway,
    dry_run,
    resume,
]


def scan(result: Result) -> list[str]:
    leaks = []
    for line in result.stdout.splitlines():
        if line.startswith("::add-mask::"):
            continue
        leaks += [f"stdout: {line}" for s in SECRETS if s in line]
    for name, text in (
        ("stderr", result.stderr),
        ("GITHUB_OUTPUT", result.output_text),
        ("GITHUB_STEP_SUMMARY", result.summary),
    ):
        leaks += [f"{name}: {s}" for s in SECRETS if s in text]
    return leaks


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
@pytest.mark.parametrize("debug", ["0", "1"])
def test_no_secret_leaks(tmp_path: Path, scenario: Scenario, debug: str) -> None:
    with Emulator(job_seconds=0.3, password=PASSWORD, token=TOKEN) as emu:
        inputs = scenario(emu)
        workspace = make_workspace(tmp_path / "repo")
        extra = {"RUNNER_DEBUG": debug}
        result = run_action(workspace, extra, api_url=emu.base_url, poll_interval="0.1", **inputs)
    assert scan(result) == []
    masks = [c.message for c in result.log.named("add-mask")]
    expected = [s for s in (PASSWORD, TOKEN) if s in inputs.values()]
    assert sorted(masks) == sorted(expected)
    first_lines = result.stdout.splitlines()[: len(expected)]
    assert all(line.startswith("::add-mask::") for line in first_lines)


def test_the_scan_finds_a_leak() -> None:
    leaked = Result(0, f"x {PASSWORD}", "", {}, "", "")
    assert scan(leaked) == [f"stdout: x {PASSWORD}"]
