"""Safe YAML for manifests: plain data only, every node's place kept, nothing expands unboundedly.

Part of ``publisher.manifest`` (the public module); nothing here raises for bad input: problems
come back as (Mark, message) pairs so the caller can report every one at once.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import yaml
from yaml.composer import Composer
from yaml.constructor import SafeConstructor
from yaml.events import AliasEvent
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode
from yaml.resolver import Resolver

# An honest manifest uses a handful of aliases at most; billion-laughs documents need many
# aliases or expand to a huge tree, so both are capped (the second while converting, before
# anything is expanded in memory).
MAX_ALIASES = 100
MAX_NODES = 10_000
MAX_DEPTH = 64

JsonPath = tuple[str | int, ...]

_TAG = "tag:yaml.org,2002:"
_STR, _INT, _FLOAT, _BOOL, _NULL = (_TAG + t for t in ("str", "int", "float", "bool", "null"))
_SEQ, _MAP, _MERGE = _TAG + "seq", _TAG + "map", _TAG + "merge"


@dataclass(frozen=True)
class Mark:
    """A 1-based line and column."""

    line: int
    col: int


@dataclass
class Loaded:
    """A parsed document: the plain value, where each value and key starts, and the problems."""

    value: Any = None
    values: dict[JsonPath, Mark] = field(default_factory=dict)
    keys: dict[JsonPath, Mark] = field(default_factory=dict)
    # The source text of scalars that did not load as strings, for "quote it" hints.
    raw: dict[JsonPath, str] = field(default_factory=dict)
    # Paths whose value was dropped because of a YAML-level problem (no schema error on top).
    bad: set[JsonPath] = field(default_factory=set)
    problems: list[tuple[Mark, str]] = field(default_factory=list)
    root: Mark = Mark(1, 1)


class _Refused(Exception):
    """The document is too big or too deep to look at further."""

    def __init__(self, mark: Mark, message: str) -> None:
        super().__init__(message)
        self.mark = mark
        self.message = message


class _NotSure(Exception):
    """The fast path might place or read this document differently: use the reference one."""


def _mark(node: Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


class _Limits:
    """Counts aliases and nesting while composing (construction is ours, see _Converter)."""

    _aliases = 0
    _depth = 0

    def compose_node(self, parent: Node | None, index: Any) -> Node | None:
        loader: Any = self
        if loader.check_event(AliasEvent):
            self._aliases += 1
            if self._aliases > MAX_ALIASES:
                m = loader.peek_event().start_mark
                raise _Refused(
                    Mark(m.line + 1, m.column + 1),
                    f"more than {MAX_ALIASES} aliases (*name): refusing a possible alias bomb",
                )
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                m = loader.peek_event().start_mark
                raise _Refused(
                    Mark(m.line + 1, m.column + 1),
                    f"nested more than {MAX_DEPTH} levels deep",
                )
            node: Node | None = super().compose_node(parent, index)  # type: ignore[misc]
            return node
        finally:
            self._depth -= 1


class _Loader(_Limits, yaml.SafeLoader):
    """The pure-Python SafeLoader: the reference behaviour and every message's wording."""


