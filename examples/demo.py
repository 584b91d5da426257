"""`make demo`: publish examples/hello-sample to a local emulator, as a runner would.

Starts the emulator on loopback, runs ``entrypoint.py`` with the environment a
GitHub runner gives a Docker action on a tag push (every input as
``INPUT_<NAME>``, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``, the tag
variables), then prints the step outputs and the job summary.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

from emulator import Emulator
from emulator.runner_env import runner_env

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "hello-sample"


def main() -> int:
    with Emulator(job_seconds=3.0) as emu, tempfile.TemporaryDirectory() as tmp:
        files = Path(tmp)
        env = runner_env(
            SAMPLE,
            files,
            api_url=emu.base_url,
            username="demo",
            password="demo-password",  # noqa: S106 -- the emulator's demo login
            timeout="60",
            poll_interval="1",
        )
        outputs = files / "set_output"
        summary = files / "step_summary"
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
