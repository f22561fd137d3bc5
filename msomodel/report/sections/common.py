"""Shared HTML helpers of the report sections (presentation only, no model logic)."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from msomodel import tables
from msomodel.compare import Comparison

LICENCE_NAMES = {"physician": "physician (MD/DO)", "np": "nurse practitioner (NP)",
                 "pa": "physician assistant (PA)", "rn": "registered nurse (RN)",
                 "none": "no clinical licence (lay owner)"}
#: Badge class per status; "contested" and "unknown" share the amber badge (consult counsel).
STATUS_CLASS = {"feasible": "ok", "feasible_with_conditions": "cond", "infeasible": "no",
                "contested": "unknown", "unknown": "unknown"}
ENTITY_TITLES = {"pc": "Friendly PC (physician-owned practice)", "mso": "Your MSO (owned by you)"}
SEVERITY = {"info": "Note", "warning": "Warning", "high": "High risk", "error": "Serious"}
CHOSEN_BY = {"rules": "the state rules for this owner's licence", "scenario": "the scenario",
             "caller": "the report's caller"}


def _e(text: Any) -> str:
    return escape(str(text), quote=True)


def state_name(code: str | None) -> str:
    if not code:
        return "—"
    from msomodel.rules import STATE_NAMES

    return STATE_NAMES.get(code.upper(), code.upper())


def one_line(text: str) -> str:
    return " ".join(str(text).split())


def years(months: int) -> str:
    return f"{months / 12:g} years" if months % 12 == 0 else f"{months} months"


def short_money(value: float | None) -> str:
    """$1.2M / $350k / $900 (for sentences)."""
    if value is None or not math.isfinite(float(value)):
        return "—"
    v = abs(float(value))
    sign = "-" if value < 0 else ""
    if v >= 1e6:
        return f"{sign}${v / 1e6:.1f}M"
    if v >= 1e4:
        return f"{sign}${v / 1e3:,.0f}k"
    return tables.money(value)


def status_text(status: str) -> str:
    return tables.STATUS.get(status, status)


def badge(status: str) -> str:
    return f'<span class="badge {STATUS_CLASS.get(status, "unknown")}">{_e(status_text(status))}</span>'


def frame_html(frame: pd.DataFrame, *, caption: str | None = None, classes: str = "",
               column_classes: Sequence[str] | None = None, row_classes: Sequence[str] | None = None,
               index_header: str = "", escape_cells: bool = True, colgroup: str = "") -> str:
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
    return (f'<table class="report {classes}">{cap}{colgroup}<thead><tr>{head}</tr></thead>'
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


def structure_title(title: str, result: Comparison, several: bool) -> str:
    """A section title, with the structure named when the report shows more than one."""
    return f"{title}: {result.structure_label}" if several else title


def option_classes(result: Comparison, options: Sequence[str]) -> list[str]:
    lead = result.decision.option
    return [" ".join(c for c in ("num", "recommended" if o == lead else "",
                                 "" if result.feasibility[o].allowed else "not-permitted") if c)
            for o in options]


def option_name(result: Comparison, option: str) -> str:
    """The option's label with "(recommended)" or "(not permitted)"."""
    name = result.label(option)
    if not result.feasibility[option].allowed:
        return name + " (not permitted)"
    if option == result.decision.option:
        return name + " (recommended)"
    return name


def input_label(path: str) -> str:
    """A readable name of an input path, never the dotted path itself."""
    from msomodel.analysis.sensitivity import label

    text = label(path)
    if text != path:
        return text
    parts = [p for p in path.split(".") if p not in ("monthly", "annual", "level")]
    tail = parts[-1] if parts else path
    return tail.replace("_", " ").capitalize()


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

    def html(self) -> str:
        return "".join(
            f"<li>{_e(one_line(s.get('citation') or 'Unnamed source'))}"
            + (f" — <em>{_e(one_line(s['says']))}</em>" if s.get("says") else "")
            + (f' <span class="url">{_e(s["url"])}</span>' if s.get("url") else "") + "</li>"
            for s in self.items)