# The fast path: libyaml's C parser makes the events, PyYAML's own Python composer (with the
# limits above) builds the nodes, so composing, marks and tags are the reference code's. Only
# the scanner and parser are C; a document they reject is parsed again by _Loader (see parse).
_CLoader: type[Any] | None = None
if yaml.__with_libyaml__:
    from yaml._yaml import CParser

    class _CLoaderImpl(_Limits, CParser, Composer, Resolver):
        def __init__(self, stream: str) -> None:
            CParser.__init__(self, stream)
            Composer.__init__(self)
            Resolver.__init__(self)
            # PyYAML reads every `?` in a flow collection as a key indicator, libyaml only
            # one followed by a space.
            self._question = "?" in stream

        # CParser's own node methods compose in C, with no limits: use the Python composer's.
        check_node = Composer.check_node
        get_node = Composer.get_node
        get_single_node = Composer.get_single_node

        def compose_scalar_node(self, anchor: Any) -> ScalarNode:
            # libyaml places some empty values (`{x: }`) elsewhere than PyYAML does, and
            # reads a lone `!` as text where PyYAML reads it as null.
            event: Any = self.peek_event()
            if not event.value:
                raise _NotSure
            node: ScalarNode = Composer.compose_scalar_node(self, anchor)
            return node

        def compose_sequence_node(self, anchor: Any) -> SequenceNode:
            self._check_flow()
            node: SequenceNode = Composer.compose_sequence_node(self, anchor)
            return node

        def compose_mapping_node(self, anchor: Any) -> MappingNode:
            self._check_flow()
            node: MappingNode = Composer.compose_mapping_node(self, anchor)
            return node

        def _check_flow(self) -> None:
            event: Any = self.peek_event()
            if self._question and event.flow_style:
                raise _NotSure

    _CLoader = _CLoaderImpl


# YAML 1.1 would turn `2024-01-01` into a date and `=` into a "value" node: neither is JSON,
# and a manifest wants them as text.
_RESOLVERS = {
    first: [(tag, rx) for tag, rx in resolvers if tag not in (_TAG + "timestamp", _TAG + "value")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
_Loader.yaml_implicit_resolvers = _RESOLVERS
if _CLoader is not None:
    _CLoader.yaml_implicit_resolvers = _RESOLVERS

_SCALARS = SafeConstructor()


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_TAG) :] if tag.startswith(_TAG) else tag


def show(value: object, limit: int = 60) -> str:
    """A quoted, one-line, bounded rendering of untrusted text for messages."""
    text = repr(value) if isinstance(value, str) else repr(str(value))
    return text if len(text) <= limit else text[: limit - 4] + "...'"


