"""The emulated Sample Exchange's state: settings, fault rules, jobs, samples, request log.

Nothing here does I/O or reads a clock: every operation takes ``now`` (epoch
seconds), so the job state machine is tested with a fake clock, and one lock
makes the store safe for the threading HTTP server.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import Any, Final

JSON = dict[str, Any]

BASE_PATH: Final = "/sampleExchange/v1"
PROGRESS_PROFILES: Final = ("linear", "stepped", "none")
JOB_MODES: Final = ("normal", "stuck", "regress", "unknown", "no-sample-id")
CONTRIBUTION_TYPES: Final = ("REPOSITORY", "GIST", "PROJECT", "SNIPPET", "DCR", "LINK")
OPS: Final = ("any", "submit", "poll", "search", "download", "defaults")
HTTP_FAULTS: Final = ("status", "html", "truncated", "reset", "stall")
JOB_FAULTS: Final = ("fail", "script", *JOB_MODES[1:])
FAULT_KINDS: Final = HTTP_FAULTS + JOB_FAULTS

# Planted in every Sample's author.gitHubToken: tests scan client logs for it.
# Deliberately not shaped like a real GitHub token, so secret scanners stay quiet.
PLANTED_GITHUB_TOKEN: Final = "emulator-planted-github-token-7f3a9c"  # noqa: S105 -- bait
# Server text that must never act as a workflow command when a client prints it.
HOSTILE_TEXT: Final = (
    "rejected 100% %0A%25 by policy\n::add-mask::leak\n::set-output name=sample-id::666\n"
    "::stop-commands::pwned\n##[error]forged\r\n::error::forged"
)
STACK_TRACE: Final = (
    "java.lang.IllegalStateException: sample processing failed\n"
    "\tat com.vmware.sampleexchange.jobs.ContributionJob.run(ContributionJob.java:142)\n"
    "\tat java.base/java.lang.Thread.run(Thread.java:829)"
)
FIRST_JOB_ID: Final = 7001  # job and sample ids differ, so mixing them up gives a 404
FIRST_SAMPLE_ID: Final = 1001


class NotFound(LookupError):
    """Answered as 404 with this message."""


class BadRequest(ValueError):
    """Answered as 400 with this message."""


def iso(epoch: float) -> str:
    """ISO 8601 UTC with milliseconds, as the Java service writes it."""
    text = datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")
    return text[:-3] + "Z"


def _check_fields(
    name: str, changes: Mapping[str, Any], types: Mapping[str, tuple[type, ...]]
) -> dict[str, Any]:
    """Type-check a JSON-ish mapping against a field table; ints widen to floats."""
    unknown = sorted(set(changes) - set(types))
    if unknown:
        raise ValueError(f"unknown {name} field(s): {', '.join(unknown)}")
    clean: dict[str, Any] = {}
    for key, value in changes.items():
        kinds = types[key]
        wrong_bool = isinstance(value, bool) and bool not in kinds
        if wrong_bool or not isinstance(value, kinds):
            expected = " or ".join("null" if k is type(None) else k.__name__ for k in kinds)
            raise ValueError(f"{name} {key}: expected {expected}, got {value!r}")
        if float in kinds and isinstance(value, int) and not isinstance(value, bool):
            value = float(value)
        clean[key] = value
    return clean


_STR = (str,)
_OPT_STR = (str, type(None))
_NUM = (float, int)
_BOOL = (bool,)


@dataclass(frozen=True)
class Settings:
    """Everything changeable at runtime (``Emulator.configure``, ``POST /_admin/configure``).

    Job settings are captured when a job is created, so a change affects later jobs only.
    """

    base_path: str = BASE_PATH
    username: str | None = "demo"  # None or "" disables Basic auth
    # Demo credentials, documented for `make demo` and act runs; never real ones.
    password: str | None = "demo-password"  # noqa: S105
    token: str | None = "demo-token"  # noqa: S105 -- None or "" disables Bearer auth
    job_seconds: float = 2.0  # creation → FINISHED
    start_delay: float = 0.1  # creation → RUNNING (within job_seconds)
    progress: str = "linear"  # linear | stepped | none
    fail_jobs: str | None = None  # jobs finish with this error (and a stackTrace)
    stack_trace: str = STACK_TRACE
    job_mode: str = "normal"  # normal | stuck | regress | unknown | no-sample-id
    unknown_state: str = "PAUSED"  # the state job_mode=unknown reports
    web_url: bool = True  # False: samples carry webUrl null (clients fall back)
    web_url_base: str | None = None  # default: {origin}/samples
    github_token: str = PLANTED_GITHUB_TOKEN
    bearer_user: str = "token-user"  # communitiesUser for Bearer requests
    defaults_enabled: bool = True  # False: POST /contributions/defaults answers 404

    def updated(self, changes: Mapping[str, Any]) -> Settings:
        new = replace(self, **_check_fields("setting", changes, _SETTING_TYPES))
        new.check()
        return new

    def check(self) -> None:
        if self.progress not in PROGRESS_PROFILES:
            raise ValueError(f"progress must be one of {', '.join(PROGRESS_PROFILES)}")
        if self.job_mode not in JOB_MODES:
            raise ValueError(f"job_mode must be one of {', '.join(JOB_MODES)}")
        if self.job_seconds < 0 or self.start_delay < 0:
            raise ValueError("job_seconds and start_delay must be >= 0")
        if self.base_path and (not self.base_path.startswith("/") or self.base_path.endswith("/")):
            raise ValueError("base_path must start with '/' and not end with one (or be empty)")


_SETTING_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "base_path": _STR,
    "username": _OPT_STR,
    "password": _OPT_STR,
    "token": _OPT_STR,
    "job_seconds": _NUM,
    "start_delay": _NUM,
    "progress": _STR,
    "fail_jobs": _OPT_STR,
    "stack_trace": _STR,
    "job_mode": _STR,
    "unknown_state": _STR,
    "web_url": _BOOL,
    "web_url_base": _OPT_STR,
    "github_token": _STR,
    "bearer_user": _STR,
    "defaults_enabled": _BOOL,
}
assert set(_SETTING_TYPES) == {f.name for f in fields(Settings)}  # noqa: S101


@dataclass
class FaultRule:
    """One injected fault; the first live rule matching a request's operation fires.

    HTTP kinds (``status``, ``html``, ``truncated``, ``reset``, ``stall``) change the
    response; job kinds (``fail``, ``stuck``, ``regress``, ``unknown``, ``no-sample-id``,
    ``script``) shape the job that a submit creates. ``count`` None means until cleared.
    ``phase`` "before" answers without touching state; "after" processes the request
    first (a submit creates its job) and then spoils the answer. Defaults: stall and
    truncated after, the others before.
    """

    kind: str
    op: str = "any"
    count: int | None = None
    status: int | None = None  # status: required; html: default 502
    message: str = "Service Unavailable"
    retry_after: float | None = None  # seconds; sent with status/html answers
    retry_after_date: bool = False  # send Retry-After as an HTTP date instead
    seconds: float = 5.0  # stall length
    phase: str | None = None
    states: list[str] = field(default_factory=list)  # script: "STATE[:progress]" per poll
    fired: int = 0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        if self.op not in OPS:
            raise ValueError(f"fault op must be one of {', '.join(OPS)}")
        if self.kind in JOB_FAULTS and self.op not in ("any", "submit"):
            raise ValueError(f"fault kind {self.kind} shapes jobs: op must be submit")
        if self.kind == "status" and self.status is None:
            raise ValueError("fault kind status needs status=CODE")
        if self.status is not None and not 100 <= self.status <= 599:
            raise ValueError("fault status must be 100..599")
        if self.kind == "script" and not self.states:
            raise ValueError("fault kind script needs states")
        for entry in self.states:
            _parse_script_entry(entry)
        if self.phase not in (None, "before", "after"):
            raise ValueError("fault phase must be before or after")
        if self.count is not None and self.count < 1:
            raise ValueError("fault count must be >= 1")

    @property
    def is_http(self) -> bool:
        return self.kind in HTTP_FAULTS

    @property
    def when(self) -> str:
        if self.phase:
            return self.phase
        return "after" if self.kind in ("stall", "truncated") else "before"

    def matches(self, op: str) -> bool:
        return self.op in ("any", op)

    def to_json(self) -> JSON:
        return asdict(self)

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FaultRule:
        clean = _check_fields("fault", data, _FAULT_TYPES)
        if "kind" not in clean:
            if "status" not in clean:
                raise ValueError("fault needs a kind")
            clean["kind"] = "status"
        states = clean.get("states", [])
        if not all(isinstance(s, str) for s in states):
            raise ValueError("fault states must be strings")
        return cls(**clean)


_FAULT_TYPES: Final[dict[str, tuple[type, ...]]] = {
    "kind": _STR,
    "op": _STR,
    "count": (int, type(None)),
    "status": (int, type(None)),
    "message": _STR,
    "retry_after": (float, int, type(None)),
    "retry_after_date": _BOOL,
    "seconds": _NUM,
    "phase": _OPT_STR,
    "states": (list,),
    "fired": (int,),
}


def parse_fault_spec(spec: str) -> FaultRule:
    """A CLI fault: JSON (``{"kind": ...}``) or ``KIND,key=value,...``.

    Examples: ``status=503,op=poll,count=3,retry_after=2``; ``reset,op=submit,count=1``;
    ``stall,op=submit,seconds=3``; ``script,states=RUNNING:40/FINISHED/RUNNING``.
    """
    text = spec.strip()
    if text.startswith("{"):
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("a JSON fault must be an object")
        return FaultRule.from_json(data)
    raw: dict[str, Any] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep:
            raw["kind"] = key.replace("_", "-")
            continue
        kinds = _FAULT_TYPES.get(key)
        if kinds is None:
            raise ValueError(f"unknown fault field: {key}")
        raw[key] = _coerce(key, value.strip(), kinds)
    return FaultRule.from_json(raw)


def _coerce(key: str, value: str, kinds: tuple[type, ...]) -> Any:
    if list in kinds:
        return [s for s in value.split("/") if s]
    if bool in kinds:
        if value.lower() not in ("1", "0", "true", "false", "yes", "no"):
            raise ValueError(f"fault {key}: expected true or false")
        return value.lower() in ("1", "true", "yes")
    if int in kinds and float not in kinds:
        return int(value)
    if float in kinds:
        return float(value)
    return value


_SCRIPT_ENTRY = re.compile(r"^([A-Z_]+)(?::(\d{1,3}))?$")


def _parse_script_entry(entry: str) -> tuple[str, int]:
    match = _SCRIPT_ENTRY.match(entry)
    if not match:
        raise ValueError(f"script state {entry!r}: expected STATE or STATE:progress")
    state, progress = match.group(1), match.group(2)
    default = 100 if state == "FINISHED" else 0
    return state, int(progress) if progress is not None else default


@dataclass
class RequestRecord:
    """One API request as it reached the server (admin requests are not recorded)."""

    time: float
    method: str
    path: str
    op: str | None
    headers: dict[str, str]  # Authorization value redacted
    body: str
    auth: str | None = None  # basic | bearer | None (as presented, valid or not)
    status: int | None = None  # what was answered; None: reset or not answered yet
    fault: str | None = None

    def to_json(self) -> JSON:
        return asdict(self)


@dataclass
class Job:
    id: int
    kind: str  # create | update
    contribution: JSON
    user: str
    created_at: float
    duration: float
    start_delay: float
    progress: str
    mode: str
    unknown_state: str
    fail_message: str | None
    stack_trace: str
    script: list[str]
    target_sample_id: int | None = None  # update jobs
    polls: int = 0
    sample_id: int | None = None
    settled: bool = False
    finished_at: float | None = None  # the moment FINISHED began (epoch)
    finished_seen_at: float | None = None  # first poll that answered FINISHED

    @property
    def scheduled_finish(self) -> float | None:
        if self.script or self.mode in ("stuck", "unknown"):
            return None
        return self.created_at + self.duration


def _progress(profile: str, fraction: float) -> int:
    fraction = min(max(fraction, 0.0), 1.0)
    if profile == "stepped":
        return min(75, int(fraction * 4) * 25)
    if profile == "none":
        return 0
    return min(99, int(fraction * 100))


def job_phase(job: Job, now: float) -> tuple[str, int]:
    """(state, progress) of a time-driven job at ``now``; the pure state machine."""
    elapsed = now - job.created_at
    start = min(job.start_delay, job.duration)
    if elapsed < start:
        return "NEW", 0
    running = job.duration - start
    fraction = (elapsed - start) / running if running > 0 else 1.0
    if job.mode == "unknown":
        return job.unknown_state, _progress(job.progress, fraction)
    if job.mode == "stuck":
        return "RUNNING", _progress(job.progress, fraction)
    if elapsed >= job.duration:
        return "FINISHED", 100
    if job.mode == "regress" and fraction >= 0.5:
        return "NEW", 0  # RUNNING → NEW halfway, then FINISHED on time
    return "RUNNING", _progress(job.progress, fraction)


class Store:
    """Jobs, samples, faults and the request log behind one lock."""

    def __init__(self, settings: Settings | None = None, origin: str = "http://127.0.0.1") -> None:
        self._lock = threading.RLock()
        self._initial = settings or Settings()
        self._initial.check()
        self.origin = origin
        self._reset_locked(self._initial)

    def _reset_locked(self, settings: Settings) -> None:
        self._settings = settings
        self._faults: list[FaultRule] = []
        self._jobs: dict[int, Job] = {}
        self._samples: dict[int, JSON] = {}
        self._log: list[RequestRecord] = []
        self._job_ids = itertools.count(FIRST_JOB_ID)
        self._sample_ids = itertools.count(FIRST_SAMPLE_ID)
        self._child_ids = itertools.count(1)

    # --- settings, faults, log ---------------------------------------------------

    @property
    def settings(self) -> Settings:
        with self._lock:
            return self._settings

    @property
    def base_url(self) -> str:
        return self.origin + self.settings.base_path

    def configure(self, changes: Mapping[str, Any]) -> Settings:
        with self._lock:
            self._settings = self._settings.updated(changes)
            return self._settings

    def reset(self, *, settings: bool = False) -> None:
        """Forget jobs, samples, faults and the log (and settings changes if asked)."""
        with self._lock:
            self._reset_locked(self._initial if settings else self._settings)

    def add_faults(self, rules: Iterable[FaultRule], *, replace_all: bool = False) -> None:
        with self._lock:
            if replace_all:
                self._faults = []
            self._faults.extend(rules)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults = []

    def faults(self) -> list[FaultRule]:
        with self._lock:
            return [copy.deepcopy(rule) for rule in self._faults]

    def take_fault(self, op: str, *, http: bool) -> FaultRule | None:
        """Fire the first live rule of that family matching ``op``; spend one of its count."""
        with self._lock:
            for rule in self._faults:
                if rule.is_http == http and rule.matches(op):
                    rule.fired += 1
                    if rule.count is not None:
                        rule.count -= 1
                        if rule.count == 0:
                            self._faults.remove(rule)
                    return copy.deepcopy(rule)
            return None

    def record(self, entry: RequestRecord) -> RequestRecord:
        with self._lock:
            self._log.append(entry)
            return entry

    def answered(self, entry: RequestRecord, status: int | None, fault: str | None) -> None:
        with self._lock:
            entry.status = status
            entry.fault = fault

    def requests(self) -> list[RequestRecord]:
        with self._lock:
            return [copy.deepcopy(entry) for entry in self._log]

    # --- jobs ----------------------------------------------------------------------

    def submit(self, contribution: Any, *, user: str, now: float, update: bool = False) -> JSON:
        """Validate a Contribution and start a create (or update) job; its SampleJob."""
        if not isinstance(contribution, dict):
            raise BadRequest("The request body must be a JSON object (a Contribution).")
        with self._lock:
            target: int | None = None
            if update:
                raw_id = contribution.get("id")
                if not isinstance(raw_id, int) or isinstance(raw_id, bool):
                    raise BadRequest("An update needs the sample's integer id in 'id'.")
                self._settle_due(now)
                if raw_id not in self._samples:
                    raise NotFound(f"Sample {raw_id} not found.")
                target = raw_id
            else:
                _check_new(contribution)
            _check_common(contribution)
            job_fault = self.take_fault("submit", http=False)
            job = self._new_job(contribution, user, now, target, job_fault)
            self._jobs[job.id] = job
            return self._view(job, now)

    def _new_job(
        self, contribution: JSON, user: str, now: float, target: int | None, fault: FaultRule | None
    ) -> Job:
        s = self._settings
        mode, fail, script = s.job_mode, s.fail_jobs or None, []
        if fault is not None:
            if fault.kind == "fail":
                fail = fault.message
            elif fault.kind == "script":
                script = list(fault.states)
            else:
                mode = fault.kind
        return Job(
            id=next(self._job_ids),
            kind="update" if target is not None else "create",
            contribution=copy.deepcopy(contribution),
            user=user,
            created_at=now,
            duration=s.job_seconds,
            start_delay=s.start_delay,
            progress=s.progress,
            mode=mode,
            unknown_state=s.unknown_state,
            fail_message=fail,
            stack_trace=s.stack_trace,
            script=script,
            target_sample_id=target,
        )

    def poll(self, job_id: int, kind: str, now: float) -> JSON:
        """A client's GET of a job: counts the poll and records when FINISHED was first seen."""
        with self._lock:
            job = self._jobs.get(job_id)
            if job is None or job.kind != kind:
                raise NotFound(f"Job {job_id} not found.")
            job.polls += 1
            view = self._view(job, now)
            if view["state"] == "FINISHED" and job.finished_seen_at is None:
                job.finished_seen_at = now
            return view

    def _state(self, job: Job, now: float) -> tuple[str, int]:
        if job.script:
            state, progress = _parse_script_entry(
                job.script[min(max(job.polls - 1, 0), len(job.script) - 1)]
            )
            if state == "FINISHED" and job.finished_at is None:
                job.finished_at = now
                self._settle(job)
            return state, progress
        return job_phase(job, now)

    def _settle_due(self, now: float) -> None:
        """Apply every job that has finished by ``now`` (in finish order) to the samples."""
        due = [
            job
            for job in self._jobs.values()
            if not job.settled and job.scheduled_finish is not None and job.scheduled_finish <= now
        ]
        for job in sorted(due, key=lambda j: (j.scheduled_finish, j.id)):
            job.finished_at = job.scheduled_finish
            self._settle(job)

    def _settle(self, job: Job) -> None:
        job.settled = True
        if job.fail_message is not None or job.mode == "no-sample-id":
            return
        when = job.finished_at if job.finished_at is not None else job.created_at
        if job.target_sample_id is not None:
            sample = self._samples.get(job.target_sample_id)
            if sample is None:
                return
            self._apply(sample, job.contribution, when, creating=False)
            sample["author"]["gitHubToken"] = self._settings.github_token
            job.sample_id = job.target_sample_id
        else:
            job.sample_id = self._create_sample(job.contribution, job.user, when)["id"]

    def _create_sample(self, contribution: JSON, user: str, when: float) -> JSON:
        sample_id = next(self._sample_ids)
        s = self._settings
        web_base = s.web_url_base or f"{self.origin}/samples"
        sample: JSON = {
            "id": sample_id,
            "author": {
                "id": 4242,
                "federationId": "fed-emulator-4242",
                "communitiesUser": user,
                "fullName": "Emulated Contributor",
                "gitHubLogin": "emulated-contributor",
                "gitHubToken": s.github_token,
                "linked": True,
                "score": "12.5",  # documented as a string: clients must parse leniently
            },
            "name": "",
            "type": "REPOSITORY",
            "created": iso(when),
            "lastUpdated": iso(when),
            "lastAutoUpdated": None,
            "readmeHtml": "",
            "appendRepositoryReadme": False,
            "repositoryReadmeHtml": None,
            "ossLicense": None,
            "downloadUrl": f"{self.base_url}/downloads/samples/{sample_id}.zip",
            "webUrl": f"{web_base.rstrip('/')}/{sample_id}" if s.web_url else None,
            "gitHubUrl": None,
            "branch": None,
            "paths": [],
            "files": [],
            "groups": [],
            "categories": [],
            "tags": [],
            "comments": [],
            "favoriteCount": 0,
            "downloadCount": 0,
            "score": "0",
            "metadata": None,
        }
        self._apply(sample, contribution, when, creating=True)
        self._samples[sample_id] = sample
        return sample

    def _apply(self, sample: JSON, contribution: JSON, when: float, *, creating: bool) -> None:
        """Copy a Contribution's fields into a Sample (sent and returned names differ)."""
        for key in (
            "name",
            "type",
            "readmeHtml",
            "appendRepositoryReadme",
            "repositoryReadmeHtml",
            "ossLicense",
            "branch",
            "paths",
            "metadata",
        ):
            if key in contribution:
                sample[key] = copy.deepcopy(contribution[key])
        if "url" in contribution:
            sample["gitHubUrl"] = contribution["url"]
        sid = sample["id"]
        if "files" in contribution:
            sample["files"] = [
                {
                    "id": next(self._child_ids),
                    "sampleId": sid,
                    "path": str(f.get("path") or f.get("name") or ""),
                    "url": f"{self.base_url}/downloads/samples/{sid}/files/"
                    + str(f.get("path") or f.get("name") or ""),
                    "basicMimeType": "text/plain",
                }
                for f in contribution["files"]
                if isinstance(f, dict)
            ]
        if "categories" in contribution:
            sample["categories"] = [
                {
                    "id": next(self._child_ids),
                    "parentId": c.get("parentId"),
                    "type": c.get("type"),
                    "name": c.get("name"),
                    "version": c.get("version"),
                }
                for c in contribution["categories"]
                if isinstance(c, dict)
            ]
        if "tags" in contribution:
            sample["tags"] = [
                {
                    "id": next(self._child_ids),
                    "parentId": t.get("parentId"),
                    "category": t.get("category"),
                    "name": t.get("name"),
                }
                for t in contribution["tags"]
                if isinstance(t, dict)
            ]
        if not creating:
            sample["lastUpdated"] = iso(when)

    def _view(self, job: Job, now: float) -> JSON:
        """The SampleJob a client sees; unset fields are null, as the Java service sends them."""
        self._settle_due(now)
        state, progress = self._state(job, now)
        started = state != "NEW"
        view: JSON = {
            "id": job.id,
            "communitiesUser": job.user,
            "state": state,
            "created": iso(job.created_at),
            "start": iso(job.created_at + min(job.start_delay, job.duration)) if started else None,
            "finished": None,
            "progress": progress,
            "error": None,
            "stackTrace": None,
            "sampleId": None,
            "sample": None,
        }
        if state == "FINISHED":
            view["finished"] = iso(job.finished_at if job.finished_at is not None else now)
            if job.fail_message is not None:
                view["error"] = job.fail_message
                view["stackTrace"] = job.stack_trace
            elif job.sample_id is not None and job.mode != "no-sample-id":
                view["sampleId"] = job.sample_id
                view["sample"] = copy.deepcopy(self._samples.get(job.sample_id))
        return view

    # --- samples -------------------------------------------------------------------

    def sample(self, sample_id: int, now: float) -> JSON | None:
        with self._lock:
            self._settle_due(now)
            found = self._samples.get(sample_id)
            return copy.deepcopy(found) if found is not None else None

    def search(
        self, now: float, *, keyword: str = "", tag: str = "", limit: int = 20, offset: int = 0
    ) -> tuple[list[JSON], int]:
        with self._lock:
            self._settle_due(now)
            hits = [
                s
                for s in self._samples.values()
                if keyword.lower() in (str(s.get("name")) + " " + str(s.get("readmeHtml"))).lower()
                and (not tag or any(t.get("name") == tag for t in s.get("tags") or []))
            ]
            return copy.deepcopy(hits[offset : offset + limit]), len(hits)

    def add_sample(self, contribution: Any, now: float, *, user: str = "demo") -> JSON:
        """Create a sample at once (for update tests), skipping the job."""
        if not isinstance(contribution, dict):
            raise BadRequest("The request body must be a JSON object (a Contribution).")
        _check_new(contribution)
        _check_common(contribution)
        with self._lock:
            return copy.deepcopy(self._create_sample(contribution, user, now))

    def create_sync(self, contribution: Any, *, user: str, now: float) -> JSON:
        """POST /contributions (inferred path): the Sample, created synchronously."""
        return self.add_sample(contribution, now, user=user)

    # --- snapshots -----------------------------------------------------------------

    def jobs(self, now: float) -> list[JSON]:
        with self._lock:
            self._settle_due(now)
            return [self._job_record(job, now) for job in self._jobs.values()]

    def job(self, job_id: int, now: float) -> JSON | None:
        with self._lock:
            job = self._jobs.get(job_id)
            return self._job_record(job, now) if job is not None else None

    def _job_record(self, job: Job, now: float) -> JSON:
        view = self._view(job, now)
        return {
            "id": job.id,
            "kind": job.kind,
            "mode": "script" if job.script else job.mode,
            "state": view["state"],
            "progress": view["progress"],
            "polls": job.polls,
            "createdAt": job.created_at,
            # The exact moment FINISHED began (epoch seconds): benchmarks measure from it.
            "finishedAt": job.finished_at,
            "finishedSeenAt": job.finished_seen_at,
            "sampleId": job.sample_id,
            "contribution": copy.deepcopy(job.contribution),
            "job": view,
        }

    def samples(self, now: float) -> list[JSON]:
        with self._lock:
            self._settle_due(now)
            return copy.deepcopy(list(self._samples.values()))

    def snapshot(self, now: float) -> JSON:
        """Everything, JSON-ready: what GET /_admin/state answers."""
        with self._lock:
            log = [entry.to_json() for entry in self._log]
            return {
                "now": now,
                "baseUrl": self.base_url,
                "settings": asdict(self._settings),
                "faults": [rule.to_json() for rule in self._faults],
                "jobs": self.jobs(now),
                "samples": self.samples(now),
                "requestCount": len(log),
                "requests": log,
            }

    # --- defaults ------------------------------------------------------------------

    def defaults(self, partial: Any) -> JSON:
        """Get Contribution Defaults (inferred): propose what a server heuristic would."""
        if not isinstance(partial, dict):
            raise BadRequest("The request body must be a JSON object (a partial Contribution).")
        url = str(partial.get("url") or "")
        paths = [p for p in partial.get("paths") or [] if isinstance(p, str)]
        stem = (paths[0].rstrip("/").rsplit("/", 1)[-1] if paths else "") or url.rstrip("/")
        stem = stem.rsplit("/", 1)[-1].rsplit(".", 1)[0] or "sample"
        name = " ".join(w.capitalize() for w in re.split(r"[-_ ]+", stem) if w) or "Sample"
        languages = sorted({lang for p in paths if (lang := _language(p))})
        proposal = copy.deepcopy(partial)
        proposal.update(
            {
                "name": name,
                "type": partial.get("type") or "REPOSITORY",
                "readmeHtml": f"<p>{name}</p>",
                "categories": [],
                "tags": [{"category": "Language", "name": lang} for lang in languages],
                "ossLicense": "MIT",
            }
        )
        return proposal


