"""Fuzzing the loader and validator: whatever the bytes, only ManifestError or success."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.errors import ManifestError
from publisher.manifest import Manifest, RepoContext, load_manifest, schema

KEYS = [*schema()["properties"], "lisence", "<<", "? x", "id"]
YAML_BITS = [
    *(f"{k}: " for k in KEYS),
    "\n",
    "\n  ",
    "- ",
    "[",
    "]",
    "{",
    "}",
    ", ",
    ": ",
    "&a ",
    "*a",
    "!!python/object:os.system ",
    "!!binary ",
    "!!int ",
    "!Ref ",
    "---\n",
    "...\n",
    "|\n  ",
    ">\n  ",
    '"',
    "'",
    "#",
    "\t",
    "\x00",
    "\\",
    "../",
    "/etc/passwd",
    "files/hello.ps1",
    ".nan",
    "1e999",
    "0x1F",
    "8.10",
    "yes",
    "~",
    "é",
    "::set-output ",
]

SETTINGS = settings(
    max_examples=300,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)


def _load(data: bytes) -> Manifest | None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        (root / "files").mkdir()
        (root / "files/hello.ps1").write_text("Write-Host hi\n")
        (root / "sample-exchange.yml").write_bytes(data)
        ctx = RepoContext(root, "https://github.com", "acme/samples", "v1", "tag")
        try:
            return load_manifest("sample-exchange.yml", ctx)
        except ManifestError as e:
            found = e.problems
        assert found
        assert all(p.line >= 1 and p.col >= 1 and p.message for p in found)
        return None


@SETTINGS
@given(st.binary(max_size=2000))
def test_random_bytes(data: bytes) -> None:
    _load(data)


@SETTINGS
@given(st.lists(st.sampled_from(YAML_BITS) | st.text(max_size=8), max_size=60))
def test_random_yaml_ish_text(parts: list[str]) -> None:
    _load("".join(parts).encode("utf-8", "surrogatepass"))


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=20)
    | st.sampled_from(["files/hello.ps1", "../x", "SNIPPET", "GIST", "MIT", "https://x.y"]),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), inner, max_size=4)
    ),
    max_leaves=20,
)


@SETTINGS
@given(st.dictionaries(st.sampled_from(KEYS), json_values, max_size=10))
def test_random_manifest_shaped_documents(doc: dict[str, Any]) -> None:
    result = _load(yaml.safe_dump(doc, allow_unicode=True).encode("utf-8", "surrogatepass"))
    if result is not None:  # whatever passed must be a sendable Contribution
        assert isinstance(result.contribution["name"], str)
        assert result.contribution["type"] in schema()["properties"]["type"]["enum"]
