"""`init [DIR]`: write a starter sample-exchange.yml that validates.

The proposal is made locally (name, type, paths, license, language tags); given
credentials, the server's Get Contribution Defaults (``POST {api}/contributions/defaults``,
an inferred path, so configurable) is asked too and its answer merged in. Any failure
there (404 included) falls back to the local proposal with a warning. An existing
manifest is never overwritten without ``force``.
"""

from __future__ import annotations

import json
import os
from dataclasses import replace
from pathlib import Path
from typing import Any

from .context import Settings
from .errors import ConfigError, ManifestError, PublishError
from .manifest import (
    DEFAULT_MANIFEST,
    TYPES,
    RepoContext,
    load_manifest,
    propose_manifest,
    render_manifest_yaml,
)
from .poller import SystemClock
from .publish import guarded, make_client
from .runner import Reporter

DEFAULTS_PATH = "contributions/defaults"
MAX_ANSWER_BYTES = 1024 * 1024


def _has_credentials(settings: Settings) -> bool:
    return bool(settings.token or (settings.username and settings.password))


def partial_contribution(proposal: dict[str, Any], ctx: RepoContext) -> dict[str, Any]:
    """What the server's heuristics take: type, url, branch, paths."""
    partial: dict[str, Any] = {"type": proposal.get("type", "REPOSITORY")}
    if ctx.server_url and ctx.repository:
        partial["url"] = f"{ctx.server_url.rstrip('/')}/{ctx.repository.strip('/')}"
    if ctx.ref_name:
        partial["branch"] = ctx.ref_name
    if proposal.get("paths"):
        partial["paths"] = list(proposal["paths"])
    return partial


def merge_defaults(local: dict[str, Any], server: Any) -> dict[str, Any]:
    """The local proposal with the server's Contribution merged in, as manifest keys.

    The server names and types the sample and adds products and tags; what the files
    say for sure (paths, README, a LICENSE file's id) stays. Values of the wrong shape
    are ignored: the server's answer is untrusted input.
    """
    if not isinstance(server, dict):
        raise ValueError("the answer is not a JSON object")
    merged = dict(local)
    name = server.get("name")
    if isinstance(name, str) and name.strip():
        merged["name"] = name.strip()
    kind = server.get("type")
    if isinstance(kind, str) and kind in TYPES:
        merged["type"] = kind
    license_id = server.get("ossLicense")
    if "license" not in merged and isinstance(license_id, str) and license_id.strip():
        merged["license"] = license_id.strip()
    tags = list(local.get("tags") or [])
    seen = {_tag_key(t) for t in tags}
    for tag in server.get("tags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str) and tag["name"].strip():
            entry = {"category": str(tag.get("category") or "Tags"), "name": tag["name"].strip()}
            if _tag_key(entry) not in seen:
                seen.add(_tag_key(entry))
                tags.append(entry)
    if tags:
        merged["tags"] = tags
    products = [
        {"name": c["name"], **({"version": str(c["version"])} if c.get("version") else {})}
        for c in server.get("categories") or []
        if isinstance(c, dict)
        and str(c.get("type", "")).lower() == "product"
        and isinstance(c.get("name"), str)
    ]
    if products:
        merged["products"] = products
    # Keep the keys in the local proposal's order, new ones after.
    order = [*local, *(k for k in ("license", "products", "tags") if k not in local)]
    return {key: merged[key] for key in order if key in merged}


def _tag_key(tag: Any) -> tuple[str, str]:
    if isinstance(tag, dict):
        return (str(tag.get("category", "Tags")).lower(), str(tag.get("name", "")).lower())
    return ("tags", str(tag).lower())


def ask_server(settings: Settings, partial: dict[str, Any], path: str, reporter: Reporter) -> Any:
    """POST the partial Contribution to the defaults endpoint; the decoded answer."""
    from .client import join_url, server_message

    clock = SystemClock()
    client = make_client(settings, clock, clock.now() + settings.timeout, reporter)
    url = join_url(client.api_url, path)
    try:
        import requests

        try:
            response = client.session.post(url, json=partial, timeout=(10, 30), stream=True)
        except requests.RequestException as exc:
            raise PublishError(f"could not reach {url} ({type(exc).__name__})") from None
        with response:
            body = response.raw.read(MAX_ANSWER_BYTES + 1, decode_content=True)
            if not 200 <= response.status_code < 300:
                text = server_message(response, body)
                raise PublishError(f"{url} answered HTTP {response.status_code}: {text}")
        if len(body) > MAX_ANSWER_BYTES:
            raise PublishError(f"{url} answered with more than {MAX_ANSWER_BYTES} bytes")
        try:
            return json.loads(body)
        except ValueError:
            raise PublishError(f"{url} answered with something that is not JSON") from None
    finally:
        client.close()


def _check(text: str, target: Path, ctx: RepoContext) -> None:
    """Validate the text as the manifest it will be (url/branch as a tag push gives them)."""
    runner_like = replace(
        ctx,
        server_url=ctx.server_url or "https://github.com",
        repository=ctx.repository or "owner/repository",
        ref_name=ctx.ref_name or "v1.0.0",
        ref_type=ctx.ref_type or "tag",
    )
    probe = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        probe.write_text(text, encoding="utf-8")
        load_manifest(probe, runner_like)
    finally:
        probe.unlink(missing_ok=True)


def init(
    directory: Path,
    ctx: RepoContext,
    settings: Settings,
    reporter: Reporter,
    *,
    force: bool = False,
    defaults_path: str = DEFAULTS_PATH,
) -> int:
    """Write ``directory/sample-exchange.yml``; 0 when written, 1 when not."""

    def body(run: object) -> None:
        folder = directory if directory.is_absolute() else ctx.workspace / directory
        folder = folder.resolve()
        if not folder.is_dir():
            raise ConfigError(f"{directory} is not a folder.")
        if not folder.is_relative_to(ctx.workspace.resolve()):
            raise ConfigError(
                f"{directory} is outside the repository {ctx.workspace}.",
                hint="Run init from the repository, or pass --workspace.",
            )
        target = folder / DEFAULT_MANIFEST
        if target.exists() and not force:
            raise ConfigError(
                f"{target} already exists; nothing was written.",
                hint="Pass --force to replace it.",
            )
        local = propose_manifest(folder, ctx)
        proposal = local
        if _has_credentials(settings):
            try:
                answer = ask_server(
                    settings, partial_contribution(local, ctx), defaults_path, reporter
                )
                proposal = merge_defaults(local, answer)
                _check(render_manifest_yaml(proposal), target, ctx)
                reporter.info("Merged the server's proposal (Get Contribution Defaults).")
            except (PublishError, ValueError) as exc:
                if isinstance(exc, ManifestError):
                    reason = f"its proposal does not validate: {exc.problems[0].message}"
                else:
                    reason = str(exc)
                reporter.warning(
                    f"The server's defaults were not used ({reason}); writing the local proposal."
                )
                proposal = local
        else:
            reporter.info(
                "No credentials: proposing from the files only (give a token to ask the "
                "server's defaults too)."
            )
        text = render_manifest_yaml(proposal)
        _check(text, target, ctx)
        target.write_text(text, encoding="utf-8")
        reporter.info(f"Wrote {target}:\n{text}")
        reporter.set_output("manifest", str(target))

    return guarded(reporter, settings.secrets, SystemClock(), body)
