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
from msomodel.scenario import uncertainty as un
from msomodel.scenario.site import AdminScaling, Hiring
from msomodel.scenario.spelling import us_spellings

SECTIONS: list[tuple[str, type[BaseModel]]] = [
    ("Scenario (top level)", sc.Scenario),
    ("finance", sc.Finance), ("finance.loan", sc.Loan),
    ("finance.working_capital", sc.WorkingCapital), ("adjustments", sc.Adjustments),
    ("owner", sc.Owner), ("owner.ownership[]", sc.Ownership),
    ("site_defaults (and each site's overrides)", sc.SiteAssumptions),
    ("site_defaults.service_lines[]", sc.ServiceLine), ("site_defaults.capacity", sc.Capacity),
    ("site_defaults.capacity.hiring", Hiring),
    ("site_defaults.staffing", sc.Staffing), ("site_defaults.staffing.roles[]", sc.Role),
    ("site_defaults.staffing.roles[].scales_with", AdminScaling),
    ("site_defaults.opex.<name>", sc.OpexItem), ("site_defaults.equipment[]", sc.Equipment),
    ("sites[]", sc.Site),
    ("structure", sc.StructureSettings), ("structure.friendly_pc", sc.FriendlyPC),
    ("mso", sc.MSO),
    ("fee (type: flat)", sc.FlatFee), ("fee (type: percentage)", sc.PercentageFee),
    ("fee (type: cost_plus)", sc.CostPlusFee), ("fee (type: tiered)", sc.TieredFee),
    ("fee.tiers[]", sc.Tier), ("fee (type: hybrid)", sc.HybridFee),
    ("software", sc.Software), ("existing_software", sc.ExistingSoftware),
    ("compliance", sc.ComplianceSettings), ("report", sc.ReportSettings),
    ("compliance.condition_costs.<id>", sc.ConditionCost), ("infeasible.<option>", sc.Infeasible),
    ("uncertainty", un.UncertaintySpec), ("uncertainty.sensitivity[]", un.SensitivityRange),
    ("uncertainty.distributions[] (dist: uniform)", un.Uniform),
    ("uncertainty.distributions[] (dist: triangular)", un.Triangular),
    ("uncertainty.distributions[] (dist: pert)", un.Pert),
    ("uncertainty.distributions[] (dist: normal)", un.Normal),
    ("uncertainty.distributions[] (dist: lognormal)", un.LogNormal),
    ("uncertainty.correlations[]", un.Correlation),
]
_FEES = (sc.FlatFee, sc.PercentageFee, sc.CostPlusFee, sc.TieredFee, sc.HybridFee)
_DISTS = (un.Uniform, un.Triangular, un.Pert, un.Normal, un.LogNormal)

INTRO = """\
## How a file is put together

A scenario is one YAML file. The smallest useful one extends the bundled, sourced benchmark
base and says who the owner is, where the sites are and what the MSO offers:

```yaml
extends: msomodel:benchmarks/single_site      # the packaged, sourced benchmark base
name: Arizona PA, two sites
owner: {state: AZ, licence: pa}
sites:
  - {name: Phoenix, open_month: 1}
  - {name: Scottsdale, open_month: 13}
mso:
  fee: {type: flat, per_site_monthly: 12000}
```

**`extends:`** names a base: `msomodel:NAME` for one installed with the package (see
`msomodel init`), or a file path relative to the scenario's own folder. The file's keys merge
over the base's, and a base may itself extend another (the chain is followed; a cycle is an
error):

- mappings merge key by key;
- a mapping whose `type` differs from the base's replaces it (a flat fee replaced by a
  percentage fee keeps none of the flat fee's fields);
- lists of named items (service lines, roles, equipment, sites) merge item by item by `name`;
  new names are appended;
- a list or mapping tagged `!replace` replaces the base's whole instead of merging, e.g.
  `sites: !replace` followed by the child's own site list, or `service_lines: !replace` in a
  site's `overrides:`;
- every other value replaces the base's.

Each site's `overrides:` merges over `site_defaults` by the same rules. Every section is listed
below; a field's type says "see ..." where it is a section of its own. Fees (`mso.fee` and
`structure.friendly_pc.management_fee`) are chosen by their `type`; uncertainty distributions
by their `dist`.
"""


def _spellings() -> str:
    """The paragraph on the keys that may be written the US way (from the schema itself)."""
    pairs = us_spellings()
    listed = ", ".join(f"`{schema}` or `{us}`" for schema, us in pairs)
    return ("Some keys are listed below in the spelling they were first written with; each may "
            "also be written the US way, in the file and in input paths "
            f"(`site_defaults.capacity.utilization`): {listed}. A mapping that gives both "
            "spellings of one key is an error.")


def _type_name(ann: Any) -> str:
    origin = typing.get_origin(ann)
    args = typing.get_args(ann)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        members = [a for a in args if a is not type(None)]
        if members and all(a in _FEES for a in members):
            kinds = ", ".join(m.model_fields["type"].annotation.__args__[0] for m in members)
            return f"a fee, by `type`: {kinds} (see fee)"
        if members and all(a in _DISTS for a in members):
            kinds = ", ".join(m.model_fields["dist"].annotation.__args__[0] for m in members)
            return f"a distribution, by `dist`: {kinds}"
        names = list(dict.fromkeys(_type_name(a) for a in members))
        return " or ".join(names) + (" or null" if type(None) in args else "")
    if origin is typing.Literal:
        return " / ".join(repr(a) for a in args)
    if origin in (list, tuple):
        return f"list of {_type_name(args[0])}" if args else "list"
    if origin is dict:
        return f"mapping to {_type_name(args[1])}"
    if isinstance(ann, type) and issubclass(ann, BaseModel):
        if ann in _FEES:
            return "fee"
        if ann in _DISTS:
            return "distribution"
        titles = [t for t, m in SECTIONS if m is ann]
        return f"mapping (see {titles[0].split(' (')[0]})" if titles else "mapping"
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
           "the start of each project year (months 13, 25, ...). Unknown keys are errors.", "",
           INTRO, _spellings(), ""]
    for title, model in SECTIONS:
        out += [f"## {title}", ""]
        doc = (model.__doc__ or "").strip().split("\n\n")[0]
        if doc and model.__doc__ != BaseModel.__doc__:
            out += [" ".join(doc.split()), ""]
        out += ["| field | type | default | limits | meaning |", "|---|---|---|---|---|"]
        for name, field in model.model_fields.items():
            desc = (field.description or "").replace("|", "\\|")
            out.append(f"| `{name}` | {_type_name(field.annotation)} | {_default(field)} | "
                       f"{_bounds(field)} | {desc} |")
        out.append("")
    return "\n".join(out)
