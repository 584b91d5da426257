"""`make bench`: measure, write bench/results.json, print the Markdown table.

Exits non-zero only when it cannot run; a goal not met is a row that says so.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench import image, latency, many, report, simulate, startup
from publisher.poller import Schedule

RESULTS = Path(__file__).resolve().parent / "results.json"


def simulation(jobs_per_profile: int) -> dict[str, Any]:
    jobs = simulate.synthetic_jobs(jobs_per_profile)
    policies = {"schedule": simulate.schedule_policy(Schedule()), **simulate.baselines()}
    table = simulate.evaluate(policies, jobs)
    return {
        "jobs_per_profile": jobs_per_profile,
        "policies": {
            name: {group: s.to_json() for group, s in groups.items()}
            for name, groups in table.items()
        },
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer rounds and repeats")
    parser.add_argument("--skip-image", action="store_true", help="do not build the image")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    rounds = 7 if args.quick else 21

    sections: list[tuple[str, Callable[[], dict[str, Any]], Callable[..., list[report.Row]]]] = [
        ("startup", lambda: startup.startup(rounds), report.startup_rows),
        ("large_manifest", lambda: startup.large_manifest(max(3, rounds // 2)), report.large_rows),
        ("simulation", lambda: simulation(300 if args.quick else 2000), report.simulation_rows),
        ("latency", lambda: latency.latency(args.quick), report.latency_rows),
        ("many", lambda: many.many(20 if args.quick else 100), report.many_rows),
    ]
    if not args.skip_image:
        sections.append(("image", lambda: image.image(max(3, rounds // 2)), report.image_rows))
    results: dict[str, Any] = {
        "command": "make bench" + (" (--quick)" if args.quick else ""),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    rows: list[report.Row] = []
    for name, measure, to_rows in sections:
        print(f"bench: {name}…", file=sys.stderr, flush=True)
        started = time.perf_counter()
        try:
            results[name] = measure()
        except Exception as exc:  # one broken section must not hide the rest
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
            rows.append(report.Row(name, "error", "—", None, str(exc)[:200]))
            continue
        results[name]["seconds"] = time.perf_counter() - started
        rows.extend(to_rows(results[name]))
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(report.markdown(rows))
    print(f"\nbench: results in {args.out}", file=sys.stderr)
    # Cannot run: every section errored.
    return 1 if all("error" in results[name] for name, _, _ in sections) else 0


if __name__ == "__main__":
    sys.exit(main())
