"""Page 2: the decision (verdict, margin, probability, downside, flips, asymmetric inputs), the
key figures, the break-even fees, and the structures side by side when both are evaluated."""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

from msomodel import tables
from msomodel.analysis.paths import FEE_LEVEL_PATH
from msomodel.compare import Comparison, lower_first
from msomodel.decision import THRESHOLD, and_list, share
from msomodel.report.sections.common import (
    CHOSEN_BY,
    LICENCE_NAMES,
    _e,
    amount,
    amounts_in_text,
    badge,
    block,
    frame_html,
    option_classes,
    option_name,
    short_money,
    state_name,
    status_text,
    years,
)
from msomodel.scenario import OPTIONS

VERDICT_CLASS = {"recommended": "ok", "too_close": "unknown", "none_pays": "no",
                 "too_short": "no", "no_lawful_option": "no"}


def _prob(p: float | None) -> str:
    return "—" if p is None or not math.isfinite(p) else share(p)


def lawful(result: Comparison) -> list[str]:
    return [o for o in OPTIONS if result.feasibility[o].allowed]


# ----------------------------------------------------------------- the structure, in one line
def structure_statement(result: Comparison) -> str:
    """Which legal structure, its status, who chose it and why (one paragraph, page 2)."""
    c = result.compliance
    found = c.structures.get(result.structure)
    if not c.checked:
        return (f'<p class="structure-line"><strong>Legal structure: '
                f"{_e(result.structure_label)}.</strong> No state or license was given, so "
                "ownership rules were not checked.</p>")
    licence = LICENCE_NAMES.get(c.licence or "", c.licence or "—")
    why = " ".join(found.reasons) if found else ""
    counsel = ("" if found is None or found.status not in ("contested", "unknown") else
               " <strong>Consult counsel before relying on it:</strong> the sources disagree or "
               "are not conclusive for this owner.")
    return (f'<div class="structure-line"><p><strong>Legal structure: {_e(result.structure_label)}'
            f"</strong> {badge(found.status) if found else ''}<br/>"
            f"Owner: {_e(licence)} in {_e(state_name(c.state))}; chosen by "
            f"{_e(CHOSEN_BY.get(c.structure_chosen_by, c.structure_chosen_by))}. {_e(why)}"
            f"{counsel} The three management options below are all compared under this "
            "structure (sources: Legal structure and compliance).</p></div>")


# ----------------------------------------------------------------- the verdict
def verdict_box(result: Comparison) -> str:
    d = result.decision
    label = tables.VERDICTS.get(d.verdict, d.verdict)
    return (f'<div class="verdict verdict-{VERDICT_CLASS.get(d.verdict, "unknown")}">'
            f'<div class="verdict-label">{_e(label)}</div>'
            f"<p>{_e(amounts_in_text(d.sentence))}</p></div>")


def decision_facts(result: Comparison) -> str:
    """The decision in figures: recommended option, margin, probability, and every lawful
    option's NPV, downside (P10) and probability of being best."""
    d = result.decision
    if d.leader is None:
        return ""
    leader, runner = result.label(d.leader), result.label(d.runner_up) if d.runner_up else None
    if d.option:
        rec = f"{result.label(d.option)}"
    else:
        rec = (f"none ({tables.VERDICTS[d.verdict].lower()}); highest NPV: {lower_first(leader)}")
    rows = [("Recommended option", rec)]
    if runner:
        rows.append((f"Margin over the runner-up ({lower_first(runner)})",
                     f"{amount(d.margin)} of NPV"))
    if d.probability_best is not None:
        rows.append((f"Probability that {lower_first(leader)} is best",
                     f"{_prob(d.probability_best.get(d.leader))} of {d.trials:,} simulated "
                     f"trials (seed {d.seed}); a recommendation needs {THRESHOLD:.0%}"))
    else:
        rows.append(("Probability of being best",
                     f"not measured: {d.untested_reason or 'no simulation'}"))
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    options = lawful(result)
    prob, p10 = d.probability_best or {}, d.p10_npv or {}
    frame = pd.DataFrame({
        option_name(result, o): {
            f"NPV ({result.horizon} months)": amount(d.npv[o]),
            "Behind the leader by": "—" if o == d.leader else amount(d.npv[d.leader] - d.npv[o]),
            "Downside: P10 of NPV": amount(p10.get(o)) if o in p10 else "not measured",
            "Probability best": _prob(prob.get(o)) if o in prob else "not measured",
        } for o in options})
    table = frame_html(frame, caption="Each option open to this owner: value, downside and how often it is best",
                       classes="decision-options", column_classes=option_classes(result, options))
    return block(f'<table class="facts decision-facts">{facts}</table>', table)


