"""Pydantic models of the rules data file (``states.yaml``).

The file has five sections:

``bibliography``
    Every cited source once, keyed by a short id: ``citation`` and optional ``url``.
``conditions``
    Conditions of ownership (supervision agreement, clinic licence, ...) keyed by id, with
    default costs in USD/month and USD one-time, and where each cost figure comes from.
``structures``
    Conditions that come with a structure rather than a state (the owned MSO + friendly PC).
``deal_checks``
    Sources behind each check of :func:`msomodel.rules.deal_warnings`.
``states``
    Per state: fee-splitting fields and one record per owner licence.

Records cite sources as ``{ref: <bibliography id>, says: <the position that source takes>}``
so that two sources that disagree can both be kept, each with what it says.
Cross-references (``ref`` ids, condition ids) are checked by the loader, which knows the
file's keys; everything that can be checked on one value at a time is checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .codes import (
    STATE_NAMES,
    ConditionKind,
    Confidence,
    FeeSplitting,
    Licence,
    Ownership,
)


def _check_state_code(code: str) -> str:
    if code not in STATE_NAMES:
        raise ValueError(
            f"unknown state code {code!r}: expected an upper-case two-letter code of a US "
            "state or DC"
        )
    return code


StateCode = Annotated[str, AfterValidator(_check_state_code)]
NonEmpty = Annotated[str, Field(min_length=1)]
Url = Annotated[str, Field(pattern=r"^https?://\S+$")]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class BibEntry(_Strict):
    """One cited source."""

    citation: NonEmpty
    url: Url | None = None


class SourceRef(_Strict):
    """A citation of a bibliography entry plus the short position it takes on this point."""

    ref: NonEmpty
    says: NonEmpty


class ConditionSpec(_Strict):
    """A condition of ownership with its default cost.

    Costs are ``default_cost_usd_per_month`` [USD/month] and ``default_cost_usd_one_time``
    [USD]. A cost figure needs either ``cost_source`` or ``cost_is_assumption: true`` with a
    ``cost_rationale``.
    """

    kind: ConditionKind
    description: NonEmpty
    default_cost_usd_per_month: Annotated[float, Field(ge=0)] | None = None
    default_cost_usd_one_time: Annotated[float, Field(ge=0)] | None = None
    cost_source: NonEmpty | None = None
    cost_is_assumption: bool = False
    cost_rationale: NonEmpty | None = None

    @model_validator(mode="after")
    def _cost_provenance(self) -> ConditionSpec:
        has_cost = (
            self.default_cost_usd_per_month is not None
            or self.default_cost_usd_one_time is not None
        )
        if has_cost and not (self.cost_source or self.cost_is_assumption):
            raise ValueError("a default cost needs cost_source or cost_is_assumption: true")
        if self.cost_is_assumption and not self.cost_rationale:
            raise ValueError("cost_is_assumption: true needs a cost_rationale")
        if self.cost_source and self.cost_is_assumption:
            raise ValueError("give cost_source or cost_is_assumption, not both")
        return self


class StructureSpec(_Strict):
    """Conditions that come with an operating structure (e.g. owned MSO + friendly PC)."""

    description: NonEmpty
    conditions: list[NonEmpty] = Field(min_length=1)
    sources: list[SourceRef] = Field(min_length=1)


class DealCheckSpec(_Strict):
    """The sources behind one check made on an MSO deal's terms."""

    sources: list[SourceRef] = Field(min_length=1)
    notes: str = ""


# ownership value -> the mso_required value it implies (None: neither true nor false).
_MSO_REQUIRED_BY_OWNERSHIP: dict[str, bool | None] = {
    "yes": False,
    "with_licence": False,
    "minority_share": True,
    "mso_required": True,
    "contested": None,
    "unknown": None,
}


class LicenceRuleSpec(_Strict):
    """Who may own a med spa: one state, one owner licence."""

    ownership: Ownership
    mso_required: bool | None
    conditions: list[NonEmpty] = Field(default_factory=list)
    sources: list[SourceRef] = Field(min_length=1)
    confidence: Confidence
    last_checked: dt.date
    notes: str = ""
    min_physician_share: Annotated[float, Field(gt=0.5, le=1)] | None = Field(
        default=None,
        description="[fraction] least physician share for minority_share records; "
        "absent means 'more than half'",
    )

    @field_validator("ownership", mode="before")
    @classmethod
    def _yaml_yes(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted `yes` as the boolean true.
        return "yes" if value is True else value

    @field_validator("last_checked", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        if isinstance(value, dt.datetime):
            raise ValueError("expected an ISO date (YYYY-MM-DD), not a date and time")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> LicenceRuleSpec:
        implied = _MSO_REQUIRED_BY_OWNERSHIP[self.ownership]
        if self.mso_required is not implied:
            raise ValueError(
                f"mso_required must be {str(implied).lower() if implied is not None else 'null'}"
                f" when ownership is {self.ownership!r}; found {self.mso_required!r}"
            )
        if self.ownership == "contested":
            if len({s.ref for s in self.sources}) < 2:
                raise ValueError("a contested record needs at least two different sources")
            if self.confidence == "high":
                raise ValueError("a contested record cannot have confidence 'high'")
        if self.min_physician_share is not None and self.ownership != "minority_share":
            raise ValueError("min_physician_share is only allowed when ownership is minority_share")
        if self.ownership == "unknown" and not self.notes:
            raise ValueError("an unknown record needs notes saying what is missing")
        return self


class StateSpec(_Strict):
    """One state's fee-splitting fields and its records per owner licence."""

    name: NonEmpty
    fee_splitting: FeeSplitting
    percentage_fee_risk: bool | None = None
    commission_is_fee_splitting: bool | Literal["unknown"] = "unknown"
    fee_sources: list[SourceRef] = Field(default_factory=list)
    fee_notes: str = ""
    licences: dict[Licence, LicenceRuleSpec]

    @model_validator(mode="after")
    def _complete(self) -> StateSpec:
        missing = [
            lic for lic in ("physician", "np", "pa", "rn", "none") if lic not in self.licences
        ]
        if missing:
            raise ValueError(f"licences is missing records for: {', '.join(missing)}")
        recorded = (
            self.fee_splitting != "unknown"
            or self.percentage_fee_risk is not None
            or self.commission_is_fee_splitting != "unknown"
        )
        if recorded and not self.fee_sources:
            raise ValueError("fee-splitting fields other than unknown need fee_sources")
        return self


class RulesFile(_Strict):
    """The whole data file."""

    schema_version: Literal[1]
    bibliography: dict[NonEmpty, BibEntry] = Field(min_length=1)
    conditions: dict[NonEmpty, ConditionSpec] = Field(default_factory=dict)
    structures: dict[NonEmpty, StructureSpec] = Field(default_factory=dict)
    deal_checks: dict[NonEmpty, DealCheckSpec] = Field(default_factory=dict)
    states: dict[StateCode, StateSpec] = Field(min_length=1)
