"""index.csv and index.html: one row per scenario with its key figures and links to its reports."""

from __future__ import annotations

import csv
import html
import io
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .files import atomic_write_text, output_path
from .render import RenderResult

OPTIONS = ("self_managed", "mso", "software_only")
COLUMNS = (
    "scenario", "status", "recommended_option",
    *(f"npv_{option}" for option in OPTIONS),
    "incremental_npv_mso", "mso_payback_month", "breakeven_fee",
    "html", "pdf", "ipynb", "error",
)


def _number(value: Any) -> float | int | None:
    return value if isinstance(value, int | float) and not isinstance(value, bool) else None


def _find(mapping: Any, *words: str) -> Any:
    """First value in ``mapping`` whose key contains every word (e.g. ``"mso", "npv"``), depth first."""
    if not isinstance(mapping, dict):
        return None
    for key, value in mapping.items():
        if all(w in str(key).lower() for w in words) and _number(value) is not None:
            return value
    for key, value in mapping.items():
        if isinstance(value, dict):
            narrowed = [w for w in words if w not in str(key).lower()]
            found = _find(value, *narrowed) if narrowed else _find(value, "npv")
            if found is not None:
                return found
    return None


def summarise(result: RenderResult) -> dict[str, Any]:
    """The index row of one result; figures come from the comparison's ``to_dict()``."""
    figures = result.key_figures or {}
    options = figures.get("options") or {}
    row: dict[str, Any] = {
        "scenario": (figures.get("scenario") or {}).get("name") or result.slug,
        "status": result.status,
        "recommended_option": (figures.get("recommendation") or {}).get("option"),
        "incremental_npv_mso": _find(figures.get("incremental"), "mso", "npv"),
        "mso_payback_month": _mso_payback(figures),
        "breakeven_fee": _breakeven(figures.get("breakeven")),
        "error": result.error or "",
    }
    for option in OPTIONS:
        row[f"npv_{option}"] = _number((options.get(option) or {}).get("npv"))
    for fmt in ("html", "pdf", "ipynb"):
        path = result.outputs.get(fmt)
        row[fmt] = Path(path).name if path else ""
    return row


def _mso_payback(figures: dict[str, Any]) -> Any:
    """Payback month of switching to the MSO (incremental), else of the MSO option itself."""
    incremental = (figures.get("incremental") or {}).get("mso") or {}
    if _number(incremental.get("payback_month")) is not None:
        return incremental["payback_month"]
    return _number(((figures.get("options") or {}).get("mso") or {}).get("payback_month"))


def _breakeven(value: Any) -> Any:
    """The break-even fee level (``breakeven.level``; unit in ``breakeven.unit``)."""
    if _number(value) is not None:
        return value
    if isinstance(value, dict) and _number(value.get("level")) is not None:
        return value["level"]
    return _find(value, "fee")


def write_index(results: Sequence[RenderResult], out_dir: str | os.PathLike[str]) -> dict[str, str]:
    """Write ``index.csv`` and ``index.html`` atomically; returns their paths."""
    rows = [summarise(r) for r in results]
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows({k: "" if v is None else v for k, v in row.items()} for row in rows)
    csv_path = atomic_write_text(output_path(out_dir, "index.csv"), buffer.getvalue())
    html_path = atomic_write_text(output_path(out_dir, "index.html"), render_index_html(rows))
    return {"csv": str(csv_path), "html": str(html_path)}


def _money(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "–"
    return f"−${-number:,.0f}" if number < 0 else f"${number:,.0f}"


def _fee(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "–"
    return f"{number:.1%}" if abs(number) < 1 else f"${number:,.0f}"


def render_index_html(rows: Sequence[dict[str, Any]]) -> str:
    e = html.escape
    head = ["Scenario", "Status", "Recommended", "NPV self-managed", "NPV MSO", "NPV software",
            "Incremental NPV of MSO", "MSO payback (month)", "Break-even fee", "Reports", "Error"]
    body = []
    for row in rows:
        links = " · ".join(
            f'<a href="{e(row[fmt])}">{fmt.upper()}</a>' for fmt in ("pdf", "html", "ipynb") if row[fmt]
        )
        payback = row["mso_payback_month"]
        cells = [
            f'<td class="text">{e(str(row["scenario"]))}</td>',
            f'<td class="text {e(row["status"])}">{e(row["status"])}</td>',
            f'<td class="text">{e(str(row["recommended_option"] or "–"))}</td>',
            *(f"<td>{_money(row[f'npv_{o}'])}</td>" for o in OPTIONS),
            f"<td>{_money(row['incremental_npv_mso'])}</td>",
            f"<td>{'–' if payback is None else e(str(payback))}</td>",
            f"<td>{_fee(row['breakeven_fee'])}</td>",
            f'<td class="text">{links}</td>',
            f'<td class="text error">{e(row["error"]).replace(chr(10), "<br>")}</td>',
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    return _PAGE.format(
        head="".join(f"<th>{e(h)}</th>" for h in head), body="\n".join(body),
        ok=sum(r["status"] == "ok" for r in rows), total=len(rows),
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>msomodel reports</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; margin: 2em; color: #1a1a1a; }}
h1 {{ color: #12355b; font-size: 16pt; }}
table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; }}
th, td {{ padding: 0.3em 0.7em; text-align: right; vertical-align: top; }}
th {{ border-bottom: 1pt solid #333; }}
td.text {{ text-align: left; }}
tr:nth-child(even) {{ background: #f3f6f9; }}
td.failed {{ color: #a40000; font-weight: 600; }}
td.error {{ font-family: "DejaVu Sans Mono", monospace; font-size: 8pt; color: #a40000; max-width: 40em; }}
</style></head>
<body><h1>msomodel reports</h1><p>{ok} of {total} scenarios rendered.</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table></body></html>
"""