def flips_block(result: Comparison) -> str:
    """What would flip the decision (``tables.flips``): the inputs with a flip value in a
    table, the others in one sentence."""
    d = result.decision
    frame = tables.flips(result, amounts=amount)
    if d.leader is None or frame.empty:
        return ""
    leader = result.label(d.leader)
    found = frame[frame["Flips at"] != "no value in range"].copy()
    none = [f for f in frame.loc[frame["Flips at"] == "no value in range", "Input"]]
    parts = ["<h3>What would flip it</h3>",
             f'<p class="small">One input at a time, everything else as in the scenario: the value '
             f"at which {_e(lower_first(leader))} stops being the best option open to this owner.</p>"]
    if len(found):
        found["Leader stays ahead"] = found["Leader stays ahead"].str.replace(" it", "", regex=False)
        found = found.rename(columns={"Leader stays ahead": "Leader ahead while input is",
                                      "Then best": "Then best", "Searched": "Range searched"}
                             ).set_index("Input")
        colgroup = ('<colgroup><col class="c-input"/><col class="c-val"/><col class="c-val"/>'
                    '<col class="c-side"/><col class="c-best"/><col class="c-range"/></colgroup>')
        parts.append(frame_html(found, classes="flips", colgroup=colgroup,
                                column_classes=["num", "num", "text", "text", "text"]))
    else:
        parts.append("<p>No input flips it within its searched range.</p>")
    if none:
        parts.append(f'<p class="small">No value in the searched range flips it: '
                     f"{_e(', '.join(lower_first(n) for n in none))}.</p>")
    return block(*parts, keep=False)


def asymmetries_block(result: Comparison) -> str:
    """Inputs that favor one option only, with source and the answer when set equal."""
    frame = tables.asymmetries(result, amounts=amount)
    head = "<h3>Assumptions that favor one option</h3>"
    if frame.empty:
        return block(head, "<p>None: no input differs between the options (exit multiples, "
                           "revenue uplifts and purchasing discounts are equal or zero, and the "
                           "software does no more than the existing tool).</p>")
    frame = frame.set_index("Input")
    rows = ["strong" if i == "All of them" else "" for i in frame.index]
    d = result.decision
    changes = [a for a in d.asymmetries if a.recommended_when_equal != d.leader]
    if d.all_equal is not None and d.all_equal.recommended_when_equal != d.leader:
        changes.append(d.all_equal)
    if changes:
        what = "; ".join(f"with {lower_first(a.label)} set equal, "
                         f"{lower_first(result.label(a.recommended_when_equal))} leads"
                         for a in changes)
        note = f'<p class="callout unknown">The answer rests on these assumptions: {_e(what)}.</p>'
    else:
        note = ("<p class=\"small\">With each of them (and all of them) set equal across the "
                f"options, {_e(lower_first(result.label(d.leader)))} still leads.</p>")
    colgroup = ('<colgroup><col class="c-input"/><col class="c-fav"/><col class="c-val"/>'
                '<col class="c-val"/><col class="c-src"/><col class="c-best"/><col class="c-lead"/>'
                '</colgroup>')
    return block(head, '<p class="small">Each input set equal across the options (its effect '
                       "removed: a software effect is set to what the existing tool already "
                       "does), everything else as in the scenario.</p>",
                 frame_html(frame, classes="asymmetries", row_classes=rows, colgroup=colgroup,
                            column_classes=["text", "num", "num", "text source", "text", "num"]),
                 note, keep=False)


# ----------------------------------------------------------------- key figures
def key_figures_table(result: Comparison) -> str:
    """``tables.key_figures`` with the options marked, the incremental notes as footnotes and
    the two IRRs defined."""
    from msomodel.report.sections.statements import calendar

    frame = tables.key_figures(result, amounts=amount)
    notes = []
    for option in OPTIONS:
        note = result.payback_note(option)
        col = result.label(option)
        month = result.metrics[option]["payback_month"]
        if month is not None and math.isfinite(month) and month > 0:  # its calendar month too
            frame.loc["Payback", col] = f"{frame.loc['Payback', col]}, {calendar(result, int(month))}"
        if note:
            notes.append(f"{col}, payback: {note}.")
            frame.loc["Payback", col] = f"{frame.loc['Payback', col]} ({len(notes)})"
    for option in ("mso", "software_only"):
        note = result.incremental_note(option)
        col = result.label(option)
        for row, key in (("Payback of the switch", "payback_month"),
                         ("IRR of the switch", "irr_annual")):
            if note.get(key):
                notes.append(f"{col}, {lower_first(row)}: {note[key]}.")
                frame.loc[row, col] = f"{frame.loc[row, col]} ({len(notes)})"
    frame.columns = [option_name(result, o) for o in OPTIONS]
    rows = ["strong" if i.startswith("NPV (") else "" for i in frame.index]
    table = frame_html(frame, caption=f"Key figures ({result.horizon}-month horizon, "
                       f"{calendar(result, 1)} to {calendar(result, result.horizon)}; discount "
                       f"rate {tables.pct(result.scenario.finance.discount_rate_annual)})",
                       classes="keyfigures", column_classes=option_classes(result, OPTIONS),
                       row_classes=rows)
    foot = "".join(f"<li>{_e(amounts_in_text(n))}</li>" for n in notes)
    returns = ("The project IRR is the return on the unlevered cash flow (before any loan); the "
               "equity IRR is the owner's return after debt service, with the exit net of the "
               "loan; both include the exit value, shown on its own line. The equity multiple "
               "(MOIC) is the owner's cash returned over cash put in. \u201cNPV vs "
               "self-managed\u201d and the switch figures compare each option with running the "
               "business side in-house; the payback of the switch is shown only beside a "
               "positive incremental NPV, and IRRs above 1,000% read \u201c> 1,000%\u201d.")
    return (block(table) + block(f'<ol class="footnotes">{foot}</ol>' if foot else "",
                                 f'<p class="small">{_e(returns)}</p>', keep=False))


