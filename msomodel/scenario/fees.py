"""Fee structures: what a third-party MSO charges, or what a friendly PC pays the owner's MSO.

Amounts are per site per month unless said otherwise; shares are fractions of the site's
collections (= revenue: med spas are paid up front).
"""

from typing import Annotated, Literal

from pydantic import Field, model_validator

from msomodel.scenario.base import Fraction, Growth, Int, Model, NonNeg


class FeeCommon(Model):
    floor_per_site_monthly: NonNeg | None = Field(None, description="Minimum fee [USD/month].")
    cap_per_site_monthly: NonNeg | None = Field(None, description="Maximum fee [USD/month].")
    escalator_annual: Growth = Field(
        0.0, description="Growth of fixed amounts (flat fee, base, floor, cap) [fraction/year]."
    )
    onboarding_fee_per_site: NonNeg = Field(0.0, description="One-time, before opening [USD].")
    term_months: Int = Field(
        36, ge=1, le=600, description="Contract term [months]: the agreement renews every "
        "term_months from projection month 1, repriced by renewal_change."
    )
    renewal_change: Annotated[float, Field(ge=-0.9, le=2.0)] = Field(
        0.0, description="Change of the whole fee (levels, floor and cap) at each renewal; 0: "
        "renewed on the same terms [fraction]."
    )
    termination_fee: NonNeg = Field(0.0, description="Paid at the horizon if terminated [USD].")
    terminate_at_exit: bool = Field(False, description="Pay the termination fee at the horizon.")
    changes_per_year: Int = Field(1, ge=0, description="How often the fee is reset [per year].")

    @model_validator(mode="after")
    def _floor_cap(self) -> "FeeCommon":
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
    cost_base_includes: list[Literal["overhead", "depreciation", "interest"]] = Field(
        default_factory=list, description="Management fee only: the owner's MSO's corporate "
        "overhead, depreciation and loan interest the MSA adds to the cost base (shared equally "
        "by the open sites)."
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
    def _bands(self) -> "TieredFee":
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


class SweepFee(FeeCommon):
    """Management fee only: the MSO takes what is left of the PC's profit above a target margin,
    trued up every month (so every year ends at the target), negative when the PC would lose
    money (the MSO then funds it)."""

    type: Literal["sweep"]
    target_margin: Annotated[float, Field(ge=-0.5, le=0.5)] = Field(
        0.02, description="The PC's EBITDA margin left after the fee [fraction of revenue]."
    )


#: The friendly PC's management fee: any fee type, or a sweep to a target PC margin.
ManagementFee = Annotated[
    FlatFee | PercentageFee | CostPlusFee | TieredFee | HybridFee | SweepFee,
    Field(discriminator="type"),
]


