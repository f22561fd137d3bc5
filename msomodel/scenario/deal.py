"""What is on offer and how the business is held: the legal structure's terms, the
third-party MSO's offer and the practice-management software's.

Two questions, kept apart:

- **Structure** (who owns what): ``direct`` — the owner owns the clinical entity — or
  ``friendly_pc`` — an MSO owned by the owner manages a physician-owned PC under a management
  services agreement (MSA).  The state rules decide which is lawful (``structure.type: auto``)
  unless the scenario chooses one, or asks for ``both`` side by side.
- **Management** (who does the admin work): in-house (self-managed), in-house with software,
  or a third-party MSO's services for a fee.  All three are compared under the structure.
"""

from typing import Any, Literal

from pydantic import Field, model_validator

from msomodel.scenario.base import Fraction, Growth, Int, Model, Name, NonNeg, Source
from msomodel.scenario.fees import CostPlusFee, Fee, ManagementFee

_MOVED = {
    "structuring_legal_one_time", "medical_director_agreement_monthly",
    "pc_administration_monthly", "mso_overhead_monthly",
}


class MSO(Model):
    """A third-party MSO's offer: its fee, what it takes over, and the effects it claims."""

    fee: Fee = Field(description="The fee structure, chosen by its `type`.")
    provides_friendly_pc: bool = Field(
        False, description="The MSO also supplies the physician-owned PC and its medical "
        "director (a physician network); under the friendly-PC structure its fee then covers "
        "the structure's set-up, medical-director and PC-administration costs. A medical-"
        "director role on the spa's payroll stays there unless listed in absorbed_roles."
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
        None, description="Roles that leave the spa's payroll (default: all administrative)."
    )
    absorbed_opex: dict[str, Fraction] = Field(
        default_factory=dict, description="Share of each running cost the MSO takes over [fraction]."
    )
    revenue_uplift: Fraction = Field(
        0.0, description="Extra volume from the MSO's marketing and operations [fraction]."
    )
    exit_multiple: NonNeg | None = Field(
        None, description="Exit multiple under this option, if a source supports a different one "
        "(default: finance.exit_multiple) [x]."
    )
    source: Source = None

    @model_validator(mode="before")
    @classmethod
    def _migrated(cls, data: Any) -> Any:
        if isinstance(data, dict):
            if "kind" in data:
                raise ValueError(
                    "kind: the owned MSO is no longer a management option but the legal structure: "
                    "remove mso.kind and put the owned MSO's terms under structure.friendly_pc "
                    "(README, 'Migrating from schema version 1')"
                )
            moved = sorted(_MOVED & set(data))
            if moved:
                raise ValueError(
                    f"{moved[0]}: moved to structure.friendly_pc (README, 'Migrating from schema "
                    "version 1')"
                )
        return data

    @model_validator(mode="after")
    def _third_party_cost_base(self) -> "MSO":
        if getattr(self.fee, "cost_base_includes", None):
            raise ValueError("fee.cost_base_includes: for the friendly PC's management fee only "
                             "(a third-party MSO's own costs are not modeled)")
        return self


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
    contract_term_months: Int = Field(
        12, ge=1, description="Contract term [months]; informational, not used in the cash flows."
    )
    admin_hours_saved: Fraction = Field(
        0.0, description="Share of administrative payroll no longer needed [fraction]."
    )
    no_show_reduction: Fraction = Field(
        0.0, description="Relative fall in no-shows from reminders [fraction]."
    )
    online_booking_uplift: Fraction = Field(
        0.0, description="Extra treatment volume from online booking [fraction]."
    )
    payment_processing_rate: Fraction | None = Field(
        None, description="Replaces the `card_processing` running cost's share of revenue."
    )
    replaces_opex: dict[str, Fraction] = Field(
        default_factory=dict, description="Share of each running cost it replaces [fraction]."
    )
    exit_multiple: NonNeg | None = Field(
        None, description="Exit multiple under this option, if a source supports a different one "
        "(default: finance.exit_multiple) [x]."
    )
    source: Source = None


class ExistingSoftware(Model):
    """The booking or practice tool the self-managed baseline already has.

    The scenario's no-show rate and administrative hours are as measured *with* it, and the
    software offer's effects are stated against no tool at all; the software option then gains
    only what the offer does beyond this tool (see README, "Software against the baseline").
    """

    vendor: str | None = Field(None, description="Tool and plan, for the report.")
    opex_item: Name | None = Field(
        None, description="The running cost that pays for it (e.g. software); list it under "
        "software.replaces_opex so the offer's price counts net of it."
    )
    no_show_reduction: Fraction = Field(
        0.0, description="Relative fall in no-shows its reminders already give [fraction]."
    )
    admin_hours_saved: Fraction = Field(
        0.0, description="Share of administrative hours it already saves [fraction]."
    )
    online_booking_uplift: Fraction = Field(
        0.0, description="Treatment volume its online booking already adds [fraction]."
    )
    source: Source = None


class FriendlyPC(Model):
    """Terms of the friendly-PC structure: the owner's MSO manages a physician-owned PC.

    The PC earns the revenue and bears product costs, clinical staff, the running costs marked
    ``owned_mso_entity: pc``, the medical-director agreement, PC administration and license
    conditions; it pays ``management_fee`` to the owner's MSO.  The MSO bears administrative
    staff, the other running costs, software or a third-party MSO's fee, its own overhead, the
    capital and the legal structuring.
    """

    management_fee: ManagementFee = Field(
        default_factory=lambda: CostPlusFee(type="cost_plus", markup=0.0),
        description="What the PC pays the owner's MSO under the MSA (intercompany); cost-plus "
        "bases on the MSO's costs of serving the PC; sweep leaves the PC a target margin "
        "[USD/month per site].",
    )
    structuring_legal_one_time: NonNeg = Field(
        0.0, description="Legal set-up of MSO, PC and MSA, at the start [USD]."
    )
    medical_director_agreement_monthly: NonNeg = Field(
        0.0, description="The PC's physician-owner / medical director stipend [USD/month per site]."
    )
    pc_administration_monthly: NonNeg = Field(
        0.0, description="PC administration (filings, accounting, bank) [USD/month per site]."
    )
    mso_overhead_monthly: NonNeg = Field(
        0.0, description="The owner's MSO's own corporate overhead [USD/month, company level]."
    )
    source: Source = None


class StructureSettings(Model):
    """Which legal structure to evaluate, and the friendly-PC structure's terms."""

    type: Literal["auto", "direct", "friendly_pc", "both"] = Field(
        "auto", description="'auto': the structure the state rules allow (direct ownership "
        "where it is allowed outright, else the friendly PC); 'both': evaluate both side by side."
    )
    friendly_pc: FriendlyPC = Field(
        default_factory=FriendlyPC, description="Terms used whenever the friendly-PC structure applies."
    )


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
