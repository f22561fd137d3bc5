"""The scenario: every input of the model, validated by pydantic.

A scenario file is YAML (see :mod:`msomodel.loader`).  Units are in each field's description:
``[USD/month]`` is per site per month unless said otherwise, ``[fraction]`` is 0.10 for 10 %,
growth and escalators are annual and applied in steps at the start of each project year
(months 13, 25, ...).  Unknown keys are rejected so that a typo is an error, not a default.

Sites share ``site_defaults``; each site may override any of it under ``overrides:`` with the
same shape (lists of named items — service lines, roles — are merged by ``name``).
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from msomodel.analysis.spec import UncertaintySpec

OPTIONS = ("self_managed", "mso", "software_only")
LICENCES = ("physician", "np", "pa", "rn", "none")


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", allow_inf_nan=False, validate_default=True)


Fraction = Annotated[float, Field(ge=0.0, le=1.0)]
NonNeg = Annotated[float, Field(ge=0.0)]
Growth = Annotated[float, Field(ge=-0.5, le=1.0)]
Source = Annotated[str | None, Field(description="Where the figure comes from, or 'assumption'.")]
#: Names appear in dotted input paths (``sites.Austin.open_month``), so they may not contain '.'.
Name = Annotated[str, Field(min_length=1, pattern=r"^[^.]+$")]


def _unique_names(items: list[Any], what: str) -> list[Any]:
    seen: set[str] = set()
    for item in items:
        if item.name in seen:
            raise ValueError(f"{what} names must be unique; '{item.name}' appears twice")
        seen.add(item.name)
    return items


# --------------------------------------------------------------------------- site assumptions
class ServiceLine(Model):
    """One line of business at a site (e.g. neurotoxin, filler, retail)."""

    name: Name = Field(description="Identifier, unique within the site (no '.').")
    kind: Literal["treatment", "retail", "membership"] = Field(
        "treatment",
        description="Treatments use provider time and suffer no-shows; retail and memberships do not.",
    )
    volume_per_month: NonNeg = Field(description="Steady-state units sold [units/month per site].")
    price: NonNeg = Field(description="Average price per unit in project year 1 [USD/unit].")
    price_growth_annual: Growth = Field(0.0, description="Price growth per year [fraction/year].")
    volume_growth_annual: Growth = Field(0.0, description="Volume growth per year [fraction/year].")
    cost_fraction_of_price: Fraction | None = Field(
        None, description="Product cost as a share of price [fraction]."
    )
    cost_per_unit: NonNeg | None = Field(None, description="Product cost per unit [USD/unit].")
    cost_growth_annual: Growth = Field(
        0.0, description="Growth of `cost_per_unit` per year [fraction/year]."
    )
    provider_hours_per_unit: NonNeg = Field(
        0.0, description="Provider time per unit, used by the capacity cap [hours/unit]."
    )
    discountable: bool = Field(
        True, description="Whether group-purchasing discounts apply to this line's product cost."
    )
    source: Source = None

    @model_validator(mode="after")
    def _one_cost_basis(self) -> ServiceLine:
        if self.cost_fraction_of_price is not None and self.cost_per_unit is not None:
            raise ValueError("give cost_fraction_of_price or cost_per_unit, not both")
        return self


class Capacity(Model):
    """Provider capacity that caps treatment volume: providers x hours x utilisation."""

    providers: NonNeg = Field(description="Treating providers at the site [FTE].")
    hours_per_provider_month: NonNeg = Field(
        140.0, description="Bookable hours per provider [hours/month]."
    )
    utilisation: Fraction = Field(0.8, description="Share of bookable hours sold [fraction].")


class Role(Model):
    """A role on the roster. Pay components add up: hourly + salary + commission."""

    name: Name = Field(description="Identifier, unique on the roster (no '.').")
    kind: Literal["clinical", "administrative"] = Field(
        description="Administrative roles can be taken over by an MSO or shrunk by software."
    )
    fte: NonNeg = Field(description="Full-time equivalents [FTE].")
    hourly_rate: NonNeg | None = Field(None, description="Hourly pay [USD/hour].")
    hours_per_fte_month: NonNeg = Field(173.33, description="Paid hours per FTE [hours/month].")
    salary_annual: NonNeg | None = Field(None, description="Salary per FTE [USD/year].")
    commission_rate: Fraction | None = Field(
        None, description="Commission on the production of `commission_lines` [fraction]."
    )
    commission_lines: list[str] | None = Field(
        None, description="Service lines the commission is paid on (default: all treatments)."
    )
    production_share: Fraction = Field(
        1.0, description="Share of those lines' revenue this role produces [fraction]."
    )
    raise_annual: Growth = Field(0.03, description="Pay rise per year [fraction/year].")
    payroll_load: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        None, description="Benefits and payroll taxes as a share of pay (default: staffing's)."
    )
    source: Source = None

    @model_validator(mode="after")
    def _has_pay(self) -> Role:
        if self.hourly_rate is None and self.salary_annual is None and self.commission_rate is None:
            raise ValueError("a role needs hourly_rate, salary_annual or commission_rate")
        return self


class Staffing(Model):
    payroll_load: Fraction = Field(
        0.20, description="Benefits and payroll taxes as a share of pay [fraction]."
    )
    roles: list[Role] = Field(min_length=1, description="The roster of roles.")

    @model_validator(mode="after")
    def _names(self) -> Staffing:
        _unique_names(self.roles, "role")
        return self


class OpexItem(Model):
    """A running cost: a fixed monthly amount plus a share of revenue."""

    monthly: NonNeg = Field(0.0, description="Fixed amount in project year 1 [USD/month per site].")
    percent_of_revenue: Fraction = Field(0.0, description="Variable part [fraction of revenue].")
    escalator_annual: Growth = Field(0.03, description="Growth of the fixed part [fraction/year].")
    owned_mso_entity: Literal["pc", "mso"] = Field(
        "mso", description="Which entity bears it under an owned MSO with a friendly PC."
    )
    source: Source = None


class Equipment(Model):
    name: Name = Field(description="Identifier (no '.').")
    cost: NonNeg = Field(description="Purchase price, spent before opening [USD].")
    source: Source = None


class SiteAssumptions(Model):
    """Everything that describes one site's economics under self-management."""

    service_lines: list[ServiceLine] = Field(min_length=1)
    capacity: Capacity | None = Field(None, description="Optional cap on treatment volume.")
    no_show_rate: Fraction = Field(
        0.10, description="Share of booked treatment appointments missed [fraction]."
    )
    staffing: Staffing = Field(description="Roster, pay and payroll load.")
    opex: dict[str, OpexItem] = Field(
        default_factory=dict,
        description="Running costs by name (rent, utilities, marketing, insurance, ...).",
    )
    startup_cost: NonNeg = Field(0.0, description="Build-out and other start-up spend [USD].")
    equipment: list[Equipment] = Field(
        default_factory=list, description="Devices bought before opening (lasers, ...)."
    )

    @model_validator(mode="after")
    def _check(self) -> SiteAssumptions:
        for key in self.opex:
            if "." in key or not key:
                raise ValueError(f"opex: expected item names without '.', found '{key}'")
        _unique_names(self.service_lines, "service line")
        _unique_names(self.equipment, "equipment")
        names = {line.name for line in self.service_lines}
        share: dict[str, float] = {}
        for role in self.staffing.roles:
            for line in role.commission_lines or []:
                if line not in names:
                    raise ValueError(
                        f"role '{role.name}' commission_lines: expected one of {sorted(names)}, "
                        f"found '{line}'"
                    )
            if role.commission_rate:
                key = ",".join(sorted(role.commission_lines or ["<treatments>"]))
                share[key] = share.get(key, 0.0) + role.production_share
        for key, total in share.items():
            if total > 1.0 + 1e-9:
                raise ValueError(
                    f"production_share of commissioned roles on [{key}] adds up to {total:g}; "
                    "expected at most 1"
                )
        return self


