"""The publish flow, shared by the action and the CLI.

load and validate → build the Contribution → submit → wait → outputs. Every
failure a user can cause ends here as one error annotation plus a summary, the
job id is written the moment it is known, and a cancel leaves what is needed
to resume.
"""

from __future__ import annotations

import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from . import messages
from .context import Settings
from .errors import Cancelled, ConfigError, JobFailed, ManifestError, PublishError
from .manifest import Manifest, RepoContext, load_manifest
from .poller import Clock, JobWatcher, Schedule, SystemClock
from .runner import Reporter

if TYPE_CHECKING:
    from .client import Kind, SampleExchangeClient
    from .models import SampleJob

SUMMARY_OK = """### Published to Sample Exchange

| | |
|---|---|
| Sample | [{name}]({url}) |
| Sample id | {sample_id} |
| Job id | {job_id} |
| Time taken | {seconds:.1f} s |
"""

SUMMARY_FAILED = """### Sample Exchange publish failed

**{title}**: {message}

{hint}
"""

SUMMARY_DRY_RUN = """### Sample Exchange dry run

The manifest `{manifest}` is valid; nothing was sent. Contribution that would be sent:

```json
{body}
```
"""


def md(text: object) -> str:
    """Make untrusted text inert in the Markdown summary (no HTML, no links)."""
    out = str(text).replace("\r", " ").replace("\n", " ")
    for char in "\\`*_{}[]()<>#|!":
        out = out.replace(char, "\\" + char)
    return out


@dataclass
class Run:
    """What is known so far, so any failure can report and hand it on."""

    job_id: int | None = None
    state: str = ""
    started: float = 0.0


