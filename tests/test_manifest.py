"""Manifest loading: exact places of problems, all at once, the mapping, defaults, escapes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from publisher import manifest as manifest_module
from publisher.errors import ManifestError, Problem
from publisher.manifest import (
    MAX_FILE_BYTES,
    MAX_MANIFEST_BYTES,
    SCHEMA_ID,
    SCHEMA_PATH,
    Manifest,
    RepoContext,
    load_manifest,
    schema,
)

REPO = Path(__file__).resolve().parent.parent
TAG_CTX = {
    "server_url": "https://github.com",
    "repository": "acme/samples",
    "ref_name": "v1.2.3",
    "ref_type": "tag",
}


def ctx_for(workspace: Path, **overrides: str) -> RepoContext:
    return RepoContext(workspace=workspace, **(TAG_CTX | overrides))


def write(workspace: Path, text: str, name: str = "sample-exchange.yml") -> Path:
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def load(workspace: Path, text: str, **overrides: str) -> Manifest:
    write(workspace, text)
    return load_manifest("sample-exchange.yml", ctx_for(workspace, **overrides))


def problems(workspace: Path, text: str, **overrides: str) -> list[Problem]:
    with pytest.raises(ManifestError) as caught:
        load(workspace, text, **overrides)
    return caught.value.problems


def places(found: list[Problem]) -> list[tuple[int, int, str]]:
    return [(p.line, p.col, p.message) for p in found]


# --------------------------------------------------------------------------- mapping


FULL = """\
# yaml-language-server: $schema=whatever
name: Find dropped flows
type: SNIPPET
description: |
  Lists the flows that a **firewall rule** drops.

  | a | b |
  |---|---|
  | 1 | 2 |

  <script>alert(1)</script>
append-repository-readme: false
url: https://github.com/acme/x
branch: main
paths: [scripts/find-flows.ps1, ./scripts]
files: [scripts/find-flows.ps1]
license: Apache-2.0 OR MIT
products:
  - {name: vSphere, version: "8.0"}
  - name: NSX
tags:
  - {category: Language, name: PowerShell}
  - Networking
