"""The runner protocol: escaping, outputs, masking and the command channel."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.runner import (
    ActionsReporter,
    ConsoleReporter,
    OutputFileError,
    escape_data,
    escape_property,
    format_command,
    write_output,
)
from tests.gha import parse_command_line, parse_log, parse_output_file

HOSTILE = [
    "::add-mask::x",
    "  ::set-output name=sample-id::666",
    "::stop-commands::abc",
    "text ##[error]boom",
    "line1\n::error::injected\nline3",
    "100% done %0A %25",
    "a\r\nb",
    "::endgroup::",
]


def actions(tmp_path: Path, debug: bool = False) -> tuple[ActionsReporter, io.StringIO]:
    out = io.StringIO()
    env = {
        "GITHUB_OUTPUT": str(tmp_path / "out"),
        "GITHUB_STEP_SUMMARY": str(tmp_path / "summary"),
    }
    return ActionsReporter(env, out, debug=debug), out


def test_escaping_matches_the_toolkit() -> None:
    assert escape_data("50%\r\nnext") == "50%25%0D%0Anext"
    assert escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"
    line = format_command(
        "error", {"file": "x,y.yml", "line": 3, "col": 5, "title": "T: 1"}, "bad\nvalue"
    )
    assert line == "::error file=x%2Cy.yml,line=3,col=5,title=T%3A 1::bad%0Avalue"


def test_error_annotation_round_trips_through_the_runner_parser() -> None:
    line = format_command("error", {"file": "dir/a:b.yml", "line": 7, "col": 2}, "50% off\nnow")
    parsed = parse_command_line(line)
    assert parsed is not None
    assert parsed.name == "error"
    assert parsed.properties == {"file": "dir/a:b.yml", "line": "7", "col": "2"}
    assert parsed.message == "50% off\nnow"


@given(st.text(), st.text())
@settings(max_examples=300)
def test_any_annotation_round_trips(message: str, title: str) -> None:
    line = format_command("error", {"title": title, "file": title}, message)
    assert "\n" not in line
    assert "\r" not in line
    parsed = parse_command_line(line)
    assert parsed is not None
    assert parsed.message == message
    if title:
        assert parsed.properties["title"] == title
        assert parsed.properties["file"] == title


def test_output_file_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "out"
    write_output(path, "sample-id", "42")
    write_output(path, "multi", "a\nb\n\nc")
    write_output(path, "empty", "")
    text = path.read_text(encoding="utf-8")
    assert parse_output_file(text) == {"sample-id": "42", "multi": "a\nb\n\nc", "empty": ""}
    delimiters = [line.split("<<")[1] for line in text.splitlines() if "<<" in line]
    assert len(set(delimiters)) == 3, "each output gets a fresh delimiter"


@given(st.text().filter(lambda v: "\r" not in v), st.text().filter(lambda v: "\r" not in v))
@settings(max_examples=300)
def test_any_output_value_round_trips(value: str, other: str) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "out"
        write_output(path, "first", value)
        write_output(path, "second", other)
        assert parse_output_file(path.read_text(encoding="utf-8")) == {
            "first": value,
            "second": other,
        }


def test_output_refuses_its_own_delimiter(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import publisher.runner as runner

    monkeypatch.setattr(runner.secrets, "token_hex", lambda n: "fixed")
    with pytest.raises(OutputFileError):
        write_output(tmp_path / "out", "x", "before\nghadelimiter_fixed\nafter")
    with pytest.raises(OutputFileError):
        write_output(tmp_path / "out", "bad\nname", "v")


def test_mask_comes_first_and_secrets_never_print(tmp_path: Path) -> None:
    reporter, out = actions(tmp_path)
    reporter.mask("s3cr3t-pass")
    reporter.info("the password is s3cr3t-pass")
    reporter.error("failed with s3cr3t-pass", title="s3cr3t-pass")
    reporter.set_output("x", "s3cr3t-pass")
    reporter.summary("summary s3cr3t-pass")
    text = out.getvalue()
    assert text.splitlines()[0] == "::add-mask::s3cr3t-pass"
    assert text.count("s3cr3t-pass") == 1
    assert "s3cr3t-pass" not in (tmp_path / "out").read_text()
    assert "s3cr3t-pass" not in (tmp_path / "summary").read_text()


def test_multiline_secret_masks_each_line(tmp_path: Path) -> None:
    reporter, out = actions(tmp_path)
    reporter.mask("line-one\nline-two")
    masks = [c.message for c in parse_log(out.getvalue()).named("add-mask")]
    assert masks == ["line-one", "line-two"]


@pytest.mark.parametrize("text", HOSTILE)
def test_untrusted_log_text_never_acts(tmp_path: Path, text: str) -> None:
    reporter, out = actions(tmp_path)
    reporter.info(f"server said: {text}")
    reporter.progress(text)
    log = parse_log(out.getvalue())
    names = {c.name for c in log.commands}
    assert names <= {"stop-commands"}, log.commands
    assert not log.legacy
    assert "\n".join(log.text).count("::") >= text.count("::") * 2 - 1


def test_stop_commands_token_is_fresh_each_time(tmp_path: Path) -> None:
    reporter, out = actions(tmp_path)
    reporter.info("::warning::one")
    reporter.info("::warning::two")
    tokens = [c.message for c in parse_log(out.getvalue()).named("stop-commands")]
    assert len(tokens) == 2
    assert tokens[0] != tokens[1]
    assert all(len(t) >= 32 for t in tokens)


@given(st.text())
@settings(max_examples=300)
def test_no_text_can_inject_a_command(text: str) -> None:
    out = io.StringIO()
    reporter = ActionsReporter({}, out)
    reporter.info(text)
    reporter.error(text, title=text, file=text)
    log = parse_log(out.getvalue())
    assert [c.name for c in log.commands if c.name != "stop-commands"] == ["error"]
    assert not log.legacy
    error = log.named("error")[0]
    assert error.message == text


def test_debug_only_when_enabled(tmp_path: Path) -> None:
    quiet, quiet_out = actions(tmp_path)
    quiet.debug("detail")
    loud, loud_out = actions(tmp_path, debug=True)
    loud.debug("detail")
    assert quiet_out.getvalue() == ""
    assert parse_log(loud_out.getvalue()).named("debug")[0].message == "detail"


def test_group_wraps_detail(tmp_path: Path) -> None:
    reporter, out = actions(tmp_path)
    with reporter.group("Request"):
        reporter.info("body")
    assert out.getvalue().splitlines() == ["::group::Request", "body", "::endgroup::"]


def test_console_reporter_prints_for_a_person() -> None:
    out, err = io.StringIO(), io.StringIO()
    reporter = ConsoleReporter(out, err=err)
    reporter.mask("hunter22")
    reporter.info("hello hunter22")
    with reporter.group("detail"):
        reporter.info("hidden unless debugging")
    reporter.error("bad", file="m.yml", line=3, col=4)
    reporter.set_output("sample-id", "5")
    reporter.finish()
    assert "::" not in out.getvalue()
    assert "hello ***" in out.getvalue()
    assert "hidden" not in out.getvalue()
    assert "sample-id  5" in out.getvalue()
    assert err.getvalue() == "error: m.yml:3:4: bad\n"
