"""Shared fixtures: a real emulator on 127.0.0.1 (port 0) with short jobs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from emulator import Emulator

# Short enough for fast integration tests, long enough to see NEW and RUNNING.
FAST_JOB: dict[str, Any] = {"job_seconds": 0.3, "start_delay": 0.05}


class FakeClock:
    """An injectable clock (epoch seconds) that only moves when told to."""

    def __init__(self, start: float = 1_750_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    """A started emulator (demo credentials, 0.3 s jobs); ``emulator.base_url`` is the api-url."""
    with Emulator(**FAST_JOB) as emu:
        yield emu


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators with custom settings: ``emulator_factory(token="t", fail_jobs="boom")``.

    Any ``Emulator`` keyword works (``clock=FakeClock()``, ``faults=[...]``); all are stopped
    at the end of the test.
    """
    started: list[Emulator] = []

    def make(**kwargs: Any) -> Emulator:
        emu = Emulator(**(FAST_JOB | kwargs)).start()
        started.append(emu)
        return emu

    yield make
    for emu in started:
        emu.stop()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
