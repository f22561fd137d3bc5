"""Scenario files: safe YAML loading, `extends:` variants, and errors written for people.

Every problem is reported as ``FILE: dotted.field.path: expected ..., found ...``.
A variant names its base with ``extends: base.yaml`` (relative to the variant's folder);
the base is loaded first and the variant's keys are merged over it before validation.
Mappings merge key by key (but a mapping whose ``type`` differs from the base's replaces it,
e.g. a flat fee replaced by a percentage fee); lists of mappings whose items have a ``name``
merge item by item (an item with a new name is appended); any other value is replaced.
"""

from __future__ import annotations

import difflib
import hashlib
import math
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from msomodel.errors import Problem, ScenarioError
from msomodel.merge import annotate as _annotate
from msomodel.merge import deep_merge
from msomodel.scenario import Scenario, SiteAssumptions


# --------------------------------------------------------------------------- YAML
class _UniqueKeyLoader(yaml.SafeLoader):
    """SafeLoader that rejects duplicate keys (a local subclass: the global loader is untouched)."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False):
    loader.flatten_mapping(node)
    result: dict[Any, Any] = {}
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in result:
            line = key_node.start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key '{key}' (line {line})", key_node.start_mark
            )
        result[key] = loader.construct_object(value_node, deep=deep)
    return result


_UniqueKeyLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping
)


def _read_yaml(path: Path) -> tuple[dict[str, Any], bytes]:
    name = str(path)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError([Problem(name, "", f"cannot read file: {exc.strerror}")]) from None
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_UniqueKeyLoader)  # noqa: S506 (safe subclass)
    except UnicodeDecodeError:
        raise ScenarioError([Problem(name, "", "expected UTF-8 text, found binary data")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        what = getattr(exc, "problem", None) or str(exc)
        raise ScenarioError([Problem(name, "", f"invalid YAML: {where}{what}")]) from None
    if data is None:
        raise ScenarioError([Problem(name, "", "expected a scenario mapping, found an empty file")])
    if not isinstance(data, dict):
        raise ScenarioError(
            [Problem(name, "", f"expected a mapping at the top level, found {type(data).__name__}")]
        )
    return data, raw


def _load_tree(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    path = path.resolve()
    if path in chain:
        cycle = " -> ".join(p.name for p in (*chain, path))
        raise ScenarioError([Problem(str(chain[0]), "extends", f"circular extends: {cycle}")])
    data, _ = _read_yaml(path)
    base_name = data.pop("extends", None)
    if base_name is None:
        return data
    if not isinstance(base_name, str):
        raise ScenarioError(
            [Problem(str(path), "extends", f"expected a file name, found {base_name!r}")]
        )
    base_path = path.parent / base_name
    if not base_path.is_file():
        raise ScenarioError(
            [Problem(str(path), "extends", f"expected an existing file, found '{base_name}'")]
        )
    return deep_merge(_load_tree(base_path, (*chain, path)), data)


# --------------------------------------------------------------------------- merging
def resolve_sites(scenario: Scenario) -> tuple[list[SiteAssumptions], list[dict[str, Any]]]:
    """Validate each site's merged assumptions; also return where each value came from."""
    base = scenario.site_defaults.model_dump(mode="python")
    base_paths = _annotate(base, "site_defaults")
    file = scenario.source_path or "<scenario>"
    resolved, provenance, problems = [], [], []
    for i, site in enumerate(scenario.sites):
        merged = deep_merge(base, site.overrides)
        try:
            resolved.append(SiteAssumptions.model_validate(merged))
        except ValidationError as exc:
            problems += _problems(file, exc, ("sites", i, "overrides"), SiteAssumptions)
            continue
        provenance.append(deep_merge(base_paths, _annotate(site.overrides, f"sites.{site.name}.overrides")))
    if problems:
        raise ScenarioError(problems)
    return resolved, provenance


