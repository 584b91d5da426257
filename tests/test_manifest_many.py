"""find_manifests (globs, several lines) and the `init` proposal and its rendering."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from publisher.errors import ConfigError
from publisher.manifest import (
    SCHEMA_ID,
    RepoContext,
    find_manifests,
    load_manifest,
    propose_manifest,
    render_manifest_yaml,
)
from publisher.manifest_init import detect_license

MIT = """MIT License

Copyright (c) 2024 Acme

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
"""
APACHE = "          Apache License\n         Version 2.0, January 2004\n"
BSD3 = (
    "Redistribution and use in source and binary forms, with or without\nmodification, are "
    "permitted...\n3. Neither the name of the copyright holder nor the names of its contributors"
)
BSD2 = "Redistribution and use in source and binary forms, with or without\nmodification"
GPL3 = "         GNU GENERAL PUBLIC LICENSE\n          Version 3, 29 June 2007\n"
MPL2 = "Mozilla Public License Version 2.0\n==================================\n"


def touch(root: Path, *names: str) -> None:
    for name in names:
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("name: x\n")


# --------------------------------------------------------------------------- find_manifests


def test_single_path(tmp_path: Path) -> None:
    touch(tmp_path, "sample-exchange.yml")
    assert find_manifests("sample-exchange.yml", tmp_path) == [
        tmp_path.resolve() / "sample-exchange.yml"
    ]


def test_recursive_glob_is_sorted_and_skips_hidden_folders(tmp_path: Path) -> None:
    touch(
        tmp_path,
        "samples/b/sample-exchange.yml",
        "samples/a/deep/er/sample-exchange.yml",
        "samples/a/sample-exchange.yml",
        "samples/.git/sample-exchange.yml",
        "other/sample-exchange.yml",
    )
    root = tmp_path.resolve()
    assert find_manifests("samples/**/sample-exchange.yml", tmp_path) == [
        root / "samples/a/deep/er/sample-exchange.yml",
        root / "samples/a/sample-exchange.yml",
        root / "samples/b/sample-exchange.yml",
    ]


def test_several_lines_keep_line_order_and_drop_duplicates(tmp_path: Path) -> None:
    touch(tmp_path, "z.yml", "s/b.yml", "s/a.yml")
    spec = "\n  z.yml\n\ns/*.yml\ns/a.yml\n./z.yml\n"
    root = tmp_path.resolve()
    assert find_manifests(spec, tmp_path) == [root / "z.yml", root / "s/a.yml", root / "s/b.yml"]


def test_every_line_matching_nothing_is_named_in_one_config_error(tmp_path: Path) -> None:
    touch(tmp_path, "a.yml")
    with pytest.raises(ConfigError) as caught:
        find_manifests("a.yml\nmissing.yml\nsamples/**/none.yml", tmp_path)
    text = str(caught.value)
    assert "'missing.yml' was not found" in text
    assert "'samples/**/none.yml' matches no file" in text


@pytest.mark.parametrize("spec", ["../x.yml", "/etc/passwd", "a/../../x.yml", "../**/*.yml"])
def test_paths_leaving_the_workspace_are_refused(tmp_path: Path, spec: str) -> None:
    with pytest.raises(ConfigError, match="stay inside"):
        find_manifests(spec, tmp_path)


def test_glob_match_through_a_symlink_out_is_refused(tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    touch(outside, "sample-exchange.yml")
    (tmp_path / "ws").mkdir()
    (tmp_path / "ws/link").symlink_to(outside, target_is_directory=True)
    with pytest.raises(ConfigError, match="leads outside the repository"):
        find_manifests("*/sample-exchange.yml", tmp_path / "ws")


def test_empty_spec_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="No manifest given"):
        find_manifests(" \n ", tmp_path)


def test_folders_are_not_manifests(tmp_path: Path) -> None:
    (tmp_path / "dir.yml").mkdir()
    with pytest.raises(ConfigError):
        find_manifests("*.yml", tmp_path)


# --------------------------------------------------------------------------- init


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        (MIT, "MIT"),
        (APACHE, "Apache-2.0"),
        (BSD3, "BSD-3-Clause"),
        (BSD2, "BSD-2-Clause"),
        (GPL3, "GPL-3.0-only"),
        (MPL2, "MPL-2.0"),
        ("// SPDX-License-Identifier: ISC\n", "ISC"),
        ("All rights reserved.", None),
    ],
)
def test_license_detection(text: str, spdx: str | None) -> None:
    assert detect_license(text) == spdx


def test_proposal_for_a_sample_folder(tmp_path: Path) -> None:
    folder = tmp_path / "samples" / "find-dropped_flows"
    for name in ("a.ps1", "b.ps1", "helpers/c.psm1", "tool.py", "run.sh", "data.json"):
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text("x\n")
    (folder / "node_modules/x.js").parent.mkdir()
    (folder / "node_modules/x.js").write_text("x\n")
    (tmp_path / "LICENSE").write_text(APACHE)
    ctx = RepoContext(tmp_path)
    assert propose_manifest(folder, ctx) == {
        "name": "Find dropped flows",
        "type": "REPOSITORY",
        "description": "What Find dropped flows does, and how to run it.",
        "paths": ["samples/find-dropped_flows"],
        "license": "Apache-2.0",
        "tags": [
            {"category": "Language", "name": "PowerShell"},
            {"category": "Language", "name": "Python"},
            {"category": "Language", "name": "Shell"},
        ],
    }


def test_proposal_for_a_whole_repository_uses_its_readme_and_top_entries(tmp_path: Path) -> None:
    for name in ("README.md", "LICENSE", "main.go", "cmd/x.go", ".github/w.yml"):
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(MIT if name == "LICENSE" else "x\n")
    proposal = propose_manifest(tmp_path, RepoContext(tmp_path, repository="acme/vm-tools"))
    assert proposal["name"] == "Vm tools"
    assert proposal["readme"] == "README.md"
    assert "description" not in proposal
    assert proposal["paths"] == ["cmd", "main.go"]
    assert proposal["license"] == "MIT"
    assert proposal["tags"] == [{"category": "Language", "name": "Go"}]


def test_rendered_starter_has_the_schema_line_and_loads_cleanly(tmp_path: Path) -> None:
    folder = tmp_path / "hello"
    folder.mkdir()
    (folder / "hello.ps1").write_text("Write-Host hi\n")
    (tmp_path / "LICENSE").write_text(MIT)
    ctx = RepoContext(tmp_path, "https://github.com", "acme/samples", "v1", "tag")
    text = render_manifest_yaml(propose_manifest(folder, ctx))
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_ID}"
    assert yaml.safe_load(text)["license"] == "MIT"
    (folder / "sample-exchange.yml").write_text(text)
    result = load_manifest("hello/sample-exchange.yml", ctx)
    assert result.name == "Hello"
    assert result.contribution["paths"] == ["hello"]
    assert result.contribution["tags"] == [{"category": "Language", "name": "PowerShell"}]
