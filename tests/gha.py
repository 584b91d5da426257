"""A reader of what the action writes, following the GitHub runner's own rules.

Used by tests to read stdout, GITHUB_OUTPUT and GITHUB_STEP_SUMMARY the way
actions/runner does (ActionCommandManager, ActionCommand.TryParseV2 and the
file-command handler), so a test passes only if the runner would agree.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Command:
    name: str
    properties: dict[str, str]
    message: str
    line: int


def unescape_data(value: str) -> str:
    return value.replace("%0D", "\r").replace("%0A", "\n").replace("%25", "%")


def unescape_property(value: str) -> str:
    return (
        value.replace("%0D", "\r")
        .replace("%0A", "\n")
        .replace("%3A", ":")
        .replace("%2C", ",")
        .replace("%25", "%")
    )


def parse_command_line(line: str, number: int = 0) -> Command | None:
    """``::name k=v,k=v::message`` after leading whitespace, as TryParseV2."""
    text = line.lstrip()
    if not text.startswith("::"):
        return None
    end = text.find("::", 2)
    if end < 0:
        return None
    info, message = text[2:end], text[end + 2 :]
    name, _, props_text = info.partition(" ")
    if not name:
        return None
    properties: dict[str, str] = {}
    for pair in props_text.split(","):
        if not pair.strip():
            continue
        key, eq, value = pair.partition("=")
        if eq and key:
            properties[key] = unescape_property(value)
    return Command(name, properties, unescape_data(message), number)


@dataclass
class Log:
    """Every command the runner would act on, and the lines it would print."""

    commands: list[Command] = field(default_factory=list)
    legacy: list[str] = field(default_factory=list)  # "##[" lines the runner interprets
    text: list[str] = field(default_factory=list)

    def named(self, name: str) -> list[Command]:
        return [c for c in self.commands if c.name == name]


def parse_log(stdout: str) -> Log:
    """Read stdout as the runner does, honouring ``::stop-commands::TOKEN``."""
    log = Log()
    stop_token: str | None = None
    # .NET's ReadLine splits on CR, LF and CRLF only (not on U+0085 or U+2028).
    for number, line in enumerate(re.split(r"\r\n|\r|\n", stdout), 1):
        if stop_token is not None:
            if line.strip() == f"::{stop_token}::":
                stop_token = None
            else:
                log.text.append(line)
            continue
        command = parse_command_line(line, number)
        if command is not None:
            if command.name == "stop-commands":
                stop_token = command.message
            log.commands.append(command)
            continue
        if "##[" in line:
            log.legacy.append(line)
        log.text.append(line)
    return log


class OutputFileError(AssertionError):
    pass


def parse_output_file(text: str) -> dict[str, str]:
    """Read GITHUB_OUTPUT as the runner's file-command handler does."""
    outputs: dict[str, str] = {}
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line:
            continue
        heredoc = re.fullmatch(r"([^=]+?)<<(.+)", line)
        equals = line.find("=")
        if heredoc and (equals < 0 or line.find("<<") < equals):
            name, delimiter = heredoc.group(1), heredoc.group(2)
            value: list[str] = []
            while True:
                if i >= len(lines):
                    raise OutputFileError(f"no closing delimiter {delimiter!r} for {name!r}")
                if lines[i] == delimiter:
                    i += 1
                    break
                value.append(lines[i])
                i += 1
            outputs[name] = "\n".join(value)
        elif equals > 0:
            outputs[line[:equals]] = line[equals + 1 :]
        else:
            raise OutputFileError(f"invalid output line {line!r}")
    return outputs
