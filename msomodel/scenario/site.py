"""One site's economics (``site_defaults`` and each site's ``overrides``) and the site list."""

from typing import Annotated, Any, Literal

from pydantic import Field, model_validator

from msomodel.scenario.base import Fraction, Growth, Int, Model, Name, NonNeg, Source, unique_names


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
    redemption_share: Fraction | None = Field(
        None, description="Memberships: share of the dues members redeem as service credit; the "
        "rest is breakage. Required for a membership line (0: the dues buy no treatments, "
        "stated explicitly) [fraction]."
    )
    redeemed_on: Name | None = Field(
        None, description="Memberships: the treatment line the credit is spent on; redeemed "
        "treatments cost that line's product cost and provider time, and earn no further revenue."
    )
    redemption_months: Int = Field(
        1, ge=1, le=24,
        description="Memberships: months over which the credit bought with one month's dues is "
        "redeemed, evenly from the month billed (1: all in that month). Dues are cash when "
        "billed and revenue as the credit is redeemed (breakage in proportion); the rest is "
        "deferred revenue, and what is unredeemed at the exit reduces the sale price [months].",
    )
    source: Source = None

    @model_validator(mode="after")
    def _one_cost_basis(self) -> "ServiceLine":
        if self.cost_fraction_of_price is not None and self.cost_per_unit is not None:
            raise ValueError("give cost_fraction_of_price or cost_per_unit, not both")
        if self.kind != "membership" and (self.redemption_share is not None
                                          or self.redeemed_on is not None):
            raise ValueError(f"'{self.name}': redemption_share and redeemed_on are for "
                             "membership lines only")
        if self.kind != "membership" and self.redemption_months != 1:
            raise ValueError(f"'{self.name}': redemption_months is for membership lines only "
                             f"(found {self.redemption_months} on a {self.kind} line)")
        if self.kind == "membership" and self.redemption_share is None:
            raise ValueError(
                f"membership line '{self.name}': expected redemption_share, the share of dues "
                "redeemed as service credit (with redeemed_on, the treatment it buys); set 0 if "
                "the dues buy no treatments")
        if self.redemption_share and self.redeemed_on is None:
            raise ValueError(f"membership line '{self.name}': expected redeemed_on, the "
                             "treatment line its credit is spent on")
        return self


class Hiring(Model):
    """Providers hired as demand grows: when demanded provider hours pass ``trigger_utilisation``
    of capacity, the site hires ``step_fte`` more (up to ``max_providers``), paid as ``role``
    from the month of hire, whose capacity ramps up over ``ramp_months``."""

    role: Name = Field(description="The clinical role new providers are hired into (their pay).")
    trigger_utilisation: Annotated[float, Field(gt=0.0, le=1.0)] = Field(
        0.9, description="Hire when demanded hours exceed this share of capacity [fraction]."
    )
    max_providers: NonNeg = Field(description="The most providers the site can hold [FTE].")
    step_fte: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        1.0, description="Size of one hire [FTE]."
    )
    ramp_months: Int = Field(
        3, ge=1, le=24, description="Months for a new provider to reach full capacity [months]."
    )


class Capacity(Model):
    """Provider capacity that caps treatment volume: providers x hours x utilization."""

    providers: NonNeg = Field(description="Treating providers at the site [FTE].")
    hours_per_provider_month: NonNeg = Field(
        140.0, description="Bookable hours per provider [hours/month]."
    )
    utilisation: Fraction = Field(0.8, description="Share of bookable hours sold [fraction].")
    hiring: Hiring | None = Field(None, description="Hire providers as demand grows (none).")

    @model_validator(mode="after")
    def _room(self) -> "Capacity":
        if self.hiring is not None and self.hiring.max_providers < self.providers:
            raise ValueError(f"hiring.max_providers ({self.hiring.max_providers:g}) is below "
                             f"the providers already there ({self.providers:g})")
        return self


class AdminScaling(Model):
    """An administrative role whose headcount follows the site's treatment visits: in month m the
    site employs ``max(fte, step_fte x ceil(visits / (visits_per_fte x step_fte)))`` FTE of it,
    at most ``max_fte``, never letting go (the most reached so far).  Visits are the site's own
    treatment units delivered that month (after the capacity cap and the option's volume
    effects; membership redemptions not counted)."""

    visits_per_fte: Annotated[float, Field(gt=0.0, le=1e6)] = Field(
        description="Treatment visits one FTE of the role handles [visits/month per FTE]."
    )
    step_fte: Annotated[float, Field(gt=0.0, le=10.0)] = Field(
        0.5, description="Headcount moves in steps of this size [FTE]."
    )
    max_fte: NonNeg = Field(description="The most FTE of this role the site holds [FTE].")


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
    payroll_load: Fraction | None = Field(
        None, description="Benefits and payroll taxes as a share of pay (default: staffing's)."
    )
    scales_with: AdminScaling | None = Field(
        None, description="Administrative roles: headcount follows the site's treatment visits, "
        "`fte` being the least (none: fixed at `fte`)."
    )
    source: Source = None

    @model_validator(mode="after")
    def _has_pay(self) -> "Role":
        if self.hourly_rate is None and self.salary_annual is None and self.commission_rate is None:
            raise ValueError("a role needs hourly_rate, salary_annual or commission_rate")
        if self.scales_with is not None:
            if self.kind != "administrative":
                raise ValueError(f"role '{self.name}' scales_with: expected an administrative "
                                 f"role, found kind '{self.kind}' (clinical roles are hired "
                                 "through capacity.hiring)")
            if self.scales_with.max_fte < self.fte:
                raise ValueError(f"role '{self.name}' scales_with.max_fte "
                                 f"({self.scales_with.max_fte:g}): expected at least the role's "
                                 f"fte ({self.fte:g})")
        return self


class Staffing(Model):
    payroll_load: Fraction = Field(
        0.20, description="Benefits and payroll taxes as a share of pay [fraction]."
    )
    roles: list[Role] = Field(min_length=1, description="The roster of roles.")

    @model_validator(mode="after")
    def _names(self) -> "Staffing":
        unique_names(self.roles, "role")
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
    def _check(self) -> "SiteAssumptions":
        for key in self.opex:
            if "." in key or not key:
                raise ValueError(f"opex: expected item names without '.', found '{key}'")
        unique_names(self.service_lines, "service line")
        unique_names(self.equipment, "equipment")
        names = {line.name for line in self.service_lines}
        treatments = sorted(x.name for x in self.service_lines if x.kind == "treatment")
        hiring = self.capacity.hiring if self.capacity else None
        clinical = sorted(r.name for r in self.staffing.roles if r.kind == "clinical")
        if hiring is not None and hiring.role not in clinical:
            raise ValueError(f"capacity.hiring.role: expected one of the clinical roles "
                             f"{clinical}, found '{hiring.role}'")
        for line in self.service_lines:
            if line.redeemed_on is not None and line.redeemed_on not in treatments:
                raise ValueError(f"membership line '{line.name}' redeemed_on: expected one of "
                                 f"the treatment lines {treatments}, found '{line.redeemed_on}'")
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
    open_month: Int = Field(1, ge=1, description="First operating month (1 = the first month) [month].")
    ramp_months: Int = Field(12, ge=0, le=120, description="Months to reach steady volume [months].")
    ramp_start_fraction: Fraction = Field(
        0.4, description="Share of steady volume in the opening month [fraction]."
    )
    overrides: dict[str, Any] = Field(
        default_factory=dict,
        description="Partial site assumptions, same shape as `site_defaults`; named list items "
        "(service lines, roles) are merged by name.",
    )


