"""The emulator: its job state machine on a fake clock, and its HTTP behaviour on loopback."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import pytest
import requests

from emulator import HOSTILE_TEXT, PLANTED_GITHUB_TOKEN, Emulator, FaultRule, Settings, Store
from emulator.model import BadRequest, NotFound, job_phase, parse_fault_spec

ROOT = Path(__file__).resolve().parent.parent
BASIC = ("demo", "demo-password")
BEARER = {"Authorization": "Bearer demo-token"}
CONTRIBUTION: dict[str, Any] = {
    "name": "Find dropped flows",
    "type": "REPOSITORY",
    "readmeHtml": "<p>Lists flows</p>",
    "url": "https://github.com/acme/x",
    "branch": "v1.2.3",
    "paths": ["scripts/find-flows.ps1"],
    "files": [{"name": "find-flows.ps1", "path": "scripts/find-flows.ps1", "content": "x"}],
    "categories": [{"type": "product", "name": "vSphere", "version": "8.0"}],
    "tags": [{"category": "Language", "name": "PowerShell"}],
    "ossLicense": "MIT",
    "metadata": '{"any": "thing"}',
}
Factory = Callable[..., Emulator]


def call(method: str, url: str, **kwargs: Any) -> requests.Response:
    kwargs.setdefault("timeout", 5)  # a hung emulator fails the test instead of hanging it
    return requests.request(method, url, **kwargs)  # noqa: S113 -- timeout set above


def get(url: str, **kwargs: Any) -> requests.Response:
    return call("GET", url, **kwargs)


def post(url: str, **kwargs: Any) -> requests.Response:
    return call("POST", url, **kwargs)


def put(url: str, **kwargs: Any) -> requests.Response:
    return call("PUT", url, **kwargs)


def store(clock: Any, **settings: Any) -> Store:
    return Store(Settings().updated({"job_seconds": 10.0, "start_delay": 1.0} | settings))


# --- the state machine, on a fake clock (no sleeping) --------------------------------------


def test_job_goes_new_running_finished_with_rising_progress(fake_clock: Any) -> None:
    s = store(fake_clock)
    t0 = fake_clock()
    job_id = s.submit(CONTRIBUTION, user="demo", now=t0)["id"]
    seen = []
    for dt in (0.0, 0.99, 1.0, 3.0, 5.5, 9.99, 10.0, 60.0):
        view = s.poll(job_id, "create", t0 + dt)
        seen.append((view["state"], view["progress"]))
    assert seen == [
        ("NEW", 0),
        ("NEW", 0),
        ("RUNNING", 0),
        ("RUNNING", 22),
        ("RUNNING", 50),
        ("RUNNING", 99),
        ("FINISHED", 100),
        ("FINISHED", 100),
    ]
    record = s.job(job_id, t0 + 60)
    assert record is not None
    assert record["finishedAt"] == t0 + 10.0  # the exact finish moment, not when polled
    assert record["finishedSeenAt"] == t0 + 10.0
    assert record["polls"] == 8


def test_finished_job_carries_a_full_sample_shaped_as_the_seed_page(fake_clock: Any) -> None:
    s = store(fake_clock, job_seconds=1.0)
    s.origin = "http://127.0.0.1:9"
    job_id = s.submit(CONTRIBUTION, user="demo", now=0.0)["id"]
    view = s.poll(job_id, "create", 1.0)
    assert view["state"] == "FINISHED"
    assert view["finished"] == "1970-01-01T00:00:01.000Z"
    assert view["error"] is None
    sample = view["sample"]
    assert view["sampleId"] == sample["id"] != job_id
    seed_keys = {
        "id", "author", "name", "type", "created", "lastUpdated", "lastAutoUpdated", "readmeHtml",
        "appendRepositoryReadme", "repositoryReadmeHtml", "ossLicense", "downloadUrl", "webUrl",
        "gitHubUrl", "branch", "paths", "files", "groups", "categories", "tags", "comments",
        "favoriteCount", "downloadCount", "score", "metadata",
    }  # fmt: skip
    assert set(sample) == seed_keys
    assert set(sample["author"]) == {
        "id", "federationId", "communitiesUser", "fullName", "gitHubLogin", "gitHubToken",
        "linked", "score",
    }  # fmt: skip
    assert sample["author"]["gitHubToken"] == PLANTED_GITHUB_TOKEN
    assert sample["webUrl"] == f"http://127.0.0.1:9/samples/{sample['id']}"
    assert sample["gitHubUrl"] == CONTRIBUTION["url"]
    assert sample["files"][0]["path"] == "scripts/find-flows.ps1"
    assert sample["categories"][0]["name"] == "vSphere"
    assert sample["tags"][0]["name"] == "PowerShell"
    assert (sample["name"], sample["branch"], sample["paths"]) == (
        "Find dropped flows",
        "v1.2.3",
        ["scripts/find-flows.ps1"],
    )


@pytest.mark.parametrize(
    ("profile", "expected"),
    [
        ("linear", [0, 10, 49, 99]),
        ("stepped", [0, 0, 25, 75]),
        ("none", [0, 0, 0, 0]),
    ],
)
def test_progress_profiles(fake_clock: Any, profile: str, expected: list[int]) -> None:
    s = Store(Settings(job_seconds=10.0, start_delay=0.0, progress=profile))
    job_id = s.submit(CONTRIBUTION, user="demo", now=0.0)["id"]
    got = [s.poll(job_id, "create", t)["progress"] for t in (0.0, 1.0, 4.9, 9.99)]
    assert got == expected
    assert s.poll(job_id, "create", 10.0)["progress"] == 100


def test_failed_job_is_finished_with_error_and_no_sample() -> None:
    s = Store(Settings(job_seconds=1.0, fail_jobs="license not allowed"))
    job_id = s.submit(CONTRIBUTION, user="demo", now=0.0)["id"]
    view = s.poll(job_id, "create", 2.0)
    assert (view["state"], view["error"], view["sampleId"]) == (
        "FINISHED",
        "license not allowed",
        None,
    )
    assert "java.lang" in view["stackTrace"]
    assert s.samples(2.0) == []


@pytest.mark.parametrize(
    ("mode", "states", "has_sample"),
    [
        ("stuck", ["NEW", "RUNNING", "RUNNING", "RUNNING"], False),
        ("regress", ["NEW", "RUNNING", "NEW", "FINISHED"], True),
        ("unknown", ["NEW", "PAUSED", "PAUSED", "PAUSED"], False),
        ("no-sample-id", ["NEW", "RUNNING", "RUNNING", "FINISHED"], False),
    ],
)
def test_job_modes(mode: str, states: list[str], has_sample: bool) -> None:
    s = Store(Settings(job_seconds=10.0, start_delay=1.0, job_mode=mode))
    job_id = s.submit(CONTRIBUTION, user="demo", now=0.0)["id"]
    views = [s.poll(job_id, "create", t) for t in (0.0, 2.0, 7.0, 100.0)]
    assert [v["state"] for v in views] == states
    assert (views[-1]["sampleId"] is not None) is has_sample


def test_job_phase_is_a_pure_function_of_time() -> None:
    s = Store(Settings(job_seconds=4.0, start_delay=0.0))
    s.submit(CONTRIBUTION, user="demo", now=100.0)
    job = s._jobs[7001]
    assert job_phase(job, 102.0) == ("RUNNING", 50)
    assert job_phase(job, 102.0) == ("RUNNING", 50)
    assert job_phase(job, 104.0) == ("FINISHED", 100)


def test_scripted_states_are_served_per_poll_and_the_last_one_sticks() -> None:
    s = Store(Settings(job_seconds=1.0))
    s.add_faults([parse_fault_spec("script,states=RUNNING:40/FINISHED/RUNNING:90")])
    job_id = s.submit(CONTRIBUTION, user="demo", now=0.0)["id"]
    views = [s.poll(job_id, "create", 5.0 + i) for i in range(4)]
    assert [(v["state"], v["progress"]) for v in views] == [
        ("RUNNING", 40),
        ("FINISHED", 100),
        ("RUNNING", 90),  # FINISHED → RUNNING: a state going backwards
        ("RUNNING", 90),
    ]
    assert views[1]["sampleId"] is not None
    record = s.job(job_id, 10.0)
    assert record is not None
    assert record["finishedAt"] == 6.0


def test_update_changes_the_existing_sample_when_the_job_finishes() -> None:
    s = Store(Settings(job_seconds=1.0))
    sample = s.add_sample(CONTRIBUTION, 0.0)
    job = s.submit(
        {"id": sample["id"], "name": "Renamed", "branch": "v2"}, user="d", now=5.0, update=True
    )
    assert s.sample(sample["id"], 5.5)["name"] == "Find dropped flows"  # type: ignore[index]
    view = s.poll(job["id"], "update", 6.0)
    assert view["sampleId"] == sample["id"]
    after = s.sample(sample["id"], 6.0)
    assert after is not None
    assert (after["name"], after["branch"], after["paths"]) == (
        "Renamed",
        "v2",
        ["scripts/find-flows.ps1"],
    )
    assert after["created"] == sample["created"] != after["lastUpdated"]
    assert len(s.samples(6.0)) == 1
    with pytest.raises(NotFound):
        s.poll(job["id"], "create", 6.0)  # update jobs live under /samples/async only


def test_submit_validation() -> None:
    s = Store()
    with pytest.raises(BadRequest, match="name"):
        s.submit({"type": "REPOSITORY"}, user="d", now=0.0)
    with pytest.raises(BadRequest, match="type"):
        s.submit({"name": "x", "type": "BLOG"}, user="d", now=0.0)
    with pytest.raises(BadRequest, match="JSON object"):
        s.submit([1], user="d", now=0.0)
    with pytest.raises(NotFound, match="Sample 99"):
        s.submit({"id": 99, "name": "x"}, user="d", now=0.0, update=True)
    with pytest.raises(BadRequest, match="integer id"):
        s.submit({"name": "x"}, user="d", now=0.0, update=True)


def test_faults_fire_in_order_for_their_op_and_are_spent_by_count() -> None:
    s = Store()
    s.add_faults(
        [
            FaultRule(kind="status", status=503, op="poll", count=2),
            FaultRule(kind="reset", op="submit", count=1),
        ]
    )
    assert s.take_fault("search", http=True) is None
    fired = [s.take_fault("poll", http=True) for _ in range(3)]
    assert [f.status if f else None for f in fired] == [503, 503, None]
    reset = s.take_fault("submit", http=True)
    assert reset is not None
    assert reset.kind == "reset"
    assert s.faults() == []


def test_fault_specs_parse_from_the_cli_syntax_and_json() -> None:
    rule = parse_fault_spec("status=429,op=submit,count=2,retry_after=3,retry_after_date=true")
    assert (rule.kind, rule.status, rule.op, rule.count, rule.retry_after) == (
        "status",
        429,
        "submit",
        2,
        3.0,
    )
    assert rule.retry_after_date
    assert parse_fault_spec("stall,op=submit,seconds=1.5").when == "after"
    assert parse_fault_spec("reset,phase=after").when == "after"
    assert parse_fault_spec('{"kind": "html", "status": 200}').status == 200
    for bad in ("nonsense", "status", "status=503,op=everything", "stuck,op=poll", "x=1"):
        with pytest.raises(ValueError, match="fault"):
            parse_fault_spec(bad)


def test_settings_are_validated() -> None:
    assert Settings().updated({"job_seconds": 1}).job_seconds == 1.0
    for changes in ({"progress": "cubic"}, {"job_seconds": "2"}, {"nope": 1}, {"web_url": 1}):
        with pytest.raises(ValueError, match=r"progress|job_seconds|unknown|web_url"):
            Settings().updated(changes)


def test_job_ids_are_unique_and_distinct_from_sample_ids() -> None:
    s = Store(Settings(job_seconds=0.0))
    ids = {s.submit(CONTRIBUTION, user="d", now=0.0)["id"] for _ in range(50)}
    assert len(ids) == 50
    sample_ids = {sample["id"] for sample in s.samples(1.0)}
    assert len(sample_ids) == 50
    assert not ids & sample_ids


# --- HTTP on loopback ------------------------------------------------------------------


def test_create_and_poll_over_http_with_basic_auth(
    emulator_factory: Factory, fake_clock: Any
) -> None:
    emu = emulator_factory(clock=fake_clock, job_seconds=2.0, start_delay=0.5)
    created = post(f"{emu.base_url}/contributions/async", json=CONTRIBUTION, auth=BASIC)
    assert created.status_code == 202
    job = created.json()
    assert (job["state"], job["communitiesUser"]) == ("NEW", "demo")
    url = f"{emu.base_url}/contributions/async/{job['id']}"
    fake_clock.advance(1.0)
    running = get(url, auth=BASIC).json()
    assert (running["state"], running["progress"]) == ("RUNNING", 33)
    fake_clock.advance(1.0)
    done = get(url, auth=BASIC).json()
    assert done["state"] == "FINISHED"
    assert done["sample"]["webUrl"] == f"{emu.origin}/samples/{done['sampleId']}"
    found = get(f"{emu.base_url}/search/samples/{done['sampleId']}")  # no auth
    assert found.status_code == 200
    assert found.json() == done["sample"]
    assert get(done["sample"]["webUrl"]).status_code == 200
    assert [(r.method, r.op, r.status) for r in emu.requests] == [
        ("POST", "submit", 202),
        ("GET", "poll", 200),
        ("GET", "poll", 200),
        ("GET", "search", 200),
        ("GET", "other", 200),
    ]


def test_bearer_auth_and_401s(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/contributions/async"
    assert post(url, json=CONTRIBUTION, headers=BEARER).status_code == 202
    assert emulator.jobs[0]["job"]["communitiesUser"] == "token-user"
    for kwargs in (
        {},
        {"auth": ("demo", "wrong")},
        {"auth": ("other", "demo-password")},
        {"headers": {"Authorization": "Bearer wrong"}},
        {"headers": {"Authorization": "Basic !!!"}},
    ):
        answer = post(url, json=CONTRIBUTION, **kwargs)  # type: ignore[arg-type]
        assert answer.status_code == 401
        assert answer.headers["WWW-Authenticate"].startswith("Basic")
        assert "authentication" in answer.json()["message"]
    assert len(emulator.jobs) == 1
    emulator.configure(token="")  # Bearer disabled
    assert post(url, json=CONTRIBUTION, headers=BEARER).status_code == 401


def test_request_log_redacts_the_authorization_header(emulator: Emulator) -> None:
    post(f"{emulator.base_url}/contributions/async", json=CONTRIBUTION, auth=BASIC)
    get(f"{emulator.base_url}/contributions/async/7001", headers=BEARER)
    log = emulator.requests
    assert [r.headers["Authorization"] for r in log] == ["Basic <redacted>", "Bearer <redacted>"]
    assert [r.auth for r in log] == ["basic", "bearer"]
    assert json.loads(log[0].body) == CONTRIBUTION
    dump = json.dumps(emulator.state())
    assert "demo-token" not in json.dumps([r.to_json() for r in log])
    assert "ZGVtbzpkZW1vLXBhc3N3b3Jk" not in dump  # base64 of demo:demo-password


def test_bad_requests_answer_400_with_a_json_message(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/contributions/async"
    bad_json = post(url, data=b"{nope", auth=BASIC)
    assert bad_json.status_code == 400
    assert "not valid JSON" in bad_json.json()["message"]
    no_name = post(url, json={"type": "REPOSITORY"}, auth=BASIC)
    assert no_name.status_code == 400
    assert "name" in no_name.json()["message"]
    assert get(f"{url}/abc", auth=BASIC).status_code == 400
    assert emulator.jobs == []


def test_unknown_jobs_samples_and_routes_answer_404(emulator: Emulator) -> None:
    base = emulator.base_url
    for url in (
        f"{base}/contributions/async/424242",
        f"{base}/samples/async/424242",
        f"{base}/search/samples/5",
        f"{base}/no/such/thing",
    ):
        answer = get(url, auth=BASIC)
        assert answer.status_code == 404, url
        assert answer.json()["message"]
    missing = put(f"{base}/samples/async", json={"id": 5, "name": "x"}, auth=BASIC)
    assert missing.status_code == 404
    assert missing.json() == {"message": "Sample 5 not found."}


def test_update_over_http(emulator_factory: Factory, fake_clock: Any) -> None:
    emu = emulator_factory(clock=fake_clock, job_seconds=1.0)
    sample = emu.add_sample(CONTRIBUTION)
    update = put(
        f"{emu.base_url}/samples/async", json={"id": sample["id"], "name": "v2"}, auth=BASIC
    )
    assert update.status_code == 202
    fake_clock.advance(1.0)
    done = get(f"{emu.base_url}/samples/async/{update.json()['id']}", auth=BASIC).json()
    assert (done["state"], done["sampleId"], done["sample"]["name"]) == (
        "FINISHED",
        sample["id"],
        "v2",
    )
    assert [s["name"] for s in emu.samples] == ["v2"]


def test_no_web_url_option(emulator_factory: Factory, fake_clock: Any) -> None:
    emu = emulator_factory(clock=fake_clock, web_url=False, job_seconds=0.0)
    job = post(f"{emu.base_url}/contributions/async", json=CONTRIBUTION, auth=BASIC)
    view = get(f"{emu.base_url}/contributions/async/{job.json()['id']}", auth=BASIC)
    assert view.json()["sample"]["webUrl"] is None


def test_search_lists_samples_with_total_count(emulator: Emulator) -> None:
    for name in ("alpha flows", "beta", "alpha two"):
        emulator.add_sample(CONTRIBUTION | {"name": name})
    answer = get(f"{emulator.base_url}/search/samples?keyword=alpha&limit=1")
    assert answer.headers["X-Total-Count"] == "2"
    assert [s["name"] for s in answer.json()] == ["alpha flows"]


def test_contribution_defaults_and_disabling_them(emulator: Emulator) -> None:
    url = f"{emulator.base_url}/contributions/defaults"
    partial = {
        "type": "REPOSITORY",
        "url": "https://github.com/acme/x",
        "paths": ["find-flows.ps1"],
    }
    proposal = post(url, json=partial, auth=BASIC)
    assert proposal.status_code == 200
    got = proposal.json()
    assert got["name"] == "Find Flows"
    assert got["tags"] == [{"category": "Language", "name": "PowerShell"}]
    assert (got["ossLicense"], got["url"], got["readmeHtml"]) == (
        "MIT",
        partial["url"],
        "<p>Find Flows</p>",
    )
    assert post(url, json=partial).status_code == 401
    emulator.configure(defaults_enabled=False)
    assert post(url, json=partial, auth=BASIC).status_code == 404


def test_a_hundred_concurrent_jobs_get_unique_ids(emulator_factory: Factory) -> None:
    from concurrent.futures import ThreadPoolExecutor

    emu = emulator_factory(job_seconds=0.0)
    url = f"{emu.base_url}/contributions/async"

    def submit(i: int) -> int:
        answer = post(url, json=CONTRIBUTION | {"name": f"s{i}"}, auth=BASIC, timeout=10)
        assert answer.status_code == 202
        return int(answer.json()["id"])

    with ThreadPoolExecutor(max_workers=25) as pool:
        ids = list(pool.map(submit, range(100)))
    assert len(set(ids)) == 100
    samples = emu.samples
    assert len({s["id"] for s in samples}) == 100
    assert {s["name"] for s in samples} == {f"s{i}" for i in range(100)}


# --- admin endpoints ---------------------------------------------------------------------


def test_admin_state_configure_faults_and_reset(emulator: Emulator) -> None:
    admin = emulator.admin_url
    assert get(f"{admin}/health").json()["baseUrl"] == emulator.base_url
    configured = post(f"{admin}/configure", json={"job_seconds": 0, "fail_jobs": "nope"})
    assert configured.json()["settings"]["fail_jobs"] == "nope"
    assert post(f"{admin}/configure", json={"job_seconds": "x"}).status_code == 400
    post(f"{admin}/faults", json={"kind": "status", "status": 503, "op": "poll", "count": 1})
    post(f"{emulator.base_url}/contributions/async", json=CONTRIBUTION, auth=BASIC)
    assert get(f"{emulator.base_url}/contributions/async/7001", auth=BASIC).status_code == 503
    state = get(f"{admin}/state").json()
    assert state["requestCount"] == 2  # admin calls are not counted
    assert [r["status"] for r in state["requests"]] == [202, 503]
    assert state["requests"][1]["fault"] == "status"
    assert state["faults"] == []
    (job,) = state["jobs"]
    assert (job["state"], job["job"]["error"]) == ("FINISHED", "nope")
    assert isinstance(job["finishedAt"], float)
    assert post(f"{admin}/faults", json=[{"kind": "bogus"}]).status_code == 400
    added = post(f"{admin}/samples", json={"name": "seeded"})
    assert added.status_code == 201
    assert post(f"{admin}/reset").json() == {"ok": True}
    state = get(f"{admin}/state").json()
    assert (state["jobs"], state["samples"], state["requestCount"]) == ([], [], 0)
    assert state["settings"]["fail_jobs"] == "nope"  # reset keeps settings unless asked
    post(f"{admin}/reset", json={"settings": True})
    assert get(f"{admin}/state").json()["settings"]["fail_jobs"] is None


# --- fault modes over HTTP --------------------------------------------------------------------


def submit(emu: Emulator, **kwargs: Any) -> requests.Response:
    return post(f"{emu.base_url}/contributions/async", json=CONTRIBUTION, auth=BASIC, **kwargs)


@pytest.mark.parametrize("status", [502, 503, 504, 403])
def test_status_bursts_then_recovery(emulator: Emulator, status: int) -> None:
    emulator.add_fault(kind="status", status=status, op="submit", count=2)
    answers = [submit(emulator).status_code for _ in range(3)]
    assert answers == [status, status, 202]
    assert len(emulator.jobs) == 1  # a "before" fault never reaches the application


def test_retry_after_in_seconds_and_as_http_date(
    emulator_factory: Factory, fake_clock: Any
) -> None:
    emu = emulator_factory(clock=fake_clock)
    emu.add_fault(kind="status", status=429, count=1, retry_after=3, message="slow down")
    emu.add_fault(kind="status", status=503, count=1, retry_after=7, retry_after_date=True)
    first = submit(emu)
    assert (first.status_code, first.headers["Retry-After"]) == (429, "3")
    assert first.json() == {"message": "slow down"}
    second = submit(emu)
    assert second.status_code == 503
    assert parsedate_to_datetime(second.headers["Retry-After"]).timestamp() == fake_clock() + 7


def test_client_errors_with_hostile_messages(emulator: Emulator) -> None:
    emulator.add_fault(kind="status", status=422, op="submit", count=1, message=HOSTILE_TEXT)
    answer = submit(emulator)
    assert answer.status_code == 422
    assert answer.json()["message"] == HOSTILE_TEXT
    assert "::add-mask::" in HOSTILE_TEXT
    assert "\n" in HOSTILE_TEXT
    assert "%" in HOSTILE_TEXT


@pytest.mark.parametrize("status", [502, 200])
def test_gateway_html_pages(emulator: Emulator, status: int) -> None:
    emulator.add_fault(kind="html", status=status, op="poll", count=1)
    submit(emulator)
    page = get(f"{emulator.base_url}/contributions/async/7001", auth=BASIC)
    assert page.status_code == status
    assert page.headers["Content-Type"].startswith("text/html")
    assert page.text.startswith("<!DOCTYPE html>")
    assert get(page.url, auth=BASIC).json()["id"] == 7001


def test_truncated_json(emulator: Emulator) -> None:
    emulator.add_fault(kind="truncated", op="poll", count=1)
    submit(emulator)
    answer = get(f"{emulator.base_url}/contributions/async/7001", auth=BASIC)
    assert answer.status_code == 200
    assert answer.text.startswith('{"id": 7001')
    with pytest.raises(ValueError, match=r"Expecting|Unterminated"):
        answer.json()


def test_connection_reset_before_and_after_creating_the_job(emulator: Emulator) -> None:
    emulator.add_fault(kind="reset", op="submit", count=1)
    with pytest.raises(requests.ConnectionError):
        submit(emulator)
    assert emulator.jobs == []
    emulator.add_fault(kind="reset", op="submit", count=1, phase="after")
    with pytest.raises(requests.ConnectionError):
        submit(emulator)
    assert len(emulator.jobs) == 1  # the duplicate-risk case: created, answer lost
    assert [r.status for r in emulator.requests] == [None, None]
    assert submit(emulator).status_code == 202


def test_stall_past_the_read_timeout_happens_after_the_job_is_created(emulator: Emulator) -> None:
    emulator.add_fault(kind="stall", op="submit", count=1, seconds=1.0)
    started = time.monotonic()
    with pytest.raises(requests.ReadTimeout):
        submit(emulator, timeout=(2, 0.2))
    assert time.monotonic() - started < 0.9
    assert len(emulator.jobs) == 1
    assert submit(emulator, timeout=2).status_code == 202


def test_job_shaping_faults_apply_to_the_next_submit_only(
    emulator_factory: Factory, fake_clock: Any
) -> None:
    emu = emulator_factory(clock=fake_clock, job_seconds=1.0)
    emu.add_fault(kind="fail", count=1, message=HOSTILE_TEXT)
    emu.add_fault(kind="stuck", count=1)
    ids = [submit(emu).json()["id"] for _ in range(3)]
    fake_clock.advance(100)
    views = [get(f"{emu.base_url}/contributions/async/{i}", auth=BASIC).json() for i in ids]
    assert [(v["state"], v["error"]) for v in views] == [
        ("FINISHED", HOSTILE_TEXT),
        ("RUNNING", None),
        ("FINISHED", None),
    ]


# --- the CLI ------------------------------------------------------------------------------------


def test_cli_prints_its_base_url_serves_and_exits_0_on_sigterm() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "emulator", "--port", "0", "--job-seconds", "0", "--token", "tk",
         "--fail-jobs", "boom", "--no-web-url", "--fault", "status=503,op=poll,count=1", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=os.environ | {"PYTHONPATH": str(ROOT)},
    )  # fmt: skip
    try:
        assert proc.stdout is not None
        base = proc.stdout.readline().strip()
        assert base.startswith("http://127.0.0.1:")
        assert base.endswith("/sampleExchange/v1")
        headers = {"Authorization": "Bearer tk"}
        job = post(f"{base}/contributions/async", json=CONTRIBUTION, headers=headers)
        assert job.status_code == 202
        poll = f"{base}/contributions/async/{job.json()['id']}"
        assert get(poll, headers=headers).status_code == 503
        assert get(poll, headers=headers).json()["error"] == "boom"
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=5) == 0
    assert proc.stderr is not None
    assert proc.stderr.read() == ""


def test_cli_rejects_a_bad_fault_spec() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "emulator", "--fault", "explode"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "fault kind" in done.stderr


def test_download_url_serves_a_zip(emulator: Emulator) -> None:
    import io
    import zipfile

    sample = emulator.add_sample(CONTRIBUTION)
    answer = get(sample["downloadUrl"])  # public, like search
    assert answer.status_code == 200
    with zipfile.ZipFile(io.BytesIO(answer.content)) as archive:
        assert "Find dropped flows" in archive.read("README.md").decode()
    assert get(f"{emulator.base_url}/downloads/samples/999.zip").status_code == 404


def test_advertised_host_names_the_urls(emulator_factory: Factory) -> None:
    emu = emulator_factory(advertise_host="localhost")
    assert emu.base_url == f"http://localhost:{emu.port}/sampleExchange/v1"
    sample = emu.add_sample(CONTRIBUTION)
    assert sample["webUrl"] == f"http://localhost:{emu.port}/samples/{sample['id']}"


def test_custom_base_path_and_a_failed_update_leaves_the_sample(
    emulator_factory: Factory, fake_clock: Any
) -> None:
    emu = emulator_factory(clock=fake_clock, base_path="/api/v2", fail_jobs="locked")
    assert emu.base_url.endswith("/api/v2")
    sample = emu.add_sample(CONTRIBUTION)
    job = put(f"{emu.base_url}/samples/async", json={"id": sample["id"], "name": "new"}, auth=BASIC)
    fake_clock.advance(5)
    view = get(f"{emu.base_url}/samples/async/{job.json()['id']}", auth=BASIC).json()
    assert (view["state"], view["error"], view["sampleId"]) == ("FINISHED", "locked", None)
    assert emu.sample(sample["id"]) == sample
    assert get(f"{emu.origin}/sampleExchange/v1/samples/async/7001", auth=BASIC).status_code == 404


def test_jobs_finish_on_the_real_clock(emulator: Emulator) -> None:
    """The fixture's defaults: a job is FINISHED within its 0.3 s (plus slack)."""
    job_id = submit(emulator).json()["id"]
    url = f"{emulator.base_url}/contributions/async/{job_id}"
    states = []
    deadline = time.monotonic() + 3
    while time.monotonic() < deadline:
        states.append(get(url, auth=BASIC).json()["state"])
        if states[-1] == "FINISHED":
            break
        time.sleep(0.02)
    assert states[-1] == "FINISHED"
    assert "RUNNING" in states
    (record,) = emulator.jobs
    assert record["finishedAt"] == pytest.approx(record["createdAt"] + 0.3)
    assert record["finishedSeenAt"] >= record["finishedAt"]


def test_admin_faults_accept_a_list_and_replace(emulator: Emulator) -> None:
    url = f"{emulator.admin_url}/faults"
    post(url, json=[{"status": 502, "count": 5}, {"kind": "reset", "op": "poll"}])
    assert [f.kind for f in emulator.faults] == ["status", "reset"]
    answer = post(url, json={"faults": [{"kind": "html", "op": "search"}], "replace": True})
    assert [f["kind"] for f in answer.json()["faults"]] == ["html"]
    assert call("DELETE", url).json() == {"faults": []}
    assert emulator.faults == []


def test_a_malformed_content_length_is_a_400_not_a_crash(emulator: Emulator) -> None:
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=5)
    conn.putrequest("POST", "/sampleExchange/v1/contributions/async")
    conn.putheader("Content-Length", "lots")
    conn.endheaders()
    assert conn.getresponse().status == 400
    conn.close()
