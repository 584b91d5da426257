"""The publish flow, shared by the action and the CLI.

load and validate → build the Contribution → submit → wait → outputs. Every
failure a user can cause ends here as one error annotation plus a summary, the
job id is written the moment it is known, and a cancel leaves what is needed
to resume.
"""

from __future__ import annotations

import glob
import json
import signal
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING

from . import messages
from .context import Settings
from .errors import Cancelled, ConfigError, JobFailed, ManifestError, Problem, PublishError
from .manifest import Manifest, RepoContext, find_manifests, load_manifest
from .poller import Clock, SystemClock
from .runner import Reporter

if TYPE_CHECKING:
    from .client import SampleExchangeClient
    from .models import SampleJob

SUMMARY_FAILED = """### Sample Exchange publish failed

**{title}**: {message}

{hint}
"""

SUMMARY_DRY_RUN_MANY = """### Sample Exchange dry run

{count} manifests are valid; nothing was sent (each Contribution is in the log):

{items}
"""

SUMMARY_PLAN = """### Sample Exchange plan

{count} valid manifest{s}, one matrix job each:

{items}
"""

# A GitHub Actions matrix makes at most this many jobs.
MATRIX_LIMIT = 256

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
    if isinstance(exc, Cancelled) and not exc.hint:  # a bare signal: say what was in flight
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


def check_credentials(settings: Settings) -> None:
    if settings.token or (settings.username and settings.password):
        return
    if settings.username or settings.password:
        raise ConfigError(
            "Basic auth needs both `username` and `password`; only one was given.",
            hint="Pass both from secrets, or pass `token` instead.",
        )
    what, hint = messages.NO_CREDENTIALS
    raise ConfigError(what, hint=hint)


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


class ManifestsError(ManifestError):
    """Problems in several manifests: every one is annotated, nothing is submitted."""

    def __init__(self, problems: list[Problem], bad: int, total: int) -> None:
        super().__init__(problems)
        if total > 1:
            self.message = (
                f"{bad} of {total} manifests have problems ({len(problems)} in all); "
                "nothing was submitted."
            )


def manifest_paths(spec: str, ctx: RepoContext) -> list[str]:
    """The manifests the `manifest` input names: a path, a glob, or several lines of them."""
    lines = [line.strip() for line in spec.splitlines() if line.strip()]
    if len(lines) == 1 and not glob.has_magic(lines[0]):
        return lines  # one plain path: a missing file is annotated like any manifest problem
    return [str(path) for path in find_manifests(spec, ctx.workspace)]


def load_all(spec: str, ctx: RepoContext) -> list[Manifest]:
    """Load and validate every manifest before anything is sent; all problems at once."""
    paths = manifest_paths(spec, ctx)
    manifests: list[Manifest] = []
    problems: list[Problem] = []
    bad = 0
    for path in paths:
        try:
            manifests.append(load_manifest(path, ctx))
        except ManifestError as exc:
            problems.extend(exc.problems)
            bad += 1
    if bad:
        raise ManifestsError(problems, bad, len(paths))
    return manifests


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
    """Check the manifests only: no credentials, no network."""

    def body(run: Run) -> None:
        for manifest in load_all(settings.manifest, ctx):
            reporter.info(f"{manifest.display_path} is valid: {manifest.name!r}.")

    return guarded(reporter, (), SystemClock(), body)


def plan(settings: Settings, ctx: RepoContext, reporter: Reporter) -> int:
    """Validate every manifest and write the `matrix` output; nothing is sent."""

    def body(run: Run) -> None:
        manifests = load_all(settings.manifest, ctx)
        if len(manifests) > MATRIX_LIMIT:
            raise ConfigError(
                f"`manifest` names {len(manifests)} manifests; a matrix has at most "
                f"{MATRIX_LIMIT} jobs.",
                hint="Plan several smaller globs, or publish in one job with `max-concurrency`.",
            )
        include = [{"manifest": m.display_path} for m in manifests]
        for manifest in manifests:
            reporter.info(f"{manifest.display_path} is valid: {manifest.name!r}.")
        reporter.set_output("matrix", json.dumps({"include": include}, separators=(",", ":")))
        reporter.summary(
            SUMMARY_PLAN.format(
                count=len(manifests),
                s="" if len(manifests) == 1 else "s",
                items=_manifest_list(manifests),
            )
        )

    return guarded(reporter, (), SystemClock(), body)


