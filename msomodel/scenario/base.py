"""Building blocks of the scenario schema: the strict base model and the number types.

Numbers never accept NaN or infinity.  YAML's ``true``/``on`` where a number is expected are
rejected by the loader (:func:`msomodel.loading.messages.bool_issues`), which sees every file
and every mapping given to :func:`msomodel.scenario_from_dict`, and names the value's line.  Names appear in dotted input paths (``sites.Austin.open_month``), so they
may not contain '.'.

The scenario modules do without ``from __future__ import annotations``: Python evaluates the field
annotations as it builds each class, where pydantic would otherwise ``eval`` every annotation
string again (about 400 fields on every start-up); a method returning its own class names it in
quotes.
"""

import types
import typing
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field
from pydantic.fields import FieldInfo


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


Float = float
Int = int
Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
#: Non-negative amounts; above 1e12 (a trillion dollars, units or hours) is always a slip, and
#: would overflow the projection's arithmetic.
NonNeg = Annotated[float, Field(ge=0.0, le=1e12)]
Growth = Annotated[float, Field(ge=-0.5, le=1.0)]
Source = Annotated[str | None, Field(description="Where the figure comes from, or 'assumption'.")]
Name = Annotated[str, Field(min_length=1, pattern=r"^[^.]+$")]


def unique_names(items: list[Any], what: str) -> list[Any]:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{what} names must be unique; '{item.name}' appears twice")
        seen.add(item.name)
    return items


def unwrap_annotation(annotation: Any) -> tuple[Any, list[Any]]:
    """A field's type without its Annotated and Optional wrappers, and the constraints they
    carried (``annotated_types`` objects such as ``Ge``/``Le``), for schema introspection."""
    found: list[Any] = []
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            inner, *meta = typing.get_args(annotation)
            for m in meta:
                found += m.metadata if isinstance(m, FieldInfo) else [m]
            annotation = inner
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            if len(args) != 1:
                return annotation, found
            annotation = args[0]
        else:
            return annotation, found
