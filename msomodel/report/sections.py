"""Report sections as HTML, built from the package's objects (presentation only, no model logic).

Each function takes a :class:`~msomodel.compare.Comparison` (or an analysis result) and returns
an HTML fragment styled by ``print.css``: the notebook displays it with ``IPython.display.HTML``.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from msomodel import tables
from msomodel.compare import CONVENTIONS, Comparison, lower_first
from msomodel.scenario import OPTIONS

LICENCE_NAMES = {"physician": "physician (MD/DO)", "np": "nurse practitioner (NP)",
                 "pa": "physician assistant (PA)", "rn": "registered nurse (RN)",
                 "none": "no clinical licence (lay owner)"}
STATUS_CLASS = {"feasible": "ok", "feasible_with_conditions": "cond", "infeasible": "no",
                "unknown": "unknown"}
ENTITY_TITLES = {"pc": "Friendly PC (physician-owned practice)", "mso": "MSO (owned by you)"}
SEVERITY = {"info": "Note", "warning": "Warning", "high": "High risk", "error": "Serious"}


# ----------------------------------------------------------------- small helpers
def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def _state_name(code: str | None) -> str:
    if not code:
        return "—"
    from msomodel.rules import STATE_NAMES

    return STATE_NAMES.get(code.upper(), code.upper())


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _years(months: int) -> str:
    return f"{months / 12:g} years" if months % 12 == 0 else f"{months} months"


def _short(value: float) -> str:
    """$1.2M / $350k / $900 (for sentences)."""
    v = abs(float(value))
    sign = "-" if value < 0 else ""
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f}M"
    if v >= 1e4:
        return f"{sign}${v / 1e3:,.0f}k"
    return tables.money(value)


def frame_html(frame: pd.DataFrame, *, caption: str | None = None, classes: str = "",
               column_classes: Sequence[str] | None = None, row_classes: Sequence[str] | None = None,
               index_header: str = "", escape_cells: bool = True) -> str:
    """A DataFrame of strings as a report table: the index as row headers, numbers right-aligned."""
    cols = list(frame.columns)
    ccls = list(column_classes) if column_classes is not None else [""] * len(cols)
    head = f'<th class="rowhead">{_e(index_header)}</th>' + "".join(
        f'<th class="{c}">{_e(name)}</th>' for name, c in zip(cols, ccls, strict=True))
    body = []
    for i, (label, row) in enumerate(frame.iterrows()):
        rc = row_classes[i] if row_classes is not None else ""
        cells = "".join(
            f'<td class="{c}">{_e(v) if escape_cells else v}</td>'
            for v, c in zip(row.tolist(), ccls, strict=True))
        body.append(f'<tr class="{rc}"><th class="rowhead">{_e(label)}</th>{cells}</tr>')
    cap = f"<caption>{_e(caption)}</caption>" if caption else ""
    return (f'<table class="report {classes}">{cap}<thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(body)}</tbody></table>')


def block(*parts: str, keep: bool = True, classes: str = "") -> str:
    """Parts kept together on one page (``keep``), e.g. a sub-heading and its table."""
    cls = " ".join(c for c in ("block", "keep" if keep else "", classes) if c)
    return f'<div class="{cls}">{"".join(parts)}</div>'


def section(title: str, first: str, *rest: str, new_page: bool = True) -> str:
    """A report section: its heading kept on a page with the first part, then the rest."""
    cls = "report-section new-page" if new_page else "report-section"
    return (f'<section class="{cls}">'
            f'<div class="keep section-start"><h2>{_e(title)}</h2>{first}</div>{"".join(rest)}'
            "</section>")


def _option_classes(result: Comparison) -> list[str]:
    rec = result.recommendation.get("option")
    return [" ".join(c for c in ("num",
                                 "recommended" if o == rec else "",
                                 "" if result.feasibility[o].allowed else "not-permitted") if c)
            for o in OPTIONS]


# ----------------------------------------------------------------- 1. title page
def opening_plan(result: Comparison) -> str:
    sites = result.scenario.sites
    if len(sites) == 1:
        return f"one site ({sites[0].name}), opening in month {sites[0].open_month}"
    parts = ", ".join(f"{s.name} (month {s.open_month})" for s in sites)
    return f"{len(sites)} sites: {parts}"


def title_page(result: Comparison, *, title: str | None = None, version: str,
               date: datetime.date | None = None) -> str:
    """The cover: name and description, owner, sites, horizon, discount rate, provenance."""
    s = result.scenario
    date = date or datetime.date.today()
    owner = ("not given (ownership rules not checked)" if s.owner is None else
             f"{LICENCE_NAMES.get(s.owner.licence, s.owner.licence)}, "
             f"{_state_name(s.owner.state)}")
    rows = [
        ("Owner", owner),
        ("Sites", opening_plan(result)),
        ("MSO offer", result.label("mso")),
        ("Horizon", f"{result.horizon} months ({_years(result.horizon)})"),
        ("Discount rate", f"{tables.pct(s.finance.discount_rate_annual)} a year"),
        ("Prepared", f"{date:%d %B %Y}".lstrip("0")),
        ("Model", f"msomodel {version}"),
        ("Scenario file", f"{_file_name(s.source_path)}, SHA-256 {(s.sha256 or '')[:12]}"),
    ]
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    desc = f'<p class="cover-description">{_e(s.description)}</p>' if s.description else ""
    return (
        '<section class="cover">'
        '<div class="cover-kicker">Operating-model comparison for a medical spa</div>'
        f'<h1 class="cover-title">{_e(title or s.name)}</h1>'
        '<div class="cover-subtitle">Self-managed &middot; MSO &middot; practice-management '
        'software</div>'
        f"{desc}"
        f'<table class="cover-facts">{facts}</table>'
        '<div class="cover-notice"><strong>Not legal or financial advice.</strong> This report is '
        "a model of the scenario's assumptions, listed in the appendix. Ownership rules are "
        "summarised from public sources and have not been reviewed by counsel.</div>"
        "</section>"
    )


def _file_name(path: str | None) -> str:
    if not path:
        return "—"
    from pathlib import Path

    return Path(path).name


# ----------------------------------------------------------------- 2. executive summary
def breakeven_sentence(result: Comparison) -> str:
    """The break-even fee in plain words."""
    be = result.breakeven
    current = tables.fee_level(be.current, be.unit)
    if be.target == "pc_breaks_even":
        pc = result.entity_annual().get("pc")
        pc_total = float(pc["ebitda"].sum()) if pc is not None else float("nan")
        if be.level is None:
            return (f"With an owned MSO the management fee only moves profit between the "
                    f"physician-owned PC and your MSO; no fee level in range lets the PC break "
                    f"even (the scenario's fee is {current}).")
        outcome = ("a profit of " if pc_total >= 0 else "a loss of ") + _short(abs(pc_total))
        return (f"With an owned MSO the management fee only moves profit between the "
                f"physician-owned PC and your MSO, so it barely changes the group's value. At "
                f"{tables.fee_level(be.level, be.unit)} the PC breaks even over "
                f"{_years(result.horizon)}; the scenario's fee of {current} leaves the PC with "
                f"{outcome} over that time.")
    if be.level is None:
        ahead = result.incremental["mso"]["npv"] > 0
        return ("The MSO stays ahead of self-managed at every fee level tested "
                f"(the offer is {current})." if ahead else
                "The MSO does not beat self-managed at any fee level, not even a zero fee "
                f"(the offer is {current}).")
    level = tables.fee_level(be.level, be.unit)
    if be.current <= be.level:
        room = be.level - be.current
        share = f" ({room / be.level:.0%} below it)" if be.level > 0 else ""
        return (f"The MSO is worth more than running the business yourself as long as its fee "
                f"stays below {level}. The offer is {current}{share}.")
    return (f"The MSO is worth more than running the business yourself only if its fee is below "
            f"{level}. The offer of {current} is above that, so at this price self-managed "
            "is worth more.")


def executive_summary(result: Comparison) -> str:
    """Recommendation, break-even fee and one line per option that is not permitted."""
    rec = result.recommendation
    parts = [f'<p class="lead"><strong>Recommendation.</strong> {_e(rec["reason"])}</p>']
    inc = result.incremental["mso"]["npv"]
    if result.feasibility["self_managed"].allowed and result.feasibility["mso"].allowed:
        verb = "adds" if inc >= 0 else "costs"
        parts.append(f"<p>Over {_years(result.horizon)}, choosing the "
                     f"{_e(lower_first(result.label('mso')))} "
                     f"{verb} {_e(tables.money(abs(inc)))} of value (NPV) compared with running "
                     "the business side yourself.</p>")
    parts.append(f'<p><strong>Break-even fee.</strong> {_e(breakeven_sentence(result))}</p>')
    blocked = [o for o in OPTIONS if not result.feasibility[o].allowed]
    if blocked:
        names = " and ".join(lower_first(result.label(o)) for o in blocked)
        parts.append(f'<p class="callout no">Not permitted for this owner: {_e(names)} '
                     "(see Feasibility and compliance). Their figures are shown greyed, for "
                     "comparison only.</p>")
    if result.warnings:
        n = len(result.warnings)
        parts.append(f'<p class="callout unknown">{n} deal-structure warning{"s" if n > 1 else ""} '
                     "to review with counsel (see Feasibility and compliance).</p>")
    if not result.compliance.checked:
        parts.append('<p class="callout unknown">No state or licence was given, so ownership '
                     "rules were not checked.</p>")
    return "".join(parts)


def key_figures_table(result: Comparison) -> str:
    frame = tables.key_figures(result).drop(index="Feasibility", errors="ignore")
    rec = result.recommendation.get("option")
    cols = []
    for o, name in zip(OPTIONS, frame.columns, strict=True):
        tag = " (recommended)" if o == rec else ("" if result.feasibility[o].allowed
                                                 else " (not permitted)")
        cols.append(name + tag)
    frame.columns = cols
    return frame_html(frame, caption=f"Key figures ({result.horizon}-month horizon, discount rate "
                      f"{tables.pct(result.scenario.finance.discount_rate_annual)})",
                      classes="keyfigures", column_classes=_option_classes(result))


# ----------------------------------------------------------------- 3. compliance
def _source_key(src: dict[str, Any]) -> tuple[str, str]:
    return (src.get("citation") or "", src.get("url") or "")


class SourceList:
    """Numbered, de-duplicated sources (by citation and URL)."""

    def __init__(self) -> None:
        self.items: list[dict[str, Any]] = []
        self._index: dict[tuple[str, str], int] = {}

    def refs(self, sources: Iterable[dict[str, Any]]) -> list[int]:
        out = []
        for src in sources:
            key = _source_key(src)
            if key not in self._index:
                self.items.append(src)
                self._index[key] = len(self.items)
            if self._index[key] not in out:
                out.append(self._index[key])
        return out

    @staticmethod
    def marks(numbers: list[int]) -> str:
        return "".join(f'<span class="ref">[{n}]</span>' for n in numbers)


def _basis(text: str) -> str:
    if text.startswith("data default (assumption)"):
        return "Assumption (data default)"
    if text.startswith("data default"):
        return "Sourced data default"
    if text.startswith("scenario"):
        return "From the scenario" + text[len("scenario"):]
    return text[:1].upper() + text[1:]


def compliance_section(result: Comparison) -> str:
    """Per option: status, reasons and condition costs; the conditions with their cost basis;
    deal-structure warnings; the numbered sources; the disclaimer."""
    c = result.compliance
    if not c.checked:
        return ('<p class="callout unknown">The scenario names no state and no owner licence, so '
                "ownership rules were <strong>not checked</strong>. All three options are shown "
                "as if permitted; add <em>owner: {state, licence}</em> to the scenario to check "
                "them.</p>" + f'<p class="disclaimer"><strong>Not legal advice.</strong> '
                f"{_e(c.disclaimer)}</p>")
    sources = SourceList()
    licence = LICENCE_NAMES.get(c.licence or "", c.licence or "—")
    rows = []
    for option in OPTIONS:
        oc = c.options[option]
        refs = sources.refs(oc.sources)
        reasons = "".join(f"<li>{_e(r)}</li>" for r in oc.reasons)
        cost = ("none" if not oc.conditions else
                f"{_e(tables.money(oc.monthly))}/month + {_e(tables.money(oc.one_time))} once")
        rows.append(
            f'<tr class="status-{STATUS_CLASS.get(oc.status, "unknown")}">'
            f'<th class="rowhead">{_e(result.label(option))}<br/>'
            f'<span class="badge {STATUS_CLASS.get(oc.status, "unknown")}">'
            f"{_e(tables.STATUS[oc.status])}</span></th>"
            f'<td class="text"><ul class="reasons">{reasons}</ul></td>'
            f'<td class="text">{cost}</td><td class="text">{sources.marks(refs)}</td></tr>')
    parts = [block(
        f"<p>Owner: {_e(licence)} in {_e(_state_name(c.state))}. What the rules data says for "
        "each operating model:</p>",
        '<table class="report feasibility"><colgroup><col class="c-opt"/><col class="c-why"/>'
        '<col class="c-cost"/><col class="c-src"/></colgroup><thead><tr>'
        '<th class="text">Option</th><th class="text">Why</th>'
        '<th class="text">Condition costs per site</th><th class="text">Sources</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>")]
    conditions: dict[tuple, list[str]] = {}
    for option in OPTIONS:
        for item in c.options[option].conditions:
            key = (item.id, item.description, item.monthly, item.one_time, item.basis)
            conditions.setdefault(key, []).append(result.label(option))
    if conditions:
        crow = "".join(
            f'<tr><td class="text">{_e(desc)}</td><td class="text">'
            f'{_e("all options" if len(opts) == len(OPTIONS) else ", ".join(opts))}</td>'
            f'<td class="num">{_e(tables.money(monthly))}</td>'
            f'<td class="num">{_e(tables.money(once))}</td>'
            f'<td class="text">{_e(_basis(basis))}</td></tr>'
            for (_, desc, monthly, once, basis), opts in conditions.items())
        parts.append(block(
            "<h3>Conditions and what they cost</h3>",
            "<p class=\"small\">These costs are included in each option's figures. "
            "&ldquo;Assumption&rdquo; marks a default from the rules data without a published "
            "price; the scenario can set its own amounts.</p>",
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
                           "<p>None: the fee, its term and the pay plan raise no flag in the "
                           "rules data.</p>"))
    items = "".join(
        f"<li>{_e(_one_line(s.get('citation') or 'Unnamed source'))}"
        + (f" — <em>{_e(_one_line(s['says']))}</em>" if s.get("says") else "")
        + (f' <span class="url">{_e(s["url"])}</span>' if s.get("url") else "") + "</li>"
        for s in sources.items)
    parts.append(block("<h3>Sources</h3>", f'<ol class="sources">{items}</ol>', keep=False))
    parts.append(f'<p class="disclaimer"><strong>Not legal advice.</strong> {_e(c.disclaimer)}</p>')
    return "".join(parts)


# ----------------------------------------------------------------- 4. P&L
def annual_pl_block(result: Comparison, option: str) -> str:
    frame = tables.annual_pl(result, option)
    name = result.label(option)
    if not result.feasibility[option].allowed:
        name += " (not permitted; for comparison)"
    rows = ["strong" if i in ("EBITDA", "Net cash flow") else
            ("italic" if i == "EBITDA margin" else "") for i in frame.index]
    return block(f"<h3>{_e(name)}</h3>",
                 frame_html(frame, classes="pl", column_classes=["num"] * frame.shape[1],
                            row_classes=rows))


def entity_blocks(result: Comparison) -> str:
    """Owned MSO only: the PC's and the MSO's annual P&L ("the owned-MSO PC/MSO split")."""
    entities = result.entity_annual()
    if not entities:
        return ""
    out = []
    for name, frame in entities.items():
        lines = [c for c in frame.columns if frame[c].abs().sum() > 0.005 or c == "ebitda"]
        table = pd.DataFrame(index=[tables.LINE_LABELS.get(c, c.replace("_", " ").capitalize())
                                    for c in lines])
        for year, row in frame.iterrows():
            table[f"Year {year}"] = [tables.money(row[c]) for c in lines]
        rows = ["strong" if c == "ebitda" else "" for c in lines]
        title = ENTITY_TITLES.get(name, name.upper())
        out.append(block(f"<h3>{_e(title)}</h3>",
                         frame_html(table, classes="pl", column_classes=["num"] * table.shape[1],
                                    row_classes=rows)))
    return "".join(out)


def by_site_block(result: Comparison, option: str | None = None) -> str:
    option = option or result.recommendation.get("option") or "mso"
    frame = tables.by_site(result, option, "ebitda")
    rows = ["strong" if i in ("All sites", "Consolidated") else "" for i in frame.index]
    return block(f"<h3>EBITDA by site: {_e(result.label(option))}</h3>",
                 frame_html(frame, classes="pl", column_classes=["num"] * frame.shape[1],
                            row_classes=rows))


# ----------------------------------------------------------------- 6. uncertainty
def _label(path: str) -> str:
    from msomodel.analysis.sensitivity import label

    text = label(path)
    if text != path:
        return text
    return path.split(".")[-1].replace("_", " ").capitalize() + f" ({path})"


def simulation_tables(result: Comparison, sim: Any) -> str:
    """P5/P50/P95 of NPV per option and of the incremental NPVs, and the probabilities."""
    pct = sim.percentiles()
    rows = {}
    for option in OPTIONS:
        r = pct.loc[(option, "npv")]
        name = result.label(option) + ("" if result.feasibility[option].allowed
                                       else " (not permitted)")
        rows[f"{name} NPV"] = [tables.money(r["P5"]), tables.money(r["P50"]),
                                tables.money(r["P95"]), tables.money(r["mean"])]
    for option, name in (("mso", result.label("mso")), ("software_only", "Software only")):
        r = pct.loc[(option, "incremental_npv")]
        rows[f"{name} minus self-managed NPV"] = [tables.money(r["P5"]), tables.money(r["P50"]),
                                              tables.money(r["P95"]), tables.money(r["mean"])]
    frame = pd.DataFrame.from_dict(rows, orient="index", columns=["P5", "P50 (median)", "P95",
                                                                  "Mean"])
    probs = sim.probabilities()
    prob_rows = {}
    for option in OPTIONS:
        p = probs["best"].get(option)
        note = "" if result.feasibility[option].allowed else " (not permitted)"
        prob_rows[f"{result.label(option)} is best{note}"] = [
            "—" if p is None else tables.pct(p, 1)]
    prob_rows[f"{result.label('mso')} beats self-managed"] = [
        tables.pct(probs["mso_beats_self_managed"], 1)]
    prob_rows["Software only beats self-managed"] = [
        tables.pct(probs["software_beats_self_managed"], 1)]
    pframe = pd.DataFrame.from_dict(prob_rows, orient="index", columns=["Probability"])
    return (block(frame_html(frame, caption=f"Spread of NPV over {sim.trials:,} trials",
                             column_classes=["num"] * 4))
            + block(frame_html(pframe, caption="How likely each outcome is",
                               column_classes=["num"])))


def _dist_text(d: Any) -> str:
    params = {k: v for k, v in d.model_dump().items() if k not in ("path", "dist")}
    text = ", ".join(f"{k} {v:g}" for k, v in params.items() if isinstance(v, (int, float)))
    return f"{d.dist} ({text})" if text else d.dist


def drivers_table(sim: Any, scenario: Any = None) -> str:
    """The sampled inputs, their distributions, ranked by |Spearman correlation| with the MSO's
    incremental NPV."""
    frame = sim.drivers("mso")
    if frame.empty:
        return ""
    spec = getattr(scenario, "uncertainty", None)
    dists = {d.path: d for d in (getattr(spec, "distributions", None) or [])}
    out = pd.DataFrame({
        "Distribution": [_dist_text(dists[p]) if p in dists else "" for p in frame["path"]],
        "Rank correlation": ["—" if pd.isna(v) else f"{v:+.2f}" for v in frame["spearman"]],
        "Effect on the MSO's advantage": [
            "—" if pd.isna(v) or abs(v) < 0.005 else ("raises it" if v > 0 else "lowers it")
            for v in frame["spearman"]],
    }, index=[_label(p) for p in frame["path"]])
    corr = list(getattr(spec, "correlations", None) or [])
    note = "".join(f'<p class="small">Rank correlation {c.rank_correlation:+.2f} imposed between '
                   f"{_e(_label(c.paths[0]))} and {_e(_label(c.paths[1]))}.</p>" for c in corr)
    return block(frame_html(out, caption="Top drivers: the sampled inputs, ranked by how strongly "
                            "they move the MSO's incremental NPV (Spearman rank correlation)",
                            column_classes=["text", "num", "text"]), note)


def tornado_figure(tornado: Any, outcome: str = "mso") -> Any:
    """The package's tornado chart with its legend moved below the axes (clear of the bars)."""
    from msomodel.charts.uncertainty import tornado_chart

    fig = tornado_chart(tornado, outcome)
    ax = fig.axes[0]
    if ax.get_legend() is not None:
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2, frameon=False)
    return fig