class Site(Model):
    name: Name = Field(description="Site name, unique in the scenario (no '.').")
    open_month: int = Field(1, ge=1, description="First operating month (1 = the first month) [month].")
    ramp_months: int = Field(12, ge=0, le=120, description="Months to reach steady volume [months].")
    ramp_start_fraction: Fraction = Field(
        0.4, description="Share of steady volume in the opening month [fraction]."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Partial site assumptions, same shape as `site_defaults`; named list items "
        "(service lines, roles) are merged by name.",
    )


# --------------------------------------------------------------------------- finance
class Loan(Model):
    financed_fraction: Fraction = Field(
        description="Share of each site's capital borrowed [fraction]."
    )
    rate_annual_nominal: Annotated[float, Field(ge=0.0, le=0.5)] = Field(
        description="Nominal APR, compounded monthly (monthly rate = APR / 12) [fraction/year]."
    )
    term_months: int = Field(ge=1, le=360, description="Repayment term [months].")


class Finance(Model):
    horizon_months: int = Field(60, ge=12, le=240, description="Projection length [months].")
    discount_rate_annual: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.12, description="Owner's required return, annual effective [fraction/year]."
    )
    tax_rate: Fraction = Field(
        0.0, description="Income tax on profit after interest and depreciation [fraction]."
    )
    depreciation_months: int = Field(84, ge=1, le=480, description="Straight-line life [months].")
    exit_multiple: NonNeg = Field(
        4.0, description="Exit value = multiple x trailing-12-month EBITDA at the horizon [x]."
    )
    loan: Loan | None = Field(None, description="Borrowing against each site's capital.")


