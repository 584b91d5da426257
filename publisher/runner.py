"""The runner protocol: how we talk to a GitHub Actions runner (or a person).

Two reporters share one interface: ``ActionsReporter`` speaks workflow commands
(masking, annotations, groups, ``GITHUB_OUTPUT``, ``GITHUB_STEP_SUMMARY``) and
``ConsoleReporter`` prints for a person, so GitLab CI, Jenkins and laptops get
the same flow without ``::`` noise.

Everything printed passes through ``Redactor`` (known secrets become ``***``),
and any text that could be read as a workflow command is fenced with
``::stop-commands::`` so server or manifest text can never act on the runner.
"""

from __future__ import annotations

import os
import re
import secrets
import sys
from collections.abc import Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol, TextIO

MASK = "***"

# Names whose values are secrets wherever they turn up (debug dumps of JSON).
SECRET_FIELD = re.compile(r"token|password|secret|authorization|credential", re.IGNORECASE)


def escape_data(value: str) -> str:
    """Escape a command's message as the Actions toolkit does (``%``, CR, LF)."""
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(value: str) -> str:
    """Escape a command's property value as the toolkit does (also ``:`` and ``,``)."""
    return escape_data(value).replace(":", "%3A").replace(",", "%2C")


def format_command(command: str, properties: Mapping[str, object], message: str) -> str:
    """Build ``::command k=v,...::message`` with every piece escaped."""
    props = ",".join(
        f"{key}={escape_property(str(value))}"
        for key, value in properties.items()
        if value is not None and value != ""
    )
    head = f"::{command} {props}" if props else f"::{command}"
    return f"{head}::{escape_data(message)}"


def _looks_like_command(text: str) -> bool:
    # The runner acts on "::" after leading whitespace, and on "##[" anywhere.
    return any(line.lstrip().startswith("::") or "##[" in line for line in text.splitlines())


class Redactor:
    """Replaces every known secret value with ``***`` in text we emit."""

    def __init__(self) -> None:
        self._secrets: set[str] = set()

    def add(self, value: str) -> None:
        # Very short values would redact ordinary words; the runner's own
        # masking has the same blind spot, and real secrets are longer.
        if value and len(value) >= 3:
            self._secrets.add(value)

    def __contains__(self, value: str) -> bool:
        return value in self._secrets

    def __call__(self, text: str) -> str:
        for value in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(value, MASK)
        return text


class OutputFileError(Exception):
    """A step output could not be written safely."""


def write_output(path: Path, name: str, value: str) -> None:
    """Append ``name<<DELIM`` / value / ``DELIM`` with a fresh random delimiter."""
    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    if delimiter in name or delimiter in value:  # the runner would cut the value short
        raise OutputFileError(f"output {name!r} contains its own delimiter")
    if "\n" in name or "\r" in name or "=" in name or "<<" in name:
        raise OutputFileError(f"output name {name!r} is not a plain name")
    with path.open("a", encoding="utf-8", newline="\n") as handle:
        handle.write(f"{name}<<{delimiter}\n{value}\n{delimiter}\n")


class Reporter(Protocol):
    """What the publishing flow needs from whoever is watching."""

    debug_enabled: bool

    def mask(self, secret: str) -> None: ...
    def hide(self, secret: str) -> None: ...
    def info(self, message: str) -> None: ...
    def debug(self, message: str) -> None: ...
    def warning(self, message: str) -> None: ...
    def error(
        self,
        message: str,
        *,
        title: str = "",
        file: str = "",
        line: int | None = None,
        col: int | None = None,
    ) -> None: ...
    def group(self, title: str) -> AbstractContextManager[None]: ...
    def progress(self, message: str) -> None: ...
    def set_output(self, name: str, value: str) -> None: ...
    def summary(self, markdown: str) -> None: ...
    def finish(self) -> None: ...


class _BaseReporter:
    def __init__(self, stream: TextIO | None = None, *, debug: bool = False) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.debug_enabled = debug
        self.redact = Redactor()
        self.outputs: dict[str, str] = {}

    def _write(self, text: str) -> None:
        self.stream.write(text + "\n")
        self.stream.flush()

    def mask(self, secret: str) -> None:
        self.redact.add(secret)

    def hide(self, secret: str) -> None:
        """Redact a value we learnt from the server, without echoing it to the runner."""
        self.redact.add(secret)

    def finish(self) -> None:
        """Called once at the end; a console may want a final newline."""