def tornado_note(tornado: Any) -> str:
    base = tornado.base.get("mso", float("nan"))
    top = tornado.table.sort_values("mso_swing", ascending=False).head(1)
    lead = ""
    if len(top):
        r = top.iloc[0]
        lead = (f" The widest swing comes from {_e(lower_first(r['label']))}: from "
                f"{_e(tables.money(r['mso_low']))} to {_e(tables.money(r['mso_high']))}.")
    return (f"<p>Each bar moves one input between its low and high value with everything else "
            f"at the base case (incremental NPV {_e(tables.money(base))}).{lead}</p>")


# ----------------------------------------------------------------- 7. assumptions
_GROUPS = {"finance": "Finance", "adjustments": "Adjustments", "site_defaults": "Site economics",
           "sites": "Sites", "mso": "MSO offer", "software": "Software offer",
           "compliance": "Compliance", "owner": "Owner"}
_SUBGROUPS = {"service_lines": "Service line", "roles": "Role", "opex": "Running cost",
              "equipment": "Equipment", "capacity": "Capacity", "staffing": "Staffing"}
_LIST_GROUPS = ("service_lines", "roles", "opex", "equipment")


def _split_path(path: str) -> tuple[str, str, str]:
    """(section, sub-group, input) for the appendix."""
    parts = path.split(".")
    section = _GROUPS.get(parts[0], parts[0].replace("_", " ").capitalize())
    rest = parts[1:]
    if parts[0] == "sites" and rest:
        name, rest = rest[0], rest[1:]
        if len(rest) > 2 and rest[0] == "overrides":
            rest = rest[1:]
        return section, f"Site: {name}", ".".join(rest)
    for i, part in enumerate(rest[:-2]):
        if part in _LIST_GROUPS:
            return (section, f"{_SUBGROUPS[part]}: {rest[i + 1].replace('_', ' ')}",
                    ".".join(rest[i + 2:]))
    if len(rest) > 1:
        return section, rest[0].replace("_", " ").capitalize(), ".".join(rest[1:])
    return section, "", ".".join(rest)


