"""The scenario's view of the state rules: feasibility per option, condition costs, deal warnings.

This connects a :class:`~msomodel.scenario.Scenario` to the sourced data in
:mod:`msomodel.rules`.  Not legal advice: see :data:`msomodel.rules.DISCLAIMER`.

Condition costs enter the model as the ``conditions`` line, *per site*: each condition's
monthly cost every month the site is open, and its one-time cost before the site opens.
``compliance.condition_costs`` in the scenario overrides the data's default by condition id.
The friendly-PC structure's own conditions (physician-owned PC, MSA at fair market value,
medical director of the PC) are priced by ``structure.friendly_pc``
(``structuring_legal_one_time``, ``medical_director_agreement_monthly``,
``pc_administration_monthly``) — or, for a third-party MSO that supplies the PC, by its fee —
so they are not added a second time.

The structure comes first (:func:`assess_structures`, :func:`choose_structure`); the three
management options are then assessed under it (:func:`assess`).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from msomodel import rules
from msomodel.scenario import OPTIONS, STRUCTURES, Scenario

#: A sweep moves with the PC's income, so the rules' percentage-fee checks apply to it.
FEE_TYPE = {"flat": "fixed", "percentage": "percentage", "cost_plus": "cost_plus",
            "tiered": "tiered", "hybrid": "hybrid", "sweep": "percentage"}
#: How the warnings name a fee the rules data files under another type.
FEE_LABEL = {"sweep": "sweep fee (the PC's profit above its target margin)"}


def _structure_ids() -> frozenset[str]:
    """The structures' own condition ids (of the rule book in use: an overlay may change them)."""
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
    structure: str = "direct"                 # the structure the options are evaluated under
    structure_chosen_by: str = "rules"        # "rules", "scenario" or "caller"
    structures: dict[str, StructureCompliance] = field(default_factory=dict)

    def citations(self) -> list[str]:
        """Every source behind the feasibility findings and warnings, once each, in order."""
        found: dict[str, None] = {}
        for option in self.options.values():
            for src in option.sources:
                found.setdefault(src["citation"], None)
        for structure in self.structures.values():
            for src in structure.sources:
                found.setdefault(src["citation"], None)
        for warning in self.warnings:
            for src in warning.get("sources", []):
                found.setdefault(src["citation"], None)
        return list(found)

    def to_dict(self) -> dict[str, Any]:
        return {"state": self.state, "licence": self.licence, "checked": self.checked,
                "structure": self.structure, "structure_chosen_by": self.structure_chosen_by,
                "structures": {k: v.to_dict() for k, v in self.structures.items()},
                "options": {o: v.to_dict() for o, v in self.options.items()},
                "warnings": self.warnings, "disclaimer": self.disclaimer}


STRUCTURE_LABELS = {"direct": "Direct ownership", "friendly_pc": "Owned MSO + friendly PC"}
_LAWFUL = ("feasible", "feasible_with_conditions", "contested")


@dataclass
class StructureCompliance:
    """Whether one legal structure is open to the owner (status as in :mod:`msomodel.rules`)."""

    id: str
    status: str
    reasons: list[str]
    conditions: list[CostItem] = field(default_factory=list)
    sources: list[dict[str, Any]] = field(default_factory=list)

    @property
    def label(self) -> str:
        return STRUCTURE_LABELS[self.id]

    @property
    def lawful(self) -> bool:
        return self.status in _LAWFUL or self.status == "unknown"

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "label": self.label, "status": self.status,
                "reasons": self.reasons, "conditions": [c.to_dict() for c in self.conditions],
                "sources": self.sources}


def _cost_items(scenario: Scenario, structure: str, conditions) -> list[CostItem]:
    overrides = scenario.compliance.condition_costs
    skip = _structure_ids() if structure == "friendly_pc" else frozenset()
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


def assess_structures(scenario: Scenario) -> dict[str, StructureCompliance]:
    """Each legal structure's standing for the scenario's owner (unchecked without an owner)."""
    owner = scenario.owner
    if owner is None:
        note = ["No state or license given: ownership rules were not checked."]
        return {s: StructureCompliance(s, "feasible", list(note)) for s in STRUCTURES}
    found = rules.assess_structures(
        owner.state, owner.licence,
        ownership=[o.model_dump() for o in owner.ownership] if owner.ownership else None,
        on=scenario.finance.start_date)
    return {s: StructureCompliance(s, f.status, list(f.reasons), _cost_items(scenario, s, f.conditions),
                                   [src.to_dict() for src in f.sources])
            for s, f in found.items()}


def choose_structure(scenario: Scenario, found: dict[str, StructureCompliance]) -> tuple[str, str]:
    """The structure to evaluate and who chose it ("scenario" or "rules").

    ``auto`` (and the first of ``both``): direct ownership where the owner may own the
    clinical entity (feasible, or feasible with conditions); otherwise the friendly PC where
    it is lawful or contested; if neither is known, direct ownership (status unknown).
    """
    asked = scenario.structure.type
    if asked in STRUCTURES:
        return asked, "scenario"
    if found["direct"].status in ("feasible", "feasible_with_conditions"):
        return "direct", "rules"
    if found["friendly_pc"].status in _LAWFUL:
        return "friendly_pc", "rules"
    return "direct", "rules"


def structures_to_evaluate(scenario: Scenario) -> list[str]:
    """One structure, or both (the rules' choice first) when the scenario asks for both."""
    first, _ = choose_structure(scenario, assess_structures(scenario))
    if scenario.structure.type != "both":
        return [first]
    return [first, *[s for s in STRUCTURES if s != first]]