class ActionsReporter(_BaseReporter):
    """Speaks the runner's workflow-command protocol."""

    def __init__(
        self,
        env: Mapping[str, str],
        stream: TextIO | None = None,
        *,
        debug: bool = False,
    ) -> None:
        super().__init__(stream, debug=debug)
        self.output_path = Path(env["GITHUB_OUTPUT"]) if env.get("GITHUB_OUTPUT") else None
        self.summary_path = (
            Path(env["GITHUB_STEP_SUMMARY"]) if env.get("GITHUB_STEP_SUMMARY") else None
        )

    def _log(self, text: str) -> None:
        """Print text that may hold untrusted content, never as a command."""
        text = self.redact(text)
        if _looks_like_command(text):
            token = secrets.token_hex(16)
            self._write(f"::stop-commands::{token}")
            self._write(text)
            self._write(f"::{token}::")
        else:
            self._write(text)

    def _command(self, command: str, properties: Mapping[str, object], message: str) -> None:
        properties = {key: self.redact(str(v)) for key, v in properties.items() if v is not None}
        self._write(format_command(command, properties, self.redact(message)))

    def mask(self, secret: str) -> None:
        if not secret or secret in self.redact:
            return
        super().mask(secret)
        if secret:
            # Every line of a multi-line secret must be masked on its own.
            for line in secret.splitlines() or [secret]:
                if line.strip():
                    self._write(format_command("add-mask", {}, line))

    def info(self, message: str) -> None:
        self._log(message)

    def progress(self, message: str) -> None:
        self._log(message)

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._command("debug", {}, message)

    def warning(self, message: str) -> None:
        self._command("warning", {}, message)

    def error(
        self,
        message: str,
        *,
        title: str = "",
        file: str = "",
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self._command("error", {"file": file, "line": line, "col": col, "title": title}, message)

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        self._command("group", {}, title)
        try:
            yield
        finally:
            self._write("::endgroup::")

    def set_output(self, name: str, value: str) -> None:
        value = self.redact(value)
        if self.outputs.get(name) == value:
            return
        self.outputs[name] = value
        if self.output_path is None:
            self._log(f"{name}={value}")
            return
        write_output(self.output_path, name, value)

    def summary(self, markdown: str) -> None:
        if self.summary_path is None:
            return
        with self.summary_path.open("a", encoding="utf-8") as handle:
            handle.write(self.redact(markdown).rstrip("\n") + "\n")


class ConsoleReporter(_BaseReporter):
    """Prints for a person: plain lines, a live progress line on a terminal."""

    def __init__(
        self, stream: TextIO | None = None, *, debug: bool = False, err: TextIO | None = None
    ) -> None:
        super().__init__(stream, debug=debug)
        self.err = err if err is not None else sys.stderr
        self._live = False
        self._in_group = False

    def _end_live(self) -> None:
        if self._live:
            self.stream.write("\n")
            self._live = False

    def _plain(self, text: str) -> None:
        self._end_live()
        self._write(self.redact(text))

    def info(self, message: str) -> None:
        if not self._in_group or self.debug_enabled:
            self._plain(message)

    def progress(self, message: str) -> None:
        if self.stream.isatty():
            self.stream.write("\r\033[K" + self.redact(message))
            self.stream.flush()
            self._live = True
        else:
            self._plain(message)

    def debug(self, message: str) -> None:
        if self.debug_enabled:
            self._plain(f"debug: {message}")

    def warning(self, message: str) -> None:
        self._end_live()
        self.err.write(self.redact(f"warning: {message}") + "\n")
        self.err.flush()

    def error(
        self,
        message: str,
        *,
        title: str = "",
        file: str = "",
        line: int | None = None,
        col: int | None = None,
    ) -> None:
        self._end_live()
        where = file
        if file and line:
            where += f":{line}" + (f":{col}" if col else "")
        prefix = f"{where}: " if where else ""
        heading = f"{title}: " if title and not where else ""
        self.err.write(self.redact(f"error: {prefix}{heading}{message}") + "\n")
        self.err.flush()

    @contextmanager
    def group(self, title: str) -> Iterator[None]:
        # Request/response detail is only worth a person's screen when debugging.
        self._in_group = True
        try:
            if self.debug_enabled:
                self._plain(f"--- {title}")
            yield
        finally:
            self._in_group = False

    def set_output(self, name: str, value: str) -> None:
        self.outputs[name] = self.redact(value)

    def summary(self, markdown: str) -> None:
        """A person gets the result block from ``finish`` instead."""

    def finish(self) -> None:
        self._end_live()
        if self.outputs:
            width = max(len(name) for name in self.outputs)
            for name, value in self.outputs.items():
                if value:
                    self._write(self.redact(f"{name.ljust(width)}  {value}"))


def is_debug(env: Mapping[str, str]) -> bool:
    return env.get("RUNNER_DEBUG", "") == "1" or env.get("ACTIONS_STEP_DEBUG", "") == "true"


def reporter_for(env: Mapping[str, str] | None = None) -> ActionsReporter | ConsoleReporter:
    """Workflow commands on an Actions runner (or act), plain text elsewhere."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") == "true":
        return ActionsReporter(env, debug=is_debug(env))
    return ConsoleReporter(debug=is_debug(env))
