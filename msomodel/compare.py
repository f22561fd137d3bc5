"""Compare the operating options of one scenario: the public entry point.

>>> s = msomodel.load_scenario("scenarios/ohio_physician_single_site.yaml")
>>> result = msomodel.compare(s)
>>> result.key_figures()          # pandas DataFrame, one column per option
>>> result.annual("mso")          # annual P&L and cash flow
>>> result.to_dict()              # the JSON contract of `msomodel compare --format json`

The tables are summed by year with :mod:`msomodel.yearly` (plain arrays, :meth:`annual_lines`);
pandas is imported only when a DataFrame is asked for, so that ``msomodel compare`` need not.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from msomodel import compliance as rules_view
from msomodel import decision as decide
from msomodel import engine, metrics
from msomodel import timeline as tl
from msomodel.analysis.distributions import excluded_values
from msomodel.errors import Problem, ScenarioError
from msomodel.financials import Financials, financials
from msomodel.formatting import lower_first  # noqa: F401  (re-exported for callers)
from msomodel.inputs import ModelInputs, compile_inputs
from msomodel.options import SITE_LINES, Projection
from msomodel.scenario import OPTION_LABELS, OPTIONS, Scenario
from msomodel.scenario.exit import exit_band, exit_multiple
from msomodel.scenario.tax import tax_default, tax_rate
from msomodel.yearly import distinct, group_sum

if TYPE_CHECKING:
    import pandas as pd
else:
    from msomodel import lazy

    pd = lazy.module("pandas")

#: Version of the JSON contract (README, "JSON output"; "Migrating from schema version 1").
SCHEMA_VERSION = 2
LABELS = OPTION_LABELS
ANNUAL_LINES = ("revenue", "product_cost", "staff_clinical", "staff_admin", "opex", "mso_fee",
                "software_fee", "structuring", "conditions", "overhead", "ebitda", "ebitda_margin",
                "one_time", "capex", "working_capital_change", "loan_draw", "loan_fee", "interest",
                "principal_repaid", "tax", "pc_retained", "exit_tax", "exit_value", "net_cash_flow")


def option_label(option: str, *_: object) -> str:
    """Plain label of a management option."""
    return OPTION_LABELS[option]


def _num(value: Any) -> float | None:
    """JSON number or None (NaN -> None)."""
    v = float(value)
    return None if not np.isfinite(v) else v


def _rows(years: np.ndarray, lines: dict[str, np.ndarray]) -> list[dict[str, Any]]:
    """``[{"year": 1, line: value, ...}, ...]``: annual lines as JSON records."""
    return [{"year": int(y), **{k: _num(v[i]) for k, v in lines.items()}}
            for i, y in enumerate(years)]


def _month(value: Any) -> int | None:
    v = float(value)
    return None if not np.isfinite(v) else int(v)


@dataclass
class Feasibility:
    status: str                      # feasible | feasible_with_conditions | infeasible | unknown
    reasons: list[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        """Open to the owner: feasible (perhaps with conditions), contested or unknown."""
        return self.status != "infeasible"


@dataclass
class Comparison:
    """The three management options of one scenario under one legal structure: their
    projections, metrics, break-even fees and the decision."""

    scenario: Scenario
    inputs: ModelInputs
    projections: dict[str, Projection]
    metrics: dict[str, dict[str, float]]
    incremental: dict[str, dict[str, float]]
    breakeven: metrics.Breakeven
    pc_breakeven: metrics.Breakeven | None
    feasibility: dict[str, Feasibility]
    decision: decide.Decision
    compliance: rules_view.Compliance
    _annual: dict[str, dict[str, np.ndarray]] = field(default_factory=dict, repr=False)
    _financials: dict[str, Financials] = field(default_factory=dict, repr=False)

    @property
    def structure(self) -> str:
        """The legal structure the options are evaluated under: direct or friendly_pc."""
        return self.inputs.structure

    @property
    def structure_label(self) -> str:
        return rules_view.STRUCTURE_LABELS[self.structure]

    @property
    def recommendation(self) -> dict[str, Any]:
        """The decision as in the JSON contract: ``option`` (None unless recommended),
        ``verdict``, ``margin``, ``probability_best``, ``flips``, ``asymmetric``, ``reason``."""
        return self.decision.to_dict()

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
        return OPTION_LABELS[option]

    # ----------------------------------------------------------------- tables
    def _monthly_lines(self, option: str) -> dict[str, np.ndarray]:
        p = self.projections[option]
        data = {name: p.site[name][0].sum(axis=0) for name in SITE_LINES}
        # company lines last: "ebitda" is the company's (sites less overhead)
        data.update({k: v[0] for k, v in p.company.items()
                     if k not in ("loan_balance_end", "capex_buildout", "capex_equipment")})
        return data

    def monthly(self, option: str) -> pd.DataFrame:
        """Monthly lines of one option (index 0..horizon) [USD]."""
        frame = pd.DataFrame(self._monthly_lines(option))
        frame.index.name = "month"
        return frame

    @property
    def years(self) -> np.ndarray:
        """The project years of the annual tables: 1, 2, ..."""
        return distinct(self._years)

    def annual_lines(self, option: str) -> dict[str, np.ndarray]:
        """:meth:`annual` as plain arrays, one value per year of :attr:`years` (no pandas)."""
        return {k: v.copy() for k, v in self._annual_of(option).items()}

    def annual(self, option: str) -> pd.DataFrame:
        """Annual P&L and cash flow of one option; year 1 also holds the index-0 flows."""
        return pd.DataFrame(self.annual_lines(option), index=pd.Index(self.years, name="year"))

    def _compute_annual(self, option: str) -> dict[str, np.ndarray]:
        m = self._monthly_lines(option)
        _, sums = group_sum(np.column_stack(list(m.values())), self._years)
        out = dict(zip(m, sums.T, strict=True))
        revenue = out["revenue"]
        out["ebitda_margin"] = np.where(revenue != 0,
                                        out["ebitda"] / np.where(revenue != 0, revenue, 1), np.nan)
        return {c: np.ascontiguousarray(out[c]) for c in ANNUAL_LINES if c in out}

    def site_annual(self, option: str, line: str = "revenue") -> np.ndarray:
        """:meth:`annual_by_site` as a plain (year, site) array (no pandas)."""
        arr = self.projections[option].site[line][0]  # (S, M)
        return group_sum(arr.T, self._years)[1]

    def annual_by_site(self, option: str, line: str = "revenue") -> pd.DataFrame:
        """One site-level line by year (rows) and site (columns) [USD]."""
        return pd.DataFrame(self.site_annual(option, line), columns=self.inputs.sites,
                            index=pd.Index(self.years, name="year"))

    def entity_lines(self, option: str = "self_managed") -> dict[str, dict[str, np.ndarray]]:
        """:meth:`entity_annual` as plain arrays: entity -> line -> one value per year."""
        out = {}
        for name, lines in self.projections[option].entities.items():
            _, sums = group_sum(np.column_stack([v[0] for v in lines.values()]), self._years)
            out[name] = dict(zip(lines, sums.T, strict=True))
        return out

    def entity_annual(self, option: str = "self_managed") -> dict[str, pd.DataFrame]:
        """Friendly-PC structure only: annual P&L of the PC and of the owner's MSO under one
        management option (empty under direct ownership)."""
        return {name: pd.DataFrame(lines, index=pd.Index(self.years, name="year"))
                for name, lines in self.entity_lines(option).items()}

    def financials(self, option: str) -> Financials:
        """The option's three statements (monthly and annual, per entity), sources and uses and
        debt-service coverage against the loan's covenant (see :mod:`msomodel.financials`)."""
        if option not in self._financials:
            loan = self.scenario.finance.loan
            self._financials[option] = financials(self.projections[option], self.horizon,
                                                  loan.covenant if loan else 1.25)
        return self._financials[option]

    def at_year(self, option: str, line: str, year: int) -> float:
        """One annual figure (:meth:`annual`'s ``line`` in ``year``)."""
        return float(self._annual_of(option)[line][int(np.searchsorted(self.years, year))])

    def _annual_of(self, option: str) -> dict[str, np.ndarray]:
        if option not in self._annual:
            self._annual[option] = self._compute_annual(option)
        return self._annual[option]

    def key_figures(self) -> pd.DataFrame:
        """Headline metrics (rows) by option (columns), numbers unformatted."""
        year3 = min(3, (self.horizon + 11) // 12)
        rows: dict[str, dict[str, Any]] = {}
        for option in OPTIONS:
            m = self.metrics[option]
            inc = self.incremental.get(option, {})
            prob = self.decision.probability_best or {}
            p10 = self.decision.p10_npv or {}
            rows[self.label(option)] = {
                "feasibility": self.feasibility[option].status,
                "npv": m["npv"], "probability_best": prob.get(option, np.nan),
                "p10_npv": p10.get(option, np.nan),
                "project_irr_annual": m["project_irr_annual"], "irr_annual": m["irr_annual"],
                "payback_month": m["payback_month"], "peak_funding": m["peak_funding"],
                "moic": m["moic"], "exit_value": m["exit_value"],
                "pv_exit": m["pv_exit"], "npv_without_exit": m["npv_without_exit"],
                f"year{year3}_ebitda": self.at_year(option, "ebitda", year3),
                f"year{year3}_ebitda_margin": self.at_year(option, "ebitda_margin", year3),
                "incremental_npv": inc.get("npv", 0.0),
                "incremental_payback_month": inc.get("payback_month", np.nan),
                "incremental_irr_annual": inc.get("irr_annual", np.nan),
            }
        return pd.DataFrame(rows)

    # ----------------------------------------------------------------- JSON
    def _sites_json(self, option: str) -> list[dict[str, Any]]:
        revenue = self.site_annual(option, "revenue")
        ebitda = self.site_annual(option, "ebitda")
        return [{"name": site, "annual": [{"year": int(y), "revenue": _num(revenue[i, s]),
                                           "ebitda": _num(ebitda[i, s])}
                                          for i, y in enumerate(self.years)]}
                for s, site in enumerate(self.inputs.sites)]

    def payback_note(self, option: str) -> str | None:
        """Why a payback falls on the last month, where it does only because the sale at the
        exit is counted: None otherwise."""
        from msomodel import finance
        from msomodel.formatting import money

        pay = self.metrics[option]["payback_month"]
        p = self.projections[option]
        sale = p.company["exit_value"]
        if not np.isfinite(pay) or not sale.any():
            return None
        without = p.net_cash_flow - sale
        if np.isfinite(finance.payback_month(without)).all():
            return None
        short = -finance.cumulative(without)[..., -1].item()
        return (f"reached only in month {int(pay)}, by counting the sale at the exit: without "
                f"it the owner's cumulative cash is still {money(short)} short at the end of "
                f"the {self.horizon}-month horizon")

    def incremental_note(self, option: str) -> dict[str, str | None]:
        """Why an incremental payback or IRR is not shown (README, "Incremental figures")."""
        inc = self.incremental[option]
        npv, changes = inc["npv"], inc["sign_changes"]
        payback = None if npv > 0 else (
            "not shown: the switch does not add value (incremental NPV <= 0)")
        if changes == 1:
            irr = None
        elif changes == 0:
            irr = "not meaningful: the difference never changes sign (no capital at stake)"
        else:
            irr = (f"not meaningful: the difference changes sign {int(changes)} times, so it "
                   "has no unique rate of return")
        return {"payback_month": payback, "irr_annual": irr}

    def to_dict(self) -> dict[str, Any]:
        """The JSON contract (see README, "JSON output")."""
        s = self.scenario
        options = {}
        for option in OPTIONS:
            m = self.metrics[option]
            prob = self.decision.probability_best or {}
            p10 = self.decision.p10_npv or {}
            entry = {
                "label": self.label(option),
                "feasible": self.feasibility[option].allowed,
                "feasibility": {"status": self.feasibility[option].status,
                                "reasons": self.feasibility[option].reasons},
                "npv": _num(m["npv"]),
                "npv_without_exit": _num(m["npv_without_exit"]),
                "pv_exit": _num(m["pv_exit"]),
                "exit_share_of_npv": (_num(m["pv_exit"] / m["npv"]) if m["npv"] > 0 else None),
                "probability_best": _num(prob[option]) if option in prob else None,
                "p10_npv": _num(p10[option]) if option in p10 else None,
                "project_irr_annual": _num(m["project_irr_annual"]),
                "equity_irr_annual": _num(m["irr_annual"]),
                "irr_annual": _num(m["irr_annual"]),
                "payback_month": _month(m["payback_month"]),
                "peak_funding": _num(m["peak_funding"]),
                "equity_multiple": _num(m["moic"]),
                "moic": _num(m["moic"]),
                "exit_value": _num(m["exit_value"]),
                "monthly_net_cash_flow": [float(v) for v in self.projections[option].net_cash_flow[0]],
                "monthly_unlevered_cash_flow": [
                    float(v) for v in self.projections[option].company["unlevered_cash_flow"][0]],
                "annual": _rows(self.years, self._annual_of(option)),
                "sites": self._sites_json(option),
            }
            entry["statements"] = self.financials(option).to_dict()
            if self.structure == "friendly_pc":
                entry["entities"] = {name: _rows(self.years, lines)
                                     for name, lines in self.entity_lines(option).items()}
            options[option] = entry
        incremental = {}
        for option, v in self.incremental.items():
            note = self.incremental_note(option)
            incremental[option] = {
                "versus": "self_managed", "npv": _num(v["npv"]),
                "irr_annual": _num(v["irr_annual"]), "irr_note": note["irr_annual"],
                "payback_month": _month(v["payback_month"]), "payback_note": note["payback_month"],
                "fee_roi": _num(v["fee_roi"])}
        found = self.compliance.structures
        return {
            "schema_version": SCHEMA_VERSION,
            "scenario": {"name": s.name, "path": s.source_path, "sha256": s.sha256,
                         "start": s.finance.start_date.strftime("%Y-%m")},
            "structure": {"id": self.structure, "label": self.structure_label,
                          "status": found[self.structure].status if found else "feasible",
                          "chosen_by": self.compliance.structure_chosen_by,
                          "reasons": found[self.structure].reasons if found else [],
                          "alternatives": {k: {"label": f.label, "status": f.status,
                                               "reasons": f.reasons}
                                           for k, f in found.items() if k != self.structure}},
            "assumptions": {"discount_rate_annual": s.finance.discount_rate_annual,
                            "horizon_months": s.finance.horizon_months,
                            "conventions": CONVENTIONS,
                            "exit_multiple": {"value": exit_multiple(s),
                                              "stated": s.finance.exit_multiple is not None,
                                              "band": exit_band(s).to_dict()},
                            "tax_rate": {"value": tax_rate(s),
                                         "stated": s.finance.tax_rate is not None,
                                         "default": tax_default(s).to_dict()}},
            "options": options,
            "incremental": incremental,
            "breakeven": self.breakeven.to_dict(),
            "pc_breakeven": self.pc_breakeven.to_dict() if self.pc_breakeven else None,
            "recommendation": self.recommendation,
            "compliance": self.compliance.to_dict(),
        }


CONVENTIONS = (
    "Cash flow index 0 is the start (set-up, onboarding); index m is the end of month m. "
    "Monthly rate = (1 + annual)^(1/12) - 1. NPV = sum cf[m] / (1 + r_monthly)^m. "
    "IRR annualized = (1 + irr_monthly)^12 - 1; equity IRR on the owner's levered cash flow "
    "(after debt service, exit net of the loan), project IRR on the unlevered cash flow. "
    "Payback = first month with cumulative cash flow >= 0; payback of a switch = the month after "
    "which the cumulative difference stays >= 0, shown only for a positive incremental NPV. "
    "Incremental IRR only where the difference changes sign once."
)


def assess(scenario: Scenario, inputs: ModelInputs | None = None) -> dict[str, Feasibility]:
    """Feasibility of each option under the structure, from the rules and the scenario's marks."""
    found = inputs.compliance if inputs is not None and inputs.compliance else rules_view.assess(scenario)
    return {o: Feasibility(found.options[o].status, list(found.options[o].reasons)) for o in OPTIONS}


def _pc_margin(projection: Projection) -> float | None:
    pc = projection.entities.get("pc")
    if not pc:
        return None
    revenue = float(pc["revenue"][0].sum())
    return float(pc["ebitda"][0].sum()) / revenue if revenue else None


def _check_finite(scenario: Scenario, projections: dict[str, Projection]) -> None:
    """Results that are not finite (e.g. from a price of 1e308) are input errors."""
    bad = sorted({line for p in projections.values() for line, v in p.site.items()
                  if not np.all(np.isfinite(v))})
    if bad or not all(np.all(np.isfinite(p.net_cash_flow)) for p in projections.values()):
        where = ", ".join(bad) if bad else "the cash flow"
        raise ScenarioError([Problem(
            scenario.source_path or "<scenario>", "",
            f"expected finite results, found overflowing values in {where}: an input is too "
            "large (check prices, volumes, pay and costs)")])


def _sources(scenario: Scenario):
    """Source of an input path from the scenario file's comments and source fields (read on
    first use, once per scenario object)."""
    if scenario._sources is None:
        scenario._sources = {}
    cache: dict[str, str] = scenario._sources

    def lookup(path: str) -> str | None:
        if not cache and scenario.source_path:
            from msomodel import assumptions

            try:
                cache.update({a.path: a.source for a in assumptions.collect(scenario)})
            except (OSError, ValueError):
                cache["<none>"] = ""
        found = cache.get(path)
        return found if found and found != "model default" else None
    return lookup


def compare(scenario: Scenario, *, structure: str | None = None,
            trials: int = decide.DEFAULT_TRIALS, seed: int = decide.DEFAULT_SEED,
            explain: bool = True, workers: int = 1) -> Comparison:
    """Project the three management options of ``scenario`` under one legal structure and
    decide between them.

    ``structure``: ``direct`` or ``friendly_pc`` (default: the scenario's choice, else the
    lawful one from the state rules).  ``trials``/``seed``: the decision's Monte Carlo of the
    scenario's uncertainty section (``trials=0`` skips it); ``explain=False`` skips the flip
    values and asymmetric inputs (see :func:`msomodel.decision.decide`); ``workers``: processes
    for that Monte Carlo and the explanations (forked where safe, :mod:`msomodel.parallel`; the
    same result on any number).
    """
    found = rules_view.assess(scenario, structure)
    inputs = compile_inputs(scenario, found)
    if trials > 0:  # a Monte Carlo that leaves out the base case would contradict it
        excluded = excluded_values(scenario.uncertainty, scenario, inputs,
                                   scenario.source_path or "<uncertainty>")
        if excluded:
            raise ScenarioError(excluded)
    with np.errstate(over="ignore", invalid="ignore"):  # overflow is reported, not warned
        projections = engine.run(inputs)
    _check_finite(scenario, projections)
    rate = inputs.arrays["discount_rate"][None]
    per_option = {o: {k: float(v[0]) for k, v in metrics.option_metrics(p, rate).items()}
                  for o, p in projections.items()}
    base = projections["self_managed"]
    incremental = {o: {k: float(v[0]) for k, v in
                       metrics.incremental_metrics(projections[o], base, rate).items()}
                   for o in ("mso", "software_only")}
    revenue_max = float(base.site["revenue"].max())
    be = metrics.breakeven(inputs, per_option["self_managed"]["npv"], revenue_max)
    pc_be = metrics.pc_breakeven(inputs, revenue_max)
    feasibility = assess(scenario, inputs)
    allowed = [o for o in OPTIONS if feasibility[o].allowed]
    decision = decide.decide(scenario, inputs, {o: m["npv"] for o, m in per_option.items()},
                             allowed, trials=trials, seed=seed, sources=_sources(scenario),
                             explain=explain, workers=workers)
    found.warnings = rules_view.deal_warnings(scenario, inputs.structure,
                                              _pc_margin(projections["self_managed"]))
    return Comparison(scenario, inputs, projections, per_option, incremental, be, pc_be,
                      feasibility, decision, found)


def compare_structures(scenario: Scenario, **kwargs: Any) -> dict[str, Comparison]:
    """One :class:`Comparison` per structure to evaluate: the lawful (or chosen) one, or both
    side by side when the scenario says ``structure: {type: both}``."""
    return {s: compare(scenario, structure=s, **kwargs)
            for s in rules_view.structures_to_evaluate(scenario)}
