"""Building blocks of the scenario schema: the strict base model and the number types.

Numbers never accept booleans (YAML's ``true``/``on`` would otherwise read as 1) and never
NaN or infinity.  Names appear in dotted input paths (``sites.Austin.open_month``), so they
may not contain '.'.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


def _no_bool(value: Any) -> Any:
    if isinstance(value, bool):
        raise ValueError(f"expected a number, found the boolean {str(value).lower()}")
    return value


#: A float that rejects booleans; every numeric field of a scenario is one of these.
Float = Annotated[float, BeforeValidator(_no_bool)]
Int = Annotated[int, BeforeValidator(_no_bool)]
Fraction = Annotated[float, BeforeValidator(_no_bool), Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, BeforeValidator(_no_bool), Field(ge=0.0)]
Growth = Annotated[float, BeforeValidator(_no_bool), Field(ge=-0.5, le=1.0)]
Source = Annotated[str | None, Field(description="Where the figure comes from, or 'assumption'.")]
Name = Annotated[str, Field(min_length=1, pattern=r"^[^.]+$")]


def unique_names(items: list[Any], what: str) -> list[Any]:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{what} names must be unique; '{item.name}' appears twice")
        seen.add(item.name)
    return items