metadata: {any: thing, nested: [1, 2.5, true, null, "é"]}
sample-id: 1234
"""


def test_full_manifest_maps_every_key_to_the_contribution(tmp_path: Path) -> None:
    write(tmp_path, "Get-Flows -Rule $rule\n", "scripts/find-flows.ps1")
    result = load(tmp_path, FULL)

    assert result.name == "Find dropped flows"
    assert result.sample_id == 1234
    assert result.path == tmp_path.resolve() / "sample-exchange.yml"
    assert result.display_path == "sample-exchange.yml"
    body = result.contribution
    assert list(body) == [
        "name",
        "type",
        "readmeHtml",
        "appendRepositoryReadme",
        "url",
        "branch",
        "paths",
        "files",
        "ossLicense",
        "categories",
        "tags",
        "metadata",
    ]
    assert body["type"] == "SNIPPET"
    assert "<strong>firewall rule</strong>" in body["readmeHtml"]
    assert "<table>" in body["readmeHtml"]
    # Raw HTML in the Markdown is shown as text, never passed through.
    assert "<script>" not in body["readmeHtml"]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in body["readmeHtml"]
    assert body["appendRepositoryReadme"] is False
    assert body["url"] == "https://github.com/acme/x"
    assert body["branch"] == "main"
    assert body["paths"] == ["scripts/find-flows.ps1", "scripts"]
    assert body["files"] == [
        {
            "name": "find-flows.ps1",
            "path": "scripts/find-flows.ps1",
            "content": "Get-Flows -Rule $rule\n",
        }
    ]
    assert body["ossLicense"] == "Apache-2.0 OR MIT"
    assert body["categories"] == [
        {"type": "product", "name": "vSphere", "version": "8.0"},
        {"type": "product", "name": "NSX"},
    ]
    assert body["tags"] == [
        {"category": "Language", "name": "PowerShell"},
        {"category": "Tags", "name": "Networking"},
    ]
    assert isinstance(body["metadata"], str)
    assert json.loads(body["metadata"]) == {"any": "thing", "nested": [1, 2.5, True, None, "é"]}
    assert "id" not in body


def test_minimal_manifest_takes_defaults_from_the_context(tmp_path: Path) -> None:
    result = load(tmp_path, "name: Hello\ndescription: Hi\n")
    assert result.sample_id is None
    assert result.contribution == {
        "name": "Hello",
        "type": "REPOSITORY",
        "readmeHtml": "<p>Hi</p>\n",
        "url": "https://github.com/acme/samples",
        "branch": "v1.2.3",
    }


def test_server_url_trailing_slash_is_not_doubled(tmp_path: Path) -> None:
    result = load(tmp_path, "name: H\ndescription: x\n", server_url="https://ghe.example.com/")
    assert result.contribution["url"] == "https://ghe.example.com/acme/samples"


def test_given_url_and_branch_win_over_the_context(tmp_path: Path) -> None:
    text = "name: H\ndescription: x\nurl: https://example.com/r\nbranch: release\n"
    body = load(tmp_path, text).contribution
    assert (body["url"], body["branch"]) == ("https://example.com/r", "release")


def test_url_and_branch_not_derivable_say_what_to_set(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: H\ndescription: x\n", server_url="", ref_name="")
    messages = [p.message for p in found]
    assert any("url is not set" in m and "add url:" in m for m in messages)
    assert any("branch is not set" in m and "add branch:" in m for m in messages)
    assert {(p.line, p.col) for p in found} == {(1, 1)}


def test_link_needs_no_branch(tmp_path: Path) -> None:
    text = "name: H\ndescription: x\ntype: LINK\nurl: https://example.com/\n"
    body = load(tmp_path, text, ref_name="").contribution
    assert "branch" not in body
    assert body["type"] == "LINK"


def test_readme_file_is_rendered(tmp_path: Path) -> None:
    write(tmp_path, "# Title\n\n*hi* <b>x</b>\n", "docs/README.md")
    body = load(tmp_path, "name: H\nreadme: docs/README.md\n").contribution
    assert body["readmeHtml"] == "<h1>Title</h1>\n<p><em>hi</em> &lt;b&gt;x&lt;/b&gt;</p>\n"


def test_javascript_links_are_not_rendered_as_links(tmp_path: Path) -> None:
    body = load(tmp_path, "name: H\ndescription: '[x](javascript:alert(1))'\n").contribution
    assert 'href="javascript' not in body["readmeHtml"]


def test_dates_and_equals_stay_text(tmp_path: Path) -> None:
    # YAML 1.1 would make these a date and a "value" node; a manifest wants the text.
    body = load(tmp_path, "name: '='\ndescription: x\nbranch: 2024-01-01\n").contribution
    assert (body["name"], body["branch"]) == ("=", "2024-01-01")


def test_relative_manifest_resolves_against_the_workspace_and_absolute_is_kept(
    tmp_path: Path,
) -> None:
    write(tmp_path, "name: H\ndescription: x\n", "samples/a/sample-exchange.yml")
    ctx = ctx_for(tmp_path)
    relative = load_manifest("samples/a/sample-exchange.yml", ctx)
    absolute = load_manifest(tmp_path / "samples/a/sample-exchange.yml", ctx)
    assert relative.display_path == absolute.display_path == "samples/a/sample-exchange.yml"
    assert relative.path == absolute.path


def test_manifest_outside_the_workspace_is_shown_by_its_full_path(tmp_path: Path) -> None:
    write(tmp_path, "name: H\n", "elsewhere/m.yml")
    (tmp_path / "ws").mkdir()
    with pytest.raises(ManifestError) as caught:
        load_manifest(tmp_path / "elsewhere/m.yml", ctx_for(tmp_path / "ws"))
    assert caught.value.problems[0].file == (tmp_path / "elsewhere/m.yml").resolve().as_posix()


# --------------------------------------------------------------------------- places


def test_every_problem_is_reported_at_once_with_its_place(tmp_path: Path) -> None:
    text = """\
name: 12
type: repo
lisence: MIT
description: x
products:
  - name: vSphere
    version: 8.0
    vendor: VMware