class _Converter:
    def __init__(self, out: Loaded) -> None:
        self.out = out
        self.count = 0
        self.active: set[int] = set()

    def problem(self, node: Node, message: str, path: JsonPath | None = None) -> None:
        self.out.problems.append((_mark(node), message))
        if path is not None:
            self.out.bad.add(path)

    def convert(self, node: Node, path: JsonPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise _Refused(
                _mark(node),
                f"the document expands to more than {MAX_NODES} values: "
                "refusing a possible alias bomb",
            )
        if depth > MAX_DEPTH:
            raise _Refused(_mark(node), f"nested more than {MAX_DEPTH} levels deep")
        self.out.values.setdefault(path, _mark(node))
        if isinstance(node, ScalarNode):
            return self.scalar(node, path)
        if id(node) in self.active:
            raise _Refused(_mark(node), "an alias refers to a node that contains it (recursion)")
        self.active.add(id(node))
        try:
            if isinstance(node, SequenceNode) and node.tag == _SEQ:
                return [
                    self.convert(item, (*path, i), depth + 1) for i, item in enumerate(node.value)
                ]
            if isinstance(node, MappingNode) and node.tag == _MAP:
                return self.mapping(node, path, depth)
            self.problem(node, f"tag {show(_short_tag(node.tag))} is not allowed", path)
            return None
        finally:
            self.active.discard(id(node))

    def mapping(self, node: MappingNode, path: JsonPath, depth: int) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                self.problem(key_node, "merge keys ('<<') are not supported: write the keys out")
                continue
            if not (isinstance(key_node, ScalarNode) and key_node.tag == _STR):
                shown = key_node.value if isinstance(key_node, ScalarNode) else None
                self.problem(
                    key_node,
                    f"key {show(shown)} must be text: quote it"
                    if isinstance(shown, str)
                    else "a key must be text, not a list or mapping",
                )
                continue
            key: str = key_node.value
            if key in result:
                first = self.out.keys[(*path, key)]
                self.problem(key_node, f"duplicate key {show(key)} (first at line {first.line})")
                continue
            self.out.keys[(*path, key)] = _mark(key_node)
            result[key] = self.convert(value_node, (*path, key), depth + 1)
        return result

    def scalar(self, node: ScalarNode, path: JsonPath) -> Any:
        tag = node.tag
        if tag == _STR:
            return node.value
        if tag not in (_INT, _FLOAT, _BOOL, _NULL):
            self.problem(node, f"tag {show(_short_tag(tag))} is not allowed", path)
            return None
        self.out.raw[path] = node.value
        try:
            if tag == _INT:
                return _SCALARS.construct_yaml_int(node)
            if tag == _BOOL:
                return _SCALARS.construct_yaml_bool(node)
            if tag == _NULL:
                return None
            number = _SCALARS.construct_yaml_float(node)
        except (ValueError, KeyError, IndexError, OverflowError):
            # Explicit tags such as `!!int abc`, or integers longer than Python will parse.
            self.problem(node, f"{show(node.value)} is not a valid {_short_tag(tag)[2:]}", path)
            return None
        if not math.isfinite(number):
            self.problem(node, f"{show(node.value)} is not a finite number", path)
            return None
        return number


def parse(text: str) -> Loaded:
    """Parse one YAML document into plain data plus marks; problems are collected, never raised.

    A document libyaml reads cleanly is taken from the fast path; anything it refuses (and
    anything the pure-Python reader would refuse) goes through _Loader, so every problem is
    found and worded exactly as PyYAML's reference code does.
    """
    fast = _fast(text)
    if fast is not None and not fast.problems:
        return fast
    return _parse_with(_Loader, text)


# Text the two readers treat differently goes straight to the reference path: what the
# pure-Python reader refuses (libyaml differs on a few), a BOM inside the text (libyaml skips
# it, PyYAML reads it as text), tabs and `|#` (libyaml accepts some that PyYAML refuses).
_UNSURE = re.compile(yaml.reader.Reader.NON_PRINTABLE.pattern + "|[\t\ufeff]|[|>][-+0-9]*#")


def _fast(text: str) -> Loaded | None:
    """The fast path's reading, or None where it might differ from the reference's."""
    if _CLoader is None or _UNSURE.search(text):
        return None
    try:
        return _parse_with(_CLoader, text)
    except _NotSure:
        return None


def _parse_with(loader_class: type[Any], text: str) -> Loaded:
    out = Loaded()
    try:
        loader = loader_class(text)
    except yaml.reader.ReaderError as e:  # characters YAML forbids, found before parsing
        out.problems.append((_position(text, e.position), f"YAML: {_reader_reason(e)}"))
        return out
    try:
        root = loader.get_single_node()
        if root is None:
            return out
        out.root = _mark(root)
        out.value = _Converter(out).convert(root, (), 0)
    except _Refused as e:
        out.problems.append((e.mark, e.message))
        out.value = None
    except yaml.MarkedYAMLError as e:
        out.problems.append(_syntax_problem(e))
        out.value = None
    except yaml.reader.ReaderError as e:
        out.problems.append((_position(text, e.position), f"YAML: {_reader_reason(e)}"))
        out.value = None
    finally:
        loader.dispose()
    return out


def _reader_reason(e: yaml.reader.ReaderError) -> str:
    char = e.character
    code = ord(char) if isinstance(char, str) else char
    return f"character U+{code:04X} is not allowed in YAML"


def _position(text: str, index: int) -> Mark:
    line = text.count("\n", 0, index) + 1
    return Mark(line, index - (text.rfind("\n", 0, index) + 1) + 1)


def _syntax_problem(e: yaml.MarkedYAMLError) -> tuple[Mark, str]:
    where = e.problem_mark or e.context_mark
    mark = Mark(where.line + 1, where.column + 1) if where is not None else Mark(1, 1)
    message = f"YAML syntax error: {e.problem or e.context or 'unreadable'}"
    if e.context and e.problem and e.context_mark is not None:
        message += f" ({e.context} at line {e.context_mark.line + 1})"
    return mark, message
