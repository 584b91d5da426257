"""The benchmark's own logic: simulator, baselines, verdicts. No timing assertions."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pytest

from bench import report, simulate
from bench.proc import declared_inputs, runner_env
from bench.startup import write_large_workspace
from publisher.poller import Observation, Schedule


def test_fixed_policy_sees_the_finish_at_the_next_tick() -> None:
    job = simulate.SimJob(duration=7.5, profile="linear")
    result = simulate.simulate(job, simulate.fixed(1.0))
    assert result.requests == 8
    assert result.latency == pytest.approx(0.5)
    assert result.fraction(job) == pytest.approx(0.5 / 7.5)


def test_simulated_progress_is_what_the_emulator_reports() -> None:
    seen: list[list[Observation]] = []

    def spy(history: Sequence[Observation]) -> float:
        seen.append(list(history))
        return 1.0

    simulate.simulate(simulate.SimJob(4.0, "stepped"), spy)
    assert [o.progress for o in seen[-1]] == [25, 50, 75]  # integer percent, 25 % steps
    simulate.simulate(simulate.SimJob(4.0, "none"), spy)
    assert [o.progress for o in seen[-1]] == [0, 0, 0]


def test_round_trip_is_added_to_every_poll() -> None:
    result = simulate.simulate(simulate.SimJob(2.5, "none"), simulate.fixed(1.0), rtt=0.1)
    assert result.requests == 3
    assert result.latency == pytest.approx(0.8)


def test_aws_waiter_stays_between_its_minimum_and_maximum_and_is_pure() -> None:
    policy = simulate.aws_waiter()
    history = [Observation(float(15 * i), None) for i in range(10)]
    waits = [policy(history[:n]) for n in range(10)]
    assert all(15.0 <= w <= 120.0 for w in waits)
    assert waits[0] == 15.0  # the first draw's range is [15, 15]
    assert waits[-1] == 120.0  # past the ceiling: the maximum
    assert waits == [policy(history[:n]) for n in range(10)]


def test_policy_that_never_finishes_is_an_error() -> None:
    with pytest.raises(RuntimeError, match="did not finish"):
        simulate.simulate(simulate.SimJob(100.0, "none"), simulate.fixed(0.0), max_polls=5)


def test_synthetic_jobs_cover_the_range_for_every_profile() -> None:
    jobs = simulate.synthetic_jobs(200)
    assert len(jobs) == 600
    assert {j.profile for j in jobs} == set(simulate.PROFILES)
    assert all(1.0 <= j.duration <= 3600.0 for j in jobs)
    assert all(0 <= j.start_delay <= 0.05 * j.duration for j in jobs)
    assert min(j.duration for j in jobs) < 2
    assert max(j.duration for j in jobs) > 1800


def test_percentile_is_nearest_rank() -> None:
    assert simulate.percentile([5.0, 1.0, 3.0, 2.0, 4.0], 95) == 5.0
    assert simulate.percentile([1.0, 2.0, 3.0, 4.0], 50) == 2.0


def test_evaluate_groups_by_profile() -> None:
    jobs = [
        simulate.SimJob(3.0, "linear"),
        simulate.SimJob(3.0, "none"),
        simulate.SimJob(3.0, "stepped"),
    ]
    table = simulate.evaluate({"ours": simulate.schedule_policy(Schedule())}, jobs)
    assert table["ours"]["with progress"].jobs == 2
    assert table["ours"]["no progress"].jobs == 1
    assert table["ours"]["linear"].jobs == 1


def _sim(mean_one: float, mean_ours: float, req_ours: float) -> dict[str, object]:
    def s(mean: float, req: float) -> dict[str, float]:
        return {"jobs": 10, "mean_latency_fraction": mean, "p95_latency_fraction": mean,
                "mean_requests": req}  # fmt: skip

    groups = {"with progress": 0, "no progress": 0}
    return {
        "policies": {
            "schedule": {g: s(mean_ours, req_ours) for g in groups},
            "fixed 1 s": {g: s(mean_one, 400) for g in groups},
            "fixed 5 s": {g: s(0.4, 80) for g in groups},
        }
    }


@pytest.mark.parametrize(
    ("mean_ours", "req_ours", "met"), [(0.05, 20, True), (0.09, 20, False), (0.05, 90, False)]
)
def test_simulation_goal_needs_fewer_requests_and_lower_latency(
    mean_ours: float, req_ours: float, met: bool
) -> None:
    rows = report.simulation_rows(_sim(0.07, mean_ours, req_ours))
    assert rows[-1].met is met
    assert rows[-1].verdict().startswith("met" if met else "not met")


def test_latency_goals_follow_the_issue() -> None:
    row = {"job_s": 10.0, "progress": "linear", "runs": 3, "failed": 0, "max_polls": 6}
    (r,) = report.latency_rows({"rows": [{**row, "median_latency_s": 1.2}]})
    assert r.goal == "≤ 1.30 s, ≤ 5 polls"
    assert r.met is False
    (r,) = report.latency_rows({"rows": [{**row, "max_polls": 5, "median_latency_s": 1.2}]})
    assert r.met is True
    none = {**row, "progress": "none", "job_s": 30.0, "median_latency_s": 8.1}
    (r,) = report.latency_rows({"rows": [none]})
    assert r.goal == "≤ 8.00 s"
    assert r.met is False
    (r,) = report.latency_rows({"rows": [{**row, "median_latency_s": None, "failed": 3}]})
    assert r.met is False
    assert r.figure == "failed"


def test_skipped_image_says_why() -> None:
    (row,) = report.image_rows({"skipped": "no engine"})
    assert row.met is None
    assert "| skipped (no engine) |" in report.markdown([row])


def test_large_workspace_holds_every_listed_file(tmp_path: Path) -> None:
    ws = write_large_workspace(tmp_path, paths=120, tags=30)
    text = (ws / "sample-exchange.yml").read_text(encoding="utf-8")
    listed = [line[4:] for line in text.splitlines() if line.startswith("  - src/")]
    assert len(listed) == 120
    assert all((ws / p).is_file() for p in listed)
    assert text.count("\n  - t") + text.count("{category:") == 30


def test_runner_env_has_every_input(tmp_path: Path) -> None:
    env = runner_env(tmp_path, tmp_path / "files", dry_run="true")
    for name in declared_inputs():
        assert f"INPUT_{name.upper()}" in env
    assert env["INPUT_DRY-RUN"] == "true"
    assert (tmp_path / "files" / "set_output").is_file()
