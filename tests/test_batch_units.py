"""The shared rate-limit gate and the serialized log, with a fake clock: nothing sleeps."""

from __future__ import annotations

import io
import threading

import pytest
from urllib3 import HTTPResponse

from publisher.batch import RateGate, SampleLog, SharedLog, SharedRetry, WorkerClock
from publisher.client import make_retry
from publisher.errors import Cancelled
from publisher.runner import ActionsReporter
from tests.gha import parse_log


class FakeClock:
    def __init__(self) -> None:
        self.t = 100.0
        self.slept: list[float] = []

    def now(self) -> float:
        return self.t

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.t += seconds


def response(status: int, retry_after: str | None = None) -> HTTPResponse:
    headers = {"Retry-After": retry_after} if retry_after else {}
    return HTTPResponse(body=b"", status=status, headers=headers, preload_content=False)


def test_an_open_gate_does_not_wait() -> None:
    clock = FakeClock()
    assert RateGate(clock).wait() is False
    assert clock.slept == []


def test_a_hold_delays_until_it_expires_and_the_longest_wins() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    gate.hold(2.0)
    gate.hold(0.5)  # a shorter hold must not shorten the longer one
    assert gate.wait() is True
    assert clock.t == pytest.approx(102.0)
    assert gate.wait() is False


def test_a_retry_after_seen_by_one_worker_holds_the_gate_for_all() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    retry = SharedRetry.adopt(make_retry(lambda: 60.0), gate)
    retry.sleep(response(429, "3"))
    assert clock.t == pytest.approx(103.0)  # this worker waited the Retry-After ...
    clock.t = 101.0  # ... and another worker, asking before it ended, waits for the rest
    other = SharedRetry.adopt(make_retry(lambda: 60.0), gate)
    assert other.gate is gate
    gate.wait()
    assert clock.t == pytest.approx(103.0)


def test_the_retry_after_never_outlives_the_deadline() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    retry = SharedRetry.adopt(make_retry(lambda: 1.0), gate)
    retry.sleep(response(429, "30"))
    assert clock.t - 100.0 <= 1.0


def test_without_retry_after_it_is_this_workers_backoff_only() -> None:
    clock = FakeClock()
    gate = RateGate(clock)
    retry = SharedRetry.adopt(make_retry(lambda: 60.0), gate)
    retry = retry.increment("GET", "/x", response=response(503))
    retry = retry.increment("GET", "/x", response=response(503))
    assert isinstance(retry, SharedRetry)
    assert retry.gate is gate  # new() keeps the gate
    retry.sleep(response(503))
    assert clock.slept == [pytest.approx(retry.get_backoff_time())]
    assert gate.wait() is False  # the gate stayed open for the others


def test_the_adopted_policy_is_the_clients() -> None:
    policy = make_retry(lambda: 60.0)
    retry = SharedRetry.adopt(policy, RateGate(FakeClock()))
    assert retry.is_retry("POST", 429)
    assert not retry.is_retry("POST", 502)
    assert retry.is_retry("GET", 502)
    assert retry.total == policy.total
    assert retry.backoff_max == policy.backoff_max


def test_a_worker_sleep_ends_when_the_run_is_cancelled() -> None:
    stop = threading.Event()
    stop.set()
    clock = WorkerClock(FakeClock(), stop)
    with pytest.raises(Cancelled):
        clock.sleep(3600)


def test_groups_from_two_workers_are_written_whole() -> None:
    stream = io.StringIO()
    shared = SharedLog(ActionsReporter({}, stream))
    first = SampleLog(shared, "[a] ", single=False)
    second = SampleLog(shared, "[b] ", single=False)
    with first.group("Contribution sent"):
        first.info("a1")
        second.info("between")  # another worker writes while the group is open
        first.info("a2")
    lines = stream.getvalue().splitlines()
    assert lines == ["[b] between", "::group::[a] Contribution sent", "a1", "a2", "::endgroup::"]
    first.set_output("job-id", "7")  # several samples: only the `samples` output names jobs
    assert "job-id" not in stream.getvalue()
    shared.mute()
    second.info("late")
    second.hide("s3cret-value")  # a secret is still learnt after a cancel
    second.mask("another-secret")
    assert "late" not in stream.getvalue()
    assert [c.message for c in parse_log(stream.getvalue()).named("add-mask")] == ["another-secret"]