# --------------------------------------------------------------------------- errors
def _fmt(value: Any) -> str:
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _expected(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in (err.get("ctx") or {}).items()}
    table = {
        "missing": "a value (this field is required)",
        "float_parsing": "a number",
        "float_type": "a number",
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "finite_number": "a finite number",
        "string_type": "text",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "too_short": "at least {min_length} item(s)",
        "too_long": "at most {max_length} item(s)",
        "string_too_short": "non-empty text",
        "string_pattern_mismatch": "text matching {pattern}",
        "greater_than_equal": "a value >= {ge}",
        "greater_than": "a value > {gt}",
        "less_than_equal": "a value <= {le}",
        "less_than": "a value < {lt}",
        "literal_error": "one of {expected}",
        "union_tag_invalid": "type one of {expected_tags}",
        "union_tag_not_found": "a 'type' field ({discriminator})",
    }
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == "^[^.]+$":
        return "a name without '.' (names are used in dotted input paths)"
    if kind in table:
        try:
            return table[kind].format(**ctx)
        except (KeyError, IndexError):
            return table[kind]
    return err["msg"][0].lower() + err["msg"][1:]


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found by walking ``loc`` (for 'did you mean' hints)."""
    current: Any = model
    for part in loc:
        if current is None:
            return []
        if isinstance(part, int) or not (isinstance(current, type) and issubclass(current, BaseModel)):
            args = getattr(current, "__args__", ()) or ()
            current = next((a for a in args if isinstance(a, type) and issubclass(a, BaseModel)), None)
            if isinstance(part, int):
                continue
        if current is None or part not in current.model_fields:
            return []
        ann = current.model_fields[part].annotation
        current = ann
        inner = getattr(ann, "__args__", ())
        models = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if isinstance(ann, type) and issubclass(ann, BaseModel):
            current = ann
        elif models:
            current = models[0]
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


_FEE_TAGS = {"flat", "percentage", "cost_plus", "tiered", "hybrid"}


def _drop_union_tags(loc: tuple[Any, ...]) -> tuple[Any, ...]:
    """pydantic puts the discriminator value in the location (``mso.fee.flat.x``); drop it."""
    return tuple(p for i, p in enumerate(loc) if not (i and loc[i - 1] == "fee" and p in _FEE_TAGS))


def _problems(file: str, exc: ValidationError, prefix: tuple[Any, ...], model: type[BaseModel]):
    out = []
    for err in exc.errors(include_url=False):
        loc = _drop_union_tags(tuple(err["loc"]))
        path = ".".join(str(p) for p in (*prefix, *loc))
        if err["type"] == "extra_forbidden":
            known = _fields_at(model, loc[:-1])
            hint = difflib.get_close_matches(str(loc[-1]), known, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            msg = f"expected a known field{extra}, found unknown field '{loc[-1]}'"
        elif err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
        elif err["type"] == "union_tag_invalid":
            path += "." + str(err["ctx"].get("discriminator", "type")).strip("'")
            msg = f"expected {_expected(err)}, found {_fmt(err['ctx'].get('tag'))}"
        elif err["type"] == "missing":
            msg = "expected a value (this field is required), found nothing"
        else:
            msg = f"expected {_expected(err)}, found {_fmt(err.get('input'))}"
        out.append(Problem(file, path, msg))
    return out


# --------------------------------------------------------------------------- public API
def load_scenario(path: str | Path) -> Scenario:
    """Load, merge (`extends:`) and validate a scenario file.

    Raises
    ------
    ScenarioError
        With one ``FILE: dotted.path: expected ..., found ...`` line per problem.
    """
    path = Path(path)
    if not path.is_file():
        raise ScenarioError([Problem(str(path), "", "expected a scenario file, found no such file")])
    _, raw = _read_yaml(path)
    data = _load_tree(path)
    return scenario_from_dict(data, source=str(path), sha256=hashlib.sha256(raw).hexdigest())


def scenario_from_dict(data: dict[str, Any], *, source: str = "<dict>", sha256: str | None = None) -> Scenario:
    """Validate a scenario given as a mapping (e.g. built in a notebook)."""
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise ScenarioError(_problems(source, exc, (), Scenario)) from None
    scenario._source_path = source
    scenario._sha256 = sha256
    scenario._resolved, scenario._provenance = resolve_sites(scenario)  # named errors, now
    return scenario
