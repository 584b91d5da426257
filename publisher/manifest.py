"""The sample manifest: find it, load it safely, validate it, and turn it into a Contribution.

This is the one public module for manifests; ``manifest_yaml`` (safe YAML with marks) and
``manifest_init`` (the ``init`` proposal) are its private helpers. It never imports
``requests``, and imports ``jsonschema`` and ``markdown_it`` only when they are needed, so
validation and dry runs start fast.
"""

from __future__ import annotations

import difflib
import functools
import glob
import json
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from publisher.errors import ConfigError, ManifestError, Problem
from publisher.manifest_yaml import JsonPath, Loaded, Mark, parse, show

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError
    from markdown_it import MarkdownIt

SCHEMA_ID = (
    "https://raw.githubusercontent.com/vmware-samples/sample-exchange-publish/main/"
    "schema/sample-manifest.schema.json"
)
# The Docker image copies schema/ to /app/schema next to /app/publisher, like the repository.
SCHEMA_PATH = Path(__file__).resolve().parent.parent / "schema" / "sample-manifest.schema.json"
DEFAULT_MANIFEST = "sample-exchange.yml"

MAX_MANIFEST_BYTES = 256 * 1024
MAX_README_BYTES = 1024 * 1024
MAX_FILE_BYTES = 1024 * 1024
MAX_FILES_TOTAL_BYTES = 8 * 1024 * 1024

TYPES = ("REPOSITORY", "GIST", "PROJECT", "SNIPPET", "DCR", "LINK")
# Types whose content is sent inline rather than taken from the repository.
INLINE_TYPES = frozenset({"SNIPPET", "GIST"})
# Types taken from a git ref, which therefore need a branch or tag.
GIT_TYPES = frozenset({"REPOSITORY", "PROJECT"})


@dataclass(frozen=True)
class RepoContext:
    """Where the manifest lives and what the runner says about the repository."""

    workspace: Path  # the repository root (GITHUB_WORKSPACE, or cwd for the CLI)
    server_url: str = ""  # GITHUB_SERVER_URL, e.g. https://github.com
    repository: str = ""  # GITHUB_REPOSITORY, e.g. acme/samples
    ref_name: str = ""  # GITHUB_REF_NAME, e.g. v1.2.3
    ref_type: str = ""  # GITHUB_REF_TYPE, "tag" or "branch"


@dataclass(frozen=True)
class Manifest:
    """A valid manifest and the Contribution it becomes."""

    path: Path  # absolute path of the manifest file
    display_path: str  # path relative to the workspace (posix), used in annotations
    name: str
    sample_id: int | None  # from the manifest's `sample-id`, if any
    contribution: dict[str, Any]  # the JSON body to send (Contribution schema), no `id` key


# --------------------------------------------------------------------------- loading


def load_manifest(manifest: str | Path, ctx: RepoContext) -> Manifest:
    """Load, validate and map one manifest; raise ManifestError listing every problem found."""
    workspace = _workspace(ctx.workspace)
    path = Path(os.path.abspath(workspace / manifest))
    display = _display(path, workspace)
    report = _Report(display)

    text = _read_manifest(path, report)
    loaded = parse(text) if text is not None else Loaded()
    for mark, message in loaded.problems:
        report.add(mark, message)
    doc = loaded.value
    if text is not None and not loaded.problems:
        if doc is None:
            report.add(
                Mark(1, 1), "the manifest is empty: it needs at least name: and description:"
            )
        elif not isinstance(doc, dict):
            report.add(
                loaded.root,
                f"the manifest must be a mapping of keys (name:, description:, ...), "
                f"not {_kind(doc)}",
            )
    contribution: dict[str, Any] = {}
    if isinstance(doc, dict):
        flagged = _validate(doc, loaded, report)
        contribution = _Builder(doc, loaded, ctx, workspace, report, flagged).build()
    report.raise_if_any()
    return Manifest(
        path=path,
        display_path=display,
        name=contribution["name"],
        sample_id=doc.get("sample-id") if isinstance(doc, dict) else None,
        contribution=contribution,
    )