@contextmanager
def cancellable() -> Iterator[None]:
    """Turn SIGTERM/SIGINT into ``Cancelled``, interrupting any sleep or read."""

    def handler(signum: int, frame: FrameType | None) -> None:
        raise Cancelled(f"Received {signal.Signals(signum).name}.")

    previous = {sig: signal.signal(sig, handler) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, old in previous.items():
            signal.signal(sig, old)


def report_failure(reporter: Reporter, exc: PublishError, run: Run) -> None:
    """One helper for every failure, so each looks the same in log and summary."""
    if isinstance(exc, ManifestError):
        for problem in exc.problems:
            reporter.error(
                problem.message,
                title=exc.title,
                file=problem.file,
                line=problem.line,
                col=problem.col,
            )
        items = "\n".join(f"- `{md(p.file)}` line {p.line}: {md(p.message)}" for p in exc.problems)
        reporter.summary(
            SUMMARY_FAILED.format(title=exc.title, message=md(exc.message), hint=md(exc.hint))
            + "\n"
            + items
            + "\n"
        )
        return
    if isinstance(exc, Cancelled):
        if run.job_id is not None:
            what, hint = messages.CANCELLED
            text = what.format(job_id=run.job_id, state=run.state or "unknown")
            hint = hint.format(job_id=run.job_id)
        else:
            text, hint = messages.CANCELLED_BEFORE_JOB
        exc = Cancelled(f"{exc.message} {text}", hint=hint, job_id=run.job_id)
    reporter.error(f"{exc.message} {exc.hint}".strip(), title=exc.title)
    reporter.summary(
        SUMMARY_FAILED.format(title=exc.title, message=md(exc.message), hint=md(exc.hint))
    )


def _check_credentials(settings: Settings) -> None:
    if settings.token or (settings.username and settings.password):
        return
    if settings.username or settings.password:
        raise ConfigError(
            "Basic auth needs both `username` and `password`; only one was given.",
            hint="Pass both from secrets, or pass `token` instead.",
        )
    what, hint = messages.NO_CREDENTIALS
    raise ConfigError(what, hint=hint)


def _load_for_resume(settings: Settings, ctx: RepoContext) -> Manifest | None:
    """A resumed job needs no manifest; use it for the name when it is there."""
    if not settings.manifest or not (ctx.workspace / settings.manifest).is_file():
        return None
    return load_manifest(settings.manifest, ctx)


def guarded(
    reporter: Reporter,
    secrets: tuple[str, ...],
    clock: Clock,
    body: Callable[[Run], None],
) -> int:
    """Run ``body`` so that every expected failure is reported the same way.

    Returns the process exit code: 0 done, 1 failed (what and why annotated).
    """
    for secret in secrets:  # before anything else is printed
        reporter.mask(secret)
    run = Run(started=clock.now())
    try:
        with cancellable():
            body(run)
        return 0
    except PublishError as exc:
        if exc.job_id is not None and run.job_id is None:
            run.job_id = exc.job_id
        if run.job_id is not None:
            reporter.set_output("job-id", str(run.job_id))
        if run.state:
            reporter.set_output("state", run.state)
        report_failure(reporter, exc, run)
        return 1
    finally:
        reporter.finish()


def publish(
    settings: Settings, ctx: RepoContext, reporter: Reporter, *, clock: Clock | None = None
) -> int:
    """Validate, submit (or resume) and wait; the action's and CLI's `publish`."""
    clock = clock or SystemClock()
    return guarded(
        reporter,
        settings.secrets,
        clock,
        lambda run: _publish(settings, ctx, reporter, clock, run),
    )


def validate(settings: Settings, ctx: RepoContext, reporter: Reporter) -> int:
    """Check the manifest only: no credentials, no network."""

    def body(run: Run) -> None:
        manifest = load_manifest(settings.manifest, ctx)
        reporter.info(f"{manifest.display_path} is valid: {manifest.name!r}.")

    return guarded(reporter, (), SystemClock(), body)


def status(settings: Settings, reporter: Reporter, *, clock: Clock | None = None) -> int:
    """Show one job's state once (the CLI's `status`); fails if the job failed."""
    clock = clock or SystemClock()

    job_id = settings.job_id
    if job_id is None:
        raise ConfigError("`status` needs a job id.")

    def body(run: Run) -> None:
        _check_credentials(settings)
        client = _client(settings, clock, run.started + settings.timeout, reporter)
        try:
            job = client.get_job(job_id, "update" if settings.update else "create")
        finally:
            client.close()
        run.job_id, run.state = job_id, job.state
        progress = f" {job.progress}%" if job.progress is not None else ""
        reporter.info(f"Job {job_id}: {job.state or '?'}{progress}")
        reporter.set_output("job-id", str(job_id))
        reporter.set_output("state", job.state)
        if job.is_final:
            from .poller import check_finished

            done = check_finished(job, job_id)
            _set_sample_outputs(reporter, done)
        elif not job.is_temporary:
            what, hint = messages.JOB_UNKNOWN_STATE
            raise JobFailed(
                what.format(job_id=job_id, state=job.state),
                hint=hint.format(job_id=job_id),
            )

    return guarded(reporter, settings.secrets, clock, body)


def _client(
    settings: Settings, clock: Clock, deadline: float, reporter: Reporter | None = None
) -> SampleExchangeClient:
    from .client import SampleExchangeClient  # the HTTP stack, only when needed

    return SampleExchangeClient(
        settings.api_url,
        username=settings.username,
        password=settings.password,
        token=settings.token,
        ca_bundle=settings.ca_bundle,
        remaining=lambda: deadline - clock.now(),
        # Secret-named fields in answers are masked the moment they arrive.
        on_secret=reporter.hide if reporter else None,
        debug=reporter.debug if reporter and reporter.debug_enabled else None,
    )


def _set_sample_outputs(reporter: Reporter, done: SampleJob) -> None:
    reporter.set_output("sample-id", str(done.sample_id))
    reporter.set_output("sample-url", done.sample_url)
    reporter.set_output("download-url", done.download_url)
    reporter.set_output("state", done.state)


def _publish(
    settings: Settings, ctx: RepoContext, reporter: Reporter, clock: Clock, run: Run
) -> None:
    deadline = run.started + settings.timeout
    if settings.job_id is not None:
        manifest = _load_for_resume(settings, ctx)
    else:
        manifest = load_manifest(settings.manifest, ctx)
        reporter.info(f"Manifest {manifest.display_path} is valid: {manifest.name!r}.")
    if settings.dry_run:
        if manifest is None:
            raise ConfigError("`dry-run` with `job-id` has nothing to check.")
        body = json.dumps(manifest.contribution, indent=2, ensure_ascii=False)
        with reporter.group("Contribution that would be sent"):
            reporter.info(body)
        reporter.summary(SUMMARY_DRY_RUN.format(manifest=md(manifest.display_path), body=body))
        reporter.set_output("state", "DRY-RUN")
        return
    _check_credentials(settings)

    sample_id = settings.sample_id or (manifest.sample_id if manifest else None)
    kind: Kind = "update" if sample_id is not None or settings.update else "create"
    client = _client(settings, clock, deadline, reporter)
    try:
        if settings.job_id is not None:
            job_id = settings.job_id
            reporter.set_output("job-id", str(job_id))
            reporter.info(f"Resuming job {job_id} ({kind}); nothing is submitted.")
        elif manifest is not None:
            verb = f"Updating sample {sample_id}" if sample_id else "Creating a sample"
            reporter.info(f"{verb} on {client.api_url} ...")
            with reporter.group("Contribution sent"):
                reporter.info(json.dumps(manifest.contribution, indent=2, ensure_ascii=False))
            job = client.submit(manifest.contribution, sample_id)
            job_id = job.id if job.id is not None else 0
            run.state = job.state or "NEW"
            reporter.set_output("job-id", str(job_id))
            reporter.info(f"Submitted: job {job_id} is {run.state}.")
        run.job_id = job_id

        def on_poll(job: SampleJob) -> None:
            run.state = job.state or run.state
            progress = f" {job.progress}%" if job.progress is not None else ""
            reporter.progress(f"Job {run.job_id}: {job.state or '?'}{progress}")
            if job.stack_trace and job.error:
                reporter.debug(f"Server stack trace:\n{job.stack_trace}")

        def on_transient(reason: str) -> None:
            reporter.warning(messages.POLL_TRANSIENT.format(job_id=run.job_id, reason=reason))

        watcher = JobWatcher(
            client,
            clock,
            Schedule(first=settings.poll_interval),
            on_poll=on_poll,
            on_transient=on_transient,
        )
        done = watcher.wait(
            job_id,
            kind,
            deadline=deadline,
            timeout=settings.timeout,
            resume=settings.job_id is not None,
        )
    finally:
        client.close()

    run.state = done.state
    name = done.sample_name or (manifest.name if manifest else "")
    seconds = clock.now() - run.started
    _set_sample_outputs(reporter, done)
    reporter.info(f"Published {name!r}: sample {done.sample_id} at {done.sample_url}")
    reporter.summary(
        SUMMARY_OK.format(
            name=md(name or f"sample {done.sample_id}"),
            url=done.sample_url.replace(")", "%29").replace(" ", "%20"),
            sample_id=done.sample_id,
            job_id=run.job_id,
            seconds=seconds,
        )
    )
