"""The scenario-file reference, generated from the pydantic models (``msomodel schema --markdown``).

``docs/scenario-reference.md`` is this output; a test keeps the two equal so it cannot drift.
"""

from __future__ import annotations

import types
import typing
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

from msomodel import scenario as sc

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Scenario (top level)", sc.Scenario),
    ("finance", sc.Finance), ("finance.loan", sc.Loan), ("adjustments", sc.Adjustments),
    ("owner", sc.Owner), ("owner.ownership[]", sc.Ownership),
    ("site_defaults (and each site's overrides)", sc.SiteAssumptions),
    ("site_defaults.service_lines[]", sc.ServiceLine), ("site_defaults.capacity", sc.Capacity),
    ("site_defaults.staffing", sc.Staffing), ("site_defaults.staffing.roles[]", sc.Role),
    ("site_defaults.opex.<name>", sc.OpexItem), ("site_defaults.equipment[]", sc.Equipment),
    ("sites[]", sc.Site), ("mso", sc.MSO),
    ("mso.fee (type: flat)", sc.FlatFee), ("mso.fee (type: percentage)", sc.PercentageFee),
    ("mso.fee (type: cost_plus)", sc.CostPlusFee), ("mso.fee (type: tiered)", sc.TieredFee),
    ("mso.fee.tiers[]", sc.Tier), ("mso.fee (type: hybrid)", sc.HybridFee),
    ("software", sc.Software), ("compliance", sc.ComplianceSettings),
    ("compliance.condition_costs.<id>", sc.ConditionCost), ("infeasible.<option>", sc.Infeasible),
]


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        names = [_type_name(a) for a in args if a is not type(None)]
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " / ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping to {_type_name(args[1])}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        return "mapping"
    return getattr(ann, "__name__", str(ann))


def _bounds(field: FieldInfo) -> str:
    parts = []
    for meta in field.metadata:
        for attr, sym in (("ge", ">="), ("gt", ">"), ("le", "<="), ("lt", "<"),
                          ("min_length", "min items"), ("max_length", "max items")):
            value = getattr(meta, attr, None)
            if value is not None:
                if attr == "min_length" and field.annotation is str:
                    parts.append("non-empty")
                    continue
                parts.append(f"{sym} {value:g}" if isinstance(value, float) else f"{sym} {value}")
    ann = field.annotation
    for arg in typing.get_args(ann):
        for meta in getattr(arg, "__metadata__", ()):
            for inner in getattr(meta, "metadata", [meta]):
                for attr, sym in (("ge", ">="), ("le", "<=")):
                    value = getattr(inner, attr, None)
                    if value is not None:
                        parts.append(f"{sym} {value:g}")
    return ", ".join(dict.fromkeys(parts))


def _default(field: FieldInfo) -> str:
    if field.is_required():
        return "**required**"
    if field.default_factory is not None:
        return "(empty)" if field.default_factory in (dict, list) else "(defaults)"
    if field.default is PydanticUndefined:
        return ""
    return "null" if field.default is None else f"`{field.default!r}`"


def markdown() -> str:
    """The whole reference as Markdown."""
    out = ["# Scenario file reference", "",
           "Generated from the schema by `msomodel schema --markdown`; do not edit by hand.",
           "Units are in brackets: `[USD/month]` is per site per month unless said otherwise, "
           "`[fraction]` is 0.10 for 10 %. Growth rates and escalators are annual and step up at "
           "the start of each project year (months 13, 25, ...). Unknown keys are errors.", ""]
    for title, model in SECTIONS:
        out += [f"## {title}", ""]
        doc = (model.__doc__ or "").strip().splitlines()
        if doc and model.__doc__ != BaseModel.__doc__:
            out += [doc[0], ""]
        out += ["| field | type | default | limits | meaning |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            out.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | "
                       f"{_bounds(field)} | {desc} |")
        out.append("")
    return "\n".join(out)