_LANGUAGES: Final = {
    "ps1": "PowerShell",
    "psm1": "PowerShell",
    "py": "Python",
    "go": "Go",
    "js": "JavaScript",
    "ts": "TypeScript",
    "java": "Java",
    "sh": "Shell",
    "rb": "Ruby",
    "cs": "C#",
    "tf": "Terraform",
    "yml": "YAML",
    "yaml": "YAML",
}


def _language(path: str) -> str | None:
    ext = path.rsplit(".", 1)[-1].lower() if "." in path.rsplit("/", 1)[-1] else ""
    return _LANGUAGES.get(ext)


def _check_new(contribution: JSON) -> None:
    name = contribution.get("name")
    if not isinstance(name, str) or not name.strip():
        raise BadRequest("Contribution 'name' is required.")


def _check_common(contribution: JSON) -> None:
    kind = contribution.get("type")
    if kind is not None and kind not in CONTRIBUTION_TYPES:
        raise BadRequest(f"Contribution 'type' must be one of {', '.join(CONTRIBUTION_TYPES)}.")
    for key in ("paths", "files", "categories", "tags"):
        if key in contribution and not isinstance(contribution[key], list):
            raise BadRequest(f"Contribution '{key}' must be a list.")
    if "name" in contribution and not isinstance(contribution["name"], str):
        raise BadRequest("Contribution 'name' must be a string.")


def retry_after_value(seconds: float, *, as_date: bool, now: float) -> str:
    """A Retry-After header value: delta seconds (rounded up) or an HTTP date."""
    if as_date:
        from email.utils import formatdate

        return formatdate(math.ceil(now + seconds), usegmt=True)
    return str(math.ceil(seconds))