def assess(scenario: Scenario, structure: str | None = None) -> Compliance:
    """Feasibility and condition costs of each management option under one structure.

    Every management option is open under any lawful structure; an option is infeasible only
    when the structure is not lawful for this owner, or the scenario marks it so.
    """
    found = assess_structures(scenario)
    chosen, by = choose_structure(scenario, found)
    if structure is not None and structure != chosen:
        chosen, by = structure, "caller"
    s = found[chosen]
    opts = {}
    for option in OPTIONS:
        if s.status == "infeasible":
            other = [f for k, f in found.items() if k != chosen and f.status != "infeasible"]
            hint = (f" {other[0].label} is open instead." if other else
                    " No structure the state rules allow lets this owner operate here.")
            entry = OptionCompliance("infeasible", [f"{s.label} is not open to this owner under the state rules: "
                                                   + "; ".join(s.reasons) + hint], [], s.sources)
        else:
            reasons = list(s.reasons)
            if (option == "mso" and chosen == "friendly_pc" and scenario.mso.provides_friendly_pc):
                reasons.insert(0, "The third-party MSO supplies the physician-owned PC and its "
                               "medical director; its fee covers the structure's costs.")
            entry = OptionCompliance(s.status, reasons, list(s.conditions), list(s.sources))
        opts[option] = entry
    result = Compliance(scenario.owner.state.upper() if scenario.owner else None,
                        scenario.owner.licence if scenario.owner else None, opts,
                        checked=scenario.owner is not None)
    result.structure, result.structure_chosen_by, result.structures = chosen, by, found
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


_NOT_ABOUT_THE_FEE = ("commission_fee_splitting_risk",)


def _fee_warnings(scenario: Scenario, fee, what: str, pc_margin: float | None,
                  commission: bool) -> list[dict[str, Any]]:
    percent = None
    if fee.type in ("percentage", "hybrid"):
        percent = fee.percent
    elif fee.type == "tiered":
        percent = max(t.percent for t in fee.tiers)
    found = rules.deal_warnings(
        state=scenario.owner.state, fee_type=FEE_TYPE[fee.type], percent=percent,
        fee_changes_per_year=fee.changes_per_year, term_months=fee.term_months,
        commission_on_medical_services=commission, owned_mso_pc_margin=pc_margin,
        on=scenario.finance.start_date, fee_label=FEE_LABEL.get(fee.type))
    out = []
    for w in found:
        d = w.to_dict()
        if d["code"] not in _NOT_ABOUT_THE_FEE:
            d["message"] = f"{what}: {d['message']}"
        d["applies_to"] = what
        out.append(d)
    return out


def horizon_end(scenario: Scenario) -> dt.date:
    """First day of the month after the projection's last month."""
    start, h = scenario.finance.start_date, scenario.finance.horizon_months
    months = start.month - 1 + h
    return dt.date(start.year + months // 12, months % 12 + 1, 1)


def rule_change_warnings(scenario: Scenario) -> list[dict[str, Any]]:
    """A warning, with its date, for each change of the owner's rules within the horizon (the
    projection keeps the rules in force at its start)."""
    owner = scenario.owner
    if owner is None:
        return []
    start = scenario.finance.start_date
    out = []
    for change in rules.rule_changes(owner.state, owner.licence, start, horizon_end(scenario)):
        out.append({
            "code": f"rule_change_{change.kind}", "severity": "warning",
            "message": (f"From {change.date:%d %b %Y} ({month_label(start, change.date)}) the "
                        f"rules change: {change.summary} The projection applies the rules in "
                        f"force at its start ({start:%b %Y}); check the structure before then."),
            "sources": [src.to_dict() for src in change.sources], "date": change.date.isoformat(),
            "applies_to": "State rules"})
    return out


def month_label(start: dt.date, when: dt.date) -> str:
    """'projection month 7' for a calendar date after ``start``."""
    return f"projection month {(when.year - start.year) * 12 + when.month - start.month + 1}"


def overlay_warnings(scenario: Scenario) -> list[dict[str, Any]]:
    """A note when the owner's ownership rule comes from an advisor's overlay file
    (``MSOMODEL_RULES_OVERLAY``), not msomodel's data: the report says whose reading it is."""
    owner = scenario.owner
    if owner is None:
        return []
    rule = rules.lookup(owner.state, owner.licence, on=scenario.finance.start_date)
    if "(overlay)" not in (rule.origin or ""):
        return []
    where = Path(rule.origin.removesuffix(" (overlay)")).name
    return [{"code": "rules_from_overlay", "severity": "info",
             "message": (f"The ownership rule for this owner in {rule.state_name} comes from the "
                         f"overlay file {where} (an advisor's or counsel's reading, set by "
                         "MSOMODEL_RULES_OVERLAY), not from msomodel's data; its sources are "
                         "listed with it."),
             "sources": [src.to_dict() for src in rule.sources], "applies_to": "State rules"}]


def deal_warnings(scenario: Scenario, structure: str,
                  pc_margin: float | None) -> list[dict[str, Any]]:
    """Deal-structure warnings: the third-party MSO's fee, and under the friendly-PC structure
    the management fee the PC pays the owner's MSO (``pc_margin``: the PC's EBITDA margin over
    the horizon under in-house management); commissions on medical services once."""
    if scenario.owner is None:
        return []
    commission = _commission_on_medical_services(scenario)
    out = overlay_warnings(scenario)
    out += _fee_warnings(scenario, scenario.mso.fee, "Third-party MSO fee", None, commission)
    out += rule_change_warnings(scenario)
    if structure == "friendly_pc":
        seen = {w["code"] for w in out}
        for w in _fee_warnings(scenario, scenario.structure.friendly_pc.management_fee,
                               "Management fee (PC to your MSO)", pc_margin, commission):
            if w["code"] not in seen or w["code"] not in _NOT_ABOUT_THE_FEE:
                out.append(w)
    return out
