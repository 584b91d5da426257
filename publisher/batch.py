"""Publishing several manifests at once: a bounded pool of workers, one shared rate limit.

Each worker thread has its own ``SampleExchangeClient`` (one HTTP session per worker).
A ``RateGate`` holds one "not before" time for all of them: a 429 or ``Retry-After``
that one worker sees delays every worker's next request, not just its own. One sample's
failure does not stop the others; the run fails at the end, listing each failure.

Signals reach only the main thread, so the main thread waits on the workers in short
joins; on ``Cancelled`` it stops them through an event that every worker sleep waits
on, and reports the job ids known so far within about a second.

One manifest is the same path with N=1, plus the single outputs (``sample-id``,
``sample-url``, ``job-id``, ``download-url``, ``state``) and its failure reported as is.
Imported only when something is sent: it loads the HTTP stack.
"""

from __future__ import annotations

import contextlib
import json
import queue
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, cast

from requests import PreparedRequest, Response
from requests.adapters import HTTPAdapter
from urllib3 import BaseHTTPResponse

from .client import Kind, PublishRetry, SampleExchangeClient, check_api_url, make_retry
from .context import Settings
from .errors import Cancelled, PublishError
from .manifest import Manifest
from .models import SampleJob
from .poller import Clock, JobWatcher, Schedule, SystemClock
from .publish import Run, make_client, md, set_sample_outputs
from .runner import Reporter

# How long a cancelled run waits for workers to notice before reporting without them.
CANCEL_GRACE = 0.8
JOIN_SLICE = 0.1  # the main thread wakes this often, so a signal is handled at once

SUMMARY_HEAD = "### {title}\n\n| Sample | Manifest | State | Sample id | Job id | Time |\n"
SUMMARY_RULE = "|---|---|---|---|---|---|\n"


class WorkerClock:
    """The run's clock, whose sleeps end at once (raising Cancelled) when the run stops."""

    def __init__(self, base: Clock, stop: threading.Event) -> None:
        self.base = base
        self.stop = stop

    def now(self) -> float:
        return self.base.now()

    def sleep(self, seconds: float) -> None:
        if self.stop.is_set():
            raise Cancelled("Cancelled.")
        if isinstance(self.base, SystemClock):
            if self.stop.wait(max(0.0, seconds)):
                raise Cancelled("Cancelled.")
        else:  # an injected clock (tests) sleeps its own way
            self.base.sleep(seconds)


class RateGate:
    """One "not before" time shared by every worker of a run."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._lock = threading.Lock()
        self._not_before = float("-inf")

    def hold(self, seconds: float) -> None:
        """No worker sends anything for ``seconds`` from now (a longer hold wins)."""
        with self._lock:
            self._not_before = max(self._not_before, self.clock.now() + seconds)

    def wait(self) -> bool:
        """Sleep until the gate opens; True if it was closed."""
        waited = False
        while True:
            with self._lock:
                left = self._not_before - self.clock.now()
            if left <= 0:
                return waited
            self.clock.sleep(left)
            waited = True


class SharedRetry(PublishRetry):
    """The client's own retry policy, with its waits taken at the shared gate."""

    gate: RateGate | None = None

    @classmethod
    def adopt(cls, policy: PublishRetry, gate: RateGate) -> SharedRetry:
        # A copy of the policy's state, so the two can never drift apart.
        retry = cls.__new__(cls)
        retry.__dict__.update(vars(policy))
        retry.gate = gate
        return retry

    def new(self, **kw: Any) -> SharedRetry:
        retry = cast(SharedRetry, super().new(**kw))
        retry.gate = self.gate
        return retry

    def sleep(self, response: BaseHTTPResponse | None = None) -> None:
        gate = self.gate
        if gate is None:
            super().sleep(response)
            return
        after = None
        if response is not None and self.respect_retry_after_header:
            after = self.get_retry_after(response)
        if after:
            gate.hold(after)  # every worker waits, not only the one that was told
        if not gate.wait() and not after:
            gate.clock.sleep(self.get_backoff_time())


class GatedAdapter(HTTPAdapter):
    """Waits at the gate before each request; a final 429/503 closes it for all."""

    def __init__(self, gate: RateGate, policy: PublishRetry) -> None:
        super().__init__(max_retries=SharedRetry.adopt(policy, gate))
        self.gate = gate
        self.policy = policy

    def send(self, request: PreparedRequest, *args: Any, **kwargs: Any) -> Response:
        self.gate.wait()
        response = super().send(request, *args, **kwargs)
        if response.status_code in (429, 503) and response.headers.get("Retry-After"):
            after = self.policy.get_retry_after(response.raw)
            if after:
                self.gate.hold(after)
        return response


