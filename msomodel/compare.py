"""Compare the operating options of one scenario: the public entry point.

>>> s = msomodel.load_scenario("scenarios/ohio_physician_single_site.yaml")
>>> result = msomodel.compare(s)
>>> result.key_figures()          # pandas DataFrame, one column per option
>>> result.annual("mso")          # annual P&L and cash flow
>>> result.to_dict()              # the JSON contract of `msomodel compare --format json`
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from msomodel import compliance as rules_view
from msomodel import engine, metrics
from msomodel import timeline as tl
from msomodel.formatting import money
from msomodel.inputs import ModelInputs, compile_inputs
from msomodel.options import SITE_LINES, Projection
from msomodel.scenario import OPTIONS, Scenario

LABELS = {"self_managed": "Self-managed", "software_only": "Software only",
          "mso": "MSO"}
MSO_LABELS = {"third_party": "Third-party MSO", "owned": "Owned MSO + friendly PC"}
ANNUAL_LINES = ("revenue", "product_cost", "staff_clinical", "staff_admin", "opex", "mso_fee",
                "software_fee", "structuring", "conditions", "overhead", "ebitda", "ebitda_margin",
                "one_time", "capex", "loan_draw", "interest", "principal_repaid", "tax",
                "exit_value", "net_cash_flow")


def option_label(option: str, mso_kind: str) -> str:
    return MSO_LABELS[mso_kind] if option == "mso" else LABELS[option]


def _num(value: Any) -> float | None:
    """JSON number or None (NaN -> None)."""
    v = float(value)
    return None if not np.isfinite(v) else v


def _month(value: Any) -> int | None:
    v = float(value)
    return None if not np.isfinite(v) else int(v)


@dataclass
class Feasibility:
    status: str                      # feasible | feasible_with_conditions | infeasible | unknown
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return self.status in ("feasible", "feasible_with_conditions", "unknown")


@dataclass
class Comparison:
    """The three options of one scenario, their metrics and the recommendation."""

    scenario: Scenario
    inputs: ModelInputs
    projections: dict[str, Projection]
    metrics: dict[str, dict[str, float]]
    incremental: dict[str, dict[str, float]]
    breakeven: metrics.Breakeven
    feasibility: dict[str, Feasibility]
    recommendation: dict[str, str | None]
    compliance: rules_view.Compliance
    _annual: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)

    @property
    def warnings(self) -> list[dict[str, Any]]:
        """Deal-structure warnings (each with code, severity, message, sources)."""
        return self.compliance.warnings

    @property
    def horizon(self) -> int:
        return self.inputs.horizon

    @property
    def _years(self) -> np.ndarray:
        """Year (1, 2, ...) of each index 0..horizon; index 0 counts in year 1."""
        return tl.project_year(self.horizon) + 1

    def label(self, option: str) -> str:
        return option_label(option, self.inputs.mso_kind)

    # ----------------------------------------------------------------- tables
    def monthly(self, option: str) -> pd.DataFrame:
        """Monthly lines of one option (index 0..horizon) [USD]."""
        p = self.projections[option]
        data = {name: p.site[name][0].sum(axis=0) for name in SITE_LINES}
        # company lines last: "ebitda" is the company's (sites less overhead)
        data.update({k: v[0] for k, v in p.company.items() if k != "loan_balance_end"})
        frame = pd.DataFrame(data)
        frame.index.name = "month"
        return frame

    def annual(self, option: str) -> pd.DataFrame:
        """Annual P&L and cash flow of one option; year 1 also holds the index-0 flows."""
        if option not in self._annual:
            self._annual[option] = self._compute_annual(option)
        return self._annual[option].copy()

    def _compute_annual(self, option: str) -> pd.DataFrame:
        m = self.monthly(option)
        year = self._years
        out = m.groupby(year).sum()
        out["ebitda_margin"] = np.where(out["revenue"] != 0,
                                        out["ebitda"] / out["revenue"].where(out["revenue"] != 0, 1),
                                        np.nan)
        out.index.name = "year"
        return out[[c for c in ANNUAL_LINES if c in out.columns]]

    def annual_by_site(self, option: str, line: str = "revenue") -> pd.DataFrame:
        """One site-level line by year (rows) and site (columns) [USD]."""
        arr = self.projections[option].site[line][0]  # (S, M)
        year = self._years
        frame = pd.DataFrame(arr.T, columns=self.inputs.sites).groupby(year).sum()
        frame.index.name = "year"
        return frame

    def entity_annual(self) -> dict[str, pd.DataFrame]:
        """Owned MSO only: annual P&L of the PC and of the MSO."""
        out = {}
        for name, lines in self.projections["mso"].entities.items():
            frame = pd.DataFrame({k: v[0] for k, v in lines.items()})
            year = self._years
            out[name] = frame.groupby(year).sum().rename_axis("year")
        return out

    def key_figures(self) -> pd.DataFrame:
        """Headline metrics (rows) by option (columns), numbers unformatted."""
        year3 = min(3, (self.horizon + 11) // 12)
        rows: dict[str, dict[str, Any]] = {}
        for option in OPTIONS:
            m, a = self.metrics[option], self.annual(option)
            inc = self.incremental.get(option, {})
            rows[self.label(option)] = {
                "feasibility": self.feasibility[option].status,
                "npv": m["npv"], "irr_annual": m["irr_annual"],
                "payback_month": m["payback_month"], "peak_funding": m["peak_funding"],
                "moic": m["moic"], "exit_value": m["exit_value"],
                f"year{year3}_ebitda": a.loc[year3, "ebitda"],
                f"year{year3}_ebitda_margin": a.loc[year3, "ebitda_margin"],
                "incremental_npv": inc.get("npv", 0.0),
                "incremental_payback_month": inc.get("payback_month", np.nan),
            }
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- JSON
    def _sites_json(self, option: str) -> list[dict[str, Any]]:
        revenue = self.annual_by_site(option, "revenue")
        ebitda = self.annual_by_site(option, "ebitda")
        return [{"name": site, "annual": [{"year": int(y), "revenue": _num(revenue.loc[y, site]),
                                           "ebitda": _num(ebitda.loc[y, site])}
                                          for y in revenue.index]}
                for site in self.inputs.sites]

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (see README, "JSON output")."""
        s = self.scenario
        options = {}
        for option in OPTIONS:
            m = self.metrics[option]
            annual = self.annual(option).reset_index()
            options[option] = {
                "label": self.label(option),
                "feasible": self.feasibility[option].allowed,
                "feasibility": {"status": self.feasibility[option].status,
                                "reasons": self.feasibility[option].reasons},
                "npv": _num(m["npv"]),
                "irr_annual": _num(m["irr_annual"]),
                "payback_month": _month(m["payback_month"]),
                "peak_funding": _num(m["peak_funding"]),
                "moic": _num(m["moic"]),
                "exit_value": _num(m["exit_value"]),
                "monthly_net_cash_flow": [float(v) for v in self.projections[option].net_cash_flow[0]],
                "annual": [{k: (int(v) if k == "year" else _num(v)) for k, v in row.items()}
                           for row in annual.to_dict(orient="records")],
                "sites": self._sites_json(option),
            }
        incremental = {
            option: {"npv": _num(v["npv"]), "irr_annual": _num(v["irr_annual"]),
                     "payback_month": _month(v["payback_month"]), "fee_roi": _num(v["fee_roi"])}
            for option, v in self.incremental.items()
        }
        return {
            "scenario": {"name": s.name, "path": s.source_path, "sha256": s.sha256},
            "assumptions": {"discount_rate_annual": s.finance.discount_rate_annual,
                            "horizon_months": s.finance.horizon_months,
                            "conventions": CONVENTIONS},
            "options": options,
            "incremental": incremental,
            "breakeven": self.breakeven.to_dict(),
            "recommendation": self.recommendation,
            "compliance": self.compliance.to_dict(),
        }


