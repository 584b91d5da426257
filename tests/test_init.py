"""`init [DIR]`: a starter manifest from the files, merged with the server's defaults."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from emulator import Emulator
from publisher.cli import main
from publisher.init import merge_defaults

SCHEMA_LINE = "# yaml-language-server: $schema="
RUNNER = {
    "GITHUB_SERVER_URL": "https://github.com",
    "GITHUB_REPOSITORY": "acme/flows",
    "GITHUB_REF_NAME": "v1.2.3",
}
APACHE = "Apache License\nVersion 2.0, January 2004\nhttp://www.apache.org/licenses/\n"


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    folder = tmp_path / "repo" / "samples" / "find-flows"
    folder.mkdir(parents=True)
    (folder / "find-flows.ps1").write_text("Get-DroppedFlows\n", encoding="utf-8")
    (folder / "helper.ps1").write_text("function Helper {}\n", encoding="utf-8")
    return tmp_path / "repo"


def init(repo: Path, *args: str, env: dict[str, str] | None = None) -> int:
    return main(["init", "samples/find-flows", "--workspace", str(repo), *args], env=env or {})


def written(repo: Path) -> tuple[str, dict[str, object]]:
    text = (repo / "samples/find-flows/sample-exchange.yml").read_text(encoding="utf-8")
    return text, yaml.safe_load(text)


def validates(repo: Path, env: dict[str, str] | None = None) -> int:
    manifest = "samples/find-flows/sample-exchange.yml"
    return main(["validate", manifest, "--workspace", str(repo)], env=env or RUNNER)


def test_local_proposal_without_credentials(repo: Path, emulator: Emulator) -> None:
    (repo / "LICENSE").write_text(APACHE, encoding="utf-8")
    assert init(repo, "--api-url", emulator.base_url) == 0
    text, doc = written(repo)
    assert text.startswith(SCHEMA_LINE)
    assert doc["name"] == "Find flows"
    assert doc["paths"] == ["samples/find-flows"]
    assert doc["license"] == "Apache-2.0"
    assert doc["tags"] == [{"category": "Language", "name": "PowerShell"}]
    assert emulator.requests == []  # no credentials: the server is not asked
    assert validates(repo) == 0


def test_server_defaults_are_merged(
    repo: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    env = {"SAMPLE_EXCHANGE_TOKEN": "demo-token", **RUNNER}
    assert init(repo, "--api-url", emulator.base_url, env=env) == 0
    _, doc = written(repo)
    assert doc["name"] == "Find Flows"  # the server's name wins over the folder's
    assert doc["license"] == "MIT"  # no LICENSE file here, so the server's guess is taken
    assert doc["paths"] == ["samples/find-flows"]  # the files' facts stay
    (request,) = emulator.requests
    assert (request.method, request.path) == ("POST", "/sampleExchange/v1/contributions/defaults")
    assert json.loads(request.body) == {
        "type": "REPOSITORY",
        "url": "https://github.com/acme/flows",
        "branch": "v1.2.3",
        "paths": ["samples/find-flows"],
    }
    assert "demo-token" not in capsys.readouterr().out
    assert validates(repo) == 0


def test_a_license_file_beats_the_servers_guess(repo: Path, emulator: Emulator) -> None:
    (repo / "LICENSE").write_text(APACHE, encoding="utf-8")
    env = {"SAMPLE_EXCHANGE_TOKEN": "demo-token"}
    assert init(repo, "--api-url", emulator.base_url, env=env) == 0
    _, doc = written(repo)
    assert (doc["name"], doc["license"]) == ("Find Flows", "Apache-2.0")


@pytest.mark.parametrize("how", ["endpoint-disabled", "other-path"])
def test_404_falls_back_to_the_local_proposal(
    repo: Path, emulator: Emulator, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    args = ["--api-url", emulator.base_url, "--token", "demo-token"]
    if how == "endpoint-disabled":
        emulator.configure(defaults_enabled=False)
    else:
        args += ["--defaults-path", "samples/proposals"]
    assert init(repo, *args) == 0
    _, doc = written(repo)
    assert doc["name"] == "Find flows"
    warning = capsys.readouterr().err
    assert "404" in warning
    assert "local proposal" in warning
    expected = "samples/proposals" if how == "other-path" else "contributions/defaults"
    assert [r.path.rsplit("/v1/", 1)[1] for r in emulator.requests] == [expected]
    assert validates(repo) == 0


def test_an_unreachable_server_falls_back_too(repo: Path) -> None:
    assert init(repo, "--api-url", "http://127.0.0.1:9/v1", "--token", "t0ken") == 0
    assert written(repo)[1]["name"] == "Find flows"


def test_never_overwrites_without_force(repo: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = repo / "samples/find-flows/sample-exchange.yml"
    target.write_text("name: Mine\n", encoding="utf-8")
    assert init(repo) == 1
    assert target.read_text(encoding="utf-8") == "name: Mine\n"
    assert "--force" in capsys.readouterr().err
    assert init(repo, "--force") == 0
    assert written(repo)[1]["name"] == "Find flows"


def test_a_folder_outside_the_repository_is_refused(repo: Path, tmp_path: Path) -> None:
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    assert main(["init", str(outside), "--workspace", str(repo)], env={}) == 1
    assert not (outside / "sample-exchange.yml").exists()


def test_the_whole_repository_validates_as_on_a_tag_push(repo: Path) -> None:
    assert main(["init", "--workspace", str(repo)], env={}) == 0
    assert (repo / "sample-exchange.yml").read_text(encoding="utf-8").startswith(SCHEMA_LINE)
    assert main(["validate", "--workspace", str(repo)], env=RUNNER) == 0


def test_server_values_of_the_wrong_shape_are_ignored() -> None:
    local = {"name": "Local", "type": "REPOSITORY", "description": "d", "paths": ["x"]}
    merged = merge_defaults(
        local,
        {
            "name": 42,
            "type": "SCRIPT",
            "ossLicense": ["MIT"],
            "tags": ["bare", {"name": "Go", "category": "Language"}, {"category": "X"}],
            "categories": [{"type": "product", "name": "vSphere", "version": 8}, "junk"],
        },
    )
    assert merged == {
        "name": "Local",
        "type": "REPOSITORY",
        "description": "d",
        "paths": ["x"],
        "products": [{"name": "vSphere", "version": "8"}],
        "tags": [{"category": "Language", "name": "Go"}],
    }
    with pytest.raises(ValueError, match="not a JSON object"):
        merge_defaults(local, ["not", "an", "object"])
