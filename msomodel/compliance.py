"""The scenario's view of the state rules: feasibility per option, condition costs, deal warnings.

This connects a :class:`~msomodel.scenario.Scenario` to the sourced data in
:mod:`msomodel.rules`.  Not legal advice: see :data:`msomodel.rules.DISCLAIMER`.

Condition costs enter the model as the ``conditions`` line, *per site*: each condition's
monthly cost every month the site is open, and its one-time cost before the site opens.
``compliance.condition_costs`` in the scenario overrides the data's default by condition id.
The owned-MSO structure's own conditions (friendly PC, MSA at fair market value, medical
director of the PC) are priced by the scenario's ``mso`` fields (``structuring_legal_one_time``,
``medical_director_agreement_monthly``, ``pc_administration_monthly``) — or, for a third-party
MSO that supplies the PC, by its fee — so they are not added a second time.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from msomodel import rules
from msomodel.scenario import OPTIONS, Scenario

FEE_TYPE = {"flat": "fixed", "percentage": "percentage", "cost_plus": "cost_plus",
            "tiered": "tiered", "hybrid": "hybrid"}


@lru_cache(maxsize=1)
def known_condition_ids() -> frozenset[str]:
    book = rules.load_rulebook()
    ids = {c.id for rule in book.rules.values() for c in rule.conditions}
    ids |= {c.id for s in book.structures.values() for c in s.conditions}
    return frozenset(ids)


@lru_cache(maxsize=1)
def _structure_ids() -> frozenset[str]:
    return frozenset(c.id for s in rules.load_rulebook().structures.values() for c in s.conditions)


@dataclass
class CostItem:
    id: str
    description: str
    monthly: float            # [USD/month per site]
    one_time: float           # [USD per site]
    basis: str                # "data default (assumption)", "data default (source)", "scenario"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class OptionCompliance:
    status: str
    reasons: list[str]
    conditions: list[CostItem] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def monthly(self) -> float:
        return sum(c.monthly for c in self.conditions)

    @property
    def one_time(self) -> float:
        return sum(c.one_time for c in self.conditions)

    def to_dict(self) -> dict[str, Any]:
        return {"status": self.status, "reasons": self.reasons,
                "conditions": [c.to_dict() for c in self.conditions],
                "condition_cost_monthly_per_site": self.monthly,
                "condition_cost_one_time_per_site": self.one_time, "sources": self.sources}


@dataclass
class Compliance:
    state: str | None
    licence: str | None
    options: dict[str, OptionCompliance]
    warnings: list[dict[str, Any]] = field(default_factory=list)
    checked: bool = True
    disclaimer: str = rules.DISCLAIMER

    def citations(self) -> list[str]:
        """Every source behind the feasibility findings and warnings, once each, in order."""
        found: dict[str, None] = {}
        for option in self.options.values():
            for src in option.sources:
                found.setdefault(src["citation"], None)
        for warning in self.warnings:
            for src in warning.get("sources", []):
                found.setdefault(src["citation"], None)
        return list(found)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "licence": self.licence, "checked": self.checked,
                "options": {o: v.to_dict() for o, v in self.options.items()},
                "warnings": self.warnings, "disclaimer": self.disclaimer}


def _cost_items(scenario: Scenario, option: str, conditions) -> list[CostItem]:
    overrides = scenario.compliance.condition_costs
    skip = _structure_ids() if option == "mso" else frozenset()
    items = []
    for c in conditions:
        if c.id in skip:
            continue
        monthly, once = c.default_cost_usd_per_month or 0.0, c.default_cost_usd_one_time or 0.0
        basis = "data default (assumption)" if c.cost_is_assumption else "data default (sourced)"
        if c.id in overrides:
            o = overrides[c.id]
            monthly = monthly if o.monthly is None else o.monthly
            once = once if o.one_time is None else o.one_time
            basis = "scenario" + (f" ({o.source})" if o.source else "")
        if not scenario.compliance.include_condition_costs:
            monthly, once, basis = 0.0, 0.0, "excluded by the scenario"
        items.append(CostItem(c.id, c.description, monthly, once, basis))
    return items


def assess(scenario: Scenario) -> Compliance:
    """Feasibility and condition costs of each option for the scenario's owner."""
    owner = scenario.owner
    if owner is None:
        opts = {o: OptionCompliance("feasible", ["No state or licence given: ownership rules "
                                                 "were not checked."]) for o in OPTIONS}
        result = Compliance(None, None, opts, checked=False)
    else:
        found = rules.assess_feasibility(
            owner.state, owner.licence,
            ownership=[o.model_dump() for o in owner.ownership] if owner.ownership else None,
            mso_kind=scenario.mso.kind, mso_provides_friendly_pc=scenario.mso.provides_friendly_pc)
        opts = {o: OptionCompliance(f.status, list(f.reasons), _cost_items(scenario, o, f.conditions),
                                    [s.to_dict() for s in f.sources])
                for o, f in found.items()}
        result = Compliance(owner.state.upper(), owner.licence, opts)
    for option, mark in scenario.infeasible.items():
        entry = result.options[option]
        entry.status = "infeasible"
        entry.reasons = [f"Marked infeasible in the scenario: {mark.reason}", *entry.reasons]
    return result


def _commission_on_medical_services(scenario: Scenario) -> bool:
    for sa in scenario.site_assumptions():
        treatments = {x.name for x in sa.service_lines if x.kind == "treatment"}
        for role in sa.staffing.roles:
            if role.kind == "clinical" and role.commission_rate:
                if set(role.commission_lines or treatments) & treatments:
                    return True
    return False


def deal_warnings(scenario: Scenario, pc_margin: float | None) -> list[dict[str, Any]]:
    """Deal-structure warnings for the scenario's MSO terms and pay plan."""
    if scenario.owner is None:
        return []
    fee = scenario.mso.fee
    percent = None
    if fee.type in ("percentage", "hybrid"):
        percent = fee.percent
    elif fee.type == "tiered":
        percent = max(t.percent for t in fee.tiers)
    found = rules.deal_warnings(
        state=scenario.owner.state, fee_type=FEE_TYPE[fee.type], percent=percent,
        fee_changes_per_year=fee.changes_per_year, term_months=fee.term_months,
        commission_on_medical_services=_commission_on_medical_services(scenario),
        owned_mso_pc_margin=pc_margin if scenario.mso.kind == "owned" else None)
    return [w.to_dict() for w in found]