class _Report:
    def __init__(self, display: str) -> None:
        self.display = display
        self.problems: list[Problem] = []
        self.seen: set[Problem] = set()  # a list lookup would be quadratic in bad paths

    def add(self, mark: Mark, message: str) -> None:
        problem = Problem(self.display, mark.line, mark.col, message)
        if problem not in self.seen:
            self.seen.add(problem)
            self.problems.append(problem)

    def raise_if_any(self) -> None:
        if self.problems:
            raise ManifestError(sorted(self.problems, key=lambda p: (p.line, p.col, p.message)))


def _workspace(workspace: Path) -> Path:
    try:
        return workspace.resolve()
    except (OSError, RuntimeError, ValueError):
        return Path(os.path.abspath(workspace))


def _display(path: Path, workspace: Path) -> str:
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return path.as_posix()


def _read_manifest(path: Path, report: _Report) -> str | None:
    data = _read_capped(path, MAX_MANIFEST_BYTES)
    if isinstance(data, str):
        report.add(Mark(1, 1), f"the manifest {data}")
        return None
    decoded = _decode(data)
    if isinstance(decoded, tuple):
        mark, message = decoded
        report.add(mark, f"the manifest {message}")
        return None
    return decoded


def _read_capped(path: Path, cap: int) -> bytes | str:
    """The file's bytes, or why they can't be used (a phrase following the file's name)."""
    try:
        info = path.stat()
        if stat.S_ISDIR(info.st_mode):
            return "is a folder, not a file"
        if not stat.S_ISREG(info.st_mode):  # a FIFO or device would block or never end
            return "is not a regular file"
        if info.st_size > cap:
            return f"is too large ({info.st_size} bytes; at most {cap} allowed)"
        with path.open("rb") as f:
            data = f.read(cap + 1)
    except FileNotFoundError:
        return "was not found"
    except (OSError, ValueError) as e:  # ValueError: a NUL in the path
        return f"cannot be read ({getattr(e, 'strerror', None) or type(e).__name__})"
    if len(data) > cap:  # it grew after stat
        return f"is too large (at most {cap} bytes allowed)"
    return data


def _decode(data: bytes) -> str | tuple[Mark, str]:
    """UTF-8 text (a BOM is dropped), or where the first bad byte is."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        start = data.rfind(b"\n", 0, e.start) + 1
        col = len(data[start : e.start].decode("utf-8", "replace")) + 1
        return Mark(line, col), f"is not UTF-8 text (byte 0x{data[e.start]:02X})"


# --------------------------------------------------------------------------- schema


@functools.cache
def schema() -> dict[str, Any]:
    """The manifest's JSON Schema, read once."""
    result: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return result


@functools.cache
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


_PATTERN_HINTS = {
    "\\S": "must not be blank",
    "^https?://[^\\s/]+\\S*$": "must be an http(s) URL such as https://github.com/acme/samples",
}
_LICENSE_HINT = "must be an SPDX license id such as MIT, Apache-2.0 or BSD-3-Clause"


def _validate(doc: dict[str, Any], loaded: Loaded, report: _Report) -> set[JsonPath]:
    """Report schema errors in human words; return the paths whose values are wrong."""
    flagged: set[JsonPath] = set(loaded.bad)
    for error in _validator().iter_errors(doc):
        path: JsonPath = tuple(error.absolute_path)
        if any(path[:n] in loaded.bad for n in range(len(path) + 1)):
            continue  # already reported as a YAML problem (bad tag, bad number)
        for mark, message in _humanize(error, path, loaded):
            report.add(mark, message)
        if error.validator not in ("required", "additionalProperties", "uniqueItems"):
            flagged.add(path)
    return flagged