tags:
  - {category: Language}
paths: [nope.ps1, ../x]
sample-id: -3
"""
    found = problems(tmp_path, text)
    assert places(found) == [
        (1, 7, 'name must be a string, not the number 12 (quote it: "12")'),
        (2, 7, "type must be one of REPOSITORY, GIST, PROJECT, SNIPPET, DCR, LINK, not 'repo'"),
        (3, 1, "unknown key 'lisence' (did you mean 'license'?)"),
        (7, 14, 'products[0].version must be a string, not the number 8.0 (quote it: "8.0")'),
        (
            8,
            5,
            "unknown key 'vendor' in products[0]; allowed keys: name, version",
        ),
        (10, 5, "missing required key 'name' in tags[0]"),
        (11, 9, "paths[0] 'nope.ps1' does not exist in the repository"),
        (11, 19, "paths[1] '../x' must not contain '..': paths stay inside the repository"),
        (12, 12, "sample-id must be at least 1"),
    ]
    assert all(p.file == "sample-exchange.yml" for p in found)


def test_missing_required_key_points_at_the_enclosing_mapping(tmp_path: Path) -> None:
    found = problems(tmp_path, "# first line is a comment\n\n  description: x\n")
    assert places(found) == [(3, 3, "missing required key 'name'")]


def test_duplicate_keys_keep_the_first_and_name_its_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: A\ndescription: x\nname: B\n")
    assert places(found) == [(3, 1, "duplicate key 'name' (first at line 1)")]


def test_yaml_syntax_error_points_at_the_mark(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: A\ndescription: [x\nlicense: MIT\n")
    assert len(found) == 1
    assert (found[0].line, found[0].col) == (3, 8)
    assert found[0].message.startswith("YAML syntax error: ")


def test_non_utf8_points_at_the_bad_byte(tmp_path: Path) -> None:
    (tmp_path / "sample-exchange.yml").write_bytes(b"name: A\ndescription: caf\xe9\n")
    with pytest.raises(ManifestError) as caught:
        load_manifest("sample-exchange.yml", ctx_for(tmp_path))
    assert places(caught.value.problems) == [(2, 17, "the manifest is not UTF-8 text (byte 0xE9)")]


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    (tmp_path / "sample-exchange.yml").write_bytes(b"\xef\xbb\xbfname: A\ndescription: x\n")
    assert load_manifest("sample-exchange.yml", ctx_for(tmp_path)).name == "A"


def test_python_tags_are_refused_and_never_constructed(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    text = f"name: !!python/object/apply:os.system ['touch {marker}']\ndescription: x\n"
    found = problems(tmp_path, text)
    assert places(found) == [(1, 7, "tag '!!python/object/apply:os.system' is not allowed")]
    assert not marker.exists()


def test_alias_bomb_is_refused_quickly(tmp_path: Path) -> None:
    levels = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        levels.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    text = "name: A\ndescription: x\nmetadata:\n" + "".join(f"  {x}\n" for x in levels)
    found = problems(tmp_path, text)
    assert len(found) == 1
    assert "alias bomb" in found[0].message


def test_a_few_aliases_are_fine(tmp_path: Path) -> None:
    text = "name: &n Hello\ndescription: *n\nmetadata: {title: *n}\n"
    body = load(tmp_path, text).contribution
    assert json.loads(body["metadata"]) == {"title": "Hello"}


def test_missing_manifest_is_a_manifest_error(tmp_path: Path) -> None:
    with pytest.raises(ManifestError) as caught:
        load_manifest("nope.yml", ctx_for(tmp_path))
    assert places(caught.value.problems) == [(1, 1, "the manifest was not found")]


def test_manifest_size_is_capped(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: A\n" + "#" * MAX_MANIFEST_BYTES)
    assert "too large" in found[0].message


def test_a_fifo_manifest_is_refused_without_blocking(tmp_path: Path) -> None:
    import os

    os.mkfifo(tmp_path / "sample-exchange.yml")
    with pytest.raises(ManifestError) as caught:
        load_manifest("sample-exchange.yml", ctx_for(tmp_path))
    assert "not a regular file" in caught.value.problems[0].message


# --------------------------------------------------------------------------- paths


def test_paths_escaping_through_symlinks_are_refused(tmp_path: Path) -> None:
    workspace = tmp_path / "ws"
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("s3cret\n")
    (workspace / "inner").mkdir(parents=True)
    (workspace / "inner/ok.txt").write_text("fine\n")
    (workspace / "link-file").symlink_to(outside / "secret.txt")
    (workspace / "link-dir").symlink_to(outside, target_is_directory=True)
    (workspace / "link-inside").symlink_to(workspace / "inner/ok.txt")
    (workspace / "dangling").symlink_to(tmp_path / "missing")
    (workspace / "loop").symlink_to(workspace / "loop")
    text = """\
