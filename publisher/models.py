"""The server's SampleJob, read leniently.

Every documented field is optional and some are documented with odd types
(``score`` as the string "number"), so we keep only what the action uses,
coerce what we can, and ignore the rest. ``sample.author.gitHubToken`` and
``stackTrace`` are deliberately not kept on the object that gets logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The documented states; anything else is unknown and never waited on.
TEMPORARY_STATES = frozenset({"NEW", "RUNNING"})
FINAL_STATES = frozenset({"FINISHED"})

FALLBACK_SAMPLE_URL = "https://code.vmware.com/samples/{id}"


def _int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _str(value: object) -> str:
    return value if isinstance(value, str) else ""


@dataclass(frozen=True)
class SampleJob:
    id: int | None
    state: str
    progress: int | None
    error: str
    stack_trace: str
    sample_id: int | None
    sample_name: str
    web_url: str
    download_url: str
    branch: str

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SampleJob:
        raw_sample = data.get("sample")
        sample: Mapping[str, Any] = raw_sample if isinstance(raw_sample, Mapping) else {}
        sample_id = _int(data.get("sampleId"))
        if sample_id is None:
            sample_id = _int(sample.get("id"))
        progress = _int(data.get("progress"))
        if progress is not None:
            progress = max(0, min(100, progress))
        return cls(
            id=_int(data.get("id")),
            state=_str(data.get("state")).strip().upper(),
            progress=progress,
            error=_str(data.get("error")).strip(),
            stack_trace=_str(data.get("stackTrace")),
            sample_id=sample_id,
            sample_name=_str(sample.get("name")),
            web_url=_str(sample.get("webUrl")),
            download_url=_str(sample.get("downloadUrl")),
            branch=_str(sample.get("branch")),
        )

    @property
    def sample_url(self) -> str:
        if self.web_url:
            return self.web_url
        if self.sample_id is not None:
            return FALLBACK_SAMPLE_URL.format(id=self.sample_id)
        return ""

    @property
    def is_final(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def is_temporary(self) -> bool:
        return self.state in TEMPORARY_STATES