def _manifest_list(manifests: list[Manifest]) -> str:
    return "\n".join(f"- {md(m.display_path)}: {md(m.name)}" for m in manifests)


def status(settings: Settings, reporter: Reporter, *, clock: Clock | None = None) -> int:
    """Show one job's state once (the CLI's `status`); fails if the job failed."""
    clock = clock or SystemClock()

    job_id = settings.job_id
    if job_id is None:
        raise ConfigError("`status` needs a job id.")

    def body(run: Run) -> None:
        check_credentials(settings)
        client = make_client(settings, clock, run.started + settings.timeout, reporter)
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
            set_sample_outputs(reporter, done)
        elif not job.is_temporary:
            what, hint = messages.JOB_UNKNOWN_STATE
            raise JobFailed(
                what.format(job_id=job_id, state=job.state),
                hint=hint.format(job_id=job_id),
            )

    return guarded(reporter, settings.secrets, clock, body)


def make_client(
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


def set_sample_outputs(reporter: Reporter, done: SampleJob) -> None:
    reporter.set_output("sample-id", str(done.sample_id))
    reporter.set_output("sample-url", done.sample_url)
    reporter.set_output("download-url", done.download_url)
    reporter.set_output("state", done.state)


def _resume_manifest(settings: Settings, ctx: RepoContext) -> list[Manifest]:
    """A resumed job needs no manifest; one that is there gives the sample's name."""
    paths = manifest_paths(settings.manifest, ctx) if settings.manifest.strip() else []
    paths = [p for p in paths if (ctx.workspace / p).is_file()]
    if len(paths) > 1:
        raise ConfigError(
            f"`job-id` resumes one job, but `manifest` names {len(paths)} manifests.",
            hint="Resume each job in its own step, with `manifest` naming its one manifest.",
        )
    return [load_manifest(p, ctx) for p in paths]


def _dry_run(manifests: list[Manifest], reporter: Reporter) -> None:
    many = len(manifests) > 1
    for manifest in manifests:
        body = json.dumps(manifest.contribution, indent=2, ensure_ascii=False)
        title = "Contribution that would be sent"
        with reporter.group(f"{title}: {manifest.display_path}" if many else title):
            reporter.info(body)
        if not many:
            reporter.summary(SUMMARY_DRY_RUN.format(manifest=md(manifest.display_path), body=body))
            reporter.set_output("state", "DRY-RUN")
    if many:
        reporter.summary(
            SUMMARY_DRY_RUN_MANY.format(count=len(manifests), items=_manifest_list(manifests))
        )
    outcome = {"sample-id": None, "sample-url": None, "job-id": None, "state": "DRY-RUN"}
    rows = [{"manifest": m.display_path, **outcome, "error": None} for m in manifests]
    reporter.set_output("samples", json.dumps(rows, ensure_ascii=False))


def _publish(
    settings: Settings, ctx: RepoContext, reporter: Reporter, clock: Clock, run: Run
) -> None:
    if settings.job_id is not None:
        manifests = _resume_manifest(settings, ctx)
    else:
        manifests = load_all(settings.manifest, ctx)
        for manifest in manifests:
            reporter.info(f"Manifest {manifest.display_path} is valid: {manifest.name!r}.")
    if settings.dry_run:
        if not manifests:
            raise ConfigError("`dry-run` with `job-id` has nothing to check.")
        _dry_run(manifests, reporter)
        return
    if len(manifests) > 1 and settings.sample_id is not None:
        raise ConfigError(
            f"`sample-id` updates one sample, but `manifest` names {len(manifests)} manifests.",
            hint="Put `sample-id:` in each manifest that updates an existing sample.",
        )
    check_credentials(settings)
    from .batch import publish_all  # the HTTP stack, only when something is sent

    publish_all(manifests, settings, reporter, clock, run)
