"""Every input of a scenario with its unit and source, for the report's assumptions appendix.

Sources are written beside figures in scenario files, either as a ``source:`` field of the item
or as a trailing ``# comment`` on the value's line.  YAML parsers drop comments, so this module
reads the node tree of each file in the ``extends:`` chain (PyYAML's ``compose`` keeps line
numbers) and attaches each line's comment to the dotted path of the value on it.  Units come
from the schema's field descriptions (the ``[...]`` part).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from pydantic import BaseModel

from msomodel.loading.tree import resolve_base
from msomodel.scenario import Scenario
from msomodel.scenario.exit import exit_band
from msomodel.scenario.tax import tax_default

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

_UNIT = re.compile(r"\[([^\]]+)\]")
_SKIP = ("name", "source", "kind", "description", "uncertainty", "infeasible")


@dataclass(frozen=True)
class Assumption:
    path: str
    value: Any
    unit: str
    source: str


def _comments(text: str) -> dict[int, str]:
    """Trailing or whole-line comment text by 0-based line number."""
    out = {}
    for i, line in enumerate(text.splitlines()):
        # a '#' preceded by whitespace, outside quotes (good enough for scenario files)
        match = re.search(r"(^|\s)#\s?(.*)$", line)
        if match and line.count('"', 0, match.start()) % 2 == 0:
            out[i] = match.group(2).strip()
    return out


def _walk(node: yaml.Node, prefix: str, comments: dict[int, str], out: dict[str, str],
          inherited: str | None) -> None:
    if isinstance(node, yaml.MappingNode):
        own = next((v.value for k, v in node.value
                    if isinstance(v, yaml.ScalarNode) and k.value == "source"), None)
        source = own or inherited
        for key, value in node.value:
            path = f"{prefix}.{key.value}" if prefix else str(key.value)
            line_comment = comments.get(key.start_mark.line) or (
                comments.get(value.end_mark.line) if _on_its_line(value) else None)
            if isinstance(value, yaml.ScalarNode):
                text = line_comment or source
                if text:
                    out[path] = text
            else:
                _walk(value, path, comments, out, line_comment or source)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            label = i
            if isinstance(item, yaml.MappingNode):
                name = next((v.value for k, v in item.value if k.value == "name"), None)
                label = name if name is not None else i
            _walk(item, f"{prefix}.{label}", comments, out,
                  comments.get(item.start_mark.line) or inherited)


def _on_its_line(node: yaml.Node) -> bool:
    """True for a value whose trailing comment is at its end: one written on its key's line or
    in flow style (``{...}``, ``[...]``, a multi-line quoted string).  A block mapping, list or
    ``|``/``>`` text ends where the next key starts, and its first line is its first child's:
    neither line's comment is its own."""
    if isinstance(node, yaml.ScalarNode):
        return node.style not in ("|", ">")
    return bool(getattr(node, "flow_style", False))


#: Parser of :func:`file_sources` (it needs the nodes' lines only): libyaml's when PyYAML has it.
COMPOSER: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def file_sources(path: str | Path) -> dict[str, str]:
    """Dotted path -> source text for one file and the files it extends (variant wins)."""
    path = Path(path).resolve()
    text = path.read_text(encoding="utf-8")
    node = yaml.compose(text, Loader=COMPOSER)
    out: dict[str, str] = {}
    if isinstance(node, yaml.MappingNode):
        base = next((v.value for k, v in node.value if k.value == "extends"), None)
        found = resolve_base(base, path) if base is not None else None
        if found is not None:
            out.update(file_sources(found))
        _walk(node, "", _comments(text), out, None)
    return out


def _unit(model: type[BaseModel], field: str) -> str:
    info = model.model_fields.get(field)
    found = _UNIT.search(info.description or "") if info else None
    return found.group(1) if found else ""


