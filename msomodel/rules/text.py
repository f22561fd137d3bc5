"""Human-readable and tabular views of the rules (for ``msomodel rules``)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Any

from .codes import (
    LICENCE_LABELS,
    LICENCES,
    OWNERSHIP_LABELS,
    STATE_NAMES,
    normalise_licence,
    normalise_state,
)
from .feasibility import CONTESTED_NOTE, assess_structures, fee_policy, lookup, rule_changes
from .loader import load_rulebook
from .records import Condition, RuleBook, StateRule

DISCLAIMER = (
    "This is general information, not legal advice, and it has not been reviewed by counsel. "
    "Ownership rules change and depend on the details of your business; consult an attorney "
    "licensed in the state before you act on it."
)

#: Whole span of the data, for listing every dated change of a record.
_EVER = (dt.date(1900, 1, 1), dt.date(2199, 12, 31))

_OWNERSHIP_TEXT = {
    "yes": "owns outright (may own the practice)",
    "with_licence": "owns outright if the business holds the required facility/clinic license",
    "co_own": "co-own with physicians (only together with a physician co-owner)",
    "minority_share": "minority stake only; physicians must hold the majority",
    "mso_required": "must use owned MSO + friendly PC (may not own the practice)",
    "contested": CONTESTED_NOTE,
    "unknown": "unknown: consult counsel",
}

#: Short matrix cells, by the direct structure's reading.
_CELL = {
    "yes": "owns",
    "with_licence": "licence",
    "co_own": "co-own",
    "minority_share": "minority",
    "mso_required": "MSO+PC",
    "contested": "contested",
    "unknown": "unknown",
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


def answer_label(rule: StateRule, direct_status: str) -> str:
    """One line: the ownership answer, reading contested/low-confidence as contested."""
    if direct_status == "contested" and rule.ownership != "contested":
        return f"{CONTESTED_NOTE} (data reading: {OWNERSHIP_LABELS[rule.ownership]}; low confidence)"
    text = _OWNERSHIP_TEXT[rule.ownership]
    if rule.ownership == "contested" and rule.readings:
        text += " -- readings: " + " / ".join(OWNERSHIP_LABELS[r] for r in rule.readings)
    return text


def cell(rule: StateRule, direct_status: str) -> str:
    """Short matrix cell for one record (contested or low confidence reads 'contested')."""
    if direct_status == "contested":
        return "contested"
    text = _CELL[rule.ownership]
    if rule.ownership == "yes" and rule.conditions:
        text += "*"
    return text


def _period(rule: StateRule) -> str:
    if rule.effective_from is None and rule.effective_to is None:
        return ""
    start = rule.effective_from.isoformat() if rule.effective_from else "..."
    end = rule.effective_to.isoformat() if rule.effective_to else "..."
    return f" | in force {start} to {end}"


def _rule_lines(rule: StateRule, book: RuleBook, on: dt.date) -> list[str]:
    checked = rule.last_checked.isoformat() if rule.last_checked else "never"
    structures = assess_structures(rule.state, rule.licence, on=on, rulebook=book)
    direct, friendly = structures["direct"], structures["friendly_pc"]
    lines = [
        f"{LICENCE_LABELS[rule.licence]}: {answer_label(rule, direct.status)}",
        f"    structures: direct {direct.status} | friendly_pc {friendly.status}",
        f"    MSO required: {_yes_no(rule.mso_required)} | confidence: {rule.confidence}"
        f" | last checked: {checked}{_period(rule)}",
        f"    confidence reason: {rule.confidence_reason}",
    ]
    if rule.min_physician_share is not None:
        lines.append(f"    physicians must hold at least {rule.min_physician_share:.0%}")
    if rule.practice_authority is not None:
        lines.append(
            f"    practice authority (separate from ownership): {rule.practice_authority.value}"
        )
    for cond in rule.conditions:
        lines.append(f"    condition {cond.id} ({cond.kind}): {cond.description} [{_money(cond)}]")
    for cond in rule.friendly_pc_conditions:
        lines.append(
            f"    friendly-PC condition {cond.id} ({cond.kind}): {cond.description} "
            f"[{_money(cond)}]"
        )
    for src in rule.sources:
        url = f" <{src.url}>" if src.url else ""
        lines.append(f"    source ({src.kind}): {src.citation}{url}")
        lines.append(f"      says: {src.says}")
    if rule.notes:
        lines.append(f"    notes: {rule.notes}")
    if rule.origin and "(overlay)" in rule.origin:
        lines.append(f"    from overlay: {rule.origin.removesuffix(' (overlay)')}")
    for change in rule_changes(rule.state, rule.licence, *_EVER, rulebook=book):
        lines.append(f"    dated change {change.date}: {change.summary}")
    return lines


def format_rules(
    state: str,
    licence: str | None = None,
    *,
    on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> str:
    """Return the text ``msomodel rules STATE [--licence L] [--on DATE]`` prints.

    Per license (or just ``licence``): the structure answer (owns outright, minority stake
    only, co-own with physicians, must use owned MSO + friendly PC, contested: consult
    counsel), the ``direct`` / ``friendly_pc`` statuses, confidence and its reason, each
    source with what it says and its URL, the last-checked date, the practice authority
    (kept apart), conditions with default costs and every dated change; then the state's
    fee rules and :data:`DISCLAIMER`.
    """
    book = rulebook or load_rulebook()
    code = normalise_state(state)
    day = on or dt.date.today()
    licences = (normalise_licence(licence),) if licence is not None else LICENCES
    rules = [lookup(code, lic, on=day, rulebook=book) for lic in licences]
    head = f"Who may own a med spa in {rules[0].state_name} ({code}), rules in force on {day}"
    out = [head, "=" * len(head)]
    if not rules[0].in_data:
        out.append(f"No rules are recorded for this state: {rules[0].notes}.")
    for rule in rules:
        out.append("")
        out.extend(_rule_lines(rule, book, day))
    fees = fee_policy(code, rulebook=book)
    out += [
        "",
        f"Fee-splitting: {fees.fee_splitting}"
        f" | percentage fees risky: {_yes_no(fees.percentage_fee_risk)}"
        f" | clinician commission counts as fee-splitting: "
        f"{_yes_no(fees.commission_is_fee_splitting)}",
    ]
    for src in fees.sources:
        out.append(f"    source: {src.citation}")
        out.append(f"      says: {src.says}")
    if fees.notes:
        out.append(f"    notes: {fees.notes}")
    for fr in book.fee_rules.get(code, ()):
        when = f" (from {fr.effective_from})" if fr.effective_from else ""
        out.append(
            f"Fee rule {fr.id}{when}: {fr.title} -- applies to {', '.join(fr.fee_types)} fees "
            f"({fr.severity})"
        )
        out.append(f"    {fr.rule}")
        for src in fr.sources:
            url = f" <{src.url}>" if src.url else ""
            out.append(f"    source: {src.citation}{url}")
            out.append(f"      says: {src.says}")
    out += ["", DISCLAIMER]
    return "\n".join(out)


def rules_matrix(
    *, on: dt.date | None = None, states: tuple[str, ...] | None = None,
    rulebook: RuleBook | None = None,
) -> list[dict[str, Any]]:
    """One row per jurisdiction and licence: the answer in force on ``on`` (default today)."""
    book = rulebook or load_rulebook()
    day = on or dt.date.today()
    rows = []
    for code in states or tuple(STATE_NAMES):
        for lic in LICENCES:
            rule = lookup(code, lic, on=day, rulebook=book)
            st = assess_structures(code, lic, on=day, rulebook=book)
            rows.append(
                {
                    "state": code,
                    "state_name": rule.state_name,
                    "licence": lic,
                    "on": day.isoformat(),
                    "ownership": rule.ownership,
                    "answer": answer_label(rule, st["direct"].status),
                    "cell": cell(rule, st["direct"].status),
                    "direct": st["direct"].status,
                    "friendly_pc": st["friendly_pc"].status,
                    "mso_required": rule.mso_required,
                    "readings": list(rule.readings),
                    "min_physician_share": rule.min_physician_share,
                    "conditions": [c.id for c in rule.conditions],
                    "friendly_pc_conditions": [c.id for c in rule.friendly_pc_conditions],
                    "confidence": rule.confidence,
                    "confidence_reason": rule.confidence_reason,
                    "practice_authority": (
                        rule.practice_authority.value if rule.practice_authority else None
                    ),
                    "last_checked": rule.last_checked.isoformat() if rule.last_checked else None,
                    "effective_from": (
                        rule.effective_from.isoformat() if rule.effective_from else None
                    ),
                    "effective_to": rule.effective_to.isoformat() if rule.effective_to else None,
                    "sources": [
                        {"citation": s.citation, "says": s.says, "url": s.url, "kind": s.kind}
                        for s in rule.sources
                    ],
                }
            )
    return rows


_CSV_FIELDS = (
    "state", "state_name", "licence", "on", "ownership", "cell", "direct", "friendly_pc",
    "mso_required", "readings", "min_physician_share", "conditions", "friendly_pc_conditions",
    "confidence", "confidence_reason", "practice_authority", "last_checked", "effective_from",
    "effective_to", "sources",
)  # fmt: skip


def format_matrix(rows: list[dict[str, Any]], fmt: str = "table") -> str:
    """Render :func:`rules_matrix` rows as ``table`` (jurisdiction x license), ``csv`` or
    ``json``. The table and CSV end with the disclaimer; JSON carries it as a field."""
    if fmt == "json":
        return json.dumps({"disclaimer": DISCLAIMER, "rows": rows}, indent=2)
    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf, lineterminator="\n")
        w.writerow(_CSV_FIELDS)
        for r in rows:
            out = []
            for f in _CSV_FIELDS:
                v = r[f]
                if f == "sources":
                    v = " | ".join(
                        f"{s['citation']}{' <' + s['url'] + '>' if s['url'] else ''}: {s['says']}"
                        for s in v
                    )
                elif isinstance(v, list):
                    v = ";".join(v)
                elif v is None:
                    v = ""
                out.append(v)
            w.writerow(out)
        w.writerow([f"# {DISCLAIMER}"])
        return buf.getvalue()
    if fmt != "table":
        raise ValueError(f"unknown format {fmt!r}: expected table, csv or json")
    by_state: dict[str, dict[str, dict[str, Any]]] = {}
    for r in rows:
        by_state.setdefault(r["state"], {})[r["licence"]] = r
    day = rows[0]["on"] if rows else dt.date.today().isoformat()
    width = 11
    head = f"{'':<4}{'jurisdiction':<22}" + "".join(f"{lic:<{width}}" for lic in LICENCES)
    lines = [f"Who may own the clinical entity, by owner license (rules in force on {day})", head,
             "-" * len(head)]
    for code, cells in by_state.items():
        name = STATE_NAMES[code]
        lines.append(
            f"{code:<4}{name[:21]:<22}"
            + "".join(f"{cells[lic]['cell'] if lic in cells else '':<{width}}" for lic in LICENCES)
        )
    lines += [
        "",
        "owns = may own outright; owns* = with conditions (medical director, supervision or "
        "collaboration agreement); license = owns with a facility/clinic license; co-own = "
        "only with physician co-owners; minority = minority stake only; MSO+PC = must use owned "
        "MSO + friendly PC; contested = sources disagree or low confidence: consult counsel.",
        "",
        DISCLAIMER,
    ]
    return "\n".join(lines)


def state_json(
    state: str, licence: str | None = None, *, on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> dict[str, Any]:
    """JSON-ready view of one state (every license, or one) for ``--format json``."""
    book = rulebook or load_rulebook()
    code = normalise_state(state)
    day = on or dt.date.today()
    licences = (normalise_licence(licence),) if licence is not None else LICENCES
    out: dict[str, Any] = {"state": code, "state_name": STATE_NAMES[code], "on": day.isoformat(),
                           "licences": {}}
    for lic in licences:
        rule = lookup(code, lic, on=day, rulebook=book)
        st = assess_structures(code, lic, on=day, rulebook=book)
        out["licences"][lic] = {
            "answer": answer_label(rule, st["direct"].status),
            "rule": rule.to_dict(),
            "structures": {k: v.to_dict() for k, v in st.items()},
            "changes": [c.to_dict() for c in rule_changes(code, lic, *_EVER, rulebook=book)],
        }
    out["fees"] = fee_policy(code, rulebook=book).to_dict()
    out["fee_rules"] = [r.to_dict() for r in book.fee_rules.get(code, ())]
    out["disclaimer"] = DISCLAIMER
    return out