class Adjustments(Model):
    """Scenario-wide multipliers, used by sensitivity analysis and the explorer."""

    volume_multiplier: NonNeg = Field(1.0, description="Scales every service line's volume [x].")
    price_multiplier: NonNeg = Field(1.0, description="Scales every price [x].")
    wage_multiplier: NonNeg = Field(1.0, description="Scales hourly and salaried pay [x].")
    opex_multiplier: NonNeg = Field(1.0, description="Scales fixed running costs [x].")


class Ownership(Model):
    licence: Literal["physician", "np", "pa", "rn", "none"]
    share: Fraction


class Owner(Model):
    state: str = Field(description="US state or DC, two-letter code (e.g. OH).")
    licence: Literal["physician", "np", "pa", "rn", "none"] = Field(
        description="The owner's licence; 'none' for a lay owner."
    )
    ownership: list[Ownership] | None = Field(
        None, description="Ownership split for groups (shares add up to 1)."
    )

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        from msomodel.rules.codes import normalise_state

        try:
            return normalise_state(value)
        except ValueError:
            raise ValueError(
                f"expected a two-letter code of a US state or DC (e.g. OH), found {value!r}"
            ) from None

    @model_validator(mode="after")
    def _shares(self) -> Owner:
        if self.ownership:
            total = sum(o.share for o in self.ownership)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"ownership shares must add up to 1, found {total:g}")
        return self


# --------------------------------------------------------------------------- MSO fee
class FeeCommon(Model):
    floor_per_site_monthly: NonNeg | None = Field(None, description="Minimum fee [USD/month].")
    cap_per_site_monthly: NonNeg | None = Field(None, description="Maximum fee [USD/month].")
    escalator_annual: Growth = Field(
        0.0, description="Growth of fixed amounts (flat fee, base, floor, cap) [fraction/year]."
    )
    onboarding_fee_per_site: NonNeg = Field(0.0, description="One-time, before opening [USD].")
    term_months: int = Field(36, ge=1, description="Contract term [months].")
    termination_fee: NonNeg = Field(0.0, description="Paid at the horizon if terminated [USD].")
    terminate_at_exit: bool = Field(False, description="Pay the termination fee at the horizon.")
    changes_per_year: int = Field(1, ge=0, description="How often the fee is reset [per year].")

    @model_validator(mode="after")
    def _floor_cap(self) -> FeeCommon:
        f, c = self.floor_per_site_monthly, self.cap_per_site_monthly
        if f is not None and c is not None and c < f:
            raise ValueError(f"cap_per_site_monthly ({c:g}) is below floor_per_site_monthly ({f:g})")
        return self


class FlatFee(FeeCommon):
    type: Literal["flat"]
    per_site_monthly: NonNeg = Field(description="Fee per open site [USD/month].")


class PercentageFee(FeeCommon):
    type: Literal["percentage"]
    percent: Fraction = Field(description="Share of each site's collections [fraction].")


class CostPlusFee(FeeCommon):
    type: Literal["cost_plus"]
    markup: Annotated[float, Field(ge=0.0, le=10.0)] = Field(
        description="Fee = MSO cost base x (1 + markup) [fraction]."
    )
    overhead_per_site_monthly: NonNeg = Field(
        0.0, description="MSO's own cost per site on top of the costs it takes over [USD/month]."
    )


class Tier(Model):
    up_to_monthly: NonNeg | None = Field(
        None, description="Upper edge of the band of a site's monthly collections [USD/month]."
    )
    percent: Fraction = Field(description="Marginal rate within the band [fraction].")