def _leaves(obj: Any, prefix: str, model: Any, out: list[tuple[str, Any, str]]) -> None:
    if isinstance(obj, BaseModel):
        for name in type(obj).model_fields:
            if name in _SKIP:
                continue
            value = getattr(obj, name)
            path = f"{prefix}.{name}" if prefix else name
            if isinstance(value, (BaseModel, list, dict)):
                _leaves(value, path, value, out)
            elif value is not None and not isinstance(value, str):
                out.append((path, value, _unit(type(obj), name)))
    elif isinstance(obj, list):
        for i, item in enumerate(obj):
            label = item.get("name", i) if isinstance(item, dict) else getattr(item, "name", i)
            _leaves(item, f"{prefix}.{label}", item, out)
    elif isinstance(obj, dict):
        for key, item in obj.items():
            if isinstance(item, (BaseModel, list, dict)):
                _leaves(item, f"{prefix}.{key}", item, out)
            elif key not in _SKIP and item is not None and not isinstance(item, str):
                out.append((f"{prefix}.{key}", item, "fraction" if "absorbed" in prefix
                            or "replaces" in prefix else ""))


def collect(scenario: Scenario) -> list[Assumption]:
    """Every numeric or yes/no input of the scenario, with its unit and source.

    Values set nowhere in the file are the model's defaults and say so; values set without a
    source say "assumption (no source given)".
    """
    sources = file_sources(scenario.source_path) if scenario.source_path and Path(
        scenario.source_path).is_file() else {}
    rows: list[tuple[str, Any, str]] = []
    _leaves(scenario, "", scenario, rows)
    units = {p.removeprefix("site_defaults."): u for p, _, u in rows if p.startswith("site_defaults.")}
    rows = [(p, v, u or units.get(p.split(".overrides.", 1)[-1], "")) for p, v, u in rows]
    given = _given_paths(scenario)
    out = []
    for path, value, unit in rows:
        if path in sources:
            source = sources[path]
        elif path in given:
            source = "assumption (no source given)"
        else:
            source = "model default"
        out.append(Assumption(path, value, unit, source))
    if scenario.finance.exit_multiple is None:  # the default is a sourced band, not a constant
        band = exit_band(scenario)
        out.append(Assumption("finance.exit_multiple", band.value, "x",
                              f"default for {band.label} ({band.source})"))
    if scenario.finance.tax_rate is None:  # the default follows the owner's state
        tax = tax_default(scenario)
        out.append(Assumption("finance.tax_rate", tax.value, "fraction", f"default: {tax.source}"))
    return out


def _given_paths(scenario: Scenario) -> set[str]:
    """Dotted paths set explicitly in the file (or its bases), named list items by name (from
    the file as it was loaded, else read again)."""
    if not scenario.source_path or not Path(scenario.source_path).is_file():
        return set()

    found: set[str] = set()

    def walk(obj: Any, prefix: str) -> None:
        if isinstance(obj, dict):
            for k, v in obj.items():
                walk(v, f"{prefix}.{k}" if prefix else str(k))
        elif isinstance(obj, list):
            for i, v in enumerate(obj):
                label = v.get("name", i) if isinstance(v, dict) else i
                walk(v, f"{prefix}.{label}")
        else:
            found.add(prefix)

    tree = scenario._tree
    if tree is None:
        from msomodel.loader import _load_tree

        tree = _load_tree(Path(scenario.source_path))
    walk(tree, "")
    return found


def table(scenario: Scenario) -> pd.DataFrame:
    """The assumptions as a DataFrame: input, value, unit, source."""
    rows = [{"input": a.path, "value": a.value, "unit": a.unit, "source": a.source}
            for a in collect(scenario)]
    return pd.DataFrame(rows, columns=["input", "value", "unit", "source"])


#: What each input rests on, for a reader: the keys of :func:`source_counts`.
SOURCE_KINDS = {"sourced": "cite a published source", "assumption": "are marked assumptions",
                "own": "are set in the scenario without a source (the client's own figures)",
                "default": "are the model's defaults"}


def source_kind(source: str) -> str:
    """``sourced``, ``assumption``, ``own`` (set without a source) or ``default``."""
    if source == "model default":
        return "default"
    if source == "assumption (no source given)":
        return "own"
    if source.lower().startswith("assumption"):
        return "assumption"
    return "sourced"


def source_counts(frame: pd.DataFrame) -> dict[str, int]:
    """How many inputs of :func:`table` rest on each kind of source."""
    kinds = [source_kind(str(s)) for s in frame["source"]]
    return {k: kinds.count(k) for k in SOURCE_KINDS}
