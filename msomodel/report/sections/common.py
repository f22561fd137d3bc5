"""Shared HTML helpers of the report sections (presentation only, no model logic)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from html import escape
from typing import Any

import pandas as pd

from msomodel import tables
from msomodel.compare import Comparison
from msomodel.formatting import AMOUNT_RULE, amount, heading, key_text  # noqa: F401 (the report's one amount rule)
from msomodel.scenario.describe import field_models as _models  # noqa: F401
from msomodel.scenario.describe import schema_description
from msomodel.tables import ENTITY_TITLES  # noqa: F401 (shared with the workbook)

LICENCE_NAMES = {"physician": "physician (MD/DO)", "np": "nurse practitioner (NP)",
                 "pa": "physician assistant (PA)", "rn": "registered nurse (RN)",
                 "none": "no clinical license (lay owner)"}
#: Badge class per status; "contested" and "unknown" share the amber badge (consult counsel).
STATUS_CLASS = {"feasible": "ok", "feasible_with_conditions": "cond", "infeasible": "no",
                "contested": "unknown", "unknown": "unknown"}
SEVERITY = {"info": "Note", "warning": "Warning", "high": "High risk", "error": "Serious"}
CHOSEN_BY = {"rules": "the state rules for this owner's license", "scenario": "the scenario",
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
    """An amount in a sentence: the report's one rule (:func:`msomodel.formatting.amount`)."""
    return amount(value)


_DOLLARS = re.compile(r"(?<![\w$])(-?)\$(\d{1,3}(?:,\d{3})+|\d+)(\.\d+)?(?![\d,]*\d)")


def amounts_in_text(text: str) -> str:
    """``text`` (a sentence of the package's, e.g. the decision's) with its dollar amounts
    written by the report's one rule: "$5,535,479" -> "$5.54m", "$14,000" -> "$14.0k"."""
    def one(m: re.Match[str]) -> str:
        value = float(m.group(2).replace(",", "") + (m.group(3) or ""))
        return amount(-value if m.group(1) else value, cents=bool(m.group(3)))

    return _DOLLARS.sub(one, text)


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


#: A block of more lines (table rows, paragraphs, list items) than this may run over a page
#: break (rows stay whole, a table's header repeats): a unit kept whole must fit in half a page,
#: or the page before it could be left more than half blank.
MAX_KEPT_ROWS = 16


def block(*parts: str, keep: bool = True, classes: str = "", breakable: bool | None = None) -> str:
    """Parts kept together on one page (``keep``), e.g. a sub-heading and its table. A
    ``breakable`` block (by default: one of more than :data:`MAX_KEPT_ROWS` lines: table rows,
    paragraphs, list items, and a line per 250 characters of text) is never kept whole: its tables may break between rows, its heading stays with their first
    rows."""
    html = "".join(parts)
    text = len(re.sub(r"<[^>]*>|data:[^\"']*", "", html))  # characters a reader sees
    lines = html.count("<tr") + html.count("<p") + html.count("<li") + text // 250
    long = lines > MAX_KEPT_ROWS + 1 if breakable is None else breakable
    cls = " ".join(c for c in ("block", "keep" if keep and not long else "",
                               "breakable" if long else "", classes) if c)
    return f'<div class="{cls}">{html}</div>'


def section(title: str, first: str, *rest: str, new_page: bool = False) -> str:
    """A report section: its heading kept on a page with the first part, then the rest. Sections
    run on from the previous one (``new_page`` starts a page, which can leave the page before
    it more than half blank: use it sparingly)."""
    cls = "report-section new-page" if new_page else "report-section"
    start = "section-start" if 'class="block breakable' in first else "keep section-start"
    return (f'<section class="{cls}">'
            f'<div class="{start}"><h2>{_e(title)}</h2>{first}</div>{"".join(rest)}'
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
    """A readable name of an input path, never the dotted path itself: the analysis label, else
    the schema's description of the field, else its last part in words."""
    from msomodel.analysis.sensitivity import label

    text = label(path)
    if text != path:
        return text
    found = schema_label(path)
    if found:
        return found
    parts = [p for p in path.split(".") if p not in ("monthly", "annual", "level")]
    tail = parts[-1] if parts else path
    return heading(tail)


def schema_label(path: str) -> str | None:
    """The schema's words for an input, as a label: its description without the unit, the
    second clause or code marks ("Steady-state units sold [units/month per site]." ->
    "Steady-state units sold")."""
    text = schema_description(path)
    if not text:
        return None
    text = text.split(" [", 1)[0].split("; ", 1)[0].strip().rstrip(".")
    text = re.sub(r"`([^`]*)`", lambda m: key_text(m.group(1)), text)
    text = re.sub(r"\b[a-z]+(?:_[a-z0-9]+)+\b", lambda m: key_text(m.group(0)), text)
    return text[:1].upper() + text[1:] if text else None


#: The tallest a chart is drawn [inches]: print.css shows ``figure.chart img`` at most 80 mm
#: tall, and the crop adds its padding. A taller figure is redrawn at this height rather than
#: shrunk whole on the page (which shrank its text with it: the fee bridge's labels at 65 %).
FIGURE_MAX_HEIGHT = 3.0


def figure_html(fig: Any, *, title: str | None = None, note: str | None = None,
                dpi: int = 170, close: bool = True, drop_title: bool = True,
                max_height: float | None = FIGURE_MAX_HEIGHT, lead: str = "") -> str:
    """A matplotlib figure as an embedded PNG, kept on one page with its heading and note
    (``note`` is HTML).  With a ``title`` the chart's own title is dropped (``drop_title``).
    The figure is drawn once, cropped as ``bbox_inches="tight"`` would
    (:func:`msomodel.charts.save.png_bytes`)."""
    import base64

    from msomodel.charts.save import png_bytes

    if title and drop_title:
        for ax in fig.axes:
            ax.set_title("")
    width, height = fig.get_size_inches()
    if max_height is not None and height > max_height:
        fig.set_size_inches(width, max_height)
    png = png_bytes(fig, dpi=dpi, facecolor="white")
    if close:
        import matplotlib.pyplot as plt

        plt.close(fig)
    data = base64.b64encode(png).decode("ascii")
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
