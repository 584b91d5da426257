"""Helpers shared by the e2e tests: how a GitHub runner hands things to a Docker action.

The input environment the runner builds from ``action.yml``, the file-command parser
that follows the runner's rules, an emulator subprocess, the action's files as GitHub
checks them out, and the one place that decides whether e2e can run at all.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from emulator.runner_env import declared_inputs, input_env

__all__ = ["declared_inputs", "input_env"]  # shared with the demo, tests and bench

REPO = Path(__file__).resolve().parents[2]

# CI sets this: an e2e test that cannot run is then a failure, never a skip.
REQUIRED = os.environ.get("E2E_REQUIRED") == "1"
HINT = "run `tests/e2e/setup.sh` as root to set one up; E2E_REQUIRED=1 makes this a failure"

# The tag the image is built under by the tests (never pushed anywhere).
IMAGE_TAG = "sample-exchange-publish:e2e"

# Tag context of a push of tag v1.2.3, as the runner sets it.
TAG_ENV = {
    "GITHUB_ACTIONS": "true",
    "CI": "true",
    "GITHUB_EVENT_NAME": "push",
    "GITHUB_REF": "refs/tags/v1.2.3",
    "GITHUB_REF_NAME": "v1.2.3",
    "GITHUB_REF_TYPE": "tag",
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/hello-sample",
    "GITHUB_SHA": "0123456789abcdef0123456789abcdef01234567",
    "RUNNER_OS": "Linux",
}


@functools.cache
def engine_problem() -> str | None:
    """Why no Docker engine can be used, or None when ``docker info`` answers."""
    docker = shutil.which("docker")
    if docker is None:
        return "no docker CLI on PATH"
    try:
        info = subprocess.run(
            [docker, "info", "--format", "{{.ServerVersion}}"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except subprocess.TimeoutExpired:
        return "`docker info` did not answer within 30 s"
    if info.returncode != 0:
        lines = (info.stderr or info.stdout).strip().splitlines()
        return f"no Docker engine answers ({lines[-1] if lines else 'docker info failed'})"
    return None


def skip_module_without_engine() -> None:
    """Skip the calling test module when no engine answers (unless E2E_REQUIRED=1).

    Raised here, so every module's skip points at this line with the same reason and
    pytest folds them into one summary line.
    """
    problem = engine_problem()
    if problem and not REQUIRED:
        pytest.skip(f"e2e skipped: {problem} ({HINT})", allow_module_level=True)


def _read_line(text: str, index: int) -> tuple[str | None, int, str | None]:
    """(line, next index, newline) as the runner's ReadLine: LF or CRLF ends a line."""
    if index >= len(text):
        return None, index, None
    end = text.find("\n", index)
    if end < 0:
        return text[index:], len(text), None
    if end > index and text[end - 1] == "\r":
        return text[index : end - 1], end + 1, "\r\n"
    return text[index:end], end + 1, "\n"


def parse_file_command(text: str) -> dict[str, str]:
    """Parse a ``GITHUB_OUTPUT``-style file the way actions/runner does.

    ``name=value`` lines, or ``name<<DELIM`` followed by the value's lines and a
    line that is exactly ``DELIM``; whichever of ``=`` and ``<<`` comes first
    decides. A missing delimiter or an empty name is an error (the runner fails
    the step); a later value for the same name wins.
    """
    result: dict[str, str] = {}
    line, index, _ = _read_line(text, 0)
    while line is not None:
        if line:
            eq, heredoc = line.find("="), line.find("<<")
            if eq >= 0 and (heredoc < 0 or eq < heredoc):
                key, value = line.split("=", 1)
                if not key:
                    raise ValueError(f"Invalid format {line!r}. Name must not be empty")
            elif heredoc >= 0:
                key, delimiter = line.split("<<", 1)
                if not key or not delimiter:
                    raise ValueError(f"Invalid format {line!r}: empty name or delimiter")
                start = end = index
                temp, index, newline = _read_line(text, index)
                while temp != delimiter:
                    if temp is None:
                        raise ValueError(f"Matching delimiter not found {delimiter!r}")
                    if newline is None:
                        raise ValueError("EOF marker missing new line")
                    end = index - len(newline)
                    temp, index, newline = _read_line(text, index)
                value = text[start:end] if end > start else ""
            else:
                raise ValueError(f"Invalid format {line!r}")
            result[key] = value
        line, index, _ = _read_line(text, index)
    return result


@contextmanager
def emulator(*args: str) -> Iterator[str]:
    """Run ``python -m emulator --port 0 ARGS`` on 127.0.0.1; yield its base URL."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--quiet", *args],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http://127.0.0.1:"):
            raise RuntimeError(f"emulator did not print its base URL: {base_url!r}")
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get_json(url: str) -> Any:
    """GET a JSON document from the emulator (loopback only)."""
    assert url.startswith("http://127.0.0.1:"), url
    with urllib.request.urlopen(url, timeout=10) as response:  # noqa: S310 - loopback http
        return json.load(response)


def origin(base_url: str) -> str:
    """``http://127.0.0.1:PORT`` of a base URL (where ``/_admin/`` lives)."""
    scheme, _, rest = base_url.partition("://")
    return f"{scheme}://{rest.split('/', 1)[0]}"


def stage_action(dest: Path) -> Path:
    """Copy the action's repository as a checkout would hold it: the files git
    tracks or would track (not ``.venv``, caches or anything ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        check=True,
        capture_output=True,
    ).stdout.decode()
    for rel in filter(None, listed.split("\0")):
        src = REPO / rel
        if rel.startswith(".github/") or not src.is_file():
            continue  # deleted in the work tree, or workflows act must not pick up
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(src, target)
    return dest


def write_sample(workspace: Path, folder: str = "", name: str = "Hello e2e sample") -> Path:
    """A small sample in ``workspace/folder``: a manifest (url and branch left to their
    defaults) and one script, named relative to the repository root as manifests do."""
    home = workspace / folder
    (home / "scripts").mkdir(parents=True, exist_ok=True)
    (home / "scripts" / "hello.sh").write_text("#!/bin/sh\necho hello\n", encoding="utf-8")
    script = (Path(folder) / "scripts" / "hello.sh").as_posix()
    manifest = home / "sample-exchange.yml"
    manifest.write_text(
        f"name: {name}\n"
        "type: REPOSITORY\n"
        "description: |\n"
        "  Says **hello** from an e2e test.\n"
        f"paths: [{script}]\n"
        "license: MIT\n"
        "tags:\n"
        "  - {category: Language, name: Shell}\n"
        "  - Testing\n",
        encoding="utf-8",
    )
    return manifest