CONVENTIONS = (
    "Cash flow index 0 is the start (set-up, onboarding); index m is the end of month m. "
    "Monthly rate = (1 + annual)^(1/12) - 1. NPV = sum cf[m] / (1 + r_monthly)^m. "
    "IRR annualised = (1 + irr_monthly)^12 - 1. Payback = first month with cumulative cash flow >= 0."
)


def lower_first(label: str) -> str:
    """'Third-party MSO' -> 'third-party MSO'; a leading acronym ('MSO ...') keeps its case."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


def recommend(metrics_by_option: dict[str, dict[str, float]], feasibility: dict[str, Feasibility],
              labels: dict[str, str], horizon: int) -> dict[str, str | None]:
    """Highest NPV among the options the owner may use, with the reason in one sentence."""
    allowed = [o for o in OPTIONS if feasibility[o].allowed]
    if not allowed:
        return {"option": None, "reason": "No option is open to this owner in this state; "
                "consult counsel before going further."}
    best = max(allowed, key=lambda o: metrics_by_option[o]["npv"])
    others = [o for o in allowed if o != best]
    npv = metrics_by_option[best]["npv"]
    years = horizon / 12
    reason = f"{labels[best]} has the highest value over {years:g} years (NPV {money(npv)})"
    if others:
        runner = max(others, key=lambda o: metrics_by_option[o]["npv"])
        gap = npv - metrics_by_option[runner]["npv"]
        reason += f", {money(gap)} more than {lower_first(labels[runner])}"
    excluded = [lower_first(labels[o]) for o in OPTIONS if not feasibility[o].allowed]
    if excluded:
        verb = "is" if len(excluded) == 1 else "are"
        reason += f"; {' and '.join(excluded)} {verb} not open to this owner"
    return {"option": best, "reason": reason + "."}


def assess(scenario: Scenario, inputs: ModelInputs | None = None) -> dict[str, Feasibility]:
    """Feasibility of each option from the state rules and the scenario's own marks."""
    found = inputs.compliance if inputs is not None and inputs.compliance else rules_view.assess(scenario)
    return {o: Feasibility(found.options[o].status, list(found.options[o].reasons)) for o in OPTIONS}


def _pc_margin(projection: Projection) -> float | None:
    pc = projection.entities.get("pc")
    if not pc:
        return None
    revenue = float(pc["revenue"][0].sum())
    return float(pc["ebitda"][0].sum()) / revenue if revenue else None


def compare(scenario: Scenario) -> Comparison:
    """Project all three options of ``scenario`` and compare them."""
    found = rules_view.assess(scenario)
    inputs = compile_inputs(scenario, found)
    projections = engine.run(inputs)
    rate = inputs.arrays["discount_rate"][None]
    per_option = {o: {k: float(v[0]) for k, v in metrics.option_metrics(p, rate).items()}
                  for o, p in projections.items()}
    base = projections["self_managed"]
    incremental = {o: {k: float(v[0]) for k, v in
                       metrics.incremental_metrics(projections[o], base, rate).items()}
                   for o in ("mso", "software_only")}
    be = metrics.breakeven(inputs, per_option["self_managed"]["npv"],
                           float(base.site["revenue"].max()))
    feasibility = assess(scenario, inputs)
    labels = {o: option_label(o, inputs.mso_kind) for o in OPTIONS}
    rec = recommend(per_option, feasibility, labels, inputs.horizon)
    found.warnings = rules_view.deal_warnings(scenario, _pc_margin(projections["mso"]))
    return Comparison(scenario, inputs, projections, per_option, incremental, be, feasibility, rec,
                      found)
