"""Legal structure and compliance: which structure, why, its status and sources; then the
management options under it, the condition costs, deal warnings and the numbered sources."""

from __future__ import annotations

from msomodel import tables
from msomodel.compare import Comparison
from msomodel.report.sections.common import (
    CHOSEN_BY,
    LICENCE_NAMES,
    SEVERITY,
    STATUS_CLASS,
    SourceList,
    _e,
    amount,
    badge,
    block,
    figure_html,
    state_name,
)
from msomodel.scenario import OPTIONS


def _basis(text: str) -> str:
    if text.startswith("data default (assumption)"):
        return "Assumption (data default)"
    if text.startswith("data default"):
        return "Sourced data default"
    if text.startswith("scenario"):
        return "From the scenario" + text[len("scenario"):]
    return text[:1].upper() + text[1:]


def _structures_table(result: Comparison, sources: SourceList) -> str:
    c = result.compliance
    rows = []
    order = [result.structure, *[k for k in c.structures if k != result.structure]]
    for key in order:
        s = c.structures[key]
        refs = sources.refs(s.sources)
        used = "evaluated in this report" if key == result.structure else "not evaluated here"
        reasons = "".join(f"<li>{_e(r)}</li>" for r in s.reasons)
        rows.append(
            f'<tr class="status-{STATUS_CLASS.get(s.status, "unknown")}">'
            f'<th class="rowhead">{_e(s.label)}<br/>{badge(s.status)}'
            f'<br/><span class="small">{_e(used)}</span></th>'
            f'<td class="text"><ul class="reasons">{reasons}</ul></td>'
            f'<td class="text">{sources.marks(refs)}</td></tr>')
    return ('<table class="report feasibility structures-status"><colgroup><col class="c-opt"/>'
            '<col class="c-why2"/><col class="c-src"/></colgroup><thead><tr>'
            '<th class="text">Structure</th><th class="text">Why</th>'
            '<th class="text">Sources</th></tr></thead>'
            f"<tbody>{''.join(rows)}</tbody></table>")


def state_map(result: Comparison) -> str:
    """The US tile map of the answer for the owner's license, the owner's state outlined."""
    from msomodel.charts.usmap import tile_map

    c = result.compliance
    licence = LICENCE_NAMES.get(c.licence or "", c.licence or "")
    fig = tile_map(c.licence, highlight=c.state, on=result.scenario.finance.start_date)
    if fig._suptitle is not None:  # the section's heading says it
        fig._suptitle.set_visible(False)
    for text in fig.texts:  # the chart's own "not legal advice" line: the cover's notice says it
        if "legal advice" in text.get_text().lower():
            text.set_visible(False)
    who = "a lay owner (no clinical license)" if c.licence == "none" else f"a {licence}"
    return figure_html(fig, title=f"Who may own a med spa: {who}, by state",
                       note=f"As recorded in the rules data for {result.scenario.finance.start_date:%b %Y}"
                       f"; {state_name(c.state)} outlined. Contested means the sources disagree: "
                       "consult counsel.")


def compliance_section(result: Comparison) -> str:
    """:func:`compliance_parts` as one HTML fragment."""
    return "".join(compliance_parts(result))