# ----------------------------------------------------------------- break-even fees
def breakeven_sentence(result: Comparison) -> str:
    """The third-party MSO's break-even fee in plain words (always), amounts by the report's
    rule."""
    return amounts_in_text(_breakeven_sentence(result))


def _breakeven_sentence(result: Comparison) -> str:
    return " ".join(filter(None, (_breakeven_vs_self_managed(result), _breakeven_vs_leader(result))))


def _breakeven_vs_leader(result: Comparison) -> str:
    """Where another option leads, the MSO fee that would take the lead from it: a second
    break-even, against the leader (the one in "What would flip it"), named as such."""
    d, be = result.decision, result.breakeven
    flip = next((f for f in d.flips if f.path == FEE_LEVEL_PATH), None)
    if flip is None or flip.value is None or d.leader in (None, "self_managed"):
        return ""
    level = tables.fee_level(flip.value, be.unit)
    if d.leader == "mso" and flip.taker not in (None, "self_managed"):
        return (f"Against {lower_first(result.label(flip.taker))}, the third-party MSO leads "
                f"while its fee stays below {level} (see What would flip it).")
    if d.leader != "mso" and flip.taker == "mso":
        return (f"Against {lower_first(result.label(d.leader))}, the option that leads, the fee "
                f"would have to fall below {level} for the third-party MSO to lead (see What "
                "would flip it).")
    return ""


def _breakeven_vs_self_managed(result: Comparison) -> str:
    be = result.breakeven
    current = tables.fee_level(be.current, be.unit)
    if be.level is None:
        ahead = result.incremental["mso"]["npv"] > 0
        return ("The third-party MSO stays ahead of self-managed at every fee level tested "
                f"(the offer is {current})." if ahead else
                "The third-party MSO does not beat self-managed at any fee level, not even a zero "
                f"fee (the offer is {current}).")
    level = tables.fee_level(be.level, be.unit)
    if be.current <= be.level:
        room = be.level - be.current
        share = f" ({room / be.level:.0%} below it)" if be.level > 0 else ""
        return (f"The third-party MSO is worth more than self-managed as long as its fee stays "
                f"below {level}. The offer is {current}{share}.")
    return (f"The third-party MSO is worth more than self-managed only if its fee is below "
            f"{level}. The offer of {current} is above that, so at this price self-managed is "
            "worth more.")


def pc_breakeven_sentence(result: Comparison) -> str:
    """Friendly-PC structure: the management fee at which the PC breaks even ('' otherwise),
    amounts by the report's rule."""
    return amounts_in_text(_pc_breakeven_sentence(result))