def gated(client: SampleExchangeClient, gate: RateGate) -> SampleExchangeClient:
    """Route the client's requests through the shared gate (same retry policy)."""
    adapter = GatedAdapter(gate, make_retry(client.remaining))
    client.session.mount("https://", adapter)
    client.session.mount("http://", adapter)
    return client


class SharedLog:
    """Serializes the workers' reporting so lines and groups never interleave."""

    def __init__(self, reporter: Reporter) -> None:
        self.reporter = reporter
        self.lock = threading.Lock()
        self.muted = False

    def emit(self, write: Callable[[Reporter], None], *, always: bool = False) -> None:
        with self.lock:
            if always or not self.muted:
                write(self.reporter)

    def mute(self) -> None:
        """After a cancel: workers left behind in a read must not write any more."""
        with self.lock:
            self.muted = True


class SampleLog:
    """One sample's Reporter: prefixed lines through the shared lock; groups written whole."""

    def __init__(self, shared: SharedLog, prefix: str, *, single: bool) -> None:
        self.shared = shared
        self.prefix = prefix
        self.single = single
        self.debug_enabled = shared.reporter.debug_enabled
        self._group: list[str] | None = None

    def _line(self, method: str, message: str) -> None:
        if self._group is not None and method == "info":
            self._group.append(message)
            return
        text = self.prefix + message
        self.shared.emit(lambda r: getattr(r, method)(text))

    def mask(self, secret: str) -> None:
        self.shared.emit(lambda r: r.mask(secret), always=True)

    def hide(self, secret: str) -> None:
        self.shared.emit(lambda r: r.hide(secret), always=True)

    def info(self, message: str) -> None:
        self._line("info", message)

    def progress(self, message: str) -> None:
        self._line("progress", message)

    def debug(self, message: str) -> None:
        self._line("debug", message)

    def warning(self, message: str) -> None:
        self._line("warning", message)

    def error(
        self,
        message: str,
        *,
        title: str = "",
        file: str = "",
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self.shared.emit(lambda r: r.error(message, title=title, file=file, line=line, col=col))

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        lines: list[str] = []
        self._group = lines
        try:
            yield
        finally:
            self._group = None

            def write(reporter: Reporter) -> None:
                with reporter.group(self.prefix + title):
                    for line in lines:
                        reporter.info(line)

            self.shared.emit(write)

    def set_output(self, name: str, value: str) -> None:
        if self.single:  # with several samples only the `samples` output names jobs
            self.shared.emit(lambda r: r.set_output(name, value))

    def summary(self, markdown: str) -> None:
        """The run writes one summary table for every sample."""

    def finish(self) -> None:
        """The run's reporter is finished by the run."""


@dataclass
class Outcome:
    """What became of one manifest; written by its worker, read by the main thread."""

    display: str  # the manifest's path in the workspace ("" when resuming without one)
    name: str
    phase: str = "waiting"  # waiting | submitting | polling | done
    job_id: int | None = None
    state: str = ""
    done: SampleJob | None = None
    error: PublishError | None = None
    started: float | None = None
    seconds: float = 0.0

    def row(self) -> dict[str, Any]:
        """The `samples` output entry."""
        return {
            "manifest": self.display,
            "sample-id": self.done.sample_id if self.done else None,
            "sample-url": self.done.sample_url if self.done else None,
            "job-id": self.job_id,
            "state": self.state or None,
            "error": self.error.message if self.error else None,
        }

    def where(self) -> str:
        if self.job_id is not None:
            return f"job {self.job_id}, {self.state or 'state unknown'}"
        if self.phase == "submitting":
            return "submit in flight: a job may exist"
        return "no job"


class Batch:
    """One publish run over one or more manifests."""

    def __init__(
        self,
        manifests: list[Manifest | None],
        settings: Settings,
        reporter: Reporter,
        clock: Clock,
        run: Run,
    ) -> None:
        self.manifests = manifests
        self.settings = settings
        self.reporter = reporter
        self.clock = clock
        self.run = run
        self.single = len(manifests) == 1
        self.deadline = run.started + settings.timeout
        self.stop = threading.Event()
        self.worker_clock = WorkerClock(clock, self.stop)
        self.gate = RateGate(self.worker_clock)
        self.shared = SharedLog(reporter)
        self.todo: queue.SimpleQueue[int] = queue.SimpleQueue()
        self.bugs: list[BaseException] = []
        self.outcomes = [
            Outcome(m.display_path if m else "", m.name if m else "") for m in manifests
        ]
        for index in range(len(manifests)):
            self.todo.put(index)

    # --- workers (threads) ---------------------------------------------------------

    def work(self) -> None:
        client: SampleExchangeClient | None = None
        try:
            while not self.stop.is_set():
                try:
                    index = self.todo.get_nowait()
                except queue.Empty:
                    return
                outcome = self.outcomes[index]
                log = self.log_for(outcome)
                outcome.started = self.clock.now()
                try:
                    if client is None:  # one session per worker, for all its samples
                        client = gated(
                            make_client(self.settings, self.clock, self.deadline, log), self.gate
                        )
                    self.publish_one(self.manifests[index], outcome, client, log)
                except PublishError as exc:
                    outcome.error = exc
                    if outcome.job_id is None:
                        outcome.job_id = exc.job_id
                except BaseException as exc:  # a bug: re-raised by the main thread
                    outcome.error = PublishError(f"Internal error: {exc!r}")
                    self.bugs.append(exc)
                finally:
                    outcome.seconds = self.clock.now() - outcome.started
                    outcome.phase = "done"
        finally:
            if client is not None:
                client.close()

    def log_for(self, outcome: Outcome) -> SampleLog:
        prefix = "" if self.single else f"[{outcome.display}] "
        return SampleLog(self.shared, prefix, single=self.single)

    def publish_one(
        self,
        manifest: Manifest | None,
        outcome: Outcome,
        client: SampleExchangeClient,
        log: SampleLog,
    ) -> None:
        settings = self.settings
        sample_id = settings.sample_id or (manifest.sample_id if manifest else None)
        kind: Kind = "update" if sample_id is not None or settings.update else "create"
        if settings.job_id is not None:
            job_id = settings.job_id
            outcome.job_id = job_id
            log.set_output("job-id", str(job_id))
            log.info(f"Resuming job {job_id} ({kind}); nothing is submitted.")
        else:
            assert manifest is not None  # noqa: S101 -- only a resume has no manifest
            verb = f"Updating sample {sample_id}" if sample_id else "Creating a sample"
            log.info(f"{verb} on {client.api_url} ...")
            with log.group("Contribution sent"):
                log.info(json.dumps(manifest.contribution, indent=2, ensure_ascii=False))
            outcome.phase = "submitting"
            job = client.submit(manifest.contribution, sample_id)
            job_id = job.id if job.id is not None else 0
            outcome.job_id, outcome.state = job_id, job.state or "NEW"
            log.set_output("job-id", str(job_id))  # at once: a failed run can still resume
            log.info(f"Submitted: job {job_id} is {outcome.state}.")
        outcome.phase = "polling"

        def on_poll(job: SampleJob) -> None:
            outcome.state = job.state or outcome.state
            progress = f" {job.progress}%" if job.progress is not None else ""
            log.progress(f"Job {job_id}: {job.state or '?'}{progress}")
            if job.stack_trace and job.error:
                log.debug(f"Server stack trace:\n{job.stack_trace}")

        def on_transient(reason: str) -> None:
            from . import messages

            log.warning(messages.POLL_TRANSIENT.format(job_id=job_id, reason=reason))

        watcher = JobWatcher(
            client,
            self.worker_clock,
            Schedule(first=settings.poll_interval),
            on_poll=on_poll,
            on_transient=on_transient,
        )
        done = watcher.wait(
            job_id,
            kind,
            deadline=self.deadline,
            timeout=settings.timeout,
            resume=settings.job_id is not None,
        )
        outcome.done, outcome.state = done, done.state
        outcome.name = done.sample_name or outcome.name
        log.info(f"Published {outcome.name!r}: sample {done.sample_id} at {done.sample_url}")

    # --- the main thread -----------------------------------------------------------

    def start(self) -> list[threading.Thread]:
        count = min(self.settings.max_concurrency, len(self.manifests))
        if not self.single:
            self.reporter.info(f"Publishing {len(self.manifests)} samples, {count} at a time.")
        threads = [
            threading.Thread(target=self.work, name=f"publish-{n}", daemon=True)
            for n in range(count)
        ]
        for thread in threads:
            thread.start()
        return threads

    def join(self, threads: list[threading.Thread], within: float | None = None) -> None:
        end = None if within is None else self.clock.now() + within
        for thread in threads:
            while thread.is_alive():
                if end is not None and self.clock.now() >= end:
                    return  # left behind in a read; a daemon, so it cannot hold up the exit
                thread.join(JOIN_SLICE)

    def cancel(self, threads: list[threading.Thread]) -> None:
        self.stop.set()
        with contextlib.suppress(Cancelled):  # a second signal: report now
            self.join(threads, within=CANCEL_GRACE)
        self.shared.mute()

    def execute(self) -> None:
        threads = self.start()
        cancelled: Cancelled | None = None
        try:
            self.join(threads)
        except Cancelled as exc:
            cancelled = exc
            self.cancel(threads)
        if self.bugs:
            raise self.bugs[0]
        self.report(cancelled)

    def report(self, cancelled: Cancelled | None) -> None:
        reporter, outcomes = self.reporter, self.outcomes
        reporter.set_output("samples", json.dumps([o.row() for o in outcomes], ensure_ascii=False))
        failed = [o for o in outcomes if o.error is not None or o.done is None]
        reporter.summary(self.table(failed))
        if self.single:
            self.finish_single(outcomes[0], cancelled)
            return
        if cancelled is not None:
            started = [o for o in outcomes if o.phase != "waiting"]
            known = "; ".join(f"{o.display} ({o.where()})" for o in started)
            raise Cancelled(
                f"{cancelled.message} Samples started: {known or 'none'}.",
                hint="Resume a job with `job-id` and its one manifest as `manifest`; check "
                "Sample Exchange before publishing a manifest whose submit was in flight.",
            )
        for outcome in outcomes:
            if outcome.done is not None and outcome.error is None:
                reporter.info(f"{outcome.display}: sample {outcome.done.sample_id} published.")
        for outcome in failed:
            error = outcome.error or PublishError("Not published.")
            reporter.error(
                f"{error.message} {error.hint}".strip(),
                title=f"{error.title}: {outcome.name or outcome.display}",
                file=outcome.display,
            )
        if failed:
            listed = "; ".join(f"{o.display} ({o.where()})" for o in failed)
            raise PublishError(
                f"{len(failed)} of {len(outcomes)} samples failed: {listed}.",
                hint="Each failure is annotated above. Running again submits every manifest "
                "again: to update instead, put `sample-id:` in the manifests of samples "
                "already created (see the `samples` output).",
            )

    def finish_single(self, outcome: Outcome, cancelled: Cancelled | None) -> None:
        """One manifest: the single outputs, and its failure raised exactly as it was."""
        self.run.job_id, self.run.state = outcome.job_id, outcome.state
        if cancelled is not None:
            if outcome.job_id is None and outcome.phase == "submitting":
                self.run.state = ""
            raise cancelled
        if outcome.error is not None:
            raise outcome.error
        assert outcome.done is not None  # noqa: S101 -- a worker ends with one or the other
        set_sample_outputs(self.reporter, outcome.done)

    def table(self, failed: list[Outcome]) -> str:
        if failed:
            title = f"Sample Exchange publish: {len(failed)} of {len(self.outcomes)} failed"
        else:
            title = "Published to Sample Exchange"
        rows = [SUMMARY_HEAD.format(title=title), SUMMARY_RULE]
        now = self.clock.now()
        for o in self.outcomes:
            name = md(o.name or (f"sample {o.done.sample_id}" if o.done else "?"))
            url = o.done.sample_url if o.done else ""
            if url.startswith(("https://", "http://")):
                safe = url.replace(")", "%29").replace(" ", "%20").replace("|", "%7C")
                name = f"[{name}]({safe})"
            if o.phase == "waiting":
                state = "not started"
            elif o.phase != "done":
                state = f"cancelled ({md(o.state or o.phase)})"
            elif o.error is not None:
                state = f"failed: {md(o.error.message)}"
            else:
                state = md(o.state)
            sample_id = o.done.sample_id if o.done else ""
            job = "" if o.job_id is None else o.job_id
            seconds = o.seconds if o.phase == "done" else now - (o.started or now)
            time = f"{seconds:.1f} s" if o.started is not None else ""
            rows.append(f"| {name} | {md(o.display)} | {state} | {sample_id} | {job} | {time} |\n")
        return "".join(rows)


def publish_all(
    manifests: list[Manifest], settings: Settings, reporter: Reporter, clock: Clock, run: Run
) -> None:
    """Publish every manifest (or resume ``settings.job_id``); raise if any failed."""
    check_api_url(settings.api_url)  # once, not as one failure per sample
    items: list[Manifest | None] = list(manifests) or [None]
    Batch(items, settings, reporter, clock, run).execute()
