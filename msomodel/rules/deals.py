"""Plain-English warnings about the terms of an MSO deal."""

from __future__ import annotations

import datetime as dt

from .codes import STATE_FEE_RULE_CODE, STATE_NAMES
from .feasibility import fee_policy
from .loader import load_rulebook
from .records import DealWarning, RuleBook

#: Fee types the model knows; the last three move with revenue.
FEE_TYPES: tuple[str, ...] = ("fixed", "cost_plus", "percentage", "tiered", "hybrid")
PERCENTAGE_FEE_TYPES: frozenset[str] = frozenset({"percentage", "tiered", "hybrid"})
#: Typical healthcare MSO percentage fee [fraction of collections] (Lemma, MSO management
#: fees: https://www.getlemma.com/blog---simplified/mso-management-fees-banking-documentation);
#: outside it, a fee needs a fair-market-value check.
DEFAULT_PERCENT_BAND: tuple[float, float] = (0.08, 0.18)
#: Range of the PC's EBITDA margin [fraction of PC revenue] treated as "roughly break-even"
#: in the owned MSO + friendly PC structure (a project assumption, see the data file).
PC_MARGIN_BAND: tuple[float, float] = (-0.02, 0.05)


def deal_warnings(
    *,
    state: str,
    fee_type: str,
    percent: float | None = None,
    fee_changes_per_year: float = 1,
    term_months: int | None = None,
    commission_on_medical_services: bool = False,
    owned_mso_pc_margin: float | None = None,
    percent_band: tuple[float, float] = DEFAULT_PERCENT_BAND,
    rulebook: RuleBook | None = None,
    on: dt.date | None = None,
    fee_label: str | None = None,
) -> list[DealWarning]:
    """Check an MSO deal's terms and return warnings a founder can read.

    ``percent`` is the percentage fee as a [fraction] of revenue (0.12 for 12%);
    ``fee_changes_per_year`` counts fee resets per year; ``term_months`` is the agreement's
    term [months]; ``owned_mso_pc_margin`` is the PC's EBITDA margin [fraction of PC
    revenue] in an owned-MSO structure. ``on`` is the date whose rules apply (default
    today): a state fee rule in force then that covers ``fee_type`` gives a
    ``state_fee_rule`` warning naming the rule (``rule`` is its id) and its sources.
    ``fee_label`` names the fee in the messages (default: "percentage fee" and so on from
    ``fee_type``), for a fee the data files by its type but a founder knows by another name.
    Returns an empty list when nothing is flagged.
    Raises ``ValueError`` for an unknown ``fee_type`` or out-of-range numbers.
    """
    if fee_type not in FEE_TYPES:
        raise ValueError(f"unknown fee_type {fee_type!r}: expected one of {', '.join(FEE_TYPES)}")
    if percent is not None and not 0.0 <= percent <= 1.0:
        raise ValueError(f"percent is a fraction of revenue (0.12 for 12%); found {percent!r}")
    low, high = percent_band
    if not 0.0 <= low < high <= 1.0:
        raise ValueError(
            f"percent_band must be (low, high) fractions with low < high; found {percent_band!r}"
        )
    if fee_changes_per_year < 0:
        raise ValueError(f"fee_changes_per_year must be >= 0; found {fee_changes_per_year!r}")
    if term_months is not None and term_months <= 0:
        raise ValueError(f"term_months must be positive; found {term_months!r}")

    book = rulebook or load_rulebook()
    policy = fee_policy(state, rulebook=book)
    label = fee_label or f"{fee_type.replace('_', '-')} fee"
    name = STATE_NAMES[policy.state]
    checks = book.deal_checks
    out: list[DealWarning] = []
    day = on or dt.date.today()
    state_rules = [
        r
        for r in book.fee_rules.get(policy.state, ())
        if fee_type in r.fee_types and r.in_force(day)
    ]
    for r in state_rules:
        out.append(
            DealWarning(
                code=STATE_FEE_RULE_CODE,
                severity=r.severity,
                message=(
                    f"{name}: {r.title}. {r.rule} A {label} falls "
                    "under this rule; ask counsel before agreeing to it."
                ),
                sources=r.sources,
                rule=r.id,
            )
        )

    if fee_type in PERCENTAGE_FEE_TYPES:
        if policy.fee_splitting == "strict" or policy.percentage_fee_risk:
            strict = policy.fee_splitting == "strict"
            out.append(
                DealWarning(
                    code="percentage_fee_splitting_risk",
                    severity="high" if strict else "warning",
                    message=(
                        f"A {label} rises and falls with the practice's revenue. "
                        f"{name} treats sharing medical fees {'strictly' if strict else 'with caution'}, "
                        "so this fee could count as illegal fee-splitting. A flat or cost-plus "
                        "fee set at fair market value is the safer choice; ask counsel."
                    ),
                    sources=policy.sources + checks["percentage_fee_splitting_risk"],
                )
            )
        elif policy.fee_splitting == "unknown":
            out.append(
                DealWarning(
                    code="percentage_fee_rules_unknown",
                    severity="info",
                    message=(
                        f"A {label} moves with revenue, which some states treat as "
                        f"fee-splitting. The data has no fee-splitting rule for {name}; ask "
                        "counsel before agreeing to it."
                    ),
                    sources=checks["percentage_fee_rules_unknown"],
                )
            )

    if commission_on_medical_services and policy.commission_is_fee_splitting is not False:
        known = policy.commission_is_fee_splitting is True
        out.append(
            DealWarning(
                code="commission_fee_splitting_risk",
                severity="high" if known else "warning",
                message=(
                    "Paying clinicians a commission on medical treatments "
                    + (
                        f"can count as fee-splitting in {name}. "
                        if known
                        else f"may count as fee-splitting, and the data does not say how {name} treats it. "
                    )
                    + "Consider hourly pay or a salary plus a bonus not tied to each treatment, "
                    "and have counsel review the pay plan."
                ),
                sources=(policy.sources if known else ()) + checks["commission_fee_splitting_risk"],
            )
        )

    if fee_changes_per_year > 1:
        out.append(
            DealWarning(
                code="fee_changes_too_often",
                severity="warning",
                message=(
                    f"The fee would change {fee_changes_per_year:g} times a year. Management fees "
                    "are normally set in advance and revisited every one to two years; changing "
                    "them more than once a year is unusual and can be unlawful."
                ),
                sources=checks["fee_changes_too_often"],
            )
        )

    if term_months is not None and term_months < 12:
        out.append(
            DealWarning(
                code="term_too_short",
                severity="warning",
                message=(
                    f"The agreement runs {term_months} months. A term of at least one year is "
                    "part of the federal safe harbor (where federal payers are billed) and of "
                    "counsel's usual advice."
                ),
                sources=checks["term_too_short"],
            )
        )

    if percent is not None and not low <= percent <= high:
        side = "above" if percent > high else "below"
        out.append(
            DealWarning(
                code="percent_outside_fmv_band",
                severity="warning",
                message=(
                    f"A fee of {percent:.1%} of revenue is {side} the typical {low:.0%}-{high:.0%} "
                    "range for MSO fees: check fair market value with an independent valuation."
                ),
                sources=checks["percent_outside_fmv_band"],
            )
        )

    if owned_mso_pc_margin is not None:
        lo, hi = PC_MARGIN_BAND
        if not lo <= owned_mso_pc_margin <= hi:
            out.append(
                DealWarning(
                    code="pc_margin_not_break_even",
                    severity="warning",
                    message=(
                        f"The physician-owned PC would keep a {owned_mso_pc_margin:.1%} margin. In "
                        "an owned-MSO structure the PC should roughly break even "
                        f"(between {lo:.0%} and {hi:.0%}); "
                        + (
                            "too much profit left in the PC belongs to the physician owner, not you."
                            if owned_mso_pc_margin > hi
                            else "a loss-making PC suggests the management fee is above fair market value."
                        )
                    ),
                    sources=checks["pc_margin_not_break_even"],
                )
            )
    return out
