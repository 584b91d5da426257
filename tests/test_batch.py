"""Many manifests in one step: globs, the worker pool, the shared rate limit, plan output."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest

from emulator import Emulator, FaultRule
from tests.gha import parse_output_file
from tests.harness import collect, run_action, start_action

CREDS = {"username": "demo", "password": "demo-password"}
FAST = {"poll_interval": "0.1"}
GLOB = "samples/**/sample-exchange.yml"


def make_samples(root: Path, names: list[str], broken: dict[str, str] | None = None) -> Path:
    """samples/<name>/ with a script and a manifest each; ``broken`` replaces a manifest."""
    for name in names:
        folder = root / "samples" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "run.ps1").write_text(f"Write-Host {name}\n", encoding="utf-8")
        text = (broken or {}).get(name) or (
            f"name: Sample {name}\ndescription: The {name} sample.\npaths: [samples/{name}]\n"
        )
        (folder / "sample-exchange.yml").write_text(text, encoding="utf-8")
    return root


def manifest_of(name: str) -> str:
    return f"samples/{name}/sample-exchange.yml"


def test_a_glob_publishes_every_sample_in_manifest_order(
    tmp_path: Path, emulator: Emulator
) -> None:
    names = ["alpha", "beta", "gamma", "delta", "epsilon"]
    workspace = make_samples(tmp_path / "repo", names)
    result = run_action(
        workspace, api_url=emulator.base_url, manifest=GLOB, max_concurrency="3", **CREDS, **FAST
    )
    assert result.code == 0, result.stdout + result.stderr
    samples = json.loads(result.outputs["samples"])
    assert [s["manifest"] for s in samples] == [manifest_of(n) for n in sorted(names)]
    published = {s["sample-id"]: s for s in samples}
    assert len(published) == 5
    for entry in samples:
        sample = emulator.sample(entry["sample-id"])
        assert sample is not None
        assert sample["name"] == "Sample " + entry["manifest"].split("/")[1]
        assert entry["sample-url"] == f"{emulator.origin}/samples/{entry['sample-id']}"
        assert entry["state"] == "FINISHED"
        assert entry["error"] is None
        assert emulator.job(entry["job-id"]) is not None
    assert len(emulator.jobs) == 5
    # With several samples the single outputs would be ambiguous: they are not written.
    assert "sample-id" not in result.outputs
    assert "job-id" not in result.outputs
    rows = [line for line in result.summary.splitlines() if line.startswith("| [Sample ")]
    assert len(rows) == 5
    assert all("FINISHED" in row for row in rows)


def test_the_pool_is_bounded_by_max_concurrency(tmp_path: Path, emulator: Emulator) -> None:
    emulator.configure(job_seconds=0.6)
    workspace = make_samples(tmp_path / "repo", ["a", "b", "c", "d", "e", "f"])
    result = run_action(
        workspace, api_url=emulator.base_url, manifest=GLOB, max_concurrency="2", **CREDS, **FAST
    )
    assert result.code == 0, result.stdout + result.stderr
    # Never more than 2 jobs alive at once: a worker submits again only after its job ended.
    spans = [(j["createdAt"], j["finishedSeenAt"]) for j in emulator.jobs]
    for start, _ in spans:
        alive = [s for s, end in spans if s <= start < end]
        assert len(alive) <= 2
    # And the pool did run two at a time.
    assert any(sum(1 for s, e in spans if s <= start < e) == 2 for start, _ in spans)


def test_several_lines_of_paths_and_globs(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["one", "two", "three"])
    spec = f"{manifest_of('two')}\nsamples/o*/sample-exchange.yml\n\n{manifest_of('two')}\n"
    result = run_action(workspace, api_url=emulator.base_url, manifest=spec, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    samples = json.loads(result.outputs["samples"])
    # Line order, a duplicate once, and `three` (named by no line) left out.
    assert [s["manifest"] for s in samples] == [manifest_of("two"), manifest_of("one")]
    assert sorted(j["contribution"]["name"] for j in emulator.jobs) == ["Sample one", "Sample two"]


def test_one_invalid_manifest_means_none_is_submitted(tmp_path: Path, emulator: Emulator) -> None:
    broken = {
        "b": "name: B\ndescription: d\ntype: SCRIPT\n",
        "d": "name: D\ndescription: d\npaths: [nowhere.txt]\n",
    }
    workspace = make_samples(tmp_path / "repo", ["a", "b", "c", "d"], broken)
    result = run_action(workspace, api_url=emulator.base_url, manifest=GLOB, **CREDS)
    assert result.code == 1
    assert emulator.requests == []
    annotated = {
        (e.properties.get("file"), e.properties.get("line")) for e in result.log.named("error")
    }
    assert (manifest_of("b"), "3") in annotated
    assert (manifest_of("d"), "3") in annotated
    assert "2 of 4 manifests have problems" in result.summary
    assert "samples" not in result.outputs


def test_a_glob_that_matches_nothing_is_one_clear_error(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["a"])
    result = run_action(workspace, api_url=emulator.base_url, manifest="nope/**/*.yml", **CREDS)
    assert result.code == 1
    (error,) = result.errors
    assert "matches no file" in error
    assert emulator.requests == []


def test_one_failure_does_not_stop_the_others(tmp_path: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="fail", op="submit", count=1, message="Repo is private"))
    names = ["a", "b", "c", "d"]
    workspace = make_samples(tmp_path / "repo", names)
    result = run_action(workspace, api_url=emulator.base_url, manifest=GLOB, **CREDS, **FAST)
    assert result.code == 1
    failed_job = next(j for j in emulator.jobs if j["job"].get("error"))
    failed = manifest_of(failed_job["contribution"]["name"].removeprefix("Sample "))
    samples = {s["manifest"]: s for s in json.loads(result.outputs["samples"])}
    assert samples[failed]["job-id"] == failed_job["id"]
    assert "Repo is private" in samples[failed]["error"]
    assert samples[failed]["sample-id"] is None
    others = [s for m, s in samples.items() if m != failed]
    assert len(others) == 3
    assert all(s["error"] is None and s["state"] == "FINISHED" for s in others)
    assert len(emulator.samples) == 3
    errors = result.log.named("error")
    per_sample = [e for e in errors if e.properties.get("file") == failed]
    assert len(per_sample) == 1
    assert "Repo is private" in per_sample[0].message
    final = errors[-1].message
    assert f"1 of 4 samples failed: {failed} (job {failed_job['id']}" in final
    assert "1 of 4 failed" in result.summary


def test_a_429_slows_every_worker(tmp_path: Path, emulator: Emulator) -> None:
    emulator.add_fault(FaultRule(kind="status", status=429, op="submit", count=1, retry_after=1.0))
    names = ["a", "b", "c", "d", "e", "f"]
    workspace = make_samples(tmp_path / "repo", names)
    result = run_action(
        workspace, api_url=emulator.base_url, manifest=GLOB, max_concurrency="4", **CREDS, **FAST
    )
    assert result.code == 0, result.stdout + result.stderr
    log = emulator.requests
    (limited,) = [r for r in log if r.status == 429]
    # Requests already on the wire when the 429 was answered may land just after it;
    # once it has been read (well within 0.2 s on loopback), nobody sends until it expires.
    early = [r for r in log if limited.time + 0.2 < r.time < limited.time + 1.0]
    assert early == [], [(r.method, round(r.time - limited.time, 3)) for r in early]
    assert any(r.time >= limited.time + 1.0 for r in log)
    # The refused submit was retried once: exactly one job per manifest.
    assert len(emulator.jobs) == len(names)
    assert sorted(j["contribution"]["name"] for j in emulator.jobs) == [
        f"Sample {n}" for n in names
    ]


def test_one_manifest_keeps_the_single_outputs(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["solo"])
    result = run_action(workspace, api_url=emulator.base_url, manifest=GLOB, **CREDS, **FAST)
    assert result.code == 0, result.stdout + result.stderr
    (entry,) = json.loads(result.outputs["samples"])
    assert result.outputs["sample-id"] == str(entry["sample-id"])
    assert result.outputs["job-id"] == str(entry["job-id"])
    assert result.outputs["sample-url"] == entry["sample-url"]
    assert result.outputs["state"] == "FINISHED"
    assert result.outputs["download-url"].endswith(f"{entry['sample-id']}.zip")


def test_dry_run_of_a_glob_sends_nothing(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["a", "b"])
    result = run_action(workspace, api_url=emulator.base_url, manifest=GLOB, dry_run="true")
    assert result.code == 0, result.stdout + result.stderr
    assert emulator.requests == []
    titles = [g.message for g in result.log.named("group")]
    assert titles == [f"Contribution that would be sent: {manifest_of(n)}" for n in ("a", "b")]
    assert [s["state"] for s in json.loads(result.outputs["samples"])] == ["DRY-RUN"] * 2


def test_plan_writes_the_matrix_and_sends_nothing(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["x", "y", "z"])
    result = run_action(workspace, api_url=emulator.base_url, manifest=GLOB, mode="plan")
    assert result.code == 0, result.stdout + result.stderr
    matrix = json.loads(result.outputs["matrix"])
    assert matrix == {"include": [{"manifest": manifest_of(n)} for n in ("x", "y", "z")]}
    assert emulator.requests == []
    assert "3 valid manifests" in result.summary


def test_plan_with_an_invalid_manifest_fails(tmp_path: Path, emulator: Emulator) -> None:
    workspace = make_samples(tmp_path / "repo", ["x", "y"], {"y": "name: Y\n"})
    result = run_action(workspace, manifest=GLOB, mode="plan")
    assert result.code == 1
    assert "matrix" not in result.outputs
    assert {e.properties.get("file") for e in result.log.named("error")} == {manifest_of("y")}


@pytest.mark.parametrize(("name", "value"), [("max-concurrency", "0"), ("mode", "deploy")])
def test_bad_new_inputs_are_one_clear_error(tmp_path: Path, name: str, value: str) -> None:
    workspace = make_samples(tmp_path / "repo", ["x"])
    result = run_action(workspace, **{name.replace("-", "_"): value})
    assert result.code == 1
    (error,) = result.errors
    assert f"`{name}`" in error


def test_sample_id_input_with_several_manifests_is_refused(
    tmp_path: Path, emulator: Emulator
) -> None:
    workspace = make_samples(tmp_path / "repo", ["a", "b"])
    result = run_action(
        workspace, api_url=emulator.base_url, manifest=GLOB, sample_id="1001", **CREDS
    )
    assert result.code == 1
    assert "sample-id" in result.errors[0]
    assert emulator.requests == []


def test_cancel_stops_every_worker_and_writes_the_jobs_known(
    tmp_path: Path, emulator: Emulator
) -> None:
    emulator.configure(job_seconds=300)
    workspace = make_samples(tmp_path / "repo", ["a", "b", "c", "d", "e"])
    files = tmp_path / "files"
    process = start_action(
        workspace,
        files,
        api_url=emulator.base_url,
        manifest=GLOB,
        max_concurrency="3",
        poll_interval="120",
        token="demo-token",
    )
    for _ in range(400):  # until the three workers have their jobs (bounded, not timing)
        if len(emulator.jobs) == 3:
            break
        time.sleep(0.05)
    time.sleep(0.3)  # let the answers reach the workers
    process.send_signal(signal.SIGTERM)
    started = time.monotonic()
    result = collect(process, files, timeout=20)
    assert time.monotonic() - started < 3
    assert result.code == 1
    samples = json.loads(parse_output_file(result.output_text)["samples"])
    job_ids = sorted(s["job-id"] for s in samples if s["job-id"] is not None)
    assert job_ids == sorted(j["id"] for j in emulator.jobs)
    assert len(job_ids) == 3
    assert [s["job-id"] for s in samples[3:]] == [None, None]
    error = result.errors[-1]
    assert "SIGTERM" in error
    for job_id in job_ids:
        assert f"job {job_id}" in error
    assert "Traceback" not in result.stderr
    assert len(emulator.jobs) == 3
