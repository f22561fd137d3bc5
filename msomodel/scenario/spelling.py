"""US spellings of the scenario's keys: ``license`` for ``licence``, ``utilization`` for
``utilisation``, ``trigger_utilization`` for ``trigger_utilisation``.

The schema's keys keep the spelling they were first written with (files, JSON and code use
them), and a file may use either: :func:`canonical_keys` renames a key to the schema's spelling
wherever the schema has a field of that name (so an opex item a user names ``license`` stays
``license``), and :func:`canonical_path` does the same for a dotted input path
(``site_defaults.capacity.utilization``).  The US form of a key is :func:`us_key`, made from
:data:`msomodel.formatting.US_SPELLING`, the same words the labels use; no list is kept here.

Each file of an ``extends:`` chain is renamed before the chain is merged, so a base's
``licence`` and a scenario's ``license`` are one key.  A mapping giving both spellings of a key
is an error (which one was meant is not known).
"""

import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from pydantic import BaseModel

from msomodel.formatting import US_SPELLING

#: ``(model, field)`` pairs whose value is free-form but has the shape of another model:
#: a site's ``overrides`` is partial site assumptions (``site_defaults``' shape).
_SAME_SHAPE = {("Site", "overrides"): "SiteAssumptions"}


def us_key(key: str) -> str:
    """The key in US spelling: ``trigger_utilisation`` -> ``trigger_utilization``."""
    return "_".join(US_SPELLING.get(w, w) for w in key.split("_"))


@dataclass
class _Shape:
    """Where renames apply: a model's ``fields`` (each with its value's shape, None for a plain
    value) and ``renames`` (US key -> schema key); or, with ``each``, a list or mapping whose
    every item or value has that shape."""

    fields: dict[str, "_Shape | None"] = field(default_factory=dict)
    renames: dict[str, str] = field(default_factory=dict)
    each: "_Shape | None" = None


def _models(annotation: Any) -> Iterable[Any]:
    """The parts of an annotation: Annotated and unions taken apart."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        yield from _models(typing.get_args(annotation)[0])
    elif origin in (typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            yield from _models(arg)
    else:
        yield annotation


def _merge(shapes: list["_Shape | None"]) -> "_Shape | None":
    """One shape for a union (e.g. the fee types): the fields and renames of every member."""
    found = [s for s in shapes if s is not None]
    if not found:
        return None
    if len(found) == 1:
        return found[0]
    out = _Shape(each=_merge([s.each for s in found]))
    for s in found:
        out.renames.update(s.renames)
        for name, sub in s.fields.items():
            out.fields[name] = _merge([out.fields.get(name), sub])
    return out


def _shape_of(annotation: Any, models: dict[str, type[BaseModel]],
              done: dict[type, _Shape]) -> "_Shape | None":
    shapes: list[_Shape | None] = []
    for part in _models(annotation):
        origin = typing.get_origin(part)
        if isinstance(part, type) and issubclass(part, BaseModel):
            shapes.append(_model_shape(part, models, done))
        elif origin in (list, tuple, dict):
            args = typing.get_args(part)
            inner = args[-1] if args else Any
            sub = _shape_of(inner, models, done)
            shapes.append(None if sub is None else _Shape(each=sub))
    return _merge(shapes)


def _model_shape(model: type[BaseModel], models: dict[str, type[BaseModel]],
                 done: dict[type, _Shape]) -> _Shape:
    if model in done:
        return done[model]
    shape = done[model] = _Shape()
    names = set(model.model_fields)
    shape.renames = {us_key(n): n for n in names if us_key(n) != n and us_key(n) not in names}
    for name, info in model.model_fields.items():
        same = _SAME_SHAPE.get((model.__name__, name))
        annotation = models[same] if same else info.annotation
        shape.fields[name] = _shape_of(annotation, models, done)
    return shape


@lru_cache(maxsize=1)
def _scenario_shape() -> _Shape:
    from msomodel.scenario import Scenario, Site, SiteAssumptions

    return _model_shape(Scenario, {"Site": Site, "SiteAssumptions": SiteAssumptions}, {})


#: The message for a mapping that gives a key in both spellings.
BOTH = "expected one spelling of this key, found both '{schema}' and its US spelling '{us}'"


def canonical_keys(data: Any) -> tuple[Any, list[tuple[tuple, str]]]:
    """A scenario mapping (one file's, before merging) with every US-spelled key renamed to the
    schema's spelling (see the module docstring), and the path of each US key whose mapping
    also gives the schema's spelling, with that spelling (such a key is left out; which of the
    two was meant is not known).  ``data`` itself is not changed."""
    both: list[tuple[tuple, str]] = []
    return _rename(data, _scenario_shape(), (), both), both


def _rename(value: Any, shape: "_Shape | None", at: tuple, both: list) -> Any:
    if shape is None:
        return value
    if shape.each is not None:
        if isinstance(value, list):
            return type(value)(_rename(v, shape.each, (*at, i), both) for i, v in enumerate(value))
        if isinstance(value, dict):
            return type(value)({k: _rename(v, shape.each, (*at, k), both) for k, v in value.items()})
        return value
    if not isinstance(value, dict):
        return value
    result = {}
    for key, v in value.items():
        name = shape.renames.get(key, key) if isinstance(key, str) else key
        if name != key and name in value:
            both.append(((*at, key), name))
            continue
        result[name] = _rename(v, shape.fields.get(name), (*at, name), both)
    return type(value)(result)


def canonical_parts(parts: Iterable[Any]) -> tuple:
    """A path given as its parts (keys, list indices, ``"[name]"`` items) with US-spelled keys
    in the schema's spelling; a part naming a list item or a mapping's entry (a site, an opex
    item) is kept as written."""
    shape: _Shape | None = _scenario_shape()
    out = []
    for part in parts:
        if shape is not None and shape.each is not None:
            shape = shape.each
        elif shape is not None:
            part = shape.renames.get(part, part) if isinstance(part, str) else part
            shape = shape.fields.get(part)
        out.append(part)
    return tuple(out)


def canonical_path(path: str) -> str:
    """A dotted input path with US-spelled keys in the schema's spelling:
    ``site_defaults.capacity.utilization`` -> ``site_defaults.capacity.utilisation``."""
    return ".".join(canonical_parts(path.split("."))) if isinstance(path, str) else path


def us_spellings() -> list[tuple[str, str]]:
    """Every key the schema spells otherwise than the US way, and its US spelling, sorted."""
    found: set[tuple[str, str]] = set()
    seen: set[int] = set()
    stack: list[_Shape | None] = [_scenario_shape()]
    while stack:
        shape = stack.pop()
        if shape is None or id(shape) in seen:
            continue
        seen.add(id(shape))
        found.update((schema, us) for us, schema in shape.renames.items())
        stack += [shape.each, *shape.fields.values()]
    return sorted(found)
