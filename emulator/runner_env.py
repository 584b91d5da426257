"""The environment a GitHub runner gives this Docker action, for the demo, tests and bench.

Every input ``action.yml`` declares is present as ``INPUT_<NAME>`` (upper-cased,
hyphens kept; its default, or '' when unset), beside ``GITHUB_OUTPUT``,
``GITHUB_STEP_SUMMARY`` and a tag push's variables. An input the action does not
declare is refused, so renaming one in ``action.yml`` alone breaks its callers.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ACTION_YML = ROOT / "action.yml"


def declared_inputs(action_yml: Path = ACTION_YML) -> dict[str, str]:
    """Every input ``action.yml`` declares → its default ('' when none)."""
    import yaml  # the emulator itself needs only the standard library

    meta = yaml.safe_load(action_yml.read_text(encoding="utf-8"))
    return {name: str(spec.get("default", "")) for name, spec in meta["inputs"].items()}


def input_env(given: Mapping[str, str], action_yml: Path = ACTION_YML) -> dict[str, str]:
    """The ``INPUT_*`` variables for ``given`` inputs (``api-url`` or ``api_url``)."""
    inputs = declared_inputs(action_yml)
    values = {name.replace("_", "-"): value for name, value in given.items()}
    unknown = sorted(set(values) - set(inputs))
    if unknown:
        raise KeyError(f"inputs not declared in action.yml: {unknown}")
    return {f"INPUT_{name.upper()}": values.get(name, default) for name, default in inputs.items()}


def runner_env(
    workspace: Path, files: Path, repository: str = "acme/hello-sample", **inputs: str
) -> dict[str, str]:
    """A tag push's environment; ``files`` gets fresh, empty output and summary files."""
    files.mkdir(parents=True, exist_ok=True)
    for name in ("set_output", "step_summary"):
        (files / name).write_text("", encoding="utf-8")
    return {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(files),
        "GITHUB_ACTIONS": "true",
        "GITHUB_WORKSPACE": str(workspace),
        "GITHUB_OUTPUT": str(files / "set_output"),
        "GITHUB_STEP_SUMMARY": str(files / "step_summary"),
        "GITHUB_REF": "refs/tags/v1.2.3",
        "GITHUB_REF_NAME": "v1.2.3",
        "GITHUB_REF_TYPE": "tag",
        "GITHUB_SERVER_URL": "https://github.com",
        "GITHUB_REPOSITORY": repository,
    } | input_env(inputs)