name: A
description: x
type: SNIPPET
paths: [link-file, link-dir, link-inside, dangling, loop, inner]
files: [link-dir/secret.txt, link-inside]
"""
    write(workspace, text)
    with pytest.raises(ManifestError) as caught:
        load_manifest("sample-exchange.yml", ctx_for(workspace))
    messages = [(p.line, p.message) for p in caught.value.problems]
    assert messages == [
        (4, "paths[0] 'link-file' leads outside the repository through a symlink"),
        (4, "paths[1] 'link-dir' leads outside the repository through a symlink"),
        (4, "paths[3] 'dangling' is a symlink to something that does not exist"),
        (4, "paths[4] 'loop' cannot be resolved (a symlink loop?)"),
        (5, "files[0] 'link-dir/secret.txt' leads outside the repository through a symlink"),
    ]
    assert "s3cret" not in str(caught.value.problems)


def test_symlink_inside_the_workspace_is_allowed_and_read(tmp_path: Path) -> None:
    write(tmp_path, "hello\n", "real.txt")
    (tmp_path / "alias.txt").symlink_to(tmp_path / "real.txt")
    body = load(tmp_path, "name: A\ndescription: x\ntype: GIST\nfiles: [alias.txt]\n").contribution
    assert body["files"] == [{"name": "alias.txt", "path": "alias.txt", "content": "hello\n"}]


def test_workspace_that_is_itself_a_symlink_works(tmp_path: Path) -> None:
    (tmp_path / "real").mkdir()
    write(tmp_path / "real", "x\n", "a.sh")
    (tmp_path / "ws").symlink_to(tmp_path / "real", target_is_directory=True)
    body = load(tmp_path / "ws", "name: A\ndescription: x\npaths: [a.sh]\n").contribution
    assert body["paths"] == ["a.sh"]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("../x", "must not contain '..'"),
        ("a/../../x", "must not contain '..'"),
        ("/etc/passwd", "must be relative to the repository root"),
        ("C:/x", "must be relative to the repository root"),
        ("a\\\\b", "must use forward slashes"),
        ("missing/file", "does not exist in the repository"),
    ],
)
def test_bad_paths_are_refused(tmp_path: Path, raw: str, expected: str) -> None:
    found = problems(tmp_path, f'name: A\ndescription: x\npaths: ["{raw}"]\n')
    assert len(found) == 1
    assert (found[0].line, found[0].col) == (3, 9)
    assert expected in found[0].message


def test_inline_files_must_be_small_utf8_text(tmp_path: Path) -> None:
    (tmp_path / "nul.txt").write_bytes(b"abc\0def")
    (tmp_path / "latin.txt").write_bytes(b"ok\nok\ncaf\xe9\n")
    (tmp_path / "big.txt").write_bytes(b"a" * (MAX_FILE_BYTES + 1))
    (tmp_path / "dir").mkdir()
    text = "name: A\ndescription: x\ntype: SNIPPET\nfiles: [nul.txt, latin.txt, big.txt, dir]\n"
    found = problems(tmp_path, text)
    assert [p.message for p in found] == [
        "files[0] 'nul.txt' is a binary file, not text",
        "files[1] 'latin.txt' is not UTF-8 text (byte 0xE9) at line 3",
        f"files[2] 'big.txt' is too large ({MAX_FILE_BYTES + 1} bytes; "
        f"at most {MAX_FILE_BYTES} allowed)",
        "files[3] 'dir' is a folder, not a file",
    ]


def test_total_inline_size_is_capped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(manifest_module, "MAX_FILES_TOTAL_BYTES", 10)
    write(tmp_path, "123456\n", "a.txt")
    write(tmp_path, "123456\n", "b.txt")
    found = problems(tmp_path, "name: A\ndescription: x\ntype: GIST\nfiles: [a.txt, b.txt]\n")
    assert [p.message for p in found] == [
        "files add up to more than 10 bytes: publish large content through paths instead"
    ]


def test_description_and_readme_are_exclusive_and_one_is_needed(tmp_path: Path) -> None:
    write(tmp_path, "x\n", "README.md")
    both = problems(tmp_path, "name: A\ndescription: x\nreadme: README.md\n")
    assert places(both) == [(3, 1, "set either description or readme, not both")]
    neither = problems(tmp_path, "license: MIT\nname: A\n")
    assert [(p.line, p.col) for p in neither] == [(1, 1)]
    assert "missing description" in neither[0].message


def test_schema_problems_on_a_path_are_not_repeated_by_the_file_checks(tmp_path: Path) -> None:
    found = problems(tmp_path, "name: A\ndescription: x\npaths: [a.txt, a.txt, 3]\n")
    assert [p.message for p in found] == [
        "paths[0] 'a.txt' does not exist in the repository",
        "paths[1] 'a.txt' does not exist in the repository",
        "paths[1] repeats paths[0] ('a.txt')",
        'paths[2] must be a string, not the number 3 (quote it: "3")',
    ]


# --------------------------------------------------------------------------- schema


def test_schema_is_a_valid_2020_12_schema_with_titles_everywhere() -> None:
    document = schema()
    Draft202012Validator.check_schema(document)
    assert document["$id"] == SCHEMA_ID
    assert document["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert document["additionalProperties"] is False

    def walk(node: dict[str, object], where: str) -> None:
        for name, sub in node.get("properties", {}).items():  # type: ignore[attr-defined]
            assert sub.get("title"), f"{where}.{name}"
            assert sub.get("description"), f"{where}.{name}"
            walk(sub, f"{where}.{name}")
        if isinstance(node.get("items"), dict):
            walk(node["items"], f"{where}[]")  # type: ignore[arg-type]

    walk(document, "")
    assert document["properties"]["type"]["enum"] == [
        "REPOSITORY",
        "GIST",
        "PROJECT",
        "SNIPPET",
        "DCR",
        "LINK",
    ]


def test_schema_is_found_next_to_the_package_as_in_the_image() -> None:
    assert SCHEMA_PATH == REPO / "schema" / "sample-manifest.schema.json"


def test_hello_sample_example_is_valid_and_uses_the_schema_line() -> None:
    folder = REPO / "examples" / "hello-sample"
    text = (folder / "sample-exchange.yml").read_text()
    assert text.splitlines()[0] == f"# yaml-language-server: $schema={SCHEMA_ID}"
    result = load_manifest("sample-exchange.yml", ctx_for(folder))
    body = result.contribution
    assert {"Tags", "Language"} <= {t["category"] for t in body["tags"]}
    assert body["paths"] == ["scripts/hello.ps1", "README.md"]
    assert body["ossLicense"] == "MIT"
    assert json.loads(body["metadata"])


def test_importing_the_module_loads_neither_requests_nor_heavy_libraries() -> None:
    code = (
        "import sys, publisher.manifest\n"
        "print(sorted(m for m in ('requests', 'jsonschema', 'markdown_it') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "[]"


def test_loading_a_manifest_never_imports_requests(tmp_path: Path) -> None:
    write(tmp_path, "name: A\ndescription: x\n")
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from publisher.manifest import load_manifest, RepoContext\n"
        f"load_manifest('sample-exchange.yml', RepoContext(Path({str(tmp_path)!r}), "
        "'https://github.com', 'a/b', 'v1'))\n"
        "print('requests' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=REPO
    )
    assert out.stdout.strip() == "False"
