"""The wait schedule at scale: thousands of synthetic jobs on a virtual clock.

Every policy sees exactly what the action sees (the poll history as
``Observation``s, progress an integer percent as the emulator's own state machine
reports it) and answers the next wait. Nothing sleeps; a job costs microseconds.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from emulator.model import Job, job_phase
from publisher.poller import Observation, Schedule, next_wait

Policy = Callable[[Sequence[Observation]], float]
PROFILES = ("linear", "stepped", "none")


@dataclass(frozen=True)
class SimJob:
    duration: float
    profile: str  # linear | stepped | none, as the emulator reports it
    start_delay: float = 0.0  # NEW (progress 0) before RUNNING


@dataclass(frozen=True)
class SimResult:
    latency: float  # the poll that saw FINISHED minus the job's finish
    requests: int  # polls, the submit not counted

    def fraction(self, job: SimJob) -> float:
        return self.latency / job.duration


def _emulator_job(job: SimJob) -> Job:
    return Job(
        id=1,
        kind="create",
        contribution={},
        user="sim",
        created_at=0.0,
        duration=job.duration,
        start_delay=job.start_delay,
        progress=job.profile,
        mode="normal",
        unknown_state="PAUSED",
        fail_message=None,
        stack_trace="",
        script=[],
    )


def simulate(
    job: SimJob, policy: Policy, *, rtt: float = 0.0, max_polls: int = 100_000
) -> SimResult:
    """Run one job to completion under ``policy``; ``rtt`` is each poll's round trip."""
    emulated = _emulator_job(job)
    history: list[Observation] = []
    now = 0.0
    for polls in range(1, max_polls + 1):
        now += max(0.0, policy(history))
        state, progress = job_phase(emulated, now + rtt / 2)  # the server answers mid-trip
        now += rtt
        if state == "FINISHED":
            return SimResult(latency=now - job.duration, requests=polls)
        history.append(Observation(now, progress))
    raise RuntimeError(f"policy did not finish {job} in {max_polls} polls")


# --- policies --------------------------------------------------------------------


def schedule_policy(schedule: Schedule) -> Policy:
    """The action's own schedule."""
    return lambda history: next_wait(history, schedule)


def fixed(seconds: float) -> Policy:
    """Poll every ``seconds`` (the public script: 1 s; actions/deploy-pages: 5 s)."""
    return lambda history: seconds


def aws_waiter(min_delay: float = 15.0, max_delay: float = 120.0, seed: int = 0) -> Policy:
    """AWS SDK v3 waiters (ECS ``waitUntilServicesStable``: 15 s minimum, 120 s maximum).

    The n-th wait is drawn between ``min_delay`` and ``min_delay * 2**(n-1)``, capped at
    ``max_delay`` (util-waiter's exponential backoff with jitter). Drawn from a hash of
    (seed, n, elapsed) so a policy stays a pure function of the history.
    """
    ceiling = math.log2(max_delay / min_delay) + 1

    def policy(history: Sequence[Observation]) -> float:
        attempt = len(history) + 1
        if attempt > ceiling:
            return max_delay
        bound = min(max_delay, min_delay * 2 ** (attempt - 1))
        elapsed = history[-1].at if history else 0.0
        draw = random.Random(hash((seed, attempt, round(elapsed, 6)))).random()
        return float(min_delay + draw * (bound - min_delay))

    return policy


def baselines() -> dict[str, Policy]:
    return {"fixed 1 s": fixed(1.0), "fixed 5 s": fixed(5.0), "15 s-minimum waiter": aws_waiter()}


# --- synthetic jobs --------------------------------------------------------------


def synthetic_jobs(
    count: int, *, seed: int = 5, low: float = 1.0, high: float = 3600.0
) -> list[SimJob]:
    """``count`` jobs per profile, log-uniform in length (as many 1-10 s jobs as 6-60 min)
    with a NEW phase of 0-5 % of the job, like a queue before the worker picks it up."""
    rng = random.Random(seed)
    jobs: list[SimJob] = []
    for _ in range(count):
        duration = math.exp(rng.uniform(math.log(low), math.log(high)))
        delay = duration * rng.uniform(0.0, 0.05)
        jobs.extend(SimJob(duration, profile, delay) for profile in PROFILES)
    return jobs


# --- summaries -------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of a non-empty sequence."""
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    jobs: int
    mean_fraction: float  # latency / job length
    p95_fraction: float
    mean_requests: float

    def to_json(self) -> dict[str, float]:
        return {
            "jobs": self.jobs,
            "mean_latency_fraction": self.mean_fraction,
            "p95_latency_fraction": self.p95_fraction,
            "mean_requests": self.mean_requests,
        }


def summarize(pairs: Iterable[tuple[SimJob, SimResult]]) -> Summary:
    items = list(pairs)
    if not items:
        raise ValueError("no jobs to summarize")
    fractions = [result.fraction(job) for job, result in items]
    return Summary(
        jobs=len(items),
        mean_fraction=sum(fractions) / len(items),
        p95_fraction=percentile(fractions, 95),
        mean_requests=sum(result.requests for _, result in items) / len(items),
    )


GROUPS: dict[str, tuple[str, ...]] = {
    "with progress": ("linear", "stepped"),
    "linear": ("linear",),
    "stepped": ("stepped",),
    "no progress": ("none",),
}


def evaluate(
    policies: dict[str, Policy], jobs: Sequence[SimJob], *, rtt: float = 0.0
) -> dict[str, dict[str, Summary]]:
    """policy name → group name → summary, every policy over the same jobs."""
    table: dict[str, dict[str, Summary]] = {}
    for name, policy in policies.items():
        results = [(job, simulate(job, policy, rtt=rtt)) for job in jobs]
        table[name] = {
            group: summarize((j, r) for j, r in results if j.profile in profiles)
            for group, profiles in GROUPS.items()
        }
    return table