def _humanize(error: ValidationError, path: JsonPath, loaded: Loaded) -> list[tuple[Mark, str]]:
    where = _where(path)
    here = _value_mark(path, loaded)
    value = error.instance
    rule = error.validator
    expected: Any = error.validator_value
    if rule == "additionalProperties" and isinstance(value, dict):
        properties = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        allowed = list(properties)
        return [
            (loaded.keys.get((*path, key), here), _unknown_key(key, allowed, path))
            for key in value
            if key not in allowed
        ]
    if rule == "required" and isinstance(value, dict):
        inside = f" in {where}" if path else ""
        return [
            (here, f"missing required key {show(key)}{inside}")
            for key in expected
            if key not in value
        ]
    if rule == "type":
        wanted = [expected] if isinstance(expected, str) else list(expected)
        message = f"{where} must be {' or '.join(_TYPE_WORDS.get(t, t) for t in wanted)}"
        message += f", not {_kind(value)}"
        if "string" in wanted and path in loaded.raw and loaded.raw[path]:
            message += f' (quote it: "{loaded.raw[path]}")'
        return [(here, message)]
    if rule == "enum":
        return [
            (here, f"{where} must be one of {', '.join(map(str, expected))}, not {show(value)}")
        ]
    if rule == "minLength":
        return [(here, f"{where} must not be empty" if expected == 1 else f"{where} is too short")]
    if rule == "maxLength":
        return [(here, f"{where} is too long (at most {expected} characters)")]
    if rule == "minItems":
        return [(here, f"{where} must list at least {expected} item{'s' if expected != 1 else ''}")]
    if rule == "uniqueItems" and isinstance(value, list):
        return _duplicates(value, path, loaded)
    if rule == "pattern":
        hint = _LICENSE_HINT if path[-1:] == ("license",) else _PATTERN_HINTS.get(expected)
        return [(here, f"{where} {hint or 'has the wrong form'} (got {show(value)})")]
    if rule == "minimum":
        return [(here, f"{where} must be at least {expected}")]
    if rule == "maximum":
        return [(here, f"{where} must be at most {expected}")]
    return [(here, f"{where}: {show(error.message, 200)}")]


_TYPE_WORDS = {
    "string": "a string",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "array": "a list",
    "object": "a mapping (key: value)",
    "null": "empty",
}


def _kind(value: object) -> str:
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return f"{str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "a list"
    return "a mapping"


def _where(path: JsonPath) -> str:
    if not path:
        return "the manifest"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _value_mark(path: JsonPath, loaded: Loaded) -> Mark:
    for n in range(len(path), -1, -1):  # the nearest ancestor we know the place of
        if path[:n] in loaded.values:
            return loaded.values[path[:n]]
    return loaded.root


def _normal(key: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"-\1", key).lower().replace("_", "-").strip()


def _unknown_key(key: str, allowed: list[str], path: JsonPath) -> str:
    inside = f" in {_where(path)}" if path else ""
    message = f"unknown key {show(key)}{inside}"
    by_normal = {_normal(a): a for a in allowed}
    close = [by_normal[_normal(key)]] if _normal(key) in by_normal else []
    close = close or difflib.get_close_matches(key, allowed, n=1, cutoff=0.55)
    if close:
        return f"{message} (did you mean {show(close[0])}?)"
    return f"{message}; allowed keys: {', '.join(allowed)}"


def _duplicates(items: list[Any], path: JsonPath, loaded: Loaded) -> list[tuple[Mark, str]]:
    # Where each value first appears: by hash for text and numbers (thousands of paths),
    # by scan for lists and mappings (which only ever equal each other).
    firsts: dict[Any, int] = {}
    unhashable: list[tuple[Any, int]] = []
    found = []
    for i, item in enumerate(items):
        if isinstance(item, list | dict):
            first = next((j for seen, j in unhashable if seen == item), i)
            if first == i:
                unhashable.append((item, i))
        else:
            first = firsts.setdefault(item, i)
        if first != i:
            found.append(
                (
                    _value_mark((*path, i), loaded),
                    f"{_where((*path, i))} repeats {_where((*path, first))} ({show(item)})",
                )
            )
    return found


# --------------------------------------------------------------------------- building


@functools.cache
def _markdown() -> MarkdownIt:
    from markdown_it import MarkdownIt

    # Raw HTML in Markdown is escaped, not passed through: the page is someone else's site.
    return MarkdownIt("commonmark", {"html": False}).enable("table")


