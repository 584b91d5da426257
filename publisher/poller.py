"""Waiting for a job: the wait schedule (a pure function) and the watcher.

The schedule uses the job's own ``progress`` to estimate when it will finish
and polls just after that moment; with no signal it waits a growing fraction
of the time already spent, so the overshoot stays a bounded share of the job's
length. Every wait is capped, and the watcher never sleeps past the deadline.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

from . import messages
from .errors import JobFailed, JobTimeout
from .models import SampleJob

if TYPE_CHECKING:  # the HTTP stack is imported only by code that polls
    from .client import Kind, SampleExchangeClient


class Clock(Protocol):
    def now(self) -> float: ...
    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    def now(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


@dataclass(frozen=True)
class Observation:
    """What one poll saw, ``at`` seconds after the job was submitted."""

    at: float
    progress: int | None


@dataclass(frozen=True)
class Schedule:
    """Tuned by simulation (``make bench``): see bench/simulate.py."""

    first: float = 2.0  # the `poll-interval` input: the wait before the first poll
    cap: float = 30.0  # no wait is longer, so a long job is noticed within this
    growth: float = 0.2  # with no signal, wait this share of the time spent so far
    floor: float = 0.2  # shortest wait between two polls
    margin: float = 0.0  # aim this share of the estimated job length after its end
    slack: float = 0.02  # plus this many seconds
    # Extrapolate at most this many times the span the rate was measured over: a
    # far estimate (a late start, a coarse or truncated percent) is re-checked on the way,
    # which costs a request or two on short jobs and few on long ones (the cap dominates).
    reach: float = 1.0
    first_reach: float = 3.0  # the same from the first poll alone (rate since the submit)
    overdue: float = 0.01  # past the estimated end: wait this share of the time spent
    # Where, within the gap between two polls, the last new percent was reached
    # (1 = at the poll that saw it): coarse steps are reached mid-gap on average.
    crossing: float = 0.5
    # Read a lone round percent (25, 50, 20) as the middle of its possible step.
    coarse: bool = True


COARSE_STEP = 5  # a lone reading of a multiple of this many percent may be a coarse step


@dataclass(frozen=True)
class Estimate:
    end: float  # seconds after the submit at which the job should reach 100 %
    span: float  # seconds of history the rate rests on


def estimate_end(
    history: Sequence[Observation], crossing: float = 1.0, *, coarse: bool = False
) -> Estimate | None:
    """When the job should finish, from its progress readings; None without a rate.

    The rate runs from the first reading of the earliest non-zero percent (or the
    submit) to the first reading of the latest percent; that reading is moved back
    by ``1 - crossing`` of the gap since the poll before it, when that poll already
    saw progress (a first percent after the submit is a rate, not a step).

    With ``coarse``, percents are read by their apparent granularity (the greatest
    common divisor of those seen, and 100): fine ones (37, 52) were reached just
    before the poll that saw them, so only coarse steps are moved back; and a single
    percent seen so far that is a round share of 100 (a server reporting 25 % steps
    says 25 from 25 % to 49 %) counts as the middle of that step: the job is likely
    further along than it says. A later reading corrects either guess.
    """
    readings = [(o.at, o.progress) for o in history if o.progress is not None]
    firsts: list[tuple[float, int]] = []  # (at, percent) where each new percent was first seen
    before: dict[int, tuple[float, int]] = {}  # percent → the reading just before it
    for i, (at, progress) in enumerate(readings):
        if progress > 0 and (not firsts or firsts[-1][1] != progress):
            firsts.append((at, progress))
            if i > 0:
                before[len(firsts) - 1] = readings[i - 1]
    if not firsts:
        return None
    last_at, last_progress = firsts[-1]
    previous = before.get(len(firsts) - 1)
    step = math.gcd(100, *(p for _, p in firsts))  # the percent's apparent granularity
    if previous is not None and previous[1] > 0 and (not coarse or step >= COARSE_STEP):
        last_at = previous[0] + crossing * (last_at - previous[0])
    lower = [(at, p) for at, p in firsts if p < last_progress]
    base_at, base_progress = lower[0] if lower else (0.0, 0)
    if coarse and not lower and step >= COARSE_STEP:
        last_progress = min(100, last_progress + step // 2)
    if last_at <= base_at:
        return None
    rate = (last_progress - base_progress) / (last_at - base_at)
    if rate <= 0:
        return None
    return Estimate(last_at + max(0, 100 - last_progress) / rate, last_at - base_at)


def estimate_remaining(history: Sequence[Observation]) -> float | None:
    """Seconds until the job reaches 100 %, from its progress, or None if unknown."""
    estimate = estimate_end(history)
    if estimate is None:
        return None
    return max(0.0, estimate.end - history[-1].at)


def next_wait(history: Sequence[Observation], schedule: Schedule) -> float:
    """Seconds to wait before the next poll, given what the polls saw so far."""
    if not history:
        return max(0.0, schedule.first)
    elapsed = history[-1].at
    estimate = estimate_end(history, schedule.crossing, coarse=schedule.coarse)
    if estimate is None:
        wait = schedule.growth * elapsed
    elif estimate.end <= elapsed:  # it should have finished: look again soon
        wait = schedule.overdue * elapsed
    else:
        aim = estimate.end - elapsed + schedule.margin * estimate.end + schedule.slack
        reach = schedule.first_reach if len(history) == 1 else schedule.reach
        wait = min(aim, reach * estimate.span)
    return min(schedule.cap, max(schedule.floor, wait))


@dataclass
class JobWatcher:
    """Owns one job's lifecycle from submitted to a final, trusted answer."""

    client: SampleExchangeClient
    clock: Clock
    schedule: Schedule
    on_poll: Callable[[SampleJob], None] = lambda job: None
    on_transient: Callable[[str], None] = lambda reason: None
    last_state: str = "NEW"
    polls: int = 0
    history: list[Observation] = field(default_factory=list)

    def wait(
        self,
        job_id: int,
        kind: Kind,
        *,
        deadline: float,
        timeout: float,
        resume: bool = False,
    ) -> SampleJob:
        """Poll until FINISHED; raise JobFailed/JobTimeout otherwise."""
        from .client import TransientApiError

        submitted = self.clock.now()
        # A resumed job may be done already: look at once.
        wait = 0.0 if resume else next_wait(self.history, self.schedule)
        while True:
            self.clock.sleep(max(0.0, min(wait, deadline - self.clock.now())))
            retry_after = 0.0
            try:
                self.polls += 1
                job = self.client.get_job(job_id, kind)
            except TransientApiError as exc:
                self.on_transient(exc.message)
                retry_after = exc.retry_after
                self.history.append(Observation(self.clock.now() - submitted, None))
            else:
                self.on_poll(job)
                self.last_state = job.state or self.last_state
                if job.is_final:
                    return check_finished(job, job_id)
                if not job.is_temporary:
                    what, hint = messages.JOB_UNKNOWN_STATE
                    raise JobFailed(
                        what.format(job_id=job_id, state=job.state), hint=hint.format(job_id=job_id)
                    )
                self.history.append(Observation(self.clock.now() - submitted, job.progress))
            left = deadline - self.clock.now()
            if left <= 0:
                what, hint = messages.TIMEOUT
                raise JobTimeout(
                    what.format(job_id=job_id, timeout=timeout, state=self.last_state),
                    hint=hint.format(job_id=job_id),
                    job_id=job_id,
                )
            wait = max(next_wait(self.history, self.schedule), retry_after)


def check_finished(job: SampleJob, job_id: int) -> SampleJob:
    """A FINISHED job is a success only with no error and a sample id."""
    if job.error:
        what, hint = messages.JOB_ERROR
        raise JobFailed(what.format(job_id=job_id, error=job.error), hint=hint, job_id=job_id)
    if job.sample_id is None:
        what, hint = messages.JOB_NO_SAMPLE
        raise JobFailed(what.format(job_id=job_id), hint=hint, job_id=job_id)
    return job
