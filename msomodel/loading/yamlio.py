"""Reading one YAML file: bounded, safe, parsed once, with the line and column of every value.

Limits (each can be changed with an environment variable of the same name, read at each load;
tests set small ones):

=============================  =========  ===================================================
``MSOMODEL_MAX_FILE_BYTES``    2 MiB      size of one file (the bundled scenarios are < 10 kB)
``MSOMODEL_MAX_YAML_NODES``    200 000    values after expanding aliases (``*name``): a
                                          700-byte "billion laughs" file expands to 10^9
``MSOMODEL_MAX_YAML_DEPTH``    50         nesting of mappings and lists (scenarios use < 10)
=============================  =========  ===================================================

The C parser (libyaml) is used when PyYAML has it, else the pure-Python one; both go through
:class:`yaml.SafeConstructor` (no tags that run code) with duplicate keys rejected.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Hashable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from msomodel.errors import Problem, ScenarioError, clip
from msomodel.merge import ReplaceDict, ReplaceList

#: Defaults of the limits; see the module docstring.
LIMITS = {
    "MSOMODEL_MAX_FILE_BYTES": 2 * 1024 * 1024,
    "MSOMODEL_MAX_YAML_NODES": 200_000,
    "MSOMODEL_MAX_YAML_DEPTH": 50,
}


def limit(name: str) -> int:
    """The limit ``name`` (a key of :data:`LIMITS`), from the environment when set there."""
    text = os.environ.get(name)
    if text is None:
        return LIMITS[name]
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise ValueError(f"{name}: expected a whole number >= 1, found {clip(repr(text))}")
    return value


# --------------------------------------------------------------------------- loaders
def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if not isinstance(key, Hashable):
            raise yaml.constructor.ConstructorError(
                None, None, "expected a text key, found a list or mapping", key_node.start_mark)
        if key in result:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {clip(repr(key))}", key_node.start_mark)
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


def _construct_replace(loader: yaml.SafeLoader, node: yaml.Node) -> Any:
    """``!replace`` on a list or mapping: it replaces the base's instead of merging with it."""
    if isinstance(node, yaml.SequenceNode):
        return ReplaceList(loader.construct_object(v, deep=True) for v in node.value)
    if isinstance(node, yaml.MappingNode):
        return ReplaceDict(_construct_mapping(loader, node, deep=True))
    raise yaml.constructor.ConstructorError(
        None, None, "!replace goes on a list or a mapping (e.g. sites: !replace [...])",
        node.start_mark)


class PureLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (a subclass: the global loader is untouched)."""


PureLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
PureLoader.add_constructor("!replace", _construct_replace)

if getattr(yaml, "__with_libyaml__", False):
    class CLoader(yaml.CSafeLoader):
        """CSafeLoader (libyaml) that rejects duplicate keys."""

    CLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)
    CLoader.add_constructor("!replace", _construct_replace)
    FastLoader: type = CLoader
else:  # pragma: no cover - PyYAML built without libyaml
    FastLoader = PureLoader


# --------------------------------------------------------------------------- parsed files
class Mark(NamedTuple):
    """1-based line and column of a value, and of its key when it has one."""

    line: int
    column: int
    key_line: int | None = None
    key_column: int | None = None


#: A path in a YAML document: mapping keys, ``"[name]"`` for an item of a list of named
#: mappings, an int index for other list items.
Path_ = tuple[Any, ...]


@dataclass
class Parsed:
    """One file: its data, bytes and where each value is (``marks[path]``)."""

    path: Path
    data: dict[str, Any]
    raw: bytes
    marks: dict[Path_, Mark] = field(default_factory=dict)

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


def _fail(name: str, message: str, line: int | None = None, column: int | None = None):
    raise ScenarioError([Problem(name, "", message, line=line, column=column)])


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def check_size(name: str, root: yaml.Node) -> None:
    """Reject a document that expands (aliases followed) to too many values or nests too deep.

    Walks each distinct node once (memoised), so it is fast even for an alias bomb.
    """
    max_nodes = limit("MSOMODEL_MAX_YAML_NODES")
    max_depth = limit("MSOMODEL_MAX_YAML_DEPTH")
    memo: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        nid = id(node)
        if done:
            kids = [memo[id(k)] for k in _children(node)]
            count = 1 + sum(c for c, _ in kids)
            depth = 1 + max((d for _, d in kids), default=0)
            if count > max_nodes:
                _fail(name, f"expected at most {max_nodes} values after expanding aliases "
                      "(*name), found more (limit: MSOMODEL_MAX_YAML_NODES)",
                      node.start_mark.line + 1, node.start_mark.column + 1)
            if depth > max_depth:
                _fail(name, f"expected lists and mappings nested at most {max_depth} deep, found "
                      "deeper (limit: MSOMODEL_MAX_YAML_DEPTH)",
                      node.start_mark.line + 1, node.start_mark.column + 1)
            memo[nid] = (count, depth)
            open_.discard(nid)
            continue
        if nid in memo:
            continue
        open_.add(nid)
        stack.append((node, True))
        for kid in _children(node):
            if id(kid) in open_:
                _fail(name, "expected a tree, found an alias (*name) inside its own anchor",
                      kid.start_mark.line + 1, kid.start_mark.column + 1)
            if id(kid) not in memo:
                stack.append((kid, False))


def _item_name(node: yaml.Node) -> str | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for key, value in node.value:
        if isinstance(key, yaml.ScalarNode) and key.value == "name" and isinstance(value, yaml.ScalarNode):
            return value.value
    return None


def node_marks(root: yaml.Node) -> dict[Path_, Mark]:
    """Where each value is, by path (items of lists of uniquely named mappings by name)."""
    marks: dict[Path_, Mark] = {}
    stack: list[tuple[yaml.Node, Path_, Mark]] = [
        (root, (), Mark(root.start_mark.line + 1, root.start_mark.column + 1))]
    while stack:
        node, path, mark = stack.pop()
        marks.setdefault(path, mark)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                if not isinstance(key, yaml.ScalarNode):
                    continue
                m = Mark(value.start_mark.line + 1, value.start_mark.column + 1,
                         key.start_mark.line + 1, key.start_mark.column + 1)
                stack.append((value, (*path, key.value), m))
        elif isinstance(node, yaml.SequenceNode):
            names = [_item_name(item) for item in node.value]
            named = bool(names) and None not in names and len(set(names)) == len(names)
            for i, item in enumerate(node.value):
                m = Mark(item.start_mark.line + 1, item.start_mark.column + 1)
                stack.append((item, (*path, f"[{names[i]}]" if named else i), m))
    return marks


def _read_bytes(path: Path) -> bytes:
    name = str(path)
    max_bytes = limit("MSOMODEL_MAX_FILE_BYTES")
    try:
        with path.open("rb") as fh:
            raw = fh.read(max_bytes + 1)
    except OSError as exc:
        _fail(name, f"cannot read file: {exc.strerror or exc}")
    if len(raw) > max_bytes:
        _fail(name, f"expected a file of at most {max_bytes} bytes, found a larger one "
              "(limit: MSOMODEL_MAX_FILE_BYTES)")
    return raw


def not_utf8(raw: bytes, exc: UnicodeDecodeError) -> str:
    """What a file that is not UTF-8 holds, and where: UTF-16 text, or the first bad byte."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "expected UTF-8 text, found UTF-16 text (save the file as UTF-8)"
    line = raw[:exc.start].count(b"\n") + 1
    return (f"expected UTF-8 text, found a byte that is not UTF-8 (0x{raw[exc.start]:02x} at "
            f"byte {exc.start}, line {line}; save the file as UTF-8)")


def parse_file(path: Path, *, loader: type | None = None) -> Parsed:
    """Read and parse one YAML file whose top level is a mapping (raises ScenarioError)."""
    name = str(path)
    raw = _read_bytes(path)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        _fail(name, not_utf8(raw, exc))
    ldr = (loader or FastLoader)(text)
    try:
        root = ldr.get_single_node()
        if root is not None:
            check_size(name, root)
            data = ldr.construct_document(root)
        else:
            data = None
    except ScenarioError:
        raise
    except yaml.reader.ReaderError as exc:  # e.g. a NUL byte: the reader gives a position
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        _fail(name, f"invalid YAML: line {line}, column {column}: unacceptable character "
              f"#x{ord(exc.character) if isinstance(exc.character, str) else exc.character:04x}"
              f" ({exc.reason})")
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        what = f"{what} ({context})" if context and getattr(exc, "problem", None) else what
        _fail(name, f"invalid YAML: {where}{clip(str(what), 200)}")
    except RecursionError:
        _fail(name, "invalid YAML: nested too deeply to read "
              f"(limit: MSOMODEL_MAX_YAML_DEPTH = {limit('MSOMODEL_MAX_YAML_DEPTH')})")
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. a !!timestamp that is no date
        what = str(exc)
        if "integer string conversion" in what:
            what = "a number too long to read (more than 4300 digits)"
        _fail(name, f"invalid YAML: {clip(what, 200)}")
    finally:
        ldr.dispose()
    if data is None:
        _fail(name, "expected a scenario mapping, found an empty file")
    if not isinstance(data, dict):
        _fail(name, f"expected a mapping at the top level, found {type(data).__name__}")
    return Parsed(path, data, raw, node_marks(root))
