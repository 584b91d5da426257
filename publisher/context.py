"""Settings: read from the runner's ``INPUT_*`` variables or the CLI's flags.

The runner hands every declared input as ``INPUT_<NAME>`` upper-cased with its
hyphens kept (``INPUT_API-URL``), empty when unset, and does not enforce
``required:``; so every value is parsed and checked here, once, for both.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from .errors import ConfigError
from .manifest import RepoContext

DEFAULT_API_URL = "https://apigw.vmware.com/sampleExchange/v1"
DEFAULT_MANIFEST = "sample-exchange.yml"
DEFAULT_TIMEOUT = 600.0
DEFAULT_POLL_INTERVAL = 2.0
DEFAULT_MAX_CONCURRENCY = 4
MAX_CONCURRENCY = 32  # beyond this the server's rate limit, not the pool, sets the pace
MODES = ("publish", "plan")


@dataclass(frozen=True)
class Settings:
    manifest: str = DEFAULT_MANIFEST
    api_url: str = DEFAULT_API_URL
    username: str = ""
    password: str = ""
    token: str = ""
    sample_id: int | None = None
    job_id: int | None = None
    timeout: float = DEFAULT_TIMEOUT
    poll_interval: float = DEFAULT_POLL_INTERVAL
    dry_run: bool = False
    ca_bundle: str = ""
    update: bool = False  # a resumed job updates a sample (when no sample id says so)
    max_concurrency: int = DEFAULT_MAX_CONCURRENCY
    mode: str = "publish"  # publish | plan (validate and write the `matrix` output)

    @property
    def secrets(self) -> tuple[str, ...]:
        return tuple(value for value in (self.password, self.token) if value)


def parse_seconds(name: str, value: str, default: float) -> float:
    text = value.strip()
    if not text:
        return default
    try:
        seconds = float(text)
    except ValueError:
        raise ConfigError(
            f"`{name}` must be a number of seconds, not {text!r}.", hint="For example: 600 or 2.5."
        ) from None
    if not math.isfinite(seconds) or seconds <= 0:
        raise ConfigError(f"`{name}` must be more than 0 seconds, not {text!r}.")
    return seconds


def parse_id(name: str, value: str) -> int | None:
    text = value.strip()
    if not text:
        return None
    if not text.isdigit() or int(text) <= 0 or int(text) > 2**31 - 1:
        raise ConfigError(f"`{name}` must be a positive whole number, not {text!r}.")
    return int(text)


def parse_count(name: str, value: str, default: int, maximum: int) -> int:
    text = value.strip()
    if not text:
        return default
    if not text.isdigit() or not 1 <= int(text) <= maximum:
        raise ConfigError(f"`{name}` must be a whole number from 1 to {maximum}, not {text!r}.")
    return int(text)


def parse_mode(name: str, value: str) -> str:
    text = value.strip() or MODES[0]
    if text not in MODES:
        raise ConfigError(f"`{name}` must be one of {', '.join(MODES)}, not {text!r}.")
    return text


def parse_bool(name: str, value: str) -> bool:
    # The YAML 1.2 core schema's booleans, as @actions/core getBooleanInput.
    text = value.strip()
    if text in ("", "false", "False", "FALSE"):
        return False
    if text in ("true", "True", "TRUE"):
        return True
    raise ConfigError(f"`{name}` must be true or false, not {text!r}.")


def input_value(env: Mapping[str, str], name: str) -> str:
    """One input as the runner passes it; spaces trimmed like @actions/core."""
    return env.get(f"INPUT_{name.upper()}", "").strip()


def settings_from_inputs(env: Mapping[str, str]) -> Settings:
    def get(name: str) -> str:
        return input_value(env, name)

    return Settings(
        manifest=get("manifest") or DEFAULT_MANIFEST,
        api_url=get("api-url") or DEFAULT_API_URL,
        username=get("username"),
        password=env.get("INPUT_PASSWORD", ""),  # a secret is taken verbatim
        token=env.get("INPUT_TOKEN", "").strip(),
        sample_id=parse_id("sample-id", get("sample-id")),
        job_id=parse_id("job-id", get("job-id")),
        timeout=parse_seconds("timeout", get("timeout"), DEFAULT_TIMEOUT),
        poll_interval=parse_seconds("poll-interval", get("poll-interval"), DEFAULT_POLL_INTERVAL),
        dry_run=parse_bool("dry-run", get("dry-run")),
        ca_bundle=_in_workspace(env, get("ca-bundle")),
        max_concurrency=parse_count(
            "max-concurrency", get("max-concurrency"), DEFAULT_MAX_CONCURRENCY, MAX_CONCURRENCY
        ),
        mode=parse_mode("mode", get("mode")),
    )


def _in_workspace(env: Mapping[str, str], path: str) -> str:
    """A relative path input is relative to the repository, as `manifest` is."""
    if not path or Path(path).is_absolute():
        return path
    return str(Path(env.get("GITHUB_WORKSPACE") or ".") / path)


def repo_context(env: Mapping[str, str], workspace: Path | None = None) -> RepoContext:
    """The repository and tag the run is about, from the runner's variables.

    GitLab CI's equivalents are read too, so the CLI needs no extra flags there.
    """
    root = workspace or Path(env.get("GITHUB_WORKSPACE") or Path.cwd())
    gitlab_ref_type = "tag" if env.get("CI_COMMIT_TAG") else "branch"
    return RepoContext(
        workspace=root.resolve(),
        server_url=(env.get("GITHUB_SERVER_URL") or env.get("CI_SERVER_URL", "")).rstrip("/"),
        repository=env.get("GITHUB_REPOSITORY") or env.get("CI_PROJECT_PATH", ""),
        ref_name=env.get("GITHUB_REF_NAME") or env.get("CI_COMMIT_REF_NAME", ""),
        ref_type=env.get("GITHUB_REF_TYPE")
        or (gitlab_ref_type if env.get("CI_COMMIT_REF_NAME") else ""),
    )