def render_markdown(text: str) -> str:
    """Markdown to HTML as readmeHtml carries it (CommonMark with tables, raw HTML escaped)."""
    html: str = _markdown().render(text)
    return html


class _Builder:
    """The checks a schema can't do, and the mapping to the Contribution, in one pass."""

    def __init__(
        self,
        doc: dict[str, Any],
        loaded: Loaded,
        ctx: RepoContext,
        workspace: Path,
        report: _Report,
        flagged: set[JsonPath],
    ) -> None:
        self.doc = doc
        self.loaded = loaded
        self.ctx = ctx
        self.workspace = workspace
        self.folders: dict[str, str] = {}  # real paths of the folders seen, for _path_problem
        self.report = report
        self.flagged = flagged

    def get(self, *path: str | int) -> Any:
        """The value at path if present and well-formed (schema errors are already reported)."""
        if self.flagged and any(path[:n] in self.flagged for n in range(1, len(path) + 1)):
            return None
        value: Any = self.doc
        for part in path:
            if isinstance(value, dict) and isinstance(part, str):
                value = value.get(part)
            elif isinstance(value, list) and isinstance(part, int) and part < len(value):
                value = value[part]
            else:
                return None
        return value

    def problem(self, path: JsonPath, message: str, *, at_key: bool = False) -> None:
        mark = self.loaded.keys.get(path) if at_key else None
        self.report.add(mark or _value_mark(path, self.loaded), message)

    def build(self) -> dict[str, Any]:
        doc = self.doc
        kind = self.get("type")
        kind = kind if kind in TYPES else "REPOSITORY"
        out: dict[str, Any] = {"name": self.get("name"), "type": kind}
        readme_html = self.readme()
        if readme_html is not None:
            out["readmeHtml"] = readme_html
        if isinstance(self.get("append-repository-readme"), bool):
            out["appendRepositoryReadme"] = doc["append-repository-readme"]
        url = self.url()
        if url:
            out["url"] = url
        branch = self.branch(kind)
        if branch:
            out["branch"] = branch
        paths = self.paths()
        if paths:
            out["paths"] = paths
        files = self.files(kind)
        if files:
            out["files"] = files
        if isinstance(self.get("license"), str):
            out["ossLicense"] = doc["license"]
        if "products" in doc and isinstance(self.get("products"), list):
            out["categories"] = self.products()
        if "tags" in doc and isinstance(self.get("tags"), list):
            out["tags"] = self.tags()
        if isinstance(self.get("metadata"), dict):
            out["metadata"] = json.dumps(doc["metadata"], ensure_ascii=False, allow_nan=False)
        return out

    def readme(self) -> str | None:
        description, readme = self.get("description"), self.get("readme")
        if "description" in self.doc and "readme" in self.doc:
            self.problem(("readme",), "set either description or readme, not both", at_key=True)
            return None
        if "description" not in self.doc and "readme" not in self.doc:
            self.problem(
                (),
                "missing description: set description (Markdown text) "
                "or readme (a Markdown file in the repository)",
            )
            return None
        if isinstance(description, str):
            return render_markdown(description)
        if isinstance(readme, str):
            target = self.inside(("readme",), readme)
            if target is None:
                return None
            text = self.read_text(("readme",), readme, target, MAX_README_BYTES)
            return render_markdown(text) if text is not None else None
        return None

    def url(self) -> str | None:
        if "url" in self.doc:
            value = self.get("url")
            return value if isinstance(value, str) else None
        if self.ctx.server_url and self.ctx.repository:
            return f"{self.ctx.server_url.rstrip('/')}/{self.ctx.repository.strip('/')}"
        self.problem(
            (),
            "url is not set and cannot be derived (GITHUB_SERVER_URL and GITHUB_REPOSITORY "
            "are not set): add url: https://github.com/OWNER/REPO",
        )
        return None

    def branch(self, kind: str) -> str | None:
        if "branch" in self.doc:
            value = self.get("branch")
            return value if isinstance(value, str) else None
        if self.ctx.ref_name:
            return self.ctx.ref_name
        if kind in GIT_TYPES:
            self.problem(
                (),
                "branch is not set and cannot be derived (GITHUB_REF_NAME is not set): "
                "add branch: with the tag or branch to publish, or run on a tag push",
            )
        return None

    def paths(self) -> list[str]:
        result = []
        for i, raw in enumerate(self.get("paths") or []):
            if isinstance(self.get("paths", i), str) and self.locate(("paths", i), raw):
                result.append(_normalized(raw))
        return result

    def files(self, kind: str) -> list[dict[str, str]]:
        if kind in INLINE_TYPES and "files" not in self.doc:
            self.problem((), f"type {kind} sends file contents inline: list them under files")
        result = []
        total = 0
        for i, raw in enumerate(self.get("files") or []):
            if not isinstance(self.get("files", i), str):
                continue
            target = self.inside(("files", i), raw)
            if target is None:
                continue
            content = self.read_text(("files", i), raw, target, MAX_FILE_BYTES)
            if content is None:
                continue
            total += len(content.encode("utf-8"))
            if total > MAX_FILES_TOTAL_BYTES:
                self.problem(
                    ("files", i),
                    f"files add up to more than {MAX_FILES_TOTAL_BYTES} bytes: "
                    "publish large content through paths instead",
                )
                return []
            rel = _normalized(raw)
            result.append({"name": PurePosixPath(rel).name, "path": rel, "content": content})
        return result

    def products(self) -> list[dict[str, str]]:
        result = []
        for i, _ in enumerate(self.doc["products"]):
            item = self.get("products", i)
            name, version = self.get("products", i, "name"), self.get("products", i, "version")
            if isinstance(item, dict) and isinstance(name, str):
                category = {"type": "product", "name": name}
                if isinstance(version, str):
                    category["version"] = version
                result.append(category)
        return result

    def tags(self) -> list[dict[str, str]]:
        result = []
        for i, _ in enumerate(self.doc["tags"]):
            item = self.get("tags", i)
            if isinstance(item, str):
                result.append({"category": "Tags", "name": item})
            elif isinstance(item, dict):
                category, name = self.get("tags", i, "category"), self.get("tags", i, "name")
                if isinstance(category, str) and isinstance(name, str):
                    result.append({"category": category, "name": name})
        return result

    def inside(self, path: JsonPath, raw: str) -> Path | None:
        """The file raw names, if it exists inside the workspace; otherwise report why not."""
        real = self.locate(path, raw)
        return Path(real) if real else None

    def locate(self, path: JsonPath, raw: str) -> str:
        """inside() as a string ("" when reported): no Path objects for thousands of paths."""
        real, problem = _locate(raw, self.workspace, self.folders)
        if problem:
            self.problem(path, f"{_where(path)} {show(raw)} {problem}")
        return real

    def read_text(self, path: JsonPath, raw: str, target: Path, cap: int) -> str | None:
        data = _read_capped(target, cap)
        if isinstance(data, str):
            self.problem(path, f"{_where(path)} {show(raw)} {data}")
            return None
        if b"\0" in data:
            self.problem(path, f"{_where(path)} {show(raw)} is a binary file, not text")
            return None
        decoded = _decode(data)
        if isinstance(decoded, tuple):
            mark, message = decoded
            self.problem(path, f"{_where(path)} {show(raw)} {message} at line {mark.line}")
            return None
        return decoded