def _unit_value(value: Any, unit: str) -> tuple[str, str]:
    if isinstance(value, bool):
        return ("yes" if value else "no"), ""
    if not isinstance(value, (int, float)) or (isinstance(value, float) and not math.isfinite(value)):
        return str(value), unit
    if unit.startswith("fraction"):
        digits = 0 if abs(value * 100 - round(value * 100)) < 1e-9 else (
            1 if abs(value * 1000 - round(value * 1000)) < 1e-9 else 2)
        return f"{value * 100:.{digits}f}%", _per(unit.removeprefix("fraction"))
    if unit.startswith("USD"):
        cents = abs(value - round(value)) > 1e-9
        return tables.money(value, cents=cents), _per(unit.removeprefix("USD"))
    if float(value).is_integer():
        return f"{int(value):,}", unit
    return f"{value:,.4g}", unit


def _per(rest: str) -> str:
    """The unit after a currency or fraction: "/month per site" -> "per month per site"."""
    rest = rest.strip()
    return f"per {rest[1:].strip()}" if rest.startswith("/") else rest


def assumptions_appendix(frame: pd.DataFrame) -> str:
    """``msomodel.assumptions.table`` grouped by section, one compact table per section."""
    out = []
    frame = frame.copy()
    split = [_split_path(p) for p in frame["input"]]
    frame["section"] = [s[0] for s in split]
    frame["group"] = [s[1] for s in split]
    frame["name"] = [s[2] for s in split]
    for section, part in frame.groupby("section", sort=False):
        rows = []
        for group, sub in part.groupby("group", sort=False):
            if group:
                rows.append(f'<tr class="group"><th colspan="4">{_e(group)}</th></tr>')
            defaults = []
            for r in sub.itertuples():
                value, unit = _unit_value(r.value, r.unit)
                name = r.name.replace("_", " ")
                if r.source == "model default":
                    defaults.append(f"{name} {value}" + (f" {unit}" if unit else ""))
                    continue
                rows.append(f'<tr><td class="text name">{_e(name)}</td>'
                            f'<td class="num">{_e(value)}</td><td class="text unit">{_e(unit)}</td>'
                            f'<td class="text source">{_e(r.source)}</td></tr>')
            if defaults:
                rows.append(f'<tr class="defaults"><td colspan="4"><span>Model defaults (not set '
                            f'in the scenario):</span> {_e("; ".join(defaults))}</td></tr>')
        out.append(block(f"<h3>{_e(section)}</h3>",
                         '<table class="report assumptions"><colgroup><col class="c-name"/>'
                         '<col class="c-value"/><col class="c-unit"/><col class="c-source"/>'
                         '</colgroup><thead><tr><th class="text">Input</th>'
                         '<th class="num">Value</th><th class="text">Unit</th>'
                         '<th class="text">Source</th></tr></thead>'
                         f"<tbody>{''.join(rows)}</tbody></table>", keep=len(part) < 24))
    return "".join(out)


