"""Plain, immutable result types of the rules package; each has ``to_dict()`` for JSON."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


def _jsonable(value: Any) -> Any:
    if isinstance(value, _ToDict):
        return value.to_dict()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


class _ToDict:
    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict (dates as ISO strings, tuples as lists)."""
        return {f.name: _jsonable(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Source(_ToDict):
    """A cited source and the short position it takes on the point at hand."""

    citation: str
    says: str
    url: str | None = None
    kind: str = "other"


@dataclass(frozen=True)
class Condition(_ToDict):
    """A condition the owner must meet, with default costs the financial model can add.

    ``default_cost_usd_per_month`` is in [USD/month] and ``default_cost_usd_one_time`` in
    [USD]; either may be ``None`` when no figure is recorded. ``cost_is_assumption`` marks
    figures without a source; ``cost_rationale`` then says how the figure was chosen.
    """

    id: str
    kind: str
    description: str
    default_cost_usd_per_month: float | None = None
    default_cost_usd_one_time: float | None = None
    cost_source: str | None = None
    cost_is_assumption: bool = False
    cost_rationale: str | None = None


@dataclass(frozen=True)
class PracticeAuthority(_ToDict):
    """How far a license may practice without a physician (``full``, ``reduced``,
    ``restricted``, ``unknown``) in one period -- never an answer about ownership."""

    value: str
    sources: tuple[Source, ...]
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    notes: str = ""


@dataclass(frozen=True)
class StateRule(_ToDict):
    """Whether an owner with ``licence`` may own a med spa in ``state``, in one period.

    ``ownership`` is one of ``yes`` (owns outright), ``with_licence`` (owns outright with a
    facility/clinic license), ``co_own`` (only with physician co-owners), ``minority_share``
    (minority stake only; ``min_physician_share``), ``mso_required`` (must use owned MSO +
    friendly PC), ``contested`` (``readings`` lists the answers sources give) or
    ``unknown``. ``mso_required`` is ``None`` when sources disagree or nothing is known.
    The record is in force from ``effective_from`` to ``effective_to`` (inclusive; ``None``
    is open-ended). ``practice_authority`` is filled for NP/PA records and is a separate
    question from ownership. ``origin`` names the file the record came from (package data
    or an overlay). ``in_data`` is false for a synthetic record.
    """

    state: str
    state_name: str
    licence: str
    ownership: str
    mso_required: bool | None
    conditions: tuple[Condition, ...]
    sources: tuple[Source, ...]
    confidence: str
    last_checked: dt.date | None
    notes: str
    min_physician_share: float | None = None
    in_data: bool = True
    confidence_reason: str = ""
    readings: tuple[str, ...] = ()
    friendly_pc_conditions: tuple[Condition, ...] = ()
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None
    practice_authority: PracticeAuthority | None = None
    origin: str = ""

    def in_force(self, on: dt.date) -> bool:
        """True if the record applies on date ``on``."""
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass(frozen=True)
class FeeRule(_ToDict):
    """A state's rule on how an MSO may be paid; choosing one of ``fee_types`` warns."""

    id: str
    state: str
    title: str
    fee_types: tuple[str, ...]
    severity: str
    rule: str
    sources: tuple[Source, ...]
    effective_from: dt.date | None = None
    effective_to: dt.date | None = None

    def in_force(self, on: dt.date) -> bool:
        """True if the rule applies on date ``on``."""
        return (self.effective_from is None or self.effective_from <= on) and (
            self.effective_to is None or on <= self.effective_to
        )


@dataclass(frozen=True)
class RuleChange(_ToDict):
    """A dated change of the rules for one state and license.

    ``kind`` is ``ownership`` (the ownership answer, its conditions or the friendly-PC
    route's conditions change), ``practice_authority`` or ``fee_rule``. ``before`` and
    ``after`` are short labels of the answer either side of ``date`` (the first day the new
    rule applies); ``before_status`` / ``after_status`` are the ``direct`` structure's
    status either side (``None`` for fee rules).
    """

    date: dt.date
    state: str
    licence: str
    kind: str
    before: str
    after: str
    summary: str
    sources: tuple[Source, ...]
    before_status: str | None = None
    after_status: str | None = None


@dataclass(frozen=True)
class FeePolicy(_ToDict):
    """A state's fee-splitting position as far as the data records it.

    ``fee_splitting`` is ``strict``, ``standard`` or ``unknown``; ``percentage_fee_risk`` is
    ``None`` when no source speaks to it; ``commission_is_fee_splitting`` is true, false or
    ``"unknown"``.
    """

    state: str
    fee_splitting: str
    percentage_fee_risk: bool | None
    commission_is_fee_splitting: bool | str
    sources: tuple[Source, ...]
    notes: str


@dataclass(frozen=True)
class Structure(_ToDict):
    """An operating structure's own conditions (e.g. owned MSO + friendly PC)."""

    id: str
    description: str
    conditions: tuple[Condition, ...]
    sources: tuple[Source, ...]


@dataclass(frozen=True)
class RuleBook:
    """The validated rules data, loaded once from ``path`` plus any ``overlays``.

    ``periods`` maps ``(state, license)`` to its dated :class:`StateRule` records in date
    order (together they cover every date); ``rule(state, license, on)`` picks the one in
    force, and ``rules`` is the mapping in force today. ``practice_authority`` maps
    ``(state, license)`` to dated :class:`PracticeAuthority` records; ``fees`` maps a state
    code to its :class:`FeePolicy`; ``fee_rules`` to its :class:`FeeRule` records;
    ``conditions`` every known condition by id; ``deal_checks`` maps a check code to its
    sources.
    """

    path: str
    periods: Mapping[tuple[str, str], tuple[StateRule, ...]]
    fees: Mapping[str, FeePolicy]
    structures: Mapping[str, Structure]
    deal_checks: Mapping[str, tuple[Source, ...]]
    conditions: Mapping[str, Condition] = field(default_factory=dict)
    fee_rules: Mapping[str, tuple[FeeRule, ...]] = field(default_factory=dict)
    practice_authority: Mapping[tuple[str, str], tuple[PracticeAuthority, ...]] = field(
        default_factory=dict
    )
    overlays: tuple[str, ...] = ()
    bibliography_size: int = 0

    @property
    def states(self) -> tuple[str, ...]:
        """State codes covered by the data, sorted."""
        return tuple(sorted(self.fees))

    def rule(self, state: str, licence: str, on: dt.date | None = None) -> StateRule | None:
        """The record for ``state`` and ``licence`` in force on ``on`` (default today)."""
        day = on or dt.date.today()
        for rule in self.periods.get((state, licence), ()):
            if rule.in_force(day):
                return rule
        return None

    def authority(
        self, state: str, licence: str, on: dt.date | None = None
    ) -> PracticeAuthority | None:
        """The practice-authority record for ``state`` and ``licence`` in force on ``on``."""
        day = on or dt.date.today()
        for pa in self.practice_authority.get((state, licence), ()):
            if (pa.effective_from is None or pa.effective_from <= day) and (
                pa.effective_to is None or day <= pa.effective_to
            ):
                return pa
        return None

    @property
    def rules(self) -> Mapping[tuple[str, str], StateRule]:
        """``(state, license)`` -> the record in force today."""
        today = dt.date.today()
        out = {}
        for key in self.periods:
            rule = self.rule(*key, on=today)
            if rule is not None:
                out[key] = rule
        return out

    def all_rules(self) -> tuple[StateRule, ...]:
        """Every record of every period."""
        return tuple(r for rules in self.periods.values() for r in rules)

    def to_dict(self, on: dt.date | None = None) -> dict[str, Any]:
        """Return a JSON-ready dict of the whole rule book (every period of every record)."""
        return {
            "path": self.path,
            "overlays": list(self.overlays),
            "states": {
                code: {
                    "fees": self.fees[code].to_dict(),
                    "fee_rules": [r.to_dict() for r in self.fee_rules.get(code, ())],
                    "licences": {
                        lic: [rule.to_dict() for rule in rules]
                        for (st, lic), rules in self.periods.items()
                        if st == code
                    },
                }
                for code in self.states
            },
            "structures": {k: v.to_dict() for k, v in self.structures.items()},
            "deal_checks": {k: [s.to_dict() for s in v] for k, v in self.deal_checks.items()},
        }


@dataclass(frozen=True)
class Feasibility(_ToDict):
    """Whether one operating option is open to the owner, and on what conditions.

    ``status`` is ``feasible``, ``feasible_with_conditions``, ``contested`` (sources
    disagree or low confidence: consult counsel), ``infeasible`` or ``unknown``.
    ``ownership`` (for the ``direct`` structure) is the record's ownership answer.
    """

    status: str
    reasons: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)
    ownership: str | None = None
    confidence: str | None = None

    @property
    def monthly_cost_usd(self) -> float:
        """Sum of the conditions' default monthly costs [USD/month] (unpriced count as 0)."""
        return condition_costs(self.conditions).monthly_usd

    @property
    def one_time_cost_usd(self) -> float:
        """Sum of the conditions' default one-time costs [USD] (unpriced count as 0)."""
        return condition_costs(self.conditions).one_time_usd


@dataclass(frozen=True)
class ConditionCosts(_ToDict):
    """Default costs of a set of conditions.

    ``monthly_usd`` [USD/month], ``one_time_usd`` [USD]; ``unpriced`` lists the ids of
    conditions with no cost figure; ``assumed`` lists those whose figure is an assumption.
    """

    monthly_usd: float
    one_time_usd: float
    unpriced: tuple[str, ...]
    assumed: tuple[str, ...]


def condition_costs(conditions: list[Condition] | tuple[Condition, ...]) -> ConditionCosts:
    """Add up the default costs of ``conditions``, each condition counted once by id."""
    unique = {c.id: c for c in conditions}.values()
    return ConditionCosts(
        monthly_usd=float(sum(c.default_cost_usd_per_month or 0.0 for c in unique)),
        one_time_usd=float(sum(c.default_cost_usd_one_time or 0.0 for c in unique)),
        unpriced=tuple(
            c.id
            for c in unique
            if c.default_cost_usd_per_month is None and c.default_cost_usd_one_time is None
        ),
        assumed=tuple(c.id for c in unique if c.cost_is_assumption),
    )


@dataclass(frozen=True)
class DealWarning(_ToDict):
    """A plain-English warning about an MSO deal's terms.

    ``severity`` is ``info``, ``warning`` or ``high``.
    """

    code: str
    severity: str
    message: str
    sources: tuple[Source, ...] = ()
    rule: str | None = None


@dataclass(frozen=True)
class OwnershipShare(_ToDict):
    """One owner's share of the medical practice: ``share`` is a [fraction] in [0, 1]."""

    licence: str
    share: float
