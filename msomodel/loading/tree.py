"""``extends:``: a scenario names a base file whose keys it is merged over.

``extends:`` takes

* a path relative to the scenario's own folder (``common/base.yaml``), or an absolute path;
* ``msomodel:NAME``, a base shipped with the package: ``msomodel/bases/NAME.yaml``
  (e.g. ``msomodel:benchmarks/single_site``); see :func:`bases_dir` and :func:`packaged_bases`.

A base may itself extend another.  Each file's US-spelled keys (``license``, ``utilization``)
are renamed to the schema's before the files are merged (:mod:`msomodel.scenario.spelling`).
Merging: mappings merge key by key (but a mapping whose
``type`` differs from the base's replaces it, e.g. a flat fee replaced by a percentage fee);
lists of mappings whose items have a unique ``name`` merge item by item (an item with a new name
is appended); any other value is replaced.

An error in a base names the chain that led to it: ``client.yaml: extends common/base.yaml: ...``.
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from msomodel.errors import Problem, ScenarioError, clip, render
from msomodel.loading.yamlio import Mark, Parsed, Path_, parse_file
from msomodel.merge import deep_merge, plain
from msomodel.merge import is_named_list as _is_named_list  # noqa: F401  (re-exported)
from msomodel.scenario.spelling import BOTH, canonical_keys, canonical_parts

#: ``extends: msomodel:NAME`` names a packaged base.
PACKAGED_PREFIX = "msomodel:"
_PACKAGED_NAME = re.compile(r"^[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)*$")


def bases_dir() -> Path:
    """The folder of the packaged bases (``msomodel/bases``); tests replace this function."""
    return Path(__file__).resolve().parent.parent / "bases"


def packaged_bases() -> list[str]:
    """Names usable as ``extends: msomodel:NAME``, sorted."""
    folder = bases_dir()
    if not folder.is_dir():
        return []
    return sorted(p.relative_to(folder).with_suffix("").as_posix() for p in folder.rglob("*.yaml")
                  if _PACKAGED_NAME.match(p.relative_to(folder).with_suffix("").as_posix()))


def resolve_base(value: Any, owner: Path) -> Path | None:
    """The file that ``extends: value`` in ``owner`` names (a path relative to ``owner``'s
    folder, or ``msomodel:NAME``), or None where it names none."""
    return _resolve(value, owner)[0]


def _resolve(value: Any, owner: Path) -> tuple[Path | None, str]:
    """The file that ``extends: value`` (written in ``owner``) names, or None and why not."""
    if not isinstance(value, str) or not value.strip():
        return None, f"expected a file name or msomodel:NAME, found {clip(repr(value))}"
    if value.startswith(PACKAGED_PREFIX):
        name = value[len(PACKAGED_PREFIX):].removesuffix(".yaml")
        known = packaged_bases()
        path = bases_dir() / f"{name}.yaml"
        if _PACKAGED_NAME.match(name) and path.is_file():
            return path, ""
        listing = ", ".join(PACKAGED_PREFIX + k for k in known) if known else "none are installed"
        return None, f"expected a packaged base ({listing}), found {clip(repr(value))}"
    path = Path(value).expanduser()
    folder = Path(os.path.abspath(owner)).parent
    where = "" if path.is_absolute() else f" (relative to the scenario's folder {folder})"
    path = path if path.is_absolute() else folder / path
    if path.is_dir():
        return None, f"expected a file, found the folder {clip(repr(value))}{where}"
    if not path.is_file():
        return None, f"expected an existing file, found {clip(repr(value))}{where}"
    return path, ""


# --------------------------------------------------------------------------- the tree
@dataclass
class Tree:
    """A scenario file with its bases merged in.

    ``marks[path]`` is ``(chain, mark)``: the ``extends:`` names leading from the scenario to the
    file the value was read from (empty for the scenario itself), and where it is in that file.
    """

    path: Path
    data: dict[str, Any]
    raw: bytes
    marks: dict[Path_, tuple[tuple[str, ...], Mark]]

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.raw).hexdigest()


Cache = dict[Path, "Parsed | ScenarioError"]


def _parse(path: Path, cache: Cache | None) -> Parsed:
    key = path.resolve()
    hit = cache.get(key) if cache is not None else None
    if hit is None:
        try:
            hit = parse_file(path)
        except ScenarioError as exc:
            hit = exc
        if cache is not None:
            cache[key] = hit
    if isinstance(hit, ScenarioError):
        raise hit
    return hit


def _schema_keys(parsed: Parsed, name: str, chain: tuple[str, ...]) -> Parsed:
    """``parsed`` with its US-spelled keys in the schema's spelling, data and marks alike (a new
    Parsed: the cache keeps the file as read); a key given in both spellings is an error."""
    data, both = canonical_keys(parsed.data)
    if not both and data == parsed.data:
        return parsed
    marks = {canonical_parts(p): m for p, m in parsed.marks.items()}
    clashes = []
    for p, m in parsed.marks.items():
        schema = canonical_parts(p)
        if schema != p and schema in parsed.marks:  # both spellings in one mapping
            clashes.append(Problem(name, render(schema), BOTH.format(schema=schema[-1], us=p[-1]),
                                   chain, m.key_line or m.line, m.key_column or m.column))
    if both and not clashes:  # not located (cannot happen for a parsed file): still an error
        clashes = [Problem(name, render(path[:-1] + (schema,)), BOTH.format(schema=schema,
                                                                            us=path[-1]), chain)
                   for path, schema in both]
    if clashes:
        raise ScenarioError(clashes)
    return replace(parsed, data=data, marks=marks)


def load_tree(path: str | Path, *, cache: Cache | None = None) -> Tree:
    """Read ``path`` and every base it extends (each file parsed once), and merge them.

    ``cache`` (resolved path -> parsed file or its error) lets a run over many files that share
    bases parse each base once.  Raises ScenarioError, problems named after ``path``.
    """
    top = Path(path)
    name = str(top)
    chain: tuple[str, ...] = ()
    layers: list[tuple[tuple[str, ...], Parsed]] = []
    seen: list[Path] = []
    current = top
    while True:
        seen.append(current.resolve())
        try:
            parsed = _parse(current, cache)
        except ScenarioError as exc:
            if not chain:
                raise
            raise ScenarioError([replace(p, file=name, chain=chain + p.chain)
                                 for p in exc.problems]) from None
        parsed = _schema_keys(parsed, name, chain)
        layers.append((chain, parsed))
        if "extends" not in parsed.data:
            break
        value = parsed.data["extends"]
        mark = parsed.marks.get(("extends",))
        at = {"line": mark.line, "column": mark.column} if mark else {}
        base, why = _resolve(value, current)
        if base is None:
            raise ScenarioError([Problem(name, "extends", why, chain=chain, **at)])
        if base.resolve() in seen:
            cycle = " -> ".join([top.name, *chain, str(value)])
            raise ScenarioError([Problem(name, "extends", f"circular extends: {cycle}",
                                         chain=chain, **at)])
        chain = (*chain, str(value))
        current = base
    data: dict[str, Any] = {}
    marks: dict[Path_, tuple[tuple[str, ...], Mark]] = {}
    for layer_chain, parsed in reversed(layers):
        own = {k: v for k, v in parsed.data.items() if k != "extends"}
        data = deep_merge(data, own) if data else plain(own)
        marks.update({p: (layer_chain, m) for p, m in parsed.marks.items()
                      if not p or p[0] != "extends"})
    return Tree(top, data, layers[0][1].raw, marks)


def chain_files(path: str | Path) -> list[Path]:
    """The scenario file and the files it extends, resolved, as far as they can be read.

    Tolerant (for shipping a scenario to another machine): a chain that cannot be followed (bad
    YAML, a missing base, a cycle, a limit exceeded) stops there; packaged bases are included.
    The same bounded parser as :func:`load_tree` is used, so no input can make it hang.
    """
    chain: list[Path] = []
    current: Path | None = Path(path).resolve()
    while current is not None and current.is_file() and current not in chain:
        chain.append(current)
        try:
            data = parse_file(current).data
        except (ScenarioError, RecursionError, MemoryError):
            break
        base, _ = _resolve(data["extends"], current) if "extends" in data else (None, "")
        current = base.resolve() if base is not None else None
    return chain
