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
class StateRule(_ToDict):
    """Whether an owner with ``licence`` may own a med spa in ``state``.

    ``ownership`` is one of ``yes``, ``minority_share``, ``mso_required``, ``with_licence``,
    ``contested``, ``unknown``. ``mso_required`` is ``None`` when sources disagree or nothing
    is known. ``in_data`` is false for the synthetic record returned for a state the data
    does not cover.
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
    """The validated rules data, loaded once from ``path``.

    ``rules`` maps ``(state, licence)`` to :class:`StateRule`; ``fees`` maps a state code to
    its :class:`FeePolicy`; ``deal_checks`` maps a check code to its sources.
    """

    path: str
    rules: Mapping[tuple[str, str], StateRule]
    fees: Mapping[str, FeePolicy]
    structures: Mapping[str, Structure]
    deal_checks: Mapping[str, tuple[Source, ...]]

    @property
    def states(self) -> tuple[str, ...]:
        """State codes covered by the data, sorted."""
        return tuple(sorted(self.fees))

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-ready dict of the whole rule book."""
        return {
            "path": self.path,
            "states": {
                code: {
                    "fees": self.fees[code].to_dict(),
                    "licences": {
                        lic: rule.to_dict() for (st, lic), rule in self.rules.items() if st == code
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

    ``status`` is ``feasible``, ``feasible_with_conditions``, ``infeasible`` or ``unknown``.
    """

    status: str
    reasons: list[str] = field(default_factory=list)
    conditions: list[Condition] = field(default_factory=list)
    sources: list[Source] = field(default_factory=list)

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


@dataclass(frozen=True)
class OwnershipShare(_ToDict):
    """One owner's share of the medical practice: ``share`` is a [fraction] in [0, 1]."""

    licence: str
    share: float
