"""The local proposal behind `init`: name, type, paths, license and language tags from the files.

Private helper of ``publisher.manifest`` (call ``propose_manifest`` / ``render_manifest_yaml``).
"""

from __future__ import annotations

import os
import re
from collections import Counter
from pathlib import Path
from typing import Any

import yaml

from publisher.manifest import DEFAULT_MANIFEST, SCHEMA_ID, RepoContext

LICENSE_FILES = ("LICENSE", "LICENSE.md", "LICENSE.txt", "LICENCE", "LICENCE.md", "COPYING")
README_FILES = ("README.md", "readme.md", "Readme.md")
# Enough to recognise the languages of a sample; a huge tree is not walked to the end.
MAX_WALK = 5000
MAX_PATHS = 20
SKIP_DIRS = frozenset({"node_modules", "vendor", "__pycache__", "venv", "dist", "build"})

LANGUAGES = {
    ".ps1": "PowerShell",
    ".psm1": "PowerShell",
    ".psd1": "PowerShell",
    ".py": "Python",
    ".go": "Go",
    ".js": "JavaScript",
    ".mjs": "JavaScript",
    ".cjs": "JavaScript",
    ".ts": "TypeScript",
    ".java": "Java",
    ".sh": "Shell",
    ".bash": "Shell",
    ".rb": "Ruby",
    ".cs": "C#",
    ".rs": "Rust",
    ".kt": "Kotlin",
    ".php": "PHP",
    ".pl": "Perl",
    ".swift": "Swift",
    ".c": "C",
    ".cpp": "C++",
    ".cc": "C++",
    ".groovy": "Groovy",
    ".scala": "Scala",
    ".tf": "Terraform",
    ".bat": "Batch",
    ".cmd": "Batch",
    ".sql": "SQL",
    ".ipynb": "Jupyter Notebook",
}

# (SPDX id, phrases that must all appear), most specific first; texts are compared with
# whitespace collapsed and lower-cased, so line wrapping does not matter.
_LICENSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Apache-2.0", ("apache license", "version 2.0")),
    ("MPL-2.0", ("mozilla public license", "2.0")),
    ("AGPL-3.0-only", ("gnu affero general public license", "version 3")),
    ("LGPL-3.0-only", ("gnu lesser general public license", "version 3")),
    ("LGPL-2.1-only", ("gnu lesser general public license", "version 2.1")),
    ("GPL-3.0-only", ("gnu general public license", "version 3")),
    ("GPL-2.0-only", ("gnu general public license", "version 2")),
    ("BSD-3-Clause", ("redistribution and use in source and binary forms", "neither the name")),
    ("BSD-2-Clause", ("redistribution and use in source and binary forms",)),
    ("MIT", ("permission is hereby granted, free of charge",)),
    ("ISC", ("permission to use, copy, modify, and/or distribute this software for any purpose",)),
    ("Unlicense", ("this is free and unencumbered software released into the public domain",)),
    ("BSL-1.0", ("boost software license",)),
)
_SPDX_LINE = re.compile(r"SPDX-License-Identifier:\s*([A-Za-z0-9.+-]+)")


def detect_license(text: str) -> str | None:
    """The SPDX id of a license text, when it is one we recognise."""
    tagged = _SPDX_LINE.search(text)
    if tagged:
        return tagged.group(1)
    flat = " ".join(text.split()).lower()
    for spdx, phrases in _LICENSES:
        if all(phrase in flat for phrase in phrases):
            return spdx
    return None


def _license(directory: Path, workspace: Path) -> str | None:
    for folder in dict.fromkeys((directory, workspace)):
        for name in LICENSE_FILES:
            candidate = folder / name
            try:
                if candidate.is_file():
                    with candidate.open("rb") as f:
                        text = f.read(256 * 1024).decode("utf-8", "replace")
                    return detect_license(text)
            except OSError:
                continue
    return None


def _files(directory: Path) -> list[Path]:
    files: list[Path] = []
    for current, dirs, names in os.walk(directory):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        files.extend(Path(current) / n for n in sorted(names) if not n.startswith("."))
        if len(files) >= MAX_WALK:
            break
    return files[:MAX_WALK]


def _languages(files: list[Path]) -> list[str]:
    counts = Counter(LANGUAGES[f.suffix.lower()] for f in files if f.suffix.lower() in LANGUAGES)
    return [name for name, _ in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))]


def _name(directory: Path, ctx: RepoContext) -> str:
    folder = directory.name
    if directory == ctx.workspace.resolve() and ctx.repository:
        folder = ctx.repository.rsplit("/", 1)[-1]
    words = re.sub(r"[-_.]+", " ", folder).strip() or "My sample"
    return words[0].upper() + words[1:]


def _relative(path: Path, workspace: Path) -> str:
    try:
        return path.relative_to(workspace).as_posix()
    except ValueError:
        return path.name


def propose(directory: Path, ctx: RepoContext) -> dict[str, Any]:
    workspace = ctx.workspace.resolve()
    directory = directory.resolve()
    proposal: dict[str, Any] = {"name": _name(directory, ctx), "type": "REPOSITORY"}
    readme = next((directory / n for n in README_FILES if (directory / n).is_file()), None)
    if readme is not None:
        proposal["readme"] = _relative(readme, workspace)
    else:
        proposal["description"] = f"What {proposal['name']} does, and how to run it."
    if directory != workspace:
        proposal["paths"] = [_relative(directory, workspace)]
    else:  # the whole repository: list what is at its top, without the manifest itself
        skip = {DEFAULT_MANIFEST, *LICENSE_FILES, *README_FILES}
        top = sorted(
            p.name
            for p in directory.iterdir()
            if not p.name.startswith(".") and p.name not in skip and p.name not in SKIP_DIRS
        )
        if top:
            proposal["paths"] = top[:MAX_PATHS]
    license_id = _license(directory, workspace)
    if license_id:
        proposal["license"] = license_id
    languages = _languages(_files(directory))
    if languages:
        proposal["tags"] = [{"category": "Language", "name": n} for n in languages]
    return proposal


def render(proposal: dict[str, Any]) -> str:
    body = yaml.safe_dump(proposal, sort_keys=False, allow_unicode=True, width=100)
    return (
        f"# yaml-language-server: $schema={SCHEMA_ID}\n"
        "# Sample Exchange manifest: see the schema above for every key.\n"
        f"{body}"
        "# products:\n"
        '#   - {name: vSphere, version: "8.0"}\n'
    )