class TieredFee(FeeCommon):
    type: Literal["tiered"]
    tiers: list[Tier] = Field(min_length=1, description="Marginal bands, lowest first.")

    @model_validator(mode="after")
    def _bands(self) -> TieredFee:
        edges = [t.up_to_monthly for t in self.tiers]
        if any(e is None for e in edges[:-1]):
            raise ValueError("only the last tier may omit up_to_monthly")
        finite = [e for e in edges if e is not None]
        if any(b <= a for a, b in zip(finite, finite[1:], strict=False)):
            raise ValueError("tier edges (up_to_monthly) must increase")
        return self


class HybridFee(FeeCommon):
    type: Literal["hybrid"]
    base_per_site_monthly: NonNeg = Field(description="Fixed part [USD/month per site].")
    percent: Fraction = Field(description="Plus a share of collections [fraction].")


Fee = Annotated[
    FlatFee | PercentageFee | CostPlusFee | TieredFee | HybridFee, Field(discriminator="type")
]


class MSO(Model):
    kind: Literal["third_party", "owned"] = Field(
        description="'third_party': pay an outside MSO; 'owned': the owner's MSO manages a "
        "friendly physician-owned PC."
    )
    fee: Fee = Field(description="The fee structure, chosen by its `type`.")
    provides_friendly_pc: bool = Field(
        False, description="Third-party MSO also supplies a physician-owned PC (CPOM states)."
    )
    purchasing_discount: Fraction = Field(
        0.0, description="Discount on discountable product costs at one site [fraction]."
    )
    purchasing_discount_per_extra_site: Fraction = Field(
        0.0, description="Extra discount per additional open site [fraction/site]."
    )
    purchasing_discount_max: Fraction = Field(
        0.15, description="Ceiling on the discount [fraction]."
    )
    absorbed_roles: list[str] | None = Field(
        None,
        description="Third-party: roles that leave the spa's payroll (default: all administrative).",
    )
    absorbed_opex: dict[str, Fraction] = Field(
        default_factory=dict,
        description="Share of each running cost the MSO takes over (third-party) or saves by "
        "centralising (owned) [fraction].",
    )
    revenue_uplift: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.0, description="Extra volume from the MSO's marketing and operations [fraction]."
    )
    structuring_legal_one_time: NonNeg = Field(
        0.0, description="Owned: legal set-up of MSO, PC and MSA, at the start [USD]."
    )
    medical_director_agreement_monthly: NonNeg = Field(
        0.0, description="Owned: PC's medical director agreement [USD/month per site]."
    )
    pc_administration_monthly: NonNeg = Field(
        0.0, description="Owned: PC administration (filings, accounting) [USD/month per site]."
    )
    mso_overhead_monthly: NonNeg = Field(
        0.0, description="Owned: corporate overhead of the MSO [USD/month, company level]."
    )
    exit_multiple: NonNeg | None = Field(
        None, description="Exit multiple for this option (default: finance.exit_multiple)."
    )
    source: Source = None


class Software(Model):
    vendor: str | None = Field(None, description="Vendor and plan, for the report.")
    per_location_monthly: NonNeg = Field(description="Subscription, first location [USD/month].")
    extra_location_monthly: NonNeg | None = Field(
        None, description="Each further location [USD/month] (default: per_location_monthly)."
    )
    per_provider_monthly: NonNeg = Field(0.0, description="Per treating provider [USD/month].")
    add_ons_monthly: NonNeg = Field(0.0, description="Forms, messaging, ... [USD/month per site].")
    implementation_fee_per_site: NonNeg = Field(0.0, description="One-time, before opening [USD].")
    price_escalator_annual: Growth = Field(0.0, description="Price growth [fraction/year].")
    contract_term_months: int = Field(
        12, ge=1, description="Contract term [months]; informational, not used in the cash flows."
    )
    admin_hours_saved: Fraction = Field(
        0.0, description="Share of administrative payroll no longer needed [fraction]."
    )
    no_show_reduction: Fraction = Field(
        0.0, description="Relative fall in no-shows from reminders [fraction]."
    )
    online_booking_uplift: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        0.0, description="Extra treatment volume from online booking [fraction]."
    )
    payment_processing_rate: Fraction | None = Field(
        None, description="Replaces the `card_processing` running cost's share of revenue."
    )
    replaces_opex: dict[str, Fraction] = Field(
        default_factory=dict, description="Share of each running cost it replaces [fraction]."
    )
    source: Source = None


