"""Pydantic models of the rules data files (``msomodel/rules/data/``) and of overlay files.

Every data file -- ``common.yaml``, each ``states/XX.yaml`` and every overlay an advisor
writes -- is one :class:`RulesFragment`: the same sections, all optional:

``bibliography``
    Every cited source once, keyed by a short id: ``citation``, optional ``url`` and
    ``kind`` (official, law_firm, association, vendor, news, project, other).
``conditions``
    Conditions of ownership (supervision agreement, clinic license, ...) keyed by id, with
    default costs in USD/month and USD one-time, and where each cost figure comes from.
``structures``
    Conditions that come with a structure rather than a state (the owned MSO + friendly PC).
``deal_checks``
    Sources behind each generic check of :func:`msomodel.rules.deal_warnings`.
``states``
    Per jurisdiction: fee-splitting fields, state fee rules, NP/PA practice authority (kept
    apart from ownership) and, per owner license, one record or a list of dated records.

Records cite sources as ``{ref: <bibliography id>, says: <the position that source takes>}``
so that two sources that disagree can both be kept, each with what it says.
Cross-references, date periods and completeness are checked by the loader, which sees all
files at once; everything that can be checked on one value at a time is checked here.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, field_validator, model_validator

from .codes import (
    MSO_REQUIRED_BY_OWNERSHIP,
    STATE_NAMES,
    ConditionKind,
    Confidence,
    FeeSplitting,
    Licence,
    Ownership,
    PracticeAuthorityValue,
    SourceKind,
)

SCHEMA_VERSION = 2


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
FeeType = Literal["fixed", "cost_plus", "percentage", "tiered", "hybrid"]


def _no_datetime(value: object) -> object:
    if isinstance(value, dt.datetime):
        raise ValueError("expected an ISO date (YYYY-MM-DD), not a date and time")
    return value


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _Dated(_Strict):
    """A record in force from ``effective_from`` to ``effective_to``, both inclusive.

    ``None`` means open-ended: in force since before the data begins, or until further
    notice. The loader checks that the periods of one state and license do not overlap and
    leave no gap, so every date has exactly one answer.
    """

    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    @field_validator("effective_from", "effective_to", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        return _no_datetime(value)

    @model_validator(mode="after")
    def _ordered(self):  # noqa: ANN202 - returns self
        if (
            self.effective_from is not None
            and self.effective_to is not None
            and self.effective_to < self.effective_from
        ):
            raise ValueError(
                f"effective_to ({self.effective_to}) is before effective_from "
                f"({self.effective_from})"
            )
        return self


class BibEntry(_Strict):
    """One cited source."""

    citation: NonEmpty
    url: Url | None = None
    kind: SourceKind = "other"


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
    """The sources behind one generic check made on an MSO deal's terms."""

    sources: list[SourceRef] = Field(min_length=1)
    notes: str = ""