def compliance_parts(result: Comparison) -> list[str]:
    """The structure first (status, reasons, sources; the alternative's standing), then each
    management option under it, the conditions with their cost basis, deal warnings, the
    numbered sources (the notice that this is not legal advice is on the cover, once)."""
    c = result.compliance
    if not c.checked:
        return ['<p class="callout unknown">The scenario names no state and no owner license, so '
                "ownership rules were <strong>not checked</strong>. The options are compared under "
                f"{_e(result.structure_label.lower())} as if permitted; add "
                "<em>owner: {state, licence}</em> to the scenario to check them.</p>"]
    sources = SourceList()
    licence = LICENCE_NAMES.get(c.licence or "", c.licence or "—")
    found = c.structures.get(result.structure)
    status = found.status if found else "unknown"
    counsel = ""
    if status in ("contested", "unknown"):
        counsel = ('<p class="callout unknown"><strong>Contested: consult counsel.</strong> The '
                   "sources disagree or are not conclusive on whether this owner may use this "
                   "structure; every figure in this report assumes it is allowed.</p>")
    intro = (f"<p>Owner: {_e(licence)} in {_e(state_name(c.state))}. The legal structure is "
             f"decided first; it is <strong>{_e(result.structure_label)}</strong> "
             f"({_e(tables.STATUS.get(status, status).lower())}), chosen by "
             f"{_e(CHOSEN_BY.get(c.structure_chosen_by, c.structure_chosen_by))}"
             ". Each structure's standing for this owner:</p>")
    parts = [block("<h3>Legal structure</h3>", intro, counsel, _structures_table(result, sources))]
    parts.append(state_map(result))
    rows = []
    shared = set(found.reasons) if found else set()
    for option in OPTIONS:
        oc = c.options[option]
        refs = sources.refs(oc.sources)
        own = [r for r in oc.reasons if r not in shared]
        same = len(own) < len(oc.reasons)
        reasons = "".join(f"<li>{_e(r)}</li>" for r in own)
        if same:
            reasons += f"<li>As for the structure{' otherwise' if own else ''} (above).</li>"
        cost = ("none" if not oc.conditions else
                f"{_e(amount(oc.monthly))}/month + {_e(amount(oc.one_time))} once")
        rows.append(
            f'<tr class="status-{STATUS_CLASS.get(oc.status, "unknown")}">'
            f'<th class="rowhead">{_e(result.label(option))}<br/>{badge(oc.status)}</th>'
            f'<td class="text"><ul class="reasons">{reasons}</ul></td>'
            f'<td class="text">{cost}</td><td class="text">{sources.marks(refs)}</td></tr>')
    parts.append(block(
        f"<h3>The management options under this structure ({_e(result.structure_label)})</h3>",
        '<table class="report feasibility"><colgroup><col class="c-opt"/><col class="c-why"/>'
        '<col class="c-cost"/><col class="c-src"/></colgroup><thead><tr>'
        '<th class="text">Option</th><th class="text">Why</th>'
        '<th class="text">Condition costs per site</th><th class="text">Sources</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"))
    conditions: dict[tuple, list[str]] = {}
    for option in OPTIONS:
        for item in c.options[option].conditions:
            key = (item.id, item.description, item.monthly, item.one_time, item.basis)
            conditions.setdefault(key, []).append(result.label(option))
    if conditions:
        crow = "".join(
            f'<tr><td class="text">{_e(desc)}</td><td class="text">'
            f'{_e("all options" if len(opts) == len(OPTIONS) else ", ".join(opts))}</td>'
            f'<td class="num">{_e(amount(monthly))}</td>'
            f'<td class="num">{_e(amount(once))}</td>'
            f'<td class="text">{_e(_basis(basis))}</td></tr>'
            for (_, desc, monthly, once, basis), opts in conditions.items())
        parts.append(block(
            "<h3>Conditions and what they cost</h3>",
            "<p class=\"small\">These costs are included in each option's figures. "
            "&ldquo;Assumption&rdquo; marks a default from the rules data without a published "
            "price; the scenario can set its own amounts. The friendly-PC structure's own costs "
            "(formation, medical director, PC administration) are the scenario's structure terms "
            "and appear in the P&amp;L as &ldquo;PC structure&rdquo;.</p>",
            '<table class="report conditions"><colgroup><col class="c-cond"/><col class="c-apply"/>'
            '<col class="c-month"/><col class="c-once"/><col class="c-basis"/></colgroup>'
            '<thead><tr><th class="text">Condition</th>'
            '<th class="text">Applies to</th><th class="num">Per site per month</th>'
            '<th class="num">One-time per site</th><th class="text">Cost basis</th></tr></thead>'
            f"<tbody>{crow}</tbody></table>"))
    if result.warnings:
        wrows = []
        for w in result.warnings:
            refs = sources.refs(w.get("sources") or [])
            sev = w.get("severity", "warning")
            wrows.append(f'<tr><td class="text"><span class="badge sev-{_e(sev)}">'
                         f"{_e(SEVERITY.get(sev, sev.title()))}</span></td>"
                         f'<td class="text">{_e(w["message"])} {sources.marks(refs)}</td></tr>')
        parts.append(block('<h3>Deal-structure warnings</h3>',
                           '<table class="report warnings"><thead><tr><th class="text">Severity'
                           '</th><th class="text">Warning</th></tr></thead>'
                           f"<tbody>{''.join(wrows)}</tbody></table>"))
    else:
        parts.append(block("<h3>Deal-structure warnings</h3>",
                           "<p>None: the fees, their terms and the pay plan raise no flag in the "
                           "rules data.</p>"))
    parts.append(block("<h3>Sources</h3>", f'<ol class="sources">{sources.html()}</ol>', keep=False))
    return parts
