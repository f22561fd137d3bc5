"""Human-readable summary of a state's ownership rules (for ``msomodel rules STATE``)."""

from __future__ import annotations

from .codes import LICENCE_LABELS, LICENCES, normalise_licence, normalise_state
from .feasibility import fee_policy, lookup
from .loader import load_rulebook
from .records import Condition, RuleBook, StateRule

DISCLAIMER = (
    "This is general information, not legal advice. Ownership rules change and depend on "
    "the details of your business; consult an attorney licensed in the state before you "
    "act on it."
)

_OWNERSHIP_TEXT = {
    "yes": "may own the practice",
    "minority_share": "may hold only a minority share; physicians must hold the majority",
    "mso_required": "may not own the practice; needs an MSO with a physician-owned PC",
    "with_licence": "may own the practice if the business holds the required licence",
    "contested": "contested: sources disagree (see below)",
    "unknown": "unknown: consult counsel",
}


def _yes_no(value: bool | str | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}.get(value, str(value))  # type: ignore[arg-type]


def _money(cond: Condition) -> str:
    parts = []
    if cond.default_cost_usd_per_month is not None:
        parts.append(f"${cond.default_cost_usd_per_month:,.0f}/month")
    if cond.default_cost_usd_one_time is not None:
        parts.append(f"${cond.default_cost_usd_one_time:,.0f} one-time")
    if not parts:
        return "no default cost"
    origin = "assumption" if cond.cost_is_assumption else f"source: {cond.cost_source}"
    return f"default {' + '.join(parts)} ({origin})"


def _rule_lines(rule: StateRule) -> list[str]:
    checked = rule.last_checked.isoformat() if rule.last_checked else "never"
    lines = [
        f"{LICENCE_LABELS[rule.licence]}: {_OWNERSHIP_TEXT[rule.ownership]}",
        f"    MSO required: {_yes_no(rule.mso_required)} | confidence: {rule.confidence}"
        f" | last checked: {checked}",
    ]
    if rule.min_physician_share is not None:
        lines.append(f"    physicians must hold at least {rule.min_physician_share:.0%}")
    for cond in rule.conditions:
        lines.append(f"    condition ({cond.kind}): {cond.description} [{_money(cond)}]")
    for src in rule.sources:
        url = f" <{src.url}>" if src.url else ""
        lines.append(f"    source: {src.citation}{url}")
        lines.append(f"      says: {src.says}")
    if rule.notes:
        lines.append(f"    notes: {rule.notes}")
    return lines


def format_rules(
    state: str, licence: str | None = None, *, rulebook: RuleBook | None = None
) -> str:
    """Return the text ``msomodel rules STATE [--licence L]`` prints.

    Lists, per licence (or just ``licence``), who may own a med spa, whether an MSO is
    required, the conditions with their default costs, and each source with confidence and
    last-checked date; then the state's fee-splitting fields and :data:`DISCLAIMER`.
    """
    book = rulebook or load_rulebook()
    code = normalise_state(state)
    licences = (normalise_licence(licence),) if licence is not None else LICENCES
    rules = [lookup(code, lic, rulebook=book) for lic in licences]
    head = f"Who may own a med spa in {rules[0].state_name} ({code})"
    out = [head, "=" * len(head)]
    if not rules[0].in_data:
        out.append(f"No rules are recorded for this state: {rules[0].notes}.")
    for rule in rules:
        out.append("")
        out.extend(_rule_lines(rule))
    fees = fee_policy(code, rulebook=book)
    out += [
        "",
        f"Fee-splitting: {fees.fee_splitting}"
        f" | percentage fees risky: {_yes_no(fees.percentage_fee_risk)}"
        f" | clinician commission counts as fee-splitting: {_yes_no(fees.commission_is_fee_splitting)}",
    ]
    for src in fees.sources:
        out.append(f"    source: {src.citation}")
        out.append(f"      says: {src.says}")
    if fees.notes:
        out.append(f"    notes: {fees.notes}")
    out += ["", DISCLAIMER]
    return "\n".join(out)