class ConditionCost(Model):
    monthly: NonNeg | None = Field(None, description="Replaces the data's monthly cost [USD/month per site].")
    one_time: NonNeg | None = Field(None, description="Replaces the data's one-time cost [USD per site].")
    source: Source = None


class ComplianceSettings(Model):
    """How the state-rules conditions are costed (see msomodel.compliance)."""

    condition_costs: dict[str, ConditionCost] = Field(
        default_factory=dict, description="Cost overrides by condition id (e.g. pa_supervision)."
    )
    include_condition_costs: bool = Field(
        True, description="Add the conditions' costs to the options they apply to."
    )


class Infeasible(Model):
    reason: str = Field(min_length=1)


# --------------------------------------------------------------------------- scenario
class Scenario(Model):
    """A client scenario: sites, their economics, and the MSO and software offers."""

    name: str = Field(min_length=1, description="Client or scenario name shown in reports.")
    description: str | None = Field(None, description="A sentence or two for the report.")
    owner: Owner | None = Field(
        None, description="State and licence of the owner; decides which options are allowed."
    )
    finance: Finance = Field(default_factory=Finance, description="Horizon, rates, loan, exit.")
    adjustments: Adjustments = Field(
        default_factory=Adjustments, description="Scenario-wide multipliers (sensitivity)."
    )
    site_defaults: SiteAssumptions = Field(description="Economics shared by every site.")
    sites: list[Site] = Field(
        min_length=1, max_length=200, description="The locations, their opening and overrides."
    )
    mso: MSO = Field(description="The MSO offer: kind, fee and what it takes over.")
    software: Software = Field(description="The practice-management software offer.")
    infeasible: dict[Literal["self_managed", "mso", "software_only"], Infeasible] = Field(
        default_factory=dict, description="Options to mark infeasible, with the reason."
    )
    compliance: ComplianceSettings = Field(
        default_factory=ComplianceSettings, description="Costing of licence conditions."
    )
    uncertainty: UncertaintySpec | None = Field(
        None, description="Ranges for sensitivity and distributions for Monte Carlo."
    )

    _source_path: str | None = PrivateAttr(None)
    _sha256: str | None = PrivateAttr(None)
    _resolved: list[SiteAssumptions] | None = PrivateAttr(None)
    _provenance: list[dict[str, Any]] | None = PrivateAttr(None)

    @model_validator(mode="after")
    def _check(self) -> Scenario:
        _unique_names(self.sites, "site")
        items = set(self.site_defaults.opex)
        for key in self.mso.absorbed_opex:
            if key not in items:
                raise ValueError(
                    f"mso.absorbed_opex: expected one of the opex items {sorted(items)}, found '{key}'"
                )
        for key in self.software.replaces_opex:
            if key not in items:
                raise ValueError(
                    f"software.replaces_opex: expected one of the opex items {sorted(items)}, "
                    f"found '{key}'"
                )
        if self.compliance.condition_costs:
            from msomodel.compliance import known_condition_ids

            known = known_condition_ids()
            for key in self.compliance.condition_costs:
                if key not in known:
                    raise ValueError(
                        f"compliance.condition_costs: expected a condition id of the rules data "
                        f"({', '.join(sorted(known))}), found '{key}'"
                    )
        roles = {r.name for r in self.site_defaults.staffing.roles}
        for name in self.mso.absorbed_roles or []:
            if name not in roles:
                raise ValueError(
                    f"mso.absorbed_roles: expected one of the roles {sorted(roles)}, found '{name}'"
                )
        horizon = self.finance.horizon_months
        for i, site in enumerate(self.sites):
            if site.open_month > horizon:
                raise ValueError(
                    f"sites.{i}.open_month: expected a month within the horizon (<= {horizon}), "
                    f"found {site.open_month}"
                )
        return self

    # -- provenance set by the loader --------------------------------------------------------
    @property
    def source_path(self) -> str | None:
        """The file the scenario was loaded from (None when built in Python)."""
        return self._source_path

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the scenario file's bytes (None when built in Python)."""
        return self._sha256

    def site_assumptions(self) -> list[SiteAssumptions]:
        """Each site's assumptions: `site_defaults` merged with that site's overrides."""
        if self._resolved is None:
            from msomodel.loader import resolve_sites

            self._resolved, self._provenance = resolve_sites(self)
        return self._resolved

    def site_provenance(self) -> list[dict[str, Any]]:
        """For each site, the scenario path each resolved value came from (same shape)."""
        self.site_assumptions()
        assert self._provenance is not None
        return self._provenance
