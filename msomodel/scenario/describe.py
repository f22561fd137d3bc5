"""The scenario schema's own words for an input path: its description and its unit (the
``[unit]`` every numeric field's description ends with), for labels in reports and workbooks."""

from __future__ import annotations

import re
from typing import Any

_UNIT = re.compile(r"\[([^\]]+)\]")


def field_models(annotation: Any) -> tuple[list[type], bool]:
    """The models a field holds, and whether it holds them by name (a list or a mapping: the next
    part of an input path is the item's name, not a field)."""
    import types
    import typing

    from pydantic import BaseModel

    from msomodel.scenario.base import unwrap_annotation

    annotation, _ = unwrap_annotation(annotation)
    keyed = typing.get_origin(annotation) in (list, dict, tuple)
    if keyed:
        args = typing.get_args(annotation)
        annotation = unwrap_annotation(args[-1])[0] if args else None
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        found = [unwrap_annotation(a)[0] for a in typing.get_args(annotation)]
    else:
        found = [annotation]
    return [m for m in found if isinstance(m, type) and issubclass(m, BaseModel)], keyed


def schema_description(path: str) -> str | None:
    """The scenario schema's description of the field at a dotted input path (None if unknown).
    A site's ``overrides`` have the shape of ``site_defaults``."""
    from msomodel.scenario import Scenario

    parts = path.split(".")
    if len(parts) > 3 and parts[0] == "sites" and parts[2] == "overrides":
        parts = ["site_defaults", *parts[3:]]
    models: list[type] = [Scenario]
    info: Any = None
    i = 0
    while i < len(parts):
        info = next((m.model_fields[parts[i]] for m in models  # type: ignore[attr-defined]
                     if parts[i] in m.model_fields), None)  # type: ignore[attr-defined]
        if info is None:
            return None
        models, keyed = field_models(info.annotation)
        i += 2 if keyed else 1
    return info.description if info is not None else None


def schema_unit(path: str) -> str:
    """The unit the schema gives the field at ``path`` ("" if it gives none)."""
    found = _UNIT.search(schema_description(path) or "")
    return found.group(1) if found else ""
