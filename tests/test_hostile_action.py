"""Every hostile manifest in the corpus, through the real entrypoint.

Each must end with exit 1, an error annotation at the expected file:line, no
traceback, and no request sent (the emulator's log stays empty).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from emulator import Emulator
from tests.gha import parse_log
from tests.harness import ENTRYPOINT, declared_inputs

CORPUS = Path(__file__).parent / "manifests"
EXPECTED: dict[str, list[object]] = json.loads((CORPUS / "expected.json").read_text())


def test_corpus_is_large_and_complete() -> None:
    files = {p.name for p in CORPUS.glob("*.yml")}
    assert len(files) >= 40
    assert files == set(EXPECTED)


@pytest.fixture(scope="module")
def server() -> Iterator[Emulator]:
    with Emulator() as emu:
        yield emu


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_manifest_is_refused_at_its_line(name: str, server: Emulator) -> None:
    substring, line = EXPECTED[name]
    env = {f"INPUT_{k.upper()}": v for k, v in declared_inputs().items()}
    env |= {
        "PATH": os.environ.get("PATH", ""),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(CORPUS),
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": "acme/samples",
        "GITHUB_REF_NAME": "v1.0.0",
        "GITHUB_REF_TYPE": "tag",
        "INPUT_MANIFEST": name,
        "INPUT_API-URL": server.base_url,
        "INPUT_TOKEN": "demo-token",
    }
    before = server.request_count
    done = subprocess.run(
        [sys.executable, str(ENTRYPOINT)],
        env=env,
        cwd=CORPUS,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr
    errors = parse_log(done.stdout).named("error")
    assert errors, done.stdout
    assert all(e.properties.get("file") == name for e in errors)
    assert any(
        str(substring) in e.message and e.properties.get("line") == str(line) for e in errors
    ), [(e.properties.get("line"), e.message) for e in errors]
    assert server.request_count == before, "a hostile manifest must send no request"
