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

    validate = commands.add_parser("validate", help="check a manifest; no network")
    validate.add_argument("manifest", nargs="?", default=context.DEFAULT_MANIFEST)
    workspace(validate)

    publish = commands.add_parser("publish", help="publish a sample and wait for it")
    publish.add_argument("manifest", nargs="?", default=context.DEFAULT_MANIFEST)
    workspace(publish)
    api(publish)
    publish.add_argument("--sample-id", default="", help="update this sample")
    publish.add_argument("--job-id", default="", help="resume: wait for this job")
    publish.add_argument(
        "--dry-run", action="store_true", help="print the Contribution; no network"
    )

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

    return Settings(
        manifest=arg("manifest") or context.DEFAULT_MANIFEST,
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
    if args.command == "publish":
        return flow.publish(settings, ctx, reporter)
    settings = replace(settings, update=args.update)
    if args.wait:  # the same wait as a resumed publish, with no manifest
        return flow.publish(replace(settings, manifest=""), ctx, reporter)
    return flow.status(settings, reporter)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