def provenance(result: Comparison, *, version: str, parameters: dict[str, Any]) -> str:
    """Conventions, scenario hash, package version and the parameters the report was run with."""
    s = result.scenario
    params = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in parameters.items())
    conventions = "".join(f"<li>{_e(sentence.strip())}.</li>"
                          for sentence in CONVENTIONS.rstrip(". ").split(". ") if sentence.strip(" ."))
    return (block("<h3>Conventions</h3>", f'<ul class="conventions">{conventions}</ul>',
                  "<h3>Reproducing this report</h3>",
                    f'<table class="facts"><tr><th>Scenario file</th><td>{_e(s.source_path)}</td>'
                    f"</tr><tr><th>SHA-256</th><td class=\"mono\">{_e(s.sha256)}</td></tr>"
                    f"<tr><th>Package</th><td>msomodel {_e(version)}</td></tr>{params}</table>"))


# ----------------------------------------------------------------- figures
def figure_html(fig: Any, *, title: str | None = None, note: str | None = None,
                dpi: int = 170, close: bool = True, drop_title: bool = True,
                max_height: float | None = None, lead: str = "") -> str:
    """A matplotlib figure as an embedded PNG, kept on one page with its heading and note
    (``note`` is HTML).  With a ``title`` the chart's own title is dropped (``drop_title``)."""
    import base64
    import io

    if title and drop_title:
        for ax in fig.axes:
            ax.set_title("")
    width, height = fig.get_size_inches()
    if max_height is not None and height > max_height:
        fig.set_size_inches(width, max_height)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    data = base64.b64encode(buf.getvalue()).decode("ascii")
    head = f"<h3>{_e(title)}</h3>" if title else ""
    caption = f'<p class="figure-note">{note}</p>' if note else ""
    return block(head, lead, f'<figure class="chart"><img alt="{_e(title or "chart")}" '
                       f'src="data:image/png;base64,{data}"/></figure>', caption,
                 classes="figure-block")


