"""The wait schedule and the job watcher, on a fake clock: nothing sleeps."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import pytest

from publisher.client import SampleExchangeClient, TransientApiError
from publisher.errors import JobFailed, JobTimeout
from publisher.models import SampleJob
from publisher.poller import JobWatcher, Observation, Schedule, estimate_remaining, next_wait


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.t += seconds


@dataclass
class FakeJobServer:
    """A job that finishes ``duration`` s after submit, reporting linear progress."""

    clock: FakeClock
    duration: float
    with_progress: bool = True
    submitted: float = 0.0
    polls: list[float] = field(default_factory=list)
    script: list[Callable[[], dict[str, Any]]] = field(default_factory=list)

    def get_job(self, job_id: int, kind: str = "create") -> SampleJob:
        self.polls.append(self.clock.now())
        if self.script:
            return SampleJob.from_json(self.script.pop(0)())
        elapsed = self.clock.now() - self.submitted
        if elapsed >= self.duration:
            data = {"id": job_id, "state": "FINISHED", "progress": 100, "sampleId": 5}
        else:
            progress = int(100 * elapsed / self.duration) if self.with_progress else 0
            data = {"id": job_id, "state": "RUNNING", "progress": progress}
        return SampleJob.from_json(data)


def watcher(server: FakeJobServer, clock: FakeClock, **schedule: float) -> JobWatcher:
    return JobWatcher(cast(SampleExchangeClient, server), clock, Schedule(**schedule))


def run(duration: float, *, with_progress: bool = True, timeout: float = 7200) -> tuple[float, int]:
    clock = FakeClock()
    server = FakeJobServer(clock, duration, with_progress, submitted=clock.now())
    done = watcher(server, clock).wait(1, "create", deadline=clock.now() + timeout, timeout=timeout)
    assert done.sample_id == 5
    latency = clock.now() - (server.submitted + duration)
    return latency, len(server.polls)


def test_first_wait_is_the_poll_interval() -> None:
    assert next_wait([], Schedule(first=2.5)) == 2.5


def test_progress_aims_just_after_the_estimated_end() -> None:
    history = [Observation(at=2.0, progress=20)]
    assert estimate_remaining(history) == pytest.approx(8.0)
    # 20 % may be a coarse step (anywhere in 20-39 %): a check may come earlier, but never
    # after the estimated end plus the margin.
    wait = next_wait(history, Schedule())
    assert 0 < wait <= 8.0 + 0.1 * 10 + 0.3
    fine = [Observation(at=2.0, progress=47)]  # a fine percent: just after its end
    remaining = estimate_remaining(fine)
    assert remaining is not None
    assert remaining < next_wait(fine, Schedule()) < remaining + 0.1 * 4 + 0.3


def test_a_lone_round_percent_is_checked_before_its_latest_end() -> None:
    # 25 % at 2 s: a job reporting 25 % steps is 25-49 % done, so it ends 4-8 s in.
    stepped = [Observation(at=2.0, progress=25)]
    assert estimate_remaining(stepped) == pytest.approx(6.0)
    assert 2.0 <= next_wait(stepped, Schedule()) < 4.0
    assert next_wait(stepped, Schedule(coarse=False)) > 5.0


def test_rate_comes_from_the_last_two_distinct_readings() -> None:
    # Progress started late: 10% at 5 s, 30% at 7 s → 10%/s, 7 s left.
    history = [Observation(5.0, 10), Observation(7.0, 30)]
    assert estimate_remaining(history) == pytest.approx(7.0)


def test_no_signal_waits_a_growing_share_of_elapsed_time() -> None:
    waits = [next_wait([Observation(at, 0)], Schedule()) for at in (2.0, 10.0, 50.0)]
    assert waits == [pytest.approx(0.4), pytest.approx(2.0), pytest.approx(10.0)]


def test_wait_is_capped_and_floored() -> None:
    assert next_wait([Observation(1000.0, None)], Schedule(cap=30)) == 30
    assert next_wait([Observation(0.1, 99)], Schedule(floor=0.2)) >= 0.2
    assert next_wait([Observation(10.0, 1)], Schedule(cap=30)) == 30  # eta ~990 s


@pytest.mark.parametrize("duration", [3.0, 10.0, 30.0])
def test_with_progress_finishes_close_after_the_job(duration: float) -> None:
    latency, polls = run(duration)
    assert 0 <= latency <= 0.1 * duration + 0.3
    if duration == 10.0:
        assert polls <= 5


@pytest.mark.parametrize("duration", [3.0, 10.0, 30.0, 300.0])
def test_without_progress_latency_stays_a_bounded_share(duration: float) -> None:
    latency, _ = run(duration, with_progress=False)
    assert 0 <= latency <= 0.25 * duration + 0.5


def test_hour_long_job_is_noticed_within_the_cap() -> None:
    latency, polls = run(3600.0, with_progress=False)
    assert latency <= 30.0
    assert polls < 3600 / 20


def test_never_sleeps_past_the_deadline_and_names_the_job() -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, duration=1e9, with_progress=False, submitted=clock.now())
    start = clock.now()
    with pytest.raises(JobTimeout) as caught:
        watcher(server, clock).wait(42, "create", deadline=start + 60, timeout=60)
    assert clock.now() == pytest.approx(start + 60)
    assert "job-id: 42" in caught.value.hint
    assert caught.value.job_id == 42


def test_resume_polls_at_once() -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, duration=0, submitted=clock.now() - 100)
    watcher(server, clock).wait(1, "create", deadline=clock.now() + 60, timeout=60, resume=True)
    assert clock.sleeps == [0.0]


def test_job_error_fails_with_the_message() -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, 1)
    server.script = [lambda: {"id": 1, "state": "FINISHED", "error": "repo not found"}]
    with pytest.raises(JobFailed, match="repo not found"):
        watcher(server, clock).wait(1, "create", deadline=clock.now() + 60, timeout=60)


def test_finished_without_sample_id_fails() -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, 1)
    server.script = [lambda: {"id": 1, "state": "FINISHED"}]
    with pytest.raises(JobFailed, match="without a sample id"):
        watcher(server, clock).wait(1, "create", deadline=clock.now() + 60, timeout=60)


@pytest.mark.parametrize("state", ["PAUSED", "FAILED", ""])
def test_unknown_state_is_not_waited_on(state: str) -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, 1)
    server.script = [lambda: {"id": 1, "state": state}]
    with pytest.raises(JobFailed, match="does not know"):
        watcher(server, clock).wait(1, "create", deadline=clock.now() + 60, timeout=60)
    assert len(server.polls) == 1


def test_transient_poll_failure_is_retried_honouring_retry_after() -> None:
    clock = FakeClock()
    server = FakeJobServer(clock, duration=1, submitted=clock.now())
    calls = iter(
        [TransientApiError("503", status=503, retry_after=5.0)]
        + [None] * 10  # then the real job answers
    )
    real = server.get_job

    def flaky(job_id: int, kind: str = "create") -> SampleJob:
        error = next(calls)
        if error is not None:
            server.polls.append(clock.now())
            raise error
        return real(job_id, kind)

    seen: list[str] = []
    w = watcher(server, clock)
    w.client = cast(SampleExchangeClient, type("C", (), {"get_job": staticmethod(flaky)})())
    w.on_transient = seen.append
    done = w.wait(1, "create", deadline=clock.now() + 60, timeout=60)
    assert done.is_final
    assert seen == ["503"]
    assert clock.sleeps[1] >= 5.0