def _normalized(raw: str) -> str:
    """raw (a relative path) as PurePosixPath(raw).as_posix() would print it."""
    return "/".join(_parts(raw)) or "."


def _parts(raw: str) -> list[str]:
    # PurePosixPath(raw).parts for a relative raw, without pathlib's cost (thousands of paths).
    return [part for part in raw.split("/") if part not in ("", ".")]


def _locate(raw: str, workspace: Path, folders: dict[str, str]) -> tuple[str, str]:
    """(the real path of the file inside workspace, "") or ("", why raw is refused: a phrase
    following the path).

    workspace is already resolved; folders remembers the real path of each folder resolved
    so far, so a manifest listing thousands of files resolves each folder once.
    """
    if "\0" in raw:
        return "", "contains a NUL character"
    if "\\" in raw:
        return "", "must use forward slashes (/)"
    if raw.startswith("/") or re.match(r"^[A-Za-z]:", raw):
        return "", "must be relative to the repository root, not absolute"
    parts = _parts(raw)
    if ".." in parts:
        return "", "must not contain '..': paths stay inside the repository"
    try:
        resolved = _resolve(workspace, parts, folders)
    except FileNotFoundError:
        if os.path.lexists(workspace.joinpath(*parts)):
            return "", "is a symlink to something that does not exist"
        return "", "does not exist in the repository"
    except (OSError, RuntimeError, ValueError):  # symlink loops, overlong names
        return "", "cannot be resolved (a symlink loop?)"
    if not resolved:
        return "", "leads outside the repository through a symlink"
    return resolved, ""