def uncertainty_section(result: Comparison, sim: Any) -> list[str]:
    """Monte Carlo part of the uncertainty section (or why there is none)."""
    if sim is None:
        return ['<p class="callout unknown">The scenario declares no distributions '
                "(<em>uncertainty: distributions</em>), so no Monte Carlo simulation was run; "
                "the tornado above is the only uncertainty analysis in this report.</p>"]
    from msomodel.charts.uncertainty import simulation_chart

    probs = sim.probabilities()
    name = result.label("mso")
    intro = (f"<p>{sim.trials:,} trials (seed {sim.seed}) drawn from the distributions the scenario "
             "declares, evaluated in one vectorised run; the same seed reproduces these figures "
             f"exactly. The {_e(lower_first(name))} beats self-managed in "
             f"<strong>{tables.pct(probs['mso_beats_self_managed'], 1)}</strong> of trials.</p>")
    if not result.feasibility["self_managed"].allowed:
        intro += ('<p class="small">Self-managed is not permitted for this owner; the comparison '
                  "against it is shown for reference only.</p>")
    chart = figure_html(simulation_chart(sim, "mso"), title="Monte Carlo simulation",
                        lead=intro, max_height=2.8,
                        note="Bars: how often each incremental NPV occurred; line: share of trials "
                             "at or below it. Right of the red line, the MSO beats self-managed.")
    return [chart, simulation_tables(result, sim), drivers_table(sim, result.scenario)]


