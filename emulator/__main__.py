"""``python -m emulator``: serve until SIGTERM/SIGINT; the first stdout line is the base URL."""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from emulator.model import JOB_MODES, PROGRESS_PROFILES, Settings, parse_fault_spec
from emulator.server import Emulator


def build_parser() -> argparse.ArgumentParser:
    d = Settings()
    p = argparse.ArgumentParser(prog="python -m emulator", description=__doc__)
    p.add_argument("--host", default="127.0.0.1", help="bind address (default 127.0.0.1)")
    p.add_argument(
        "--advertise-host", help="host named in printed/served URLs (e.g. for a container)"
    )
    p.add_argument("--port", type=int, default=0, help="0 picks a free port (default)")
    p.add_argument("--base-path", default=d.base_path)
    p.add_argument("--username", default=d.username, help="Basic user ('' disables Basic)")
    p.add_argument("--password", default=d.password)
    p.add_argument("--token", default=d.token, help="Bearer token ('' disables Bearer)")
    p.add_argument("--job-seconds", type=float, default=d.job_seconds)
    p.add_argument("--start-delay", type=float, default=d.start_delay)
    p.add_argument("--progress", choices=PROGRESS_PROFILES, default=d.progress)
    p.add_argument("--fail-jobs", metavar="MESSAGE", help="jobs finish with this error")
    p.add_argument("--job-mode", choices=JOB_MODES, default=d.job_mode)
    p.add_argument("--unknown-state", default=d.unknown_state)
    p.add_argument("--no-web-url", action="store_true", help="samples carry webUrl null")
    p.add_argument("--web-url-base", help="webUrl prefix (default {origin}/samples)")
    p.add_argument("--github-token", default=d.github_token, help="planted author.gitHubToken")
    p.add_argument("--no-defaults", action="store_true", help="/contributions/defaults → 404")
    p.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="SPEC",
        help="repeatable: JSON or KIND,key=value,... e.g. status=503,op=poll,count=3,retry_after=2",
    )
    p.add_argument("--quiet", action="store_true", help="no access log on stderr")
    return p


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = Settings(
            base_path=args.base_path,
            username=args.username,
            password=args.password,
            token=args.token,
            job_seconds=args.job_seconds,
            start_delay=args.start_delay,
            progress=args.progress,
            fail_jobs=args.fail_jobs,
            job_mode=args.job_mode,
            unknown_state=args.unknown_state,
            web_url=not args.no_web_url,
            web_url_base=args.web_url_base,
            github_token=args.github_token,
            defaults_enabled=not args.no_defaults,
        )
        settings.check()
        faults = [parse_fault_spec(spec) for spec in args.fault]
    except ValueError as exc:
        parser.error(str(exc))
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    emu = Emulator(
        settings,
        host=args.host,
        port=args.port,
        access_log=not args.quiet,
        faults=faults,
        advertise_host=args.advertise_host,
    )
    emu.start()
    try:
        print(emu.base_url, flush=True)
        while not stop.wait(0.2):
            pass
    finally:
        emu.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
