"""The hostile corpus: every file is refused with its expected message at its line, nothing else."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from publisher.errors import ManifestError
from publisher.manifest import RepoContext, load_manifest

CORPUS = Path(__file__).resolve().parent / "manifests"
EXPECTED: dict[str, list[str | int]] = json.loads((CORPUS / "expected.json").read_text())
CTX = RepoContext(
    workspace=CORPUS,
    server_url="https://github.com",
    repository="acme/samples",
    ref_name="v1.0.0",
    ref_type="tag",
)


def test_the_corpus_is_large_and_fully_described() -> None:
    files = sorted(p.name for p in CORPUS.glob("*.yml"))
    assert len(files) >= 40
    assert files == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hostile_manifest_is_refused_with_its_message(name: str) -> None:
    substring, line = EXPECTED[name]
    with pytest.raises(ManifestError) as caught:
        load_manifest(name, CTX)
    found = caught.value.problems
    assert found, name
    assert all(p.file == name and p.line >= 1 and p.col >= 1 for p in found)
    assert any(str(substring) in p.message and p.line == line for p in found), [
        str(p) for p in found
    ]


def test_symlinks_in_the_corpus_really_lead_outside() -> None:
    # The escape cases mean nothing if the links were flattened (e.g. by a checkout).
    for link in ("outside-link.txt", "outside-dir"):
        path = CORPUS / "files" / link
        assert path.is_symlink()
        assert not path.resolve().is_relative_to(CORPUS)