def grid_axes(result: Comparison) -> tuple[tuple[str, Any, str], tuple[str, Any, str]]:
    """The two inputs the report's grid varies, with their values and axis labels.

    Third-party MSO: the fee level against the purchasing discount (the deal's two levers).
    Owned MSO (the fee is intercompany): the number of sites, or for one site the volume,
    against the purchasing discount.
    """
    import numpy as np

    discount = ("mso.purchasing_discount", np.linspace(0.0, 0.15, 13), "Purchasing discount [fraction]")
    if result.inputs.mso_kind == "third_party":
        be = result.breakeven
        top = 2.0 * max(be.current, be.level or 0.0) or 1.0
        if not be.unit.startswith("USD"):
            top = min(top, 1.0) if be.unit.startswith("share") else top
        unit = "USD per site per month" if be.unit.startswith("USD") else be.unit
        return ("mso.fee.level", np.linspace(0.0, top, 17), f"MSO fee [{unit}]"), discount
    n_sites = len(result.inputs.sites)
    if n_sites > 1:
        return ("sites.count", np.arange(1, n_sites + 1), "Sites opened"), discount
    return (("adjustments.volume_multiplier", np.linspace(0.7, 1.3, 13),
             "Visits per month [x scenario]"), discount)


def grid_block(result: Comparison) -> str:
    """Two-way grid of the MSO's incremental NPV with the break-even contour."""
    from msomodel.analysis.grid import grid
    from msomodel.charts.uncertainty import grid_heatmap

    (xp, xs, xl), (yp, ys, yl) = grid_axes(result)
    found = grid(result.scenario, xp, xs, yp, ys, outcome="mso")
    name = lower_first(result.label("mso"))
    note = (f"Each cell is the {_e(name)}'s NPV minus self-managed's for that pair of inputs, "
            "everything else as in the scenario; green: the MSO is worth more. The black line is "
            "break-even; the white dot is this scenario.")
    return figure_html(grid_heatmap(found, xl, yl), title="Two-way grid: where the MSO pays off",
                       note=note, max_height=3.6)
