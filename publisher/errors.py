"""The failures a user can meet, each carrying what to do about it.

Anything that escapes as another exception type is a bug and may show a
traceback; everything a user can cause or fix is one of these.
"""

from __future__ import annotations

from dataclasses import dataclass


class PublishError(Exception):
    """An expected failure: ``message`` says what failed, ``hint`` what to do."""

    title = "Sample Exchange publish failed"

    def __init__(self, message: str, *, hint: str = "", job_id: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint
        self.job_id = job_id

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()


class ConfigError(PublishError):
    """An input or flag is missing or malformed."""

    title = "Invalid input"


@dataclass(frozen=True)
class Problem:
    """One manifest problem at a place in a file (1-based line and column)."""

    file: str
    line: int
    col: int
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.col}: {self.message}"


class ManifestError(PublishError):
    """The manifest is unreadable or invalid; ``problems`` lists every one found."""

    title = "Invalid sample manifest"

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        count = len(problems)
        first = problems[0].file if problems else "the manifest"
        super().__init__(
            f"{first} has {count} problem{'s' if count != 1 else ''}.",
            hint="Fix the lines annotated above and push again.",
        )


class ApiError(PublishError):
    """The server answered with an error, or with something that is not a SampleJob."""

    title = "Sample Exchange API error"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        hint: str = "",
        job_id: int | None = None,
    ) -> None:
        super().__init__(message, hint=hint, job_id=job_id)
        self.status = status


class JobFailed(PublishError):
    """The job finished with an error, or in a state we cannot trust."""

    title = "Sample Exchange job failed"


class JobTimeout(PublishError):
    """The deadline passed before the job finished; it can be resumed by job id."""

    title = "Timed out waiting for Sample Exchange"


class Cancelled(PublishError):
    """The run was cancelled (SIGTERM/SIGINT) while waiting."""

    title = "Cancelled"
