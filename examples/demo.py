"""`make demo`: publish examples/hello-sample to a local emulator, as a runner would.

Starts the emulator on loopback, runs ``entrypoint.py`` with the environment a
GitHub runner gives a Docker action on a tag push (every input as
``INPUT_<NAME>``, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, the tag
variables), then prints the step outputs and the job summary.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

from emulator import Emulator

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "hello-sample"


def main() -> int:
    with Emulator(job_seconds=3.0) as emu, tempfile.TemporaryDirectory() as tmp:
        outputs = Path(tmp) / "set_output"
        summary = Path(tmp) / "step_summary"
        outputs.touch()
        summary.touch()
        env = {
            "PATH": os.environ.get("PATH", ""),
            "GITHUB_ACTIONS": "true",
            "GITHUB_WORKSPACE": str(SAMPLE),
            "GITHUB_OUTPUT": str(outputs),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_REF": "refs/tags/v1.0.0",
            "GITHUB_REF_NAME": "v1.0.0",
            "GITHUB_REF_TYPE": "tag",
            "GITHUB_SERVER_URL": "https://github.com",
            "GITHUB_REPOSITORY": "acme/hello-sample",
            "INPUT_MANIFEST": "sample-exchange.yml",
            "INPUT_API-URL": emu.base_url,
            "INPUT_USERNAME": "demo",
            "INPUT_PASSWORD": "demo-password",
            "INPUT_TOKEN": "",
            "INPUT_SAMPLE-ID": "",
            "INPUT_JOB-ID": "",
            "INPUT_TIMEOUT": "60",
            "INPUT_POLL-INTERVAL": "1",
            "INPUT_DRY-RUN": "false",
            "INPUT_CA-BUNDLE": "",
        }
        print(f"== Emulator at {emu.base_url}; publishing {SAMPLE.relative_to(ROOT)}\n")
        code = subprocess.call(  # noqa: S603 - our own entrypoint, fixed arguments
            [sys.executable, str(ROOT / "entrypoint.py")], env=env, cwd=SAMPLE
        )
        print("\n== Step outputs (GITHUB_OUTPUT)\n")
        print(outputs.read_text(encoding="utf-8"))
        print("== Job summary (GITHUB_STEP_SUMMARY)\n")
        print(summary.read_text(encoding="utf-8"))
        print(f"== entrypoint.py exited {code}")
        return code


if __name__ == "__main__":
    sys.exit(main())