def _pc_breakeven_sentence(result: Comparison) -> str:
    be = result.pc_breakeven
    if be is None:
        return ""
    current = tables.fee_level(be.current, be.unit)
    kept = pc_ebitda_by_option(result)
    # The owner's value is the MSO's: what the PC keeps is its physician owner's
    # (msomodel.options.finish), so the fee is one of the owner's main levers.
    head = ("The management fee your MSO charges the friendly PC decides how much of the PC's "
            "profit reaches you: what the PC keeps belongs to its physician owner, so a higher "
            "fee raises your value (within fair market value, for counsel to confirm).")
    over = f"over {years(result.horizon)}"
    first = next(iter(kept.values()), 0.0)
    if all(abs(v - first) < 0.5 for v in kept.values()):
        every = "under every option" if len(kept) > 1 else "under in-house management"
        each = f"the PC {_pc_result(first)} {over} {every}"
    else:
        each = f"the PC's EBITDA {over} is " + and_list(
            [f"{_signed(total)} {_UNDER[option]}" for option, total in kept.items()])
    if result.inputs.mgmt_fee_type == "sweep":
        text = f"{head} The scenario's fee is {current}: {each}."
    elif be.level is None:
        text = f"{head} No fee level in range lets the PC break even; at {current}, {each}."
    else:
        text = (f"{head} At {tables.fee_level(be.level, be.unit)} the PC breaks even over "
                f"{years(result.horizon)} under in-house management; at the scenario's "
                f"{current}, {each}.")
    base = kept.get("self_managed")
    if base is not None and len(kept) > 1:
        option, top = max(kept.items(), key=lambda kv: kv[1])
        if top - base >= max(50_000.0, 0.05 * abs(base)):
            text += (f" The fee is the same under every option, so what {_THE[option]} adds "
                     "to the PC's profit "
                     f"({short_money(top - base)} more than in-house) goes to its physician "
                     "owner, not to you, unless the fee is set again for that option (see What "
                     "would flip it).")
    return text


def pc_ebitda_by_option(result: Comparison) -> dict[str, float]:
    """The friendly PC's EBITDA over the horizon under each option the owner may use [USD]."""
    out = {}
    for option in OPTIONS:
        if option in result.projections and result.feasibility[option].allowed:
            pc = result.entity_annual(option).get("pc")
            if pc is not None:
                out[option] = float(pc["ebitda"].sum())
    return out


def _pc_result(total: float) -> str:
    if total >= 0.5:
        return f"keeps a profit of {short_money(total)}"
    if total <= -0.5:
        return f"ends with a loss of {short_money(-total)} (your MSO funds it)"
    return "keeps nothing"


def _signed(total: float) -> str:
    return short_money(total) if total > -0.5 else f"a loss of {short_money(-total)}"


#: Each option after an amount ("$145k in-house"), and as the subject of a sentence.
_UNDER = {"self_managed": "in-house", "software_only": "with software",
          "mso": "with the third-party MSO"}
_THE = {"self_managed": "in-house management", "software_only": "the software",
        "mso": "the third-party MSO"}


def breakeven_block(result: Comparison) -> str:
    parts = [f"<p><strong>Break-even third-party MSO fee.</strong> "
             f"{_e(breakeven_sentence(result))}</p>"]
    pc = pc_breakeven_sentence(result)
    if pc:
        parts.append(f"<p><strong>Break-even management fee (friendly PC).</strong> {_e(pc)}</p>")
    return block(*parts)


def decision_section(result: Comparison) -> list[str]:
    """The parts of the decision page, in reading order (the first goes with the heading)."""
    first = structure_statement(result) + verdict_box(result) + decision_facts(result)
    return [first, flips_block(result), asymmetries_block(result), key_figures_table(result),
            breakeven_block(result), warnings_note(result)]


def warnings_note(result: Comparison) -> str:
    parts = []
    blocked = [o for o in OPTIONS if not result.feasibility[o].allowed]
    if blocked:
        names = " and ".join(lower_first(result.label(o)) for o in blocked)
        parts.append(f'<p class="callout no">Not permitted for this owner: {_e(names)} (see Legal '
                     "structure and compliance). Their figures are greyed and left out of the "
                     "decision.</p>")
    if result.warnings:
        n = len(result.warnings)
        parts.append(f'<p class="callout unknown">{n} deal-structure warning{"s" if n > 1 else ""} '
                     "to review with counsel (see Legal structure and compliance).</p>")
    return "".join(parts)


# ----------------------------------------------------------------- both structures
def structures_side_by_side(results: Sequence[Comparison]) -> str:
    """One column per evaluated structure: status, verdict, leader, NPVs, margin, probability."""
    cols = {}
    for r in results:
        d = r.decision
        found = r.compliance.structures.get(r.structure)
        col = {"Status": status_text(found.status) if found else "—",
               "Verdict": tables.VERDICTS.get(d.verdict, d.verdict),
               "Recommended option": r.label(d.option) if d.option else "none",
               "Highest NPV": r.label(d.leader) if d.leader else "—"}
        for o in OPTIONS:
            col[f"NPV: {r.label(o)}"] = (amount(r.metrics[o]["npv"])
                                         if r.feasibility[o].allowed else "not permitted")
        col["Margin over the runner-up"] = amount(d.margin)
        col["Probability best (leader)"] = _prob((d.probability_best or {}).get(d.leader or ""))
        cols[r.structure_label] = col
    frame = pd.DataFrame(cols)
    return block("<h3>The legal structures side by side</h3>",
                 '<p class="small">The scenario asks for both structures: each compares the same '
                 "three management options under its own costs and entities.</p>",
                 frame_html(frame, classes="structures", column_classes=["num"] * len(cols)))