class LicenceRuleSpec(_Dated):
    """Who may own a med spa: one state, one owner license, one period.

    ``ownership`` answers the ownership question only; practice authority lives in the
    state's ``practice_authority`` section. ``mso_required`` may be left out: it follows
    from ``ownership`` and, when given, must agree with it. ``friendly_pc_conditions`` are
    extra conditions the owned-MSO + friendly-PC route carries in this state and period
    (e.g. Oregon SB 951's limits on MSO control).
    """

    ownership: Ownership
    mso_required: bool | None = None
    readings: list[Ownership] = Field(default_factory=list)
    min_physician_share: Annotated[float, Field(gt=0.5, le=1)] | None = Field(
        default=None,
        description="[fraction] least physician share for minority_share records; "
        "absent means 'more than half'",
    )
    conditions: list[NonEmpty] = Field(default_factory=list)
    friendly_pc_conditions: list[NonEmpty] = Field(default_factory=list)
    sources: list[SourceRef] = Field(min_length=1)
    confidence: Confidence
    confidence_reason: NonEmpty
    last_checked: dt.date | None = None
    notes: str = ""

    @field_validator("ownership", mode="before")
    @classmethod
    def _yaml_yes(cls, value: object) -> object:
        # YAML 1.1 reads an unquoted `yes` as the boolean true.
        return "yes" if value is True else value

    @field_validator("readings", mode="before")
    @classmethod
    def _yaml_yes_list(cls, value: object) -> object:
        if isinstance(value, list):
            return ["yes" if v is True else v for v in value]
        return value

    @field_validator("last_checked", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        return _no_datetime(value)

    @model_validator(mode="after")
    def _consistent(self) -> LicenceRuleSpec:
        implied = MSO_REQUIRED_BY_OWNERSHIP[self.ownership]
        if "mso_required" in self.model_fields_set and self.mso_required is not implied:
            raise ValueError(
                f"mso_required must be {str(implied).lower() if implied is not None else 'null'}"
                f" when ownership is {self.ownership!r}; found {self.mso_required!r}"
            )
        if self.ownership == "contested":
            if len({s.ref for s in self.sources}) < 2:
                raise ValueError("a contested record needs at least two different sources")
            if self.confidence == "high":
                raise ValueError("a contested record cannot have confidence 'high'")
            bad = [r for r in self.readings if r in ("contested", "unknown")]
            if len(set(self.readings)) < 2 or bad:
                raise ValueError(
                    "a contested record needs readings: at least two different answers the "
                    "sources give (yes, co_own, minority_share, mso_required, with_licence)"
                )
        elif self.readings:
            raise ValueError("readings are only allowed when ownership is contested")
        if self.min_physician_share is not None and self.ownership != "minority_share":
            if not (self.ownership == "contested" and "minority_share" in self.readings):
                raise ValueError(
                    "min_physician_share is only allowed when ownership is minority_share"
                )
        if self.ownership == "unknown" and not self.notes:
            raise ValueError("an unknown record needs notes saying what is missing")
        return self

    @property
    def implied_mso_required(self) -> bool | None:
        return MSO_REQUIRED_BY_OWNERSHIP[self.ownership]


class PracticeAuthoritySpec(_Dated):
    """How far a license may practice without a physician -- a different question from
    whether it may own the practice."""

    value: PracticeAuthorityValue
    sources: list[SourceRef] = Field(min_length=1)
    notes: str = ""


class FeesSpec(_Strict):
    """A state's general fee-splitting position."""

    fee_splitting: FeeSplitting = "unknown"
    percentage_fee_risk: bool | None = None
    commission_is_fee_splitting: bool | Literal["unknown"] = "unknown"
    sources: list[SourceRef] = Field(default_factory=list)
    notes: str = ""

    @model_validator(mode="after")
    def _sourced(self) -> FeesSpec:
        recorded = (
            self.fee_splitting != "unknown"
            or self.percentage_fee_risk is not None
            or self.commission_is_fee_splitting != "unknown"
        )
        if recorded and not self.sources:
            raise ValueError("fee-splitting fields other than unknown need sources")
        return self


class FeeRuleSpec(_Dated):
    """A state rule on how an MSO may be paid: choosing one of ``fee_types`` warns."""

    title: NonEmpty
    fee_types: list[FeeType] = Field(min_length=1)
    severity: Literal["warning", "high"]
    rule: NonEmpty
    sources: list[SourceRef] = Field(min_length=1)


def _listify(value: object) -> object:
    """One record may be written as a mapping; a dated series as a list of mappings."""
    if isinstance(value, dict):
        return {k: ([v] if isinstance(v, dict) else v) for k, v in value.items()}
    return value


class StateSpec(_Strict):
    """One jurisdiction. In the package data every section is given; an overlay gives only
    the parts it replaces (a license's records, the fees, one fee rule, ...)."""

    name: NonEmpty | None = None
    last_checked: dt.date | None = None
    fees: FeesSpec | None = None
    fee_rules: dict[NonEmpty, FeeRuleSpec] = Field(default_factory=dict)
    practice_authority: dict[Literal["np", "pa"], list[PracticeAuthoritySpec]] = Field(
        default_factory=dict
    )
    licences: dict[Licence, list[LicenceRuleSpec]] = Field(default_factory=dict)

    @field_validator("practice_authority", "licences", mode="before")
    @classmethod
    def _records(cls, value: object) -> object:
        return _listify(value)

    @field_validator("licences", "practice_authority")
    @classmethod
    def _not_empty(cls, value: dict) -> dict:
        for key, recs in value.items():
            if not recs:
                raise ValueError(f"{key}: needs at least one record")
        return value

    @field_validator("last_checked", mode="before")
    @classmethod
    def _date_only(cls, value: object) -> object:
        return _no_datetime(value)


class RulesFragment(_Strict):
    """One data file: package data (``common.yaml``, ``states/XX.yaml``) or an overlay."""

    schema_version: Literal[2]
    description: str = ""
    bibliography: dict[NonEmpty, BibEntry] = Field(default_factory=dict)
    conditions: dict[NonEmpty, ConditionSpec] = Field(default_factory=dict)
    structures: dict[NonEmpty, StructureSpec] = Field(default_factory=dict)
    deal_checks: dict[NonEmpty, DealCheckSpec] = Field(default_factory=dict)
    states: dict[StateCode, StateSpec] = Field(default_factory=dict)