def _resolve(workspace: Path, parts: list[str], folders: dict[str, str]) -> str:
    """(workspace / parts).resolve(strict=True), or "" if that is outside workspace.

    Reuses the real path of the file's folder when known: the file itself, unless it is a
    symlink, then needs one lstat.
    """
    root = str(workspace)
    if parts:
        folder = "/".join(parts[:-1])
        real = folders.get(folder)
        if real is None:
            real = os.path.realpath(os.path.join(root, folder), strict=True)
            folders[folder] = real
        candidate = os.path.join(real, parts[-1])
        if not stat.S_ISLNK(os.lstat(candidate).st_mode):
            inside = candidate == root or candidate.startswith(root.rstrip("/") + "/")
            return candidate if inside else ""
    # A symlink, or the workspace itself: the full walk, which reports exactly as before.
    resolved = workspace.joinpath(*parts).resolve(strict=True)
    return str(resolved) if resolved.is_relative_to(workspace) else ""


# --------------------------------------------------------------------------- many manifests


def find_manifests(spec: str, workspace: Path) -> list[Path]:
    """The manifests named by spec: one path or glob per line (`**` recurses), in line order.

    Each glob's matches are sorted; duplicates are dropped; a line matching nothing, or a
    path leaving the workspace, is a ConfigError naming every such line.
    """
    root = _workspace(workspace)
    lines = [line.strip() for line in spec.splitlines() if line.strip()]
    if not lines:
        raise ConfigError(
            "No manifest given.", hint=f"Set manifest to a path or glob such as {DEFAULT_MANIFEST}."
        )
    found: list[Path] = []
    seen: set[str] = set()
    folders: dict[str, str] = {}
    failures: list[str] = []
    for line in lines:
        matches = _expand(line, root)
        if isinstance(matches, str):
            failures.append(f"{show(line)} {matches}")
            continue
        for match in matches:
            real, problem = _locate(match, root, folders)
            if problem:
                failures.append(f"{show(match)} {problem}")
            elif real not in seen:
                seen.add(real)
                found.append(root / _normalized(match))
    if failures:
        raise ConfigError(
            "Manifest " + "; ".join(failures) + ".",
            hint="Set manifest to paths or globs relative to the repository root.",
        )
    return found


def _expand(line: str, root: Path) -> list[str] | str:
    if PurePosixPath(line).is_absolute() or ".." in PurePosixPath(line).parts:
        return "must be relative to the repository root and stay inside it"
    if not glob.has_magic(line):
        if not (root / line).is_file():
            return "was not found"
        return [line]
    # root_dir keeps matches relative; hidden folders (.git, .venv) are skipped by default.
    matches = sorted(
        m for m in glob.glob(line, root_dir=root, recursive=True) if (root / m).is_file()
    )
    return matches or "matches no file"


# --------------------------------------------------------------------------- init


def propose_manifest(directory: Path, ctx: RepoContext) -> dict[str, Any]:
    """A starter manifest (manifest keys, in file order) for the sample in directory."""
    from publisher.manifest_init import propose

    return propose(directory, ctx)


def render_manifest_yaml(proposal: dict[str, Any]) -> str:
    """The text of a starter sample-exchange.yml, with the editor schema line first."""
    from publisher.manifest_init import render

    return render(proposal)
