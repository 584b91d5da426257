"""The fast paths of manifest loading (libyaml events, remembered folders) change no result.

Each test compares the fast path with the reference code it replaces: PyYAML's pure-Python
loader for YAML, and pathlib's strict resolve for the files a manifest names.
"""

from __future__ import annotations

import os
import re
from pathlib import Path, PurePosixPath

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.startup import write_large_workspace
from publisher import manifest_yaml
from publisher.manifest import _locate
from publisher.manifest_yaml import Loaded, parse

ROOT = Path(__file__).resolve().parent.parent
CORPUS = ROOT / "tests" / "manifests"


def reference(text: str) -> Loaded:
    return manifest_yaml._parse_with(manifest_yaml._Loader, text)


needs_libyaml = pytest.mark.skipif(not yaml.__with_libyaml__, reason="PyYAML without libyaml")


@needs_libyaml
def test_a_plain_manifest_takes_the_fast_path(tmp_path: Path) -> None:
    text = (write_large_workspace(tmp_path, paths=50, tags=20) / "sample-exchange.yml").read_text()
    fast = manifest_yaml._fast(text)
    assert fast is not None
    assert not fast.problems
    assert fast == reference(text)
    assert len(fast.value["paths"]) == 50
    assert fast.keys[("tags", 1, "name")].line > 50


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.yml")), ids=lambda p: p.name)
def test_every_corpus_manifest_reads_as_the_reference_reads_it(path: Path) -> None:
    text = path.read_bytes().decode("utf-8-sig", "replace")
    assert parse(text) == reference(text)


# Documents where libyaml alone would differ: place an empty value elsewhere, read a lone `!`
# as text, skip an inner BOM, or accept what PyYAML refuses (a tab, `|#`, `?` in a flow).
@pytest.mark.parametrize(
    "text",
    ["---", "a: []\nb: {x: }\n", "!", "a: !\nb: 1", "\ufeff\ufeff", "a\t", "|#", ">#", "[a ?]"],
)
def test_where_libyaml_differs_the_reference_decides(text: str) -> None:
    assert parse(text) == reference(text)


TOKENS = [
    *("a", "b: ", ":", " ", "  ", "\n", "\r\n", "\r", "- ", "-", "[", "]", "{", "}", ","),
    *("&x ", "*x", "!!str ", "!!int ", "!t ", "!", "'", '"', "#", "|", ">", "? ", "?", "\t"),
    *("%YAML 1.1\n", "%TAG ! tag:x,2000:\n", "---", "...", "1", "0x1", "1.5", "é", "\u2028"),
    *("\x85", "\\", "~", "null", "yes", "<<: ", "%", "@", "`", "\ufeff", "key: value\n"),
    *("  - item\n", "|-\n  x\n", ">+\n  y\n\n", "'a''b'", '"\\x41"', "a: b\n  c: d\n", "\n  "),
]


@settings(max_examples=400, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(st.sampled_from(TOKENS), max_size=30).map("".join))
def test_yaml_soup_reads_as_the_reference_reads_it(text: str) -> None:
    assert parse(text) == reference(text)


# --------------------------------------------------------------------------- paths


def reference_locate(raw: str, workspace: Path) -> tuple[str, str]:
    """The resolution before folders were remembered: pathlib all the way."""
    if "\0" in raw:
        return "", "contains a NUL character"
    if "\\" in raw:
        return "", "must use forward slashes (/)"
    relative = PurePosixPath(raw)
    if relative.is_absolute() or re.match(r"^[A-Za-z]:", raw):
        return "", "must be relative to the repository root, not absolute"
    if ".." in relative.parts:
        return "", "must not contain '..': paths stay inside the repository"
    target = workspace / relative
    try:
        resolved = target.resolve(strict=True)
    except FileNotFoundError:
        if os.path.lexists(target):
            return "", "is a symlink to something that does not exist"
        return "", "does not exist in the repository"
    except (OSError, RuntimeError, ValueError):
        return "", "cannot be resolved (a symlink loop?)"
    if not resolved.is_relative_to(workspace):
        return "", "leads outside the repository through a symlink"
    return str(resolved), ""


@pytest.fixture(scope="module")
def tricky(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("paths")
    outside = base / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "secret.txt").write_text("s")
    workspace = base / "ws"
    (workspace / "a" / "b").mkdir(parents=True)
    (workspace / "a" / "f.txt").write_text("f")
    (workspace / "a" / "b" / "g.txt").write_text("g")
    (workspace / "a" / "in").symlink_to(workspace / "a" / "b", target_is_directory=True)
    (workspace / "a" / "out").symlink_to(outside, target_is_directory=True)
    (workspace / "a" / "leak.txt").symlink_to(outside / "secret.txt")
    (workspace / "a" / "dangling").symlink_to(base / "missing")
    (workspace / "a" / "loop").symlink_to(workspace / "a" / "loop")
    (workspace / "up").symlink_to(base, target_is_directory=True)  # up/ws is the workspace
    (workspace / "self").symlink_to(workspace, target_is_directory=True)
    return workspace.resolve()


PARTS = ["a", "b", "f.txt", "g.txt", "in", "out", "leak.txt", "dangling", "loop", "up", "ws"]
PARTS += ["self", "deep", "secret.txt", "missing", ".", "..", "", "C:"]


@settings(max_examples=300, suppress_health_check=list(HealthCheck), deadline=None)
@given(st.lists(st.lists(st.sampled_from(PARTS), max_size=5).map("/".join), max_size=12))
def test_remembered_folders_resolve_as_pathlib_does(tricky: Path, raws: list[str]) -> None:
    folders: dict[str, str] = {}  # shared across the list, as for one manifest's paths
    for raw in raws:
        assert _locate(raw, tricky, folders) == reference_locate(raw, tricky), raw


def test_the_named_tricky_paths_resolve_as_pathlib_does(tricky: Path) -> None:
    folders: dict[str, str] = {}
    raws = ["a/f.txt", "a/in/g.txt", "a/out/secret.txt", "a/leak.txt", "a/dangling", "a/loop"]
    raws += ["a/loop/x", "a/f.txt/x", "up/ws", "up/ws/a/f.txt", "self/a/f.txt", "a/", "./a//b/"]
    raws += [".", "", "a/missing", "missing/x", "/etc/passwd", "a\\b", "a/../a"]
    results = [_locate(raw, tricky, folders) for raw in raws]
    assert results == [reference_locate(raw, tricky) for raw in raws]
    assert results[0] == (str(tricky / "a" / "f.txt"), "")
    assert results[2] == ("", "leads outside the repository through a symlink")
    assert folders  # folders were remembered along the way
