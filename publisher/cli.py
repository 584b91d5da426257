"""``sample-exchange-publish`` / ``python -m publisher``: the same flow as the action.

Flags mirror the action's inputs; credentials can also come from
``SAMPLE_EXCHANGE_USERNAME``, ``SAMPLE_EXCHANGE_PASSWORD`` and
``SAMPLE_EXCHANGE_TOKEN`` so they stay out of shell history and ``ps``.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from . import context
from .context import Settings, parse_id, parse_seconds
from .errors import ConfigError
from .runner import reporter_for


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sample-exchange-publish",
        description="Validate and publish code samples to VMware Sample Exchange.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def workspace(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--workspace",
            type=Path,
            help="repository root that manifest paths are relative to "
            "(default: $GITHUB_WORKSPACE or the current folder)",
        )

    def api(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "--api-url",
            default=os.environ.get("SAMPLE_EXCHANGE_API_URL", context.DEFAULT_API_URL),
            help="API base URL (default: %(default)s)",
        )
        sub.add_argument("--username", help="Basic auth user (or SAMPLE_EXCHANGE_USERNAME)")
        sub.add_argument("--password", help="Basic auth password (or SAMPLE_EXCHANGE_PASSWORD)")
        sub.add_argument("--token", help="Bearer token (or SAMPLE_EXCHANGE_TOKEN)")
        sub.add_argument("--ca-bundle", default="", help="CA bundle file for a private CA")
        sub.add_argument("--timeout", default="", help="seconds for the whole run (default: 600)")
        sub.add_argument(
            "--poll-interval", default="", help="seconds before the first poll (default: 2)"
        )

    def manifests(sub: argparse.ArgumentParser) -> None:
        sub.add_argument(
            "manifest",
            nargs="*",
            metavar="MANIFEST",
            help=f"manifest paths or globs, quoted for ** (default: {context.DEFAULT_MANIFEST})",
        )

    validate = commands.add_parser("validate", help="check manifests; no network")
    manifests(validate)
    workspace(validate)

    plan = commands.add_parser(
        "plan", help="check manifests and print the matrix for fanning out; no network"
    )
    manifests(plan)
    workspace(plan)

    publish = commands.add_parser("publish", help="publish samples and wait for them")
    manifests(publish)
    workspace(publish)
    api(publish)
    publish.add_argument(
        "--max-concurrency",
        default="",
        help=f"samples published at once (default: {context.DEFAULT_MAX_CONCURRENCY})",
    )
    publish.add_argument("--sample-id", default="", help="update this sample")
    publish.add_argument("--job-id", default="", help="resume: wait for this job")
    publish.add_argument(
        "--dry-run", action="store_true", help="print the Contribution; no network"
    )

    init = commands.add_parser(
        "init", help="write a starter sample-exchange.yml (asks the server given credentials)"
    )
    init.add_argument("directory", nargs="?", default=".", metavar="DIR")
    init.add_argument("--force", action="store_true", help="replace an existing manifest")
    init.add_argument(
        "--defaults-path",
        default="contributions/defaults",
        help="the server's Get Contribution Defaults path under --api-url (default: %(default)s)",
    )
    workspace(init)
    api(init)

    status = commands.add_parser("status", help="show a job's state")
    status.add_argument("job_id", metavar="JOB_ID")
    api(status)
    status.add_argument(
        "--update", action="store_true", help="the job updates a sample (PUT /samples/async)"
    )
    status.add_argument("--wait", action="store_true", help="wait until the job finishes")
    return parser


def _settings(args: argparse.Namespace, env: Mapping[str, str]) -> Settings:
    def arg(name: str) -> str:
        value = getattr(args, name, None)
        return "" if value is None else str(value)

    manifest = getattr(args, "manifest", None)
    return Settings(
        manifest="\n".join(manifest) if manifest else context.DEFAULT_MANIFEST,
        api_url=arg("api_url") or context.DEFAULT_API_URL,
        username=arg("username") or env.get("SAMPLE_EXCHANGE_USERNAME", ""),
        password=arg("password") or env.get("SAMPLE_EXCHANGE_PASSWORD", ""),
        token=arg("token") or env.get("SAMPLE_EXCHANGE_TOKEN", ""),
        sample_id=parse_id("--sample-id", arg("sample_id")),
        job_id=parse_id("job id", arg("job_id")),
        timeout=parse_seconds("--timeout", arg("timeout"), context.DEFAULT_TIMEOUT),
        poll_interval=parse_seconds(
            "--poll-interval", arg("poll_interval"), context.DEFAULT_POLL_INTERVAL
        ),
        dry_run=bool(getattr(args, "dry_run", False)),
        ca_bundle=arg("ca_bundle"),
        max_concurrency=context.parse_count(
            "--max-concurrency",
            arg("max_concurrency"),
            context.DEFAULT_MAX_CONCURRENCY,
            context.MAX_CONCURRENCY,
        ),
    )


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    from . import publish as flow

    env = os.environ if env is None else env
    args = _parser().parse_args(argv)
    reporter = reporter_for(env)
    try:
        settings = _settings(args, env)
    except ConfigError as exc:
        reporter.error(str(exc), title=exc.title)
        return 2
    ctx = context.repo_context(env, getattr(args, "workspace", None))
    if args.command == "validate":
        return flow.validate(settings, ctx, reporter)
    if args.command == "plan":
        return flow.plan(settings, ctx, reporter)
    if args.command == "publish":
        return flow.publish(settings, ctx, reporter)
    if args.command == "init":
        from .init import init

        return init(
            Path(args.directory),
            ctx,
            settings,
            reporter,
            force=args.force,
            defaults_path=args.defaults_path,
        )
    settings = replace(settings, update=args.update)
    if args.wait:  # the same wait as a resumed publish, with no manifest
        return flow.publish(replace(settings, manifest=""), ctx, reporter)
    return flow.status(settings, reporter)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
