"""The README's tables are the action's contract: they must match action.yml."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def table(section: str) -> dict[str, list[str]]:
    """Rows of the first table under ``### {section}``: first cell → the other cells."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split(f"### {section}\n", 1)[1]
    rows: dict[str, list[str]] = {}
    for line in body.splitlines():
        if not line.startswith("|"):
            if rows:
                break
            continue
        cells = [c.strip() for c in line.strip("|").split("|")]
        name = cells[0].strip("`")
        if name in ("input", "output") or set(name) <= {"-"}:
            continue
        rows[name] = cells[1:]
    return rows


def action() -> dict[str, dict[str, dict[str, str]]]:
    data: dict[str, dict[str, dict[str, str]]] = yaml.safe_load(
        (ROOT / "action.yml").read_text(encoding="utf-8")
    )
    return data


def test_inputs_table_matches_action_yml() -> None:
    rows = table("Inputs")
    inputs = action()["inputs"]
    assert list(rows) == list(inputs)
    for name, spec in inputs.items():
        default = str(spec.get("default", ""))
        shown = rows[name][0].strip("`")
        assert shown == (default or "empty"), name


def test_outputs_table_matches_action_yml() -> None:
    assert list(table("Outputs")) == list(action()["outputs"])


def test_action_runs_the_dockerfile() -> None:
    runs = action()["runs"]
    assert runs == {"using": "docker", "image": "Dockerfile"}
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    assert re.search(r'^ENTRYPOINT \["python", "/app/entrypoint.py"\]$', dockerfile, re.M)
    assert re.search(r"^FROM python:3\.\d+-slim", dockerfile, re.M)


def test_quick_start_is_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quick.strip().splitlines()]
    assert commands == ["make demo", "make test"]
