"""The portfolio index: ``index.csv``, ``index.json`` and ``index.html``, one row per client.

Every scenario's output set carries a small sidecar ``<slug>.json`` (:func:`make_sidecar`): what
the index needs from the comparison (:func:`index_figures`), the date rendered, the status, and
the SHA-256 of the scenario file and every file it extends. The index is rebuilt from all
sidecars in the folder (:func:`rebuild_index`), so rendering one client into a folder updates
that client's row and keeps every other. A row is marked ``stale`` when its scenario file has
changed since (or its base has), is gone, or its report files are missing. Delete a client's
sidecar to drop it from the index.

:func:`index_row` is the one mapping from a comparison's JSON (``Comparison.to_dict()``, what
``msomodel compare --format json`` prints) to a row. It reads schema version 2 and falls back to
version 1's keys.

Units (also in ``index.json`` under ``columns``): money in USD rounded to the cent; shares and
probabilities as fractions (0.185 = 18.5 %) to four decimals; the break-even level and the
current fee in the unit named in ``breakeven_unit``; months from the start; the date rendered
in UTC, ISO 8601 (the sidecar has the time). ``index.csv`` neutralizes text cells a spreadsheet would run as a formula (OWASP).
"""

from __future__ import annotations

import csv
import html
import io
import json
import math
import os
import re
import time
from collections.abc import Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from msomodel.formatting import VERDICTS

from .files import FAILED_DIR, atomic_write_text, folder_lock, output_path
from .sources import inputs_sha256

SIDECAR_FORMAT = "msomodel-report-sidecar"
SIDECAR_VERSION = 1
INDEX_FORMAT = "msomodel-report-index"
INDEX_NAMES = ("index.csv", "index.json", "index.html")
OPTION_IDS = ("self_managed", "software_only", "mso")
OPTION_HEADINGS = {"self_managed": "Self-managed", "software_only": "Self-managed + software",
                   "mso": "Third-party MSO"}
_STATUS_WORDS = {"feasible": "feasible", "feasible_with_conditions": "feasible with conditions",
                 "contested": "contested: consult counsel", "unknown": "unknown: consult counsel",
                 "infeasible": "not permitted"}
_MAX_SIDECAR_BYTES = 1_000_000

#: Column -> (unit, description). The order is the CSV's.
COLUMNS: dict[str, tuple[str, str]] = {
    "client": ("text", "scenario name"),
    "slug": ("text", "output file stem"),
    "scenario": ("text", "scenario file as given to msomodel report"),
    "state": ("text", "US state (two letters)"),
    "licence": ("text", "owner's license"),
    "structure": ("text", "legal structure (plain label)"),
    "structure_status": ("text", "whether that structure is open to the owner"),
    "recommended_option": ("text", "id of the recommended option (empty unless the verdict is "
                           "recommended)"),
    "recommended": ("text", "the recommended option (plain label; empty unless recommended)"),
    "verdict": ("text", "recommended, too_close, none_pays, too_short or no_lawful_option"),
    "leader": ("text", "the open option with the highest NPV (plain label), recommended or not"),
    "probability_best": ("fraction", "probability that the recommended option (else the leader) "
                         "is best"),
    "runner_up": ("text", "second-best option (plain label)"),
    **{f"npv_{o}": ("USD", f"NPV of {OPTION_HEADINGS[o].lower()}") for o in OPTION_IDS},
    **{f"feasible_{o}": ("true/false", f"{OPTION_HEADINGS[o].lower()} is open to the owner")
       for o in OPTION_IDS},
    "breakeven_level": ("breakeven_unit", "break-even fee level"),
    "breakeven_current": ("breakeven_unit", "the scenario's fee level"),
    "breakeven_unit": ("text", "unit of breakeven_level and breakeven_current"),
    "breakeven_target": ("text", "what breaks even at breakeven_level"),
    "peak_funding": ("USD", "peak funding need of the recommended option (else the leader)"),
    "payback_month": ("month", "payback month of the recommended option (else the leader)"),
    "rendered": ("date, UTC, ISO 8601", "the day the report was rendered (the sidecar has the time)"),
    "status": ("text", "ok, failed or stale"),
    "stale_reason": ("text", "why a report no longer matches its scenario"),
    "error": ("text", "why a report failed"),
    "html": ("file", "the HTML report"),
    "pdf": ("file", "the PDF report"),
    "ipynb": ("file", "the executed notebook"),
    "xlsx": ("file", "the workbook of live formulas (--formats ...,xlsx)"),
    "failed_notebook": ("file", "partial notebook of a failed report"),
}
BREAKEVEN_TARGETS = {
    "mso_vs_self_managed": "MSO fee at which self-managed catches up",
    "pc_breaks_even": "management fee at which the PC breaks even",
}


# -- the comparison's JSON -> a row ----------------------------------------------------------------

def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _cents(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else round(number, 2)


def _fraction(value: Any) -> float | None:
    number = _number(value)
    return None if number is None else round(number, 4)


def _level(value: Any, unit: str | None) -> float | None:
    return _cents(value) if (unit or "").startswith("USD") else _fraction(value)


def _month(value: Any) -> int | None:
    number = _number(value)
    return None if number is None else int(number)


def index_row(figures: Mapping[str, Any] | None) -> dict[str, Any]:
    """The index columns a comparison's JSON gives (v2 keys, falling back to v1's).

    ``figures`` is ``Comparison.to_dict()`` (or the part :func:`index_figures` keeps). Missing
    figures give None, never an error, so a partial or older comparison still makes a row.
    """
    figures = _mapping(figures)
    scenario = _mapping(figures.get("scenario"))
    compliance = _mapping(figures.get("compliance"))
    structure = _mapping(figures.get("structure"))
    recommendation = _mapping(figures.get("recommendation"))
    options = _mapping(figures.get("options"))
    breakeven = _mapping(figures.get("breakeven"))

    def label(option: Any) -> str | None:
        if not isinstance(option, str):
            return None
        return _text(_mapping(options.get(option)).get("label")) or OPTION_HEADINGS.get(option, option)

    # the recommended option; where none is (too close to call, nothing pays) the figures are
    # the leader's, and the verdict says why none is recommended
    recommended = _text(recommendation.get("option"))
    best = recommended or _text(recommendation.get("leader"))
    chosen = _mapping(options.get(best)) if best else {}
    probability = recommendation.get("probability_best")
    if isinstance(probability, dict):  # schema 2: the share for every lawful option
        probability = probability.get(best)
    unit = _text(breakeven.get("unit"))
    row: dict[str, Any] = {
        "client": _text(scenario.get("name")),
        "state": _text(compliance.get("state")),
        "licence": _text(compliance.get("licence")),
        "structure": _text(structure.get("label")) or _text(structure.get("id")),
        "structure_status": _text(structure.get("status")),
        "recommended_option": recommended,
        "recommended": (_text(recommendation.get("label")) or label(recommended)) if recommended
        else None,
        "verdict": _text(recommendation.get("verdict")),
        "leader": _text(recommendation.get("leader_label")) or label(best),
        "probability_best": _fraction(probability),
        "runner_up": _text(recommendation.get("runner_up_label")),
    }
    for option in OPTION_IDS:
        row[f"npv_{option}"] = _cents(_mapping(options.get(option)).get("npv"))
    for option in OPTION_IDS:
        feasible = _mapping(options.get(option)).get("feasible")
        row[f"feasible_{option}"] = feasible if isinstance(feasible, bool) else None
    row.update({
        "breakeven_level": _level(breakeven.get("level"), unit),
        "breakeven_current": _level(breakeven.get("current"), unit),
        "breakeven_unit": unit,
        "breakeven_target": _text(breakeven.get("target")),
        "peak_funding": _cents(chosen.get("peak_funding")),
        "payback_month": _month(chosen.get("payback_month")),
    })
    return row


#: What a sidecar keeps of a comparison's JSON: every key :func:`index_row` may read.
_KEPT: dict[str, Any] = {
    "schema_version": True,
    "scenario": ("name", "path", "sha256"),
    "compliance": ("state", "licence"),
    "structure": ("id", "label", "status"),
    "recommendation": ("option", "label", "verdict", "leader", "leader_label", "margin",
                       "probability_best", "runner_up_label", "reason"),
    "options": ("label", "feasible", "npv", "peak_funding", "payback_month"),
    "breakeven": ("level", "unit", "current", "target", "note"),
}


def index_figures(figures: Mapping[str, Any] | None) -> dict[str, Any]:
    """The part of a comparison's JSON the index reads (small enough for a sidecar)."""
    figures = _mapping(figures)
    kept: dict[str, Any] = {}
    for key, spec in _KEPT.items():
        if key not in figures:
            continue
        value = figures[key]
        if spec is True:
            kept[key] = value
        elif key == "options":
            kept[key] = {o: {k: v for k, v in _mapping(item).items() if k in spec}
                         for o, item in _mapping(value).items()}
        else:
            kept[key] = {k: v for k, v in _mapping(value).items() if k in spec}
    return kept


# -- sidecars -----------------------------------------------------------------------------------

def rendered_now() -> str:
    """Now in UTC (ISO 8601, seconds); ``SOURCE_DATE_EPOCH`` fixes it for reproducible output."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.isdigit() else int(time.time())
    return datetime.fromtimestamp(seconds, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def make_sidecar(*, slug: str, scenario_path: str, status: str, figures: Mapping[str, Any] | None,
                 outputs: Mapping[str, str], error: str | None = None,
                 failed_notebook: str | None = None, name: str | None = None) -> dict[str, Any]:
    """The sidecar of one output set. ``outputs``: format -> file name in the output folder."""
    from msomodel import __version__

    return {
        "format": SIDECAR_FORMAT,
        "version": SIDECAR_VERSION,
        "slug": slug,
        "status": status,
        "rendered": rendered_now(),
        "msomodel_version": __version__,
        "scenario": {
            "path": os.fspath(scenario_path),
            "resolved": os.fspath(Path(scenario_path).resolve()),
            "name": name or _text(_mapping(_mapping(figures).get("scenario")).get("name")),
            "inputs_sha256": inputs_sha256(scenario_path),
        },
        "outputs": dict(outputs),
        "failed_notebook": failed_notebook,
        "error": error,
        "figures": index_figures(figures),
    }


def sidecar_json(sidecar: Mapping[str, Any]) -> str:
    return json.dumps(sidecar, indent=1, sort_keys=False, allow_nan=False, default=str) + "\n"


def read_sidecars(out_dir: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Every sidecar in ``out_dir`` (files not sidecars, or unreadable, are skipped)."""
    found = []
    for path in sorted(Path(out_dir).glob("*.json")):
        if path.name in INDEX_NAMES or path.name.startswith("."):
            continue
        try:
            if path.stat().st_size > _MAX_SIDECAR_BYTES:
                continue
            data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if (isinstance(data, dict) and data.get("format") == SIDECAR_FORMAT
                and data.get("slug") == path.stem):
            found.append(data)
    return found


def sidecar_row(sidecar: Mapping[str, Any], out_dir: str | os.PathLike[str]) -> dict[str, Any]:
    """The full index row of one sidecar: :func:`index_row` plus date, status and files."""
    scenario = _mapping(sidecar.get("scenario"))
    outputs = _mapping(sidecar.get("outputs"))
    row = index_row(sidecar.get("figures"))
    slug = str(sidecar.get("slug"))
    row["client"] = row["client"] or _text(scenario.get("name")) or slug
    status = "ok" if sidecar.get("status") == "ok" else "failed"
    reasons = []
    where = _text(scenario.get("resolved"))
    if where and not os.path.isfile(where):
        reasons.append("the scenario file is gone")
    elif where and scenario.get("inputs_sha256") != inputs_sha256(where):
        reasons.append("the scenario has changed since")
    missing = [str(name) for name in outputs.values()
               if not (Path(out_dir) / str(name)).is_file()]
    if missing:
        reasons.append(f"report files missing: {', '.join(missing)}")
    if reasons and status == "ok":
        status = "stale"
    row = {
        "client": row.pop("client"),
        "slug": slug,
        "scenario": _text(scenario.get("path")),
        **row,
        "rendered": (_text(sidecar.get("rendered")) or "")[:10] or None,
        "status": status,
        "stale_reason": "; ".join(reasons) or None,
        "error": _text(sidecar.get("error")),
        **{fmt: _text(outputs.get(fmt)) for fmt in ("html", "pdf", "ipynb", "xlsx")},
        "failed_notebook": _text(sidecar.get("failed_notebook")),
    }
    return {column: row.get(column) for column in COLUMNS}


# -- writing the index --------------------------------------------------------------------------

def rebuild_index(out_dir: str | os.PathLike[str],
                  tmp_dir: Path | None = None) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Rebuild ``index.csv``, ``index.json`` and ``index.html`` from every sidecar in ``out_dir``.

    Runs under the folder lock, so two runs finishing together both end up in the index.
    Returns the paths by format and the rows.
    """
    with folder_lock(out_dir):
        rows = sorted((sidecar_row(s, out_dir) for s in read_sidecars(out_dir)),
                      key=lambda r: (str(r["client"]).casefold(), r["slug"]))
        paths = {
            "csv": atomic_write_text(output_path(out_dir, "index.csv"), index_csv(rows), tmp_dir),
            "json": atomic_write_text(output_path(out_dir, "index.json"), index_json(rows),
                                      tmp_dir),
            "html": atomic_write_text(output_path(out_dir, "index.html"), index_html(rows),
                                      tmp_dir),
        }
    return {k: str(v) for k, v in paths.items()}, rows


#: First characters that make a spreadsheet read a cell as a formula (OWASP, "CSV Injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\0")


def neutralise(cell: str) -> str:
    """A text cell a spreadsheet shows as text: prefixed with ``'`` if it could start a formula."""
    return "'" + cell if cell.startswith(FORMULA_TRIGGERS) else cell


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return value
    return neutralise(str(value))


def index_csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """Tidy CSV: one row per client, the columns of :data:`COLUMNS`, numbers rounded."""
    buffer = io.StringIO()
    # Every text cell quoted (OWASP; and a CR inside a cell then cannot split a row).
    writer = csv.writer(buffer, lineterminator="\n", quoting=csv.QUOTE_NONNUMERIC)
    writer.writerow(list(COLUMNS))
    for row in rows:
        writer.writerow([_csv_cell(row.get(c)) for c in COLUMNS])
    return buffer.getvalue()


def index_json(rows: Sequence[Mapping[str, Any]]) -> str:
    """The same rows as the CSV, typed, with each column's unit."""
    document = {
        "format": INDEX_FORMAT,
        "version": 1,
        "columns": {c: {"unit": u, "description": d} for c, (u, d) in COLUMNS.items()},
        "rows": [dict(row) for row in rows],
    }
    return json.dumps(document, indent=1, allow_nan=False) + "\n"


# -- index.html ---------------------------------------------------------------------------------

def money(value: Any) -> str:
    number = _number(value)
    if number is None:
        return "–"
    return f"−${-number:,.0f}" if number < 0 else f"${number:,.0f}"


def fee_level(value: Any, unit: str | None) -> str:
    """A fee level in its own unit: ``$9,870``, ``1.32×``, ``18.5%``."""
    number = _number(value)
    if number is None:
        return "–"
    unit = unit or ""
    if unit.startswith("USD"):
        return money(number)
    if unit.startswith("multiple"):
        return f"{number:.2f}×"
    if unit.startswith(("share", "markup", "percent", "fraction")):
        return f"{number:.1%}"
    return f"{number:.4g} {unit}".strip()


def unit_words(unit: str | None) -> str:
    """The unit as it reads after the number: 'per site per month', 'of the tier rates'."""
    unit = unit or ""
    if unit.startswith("USD"):
        return unit[3:].strip()
    if unit.startswith("multiple"):
        return unit[len("multiple"):].strip()
    if unit.startswith("markup"):
        return unit
    if unit.startswith("share"):
        return unit[len("share"):].strip()
    return ""


LICENCE_LABELS = {"physician": "Physician", "np": "NP", "pa": "PA", "rn": "RN",
                  "none": "None (lay owner)"}


def index_html(rows: Sequence[Mapping[str, Any]]) -> str:
    e = html.escape
    text_columns = {"Client", "State", "License", "Structure", "Recommended", "Rendered",
                    "Status", "Reports"}
    # the reports' links next to the client's name: at the far right of this wide table they
    # were off the screen of a laptop
    head = ["Client", "Reports", "State", "License", "Structure", "Recommended",
            *(f"NPV {OPTION_HEADINGS[o].lower() if o != 'mso' else 'MSO'}" for o in OPTION_IDS),
            "Break-even fee", "Current fee", "Peak funding", "Payback", "Rendered", "Status"]

    def small(text: str) -> str:
        return f'<br><span class="small">{e(text)}</span>' if text else ""

    body = []
    for row in rows:
        links = " · ".join(f'<a href="{e(row[fmt])}">{fmt.upper()}</a>'
                           for fmt in ("pdf", "html", "ipynb", "xlsx") if row.get(fmt))
        if row.get("failed_notebook"):
            links += (" · " if links else "") + \
                f'<a href="{e(row["failed_notebook"])}">partial notebook</a>'
        probability = row.get("probability_best")
        likely = f"{probability:.0%} likely best" if probability is not None else ""
        verdict = row.get("verdict")
        if row.get("recommended"):
            recommended, detail = row["recommended"], [likely, "recommended"]
        elif verdict:  # none recommended: the verdict says why, the leader comes under it
            recommended = VERDICTS.get(verdict, verdict)
            leader = f"leader: {row['leader']}" if row.get("leader") else ""
            detail = [", ".join(d for d in (leader, likely) if d)]
        else:
            recommended, detail = "–", []
        npvs = []
        for option in OPTION_IDS:
            value = row.get(f"npv_{option}")
            closed = row.get(f"feasible_{option}") is False
            note = small("not open") if closed and value is not None else ""
            npvs.append(f'<td class="{"closed" if closed else ""}"><span class="nowrap">'
                        f'{money(value)}</span>{note}</td>')
        unit = row.get("breakeven_unit")
        target = BREAKEVEN_TARGETS.get(row.get("breakeven_target") or "",
                                       row.get("breakeven_target") or "")
        level = row.get("breakeven_level")
        breakeven = ("none in range" if level is None and unit else fee_level(level, unit))
        payback = row.get("payback_month")
        status = row["status"]
        why = row.get("error") if status == "failed" else row.get("stale_reason")
        rendered = row.get("rendered") or ""
        licence = LICENCE_LABELS.get(row.get("licence") or "", row.get("licence") or "–")
        cells = [
            f'<td class="text"><strong>{e(str(row["client"]))}</strong>'
            f'{small(Path(row.get("scenario") or "").name)}</td>',
            f'<td class="text">{links or "–"}</td>',
            f'<td class="text">{e(row.get("state") or "–")}</td>',
            f'<td class="text">{e(licence)}</td>',
            f'<td class="text">{e(row.get("structure") or "–")}'
            f'{small(_STATUS_WORDS.get(row.get("structure_status") or "", row.get("structure_status") or ""))}</td>',
            f'<td class="text">{e(recommended)}{small(" · ".join(d for d in detail if d))}</td>',
            *npvs,
            f'<td class="breakeven"><span class="nowrap">{e(breakeven)}</span>'
            f'{small(unit_words(unit))}'
            f'{_target(target)}</td>',
            f"<td class=\"nowrap\">{e(fee_level(row.get('breakeven_current'), unit))}</td>",
            f"<td class=\"nowrap\">{money(row.get('peak_funding'))}</td>",
            f"<td class=\"nowrap\">{'–' if payback is None else f'month {payback}'}</td>",
            f'<td class="text nowrap">{e(rendered or "–")}</td>',
            f'<td class="text status {e(status)}">{e(status)}'
            f'{_why(why)}</td>',
        ]
        body.append("<tr>" + "".join(cells) + "</tr>")
    counts = {s: sum(r["status"] == s for r in rows) for s in ("ok", "stale", "failed")}
    summary = f"{len(rows)} client{'s' if len(rows) != 1 else ''}: " + ", ".join(
        f"{n} {s}" for s, n in counts.items() if n) if rows else "No reports yet."
    return _PAGE.format(
        head="".join(f'<th class="{"text" if h in text_columns else ""}">{e(h)}</th>'
                     for h in head),
        body="\n".join(body), summary=e(summary))


def _target(text: str) -> str:
    return f'<br><span class="small target">{html.escape(text)}</span>' if text else ""


def _why(text: str | None) -> str:
    """An error or stale reason, shortened to a line or two (the whole text on hover)."""
    if not text:
        return ""
    short = re.sub(r"\S+\.ya?ml: ", "", " ".join(text.split()))  # the row names the file
    if len(short) > 160:
        short = short[:159] + "…"
    return (f'<br><span class="small why" title="{html.escape(text)}">'
            f"{html.escape(short)}</span>")


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>msomodel reports</title>
<style>
body {{ font-family: "DejaVu Sans", Arial, sans-serif; font-size: 10pt; margin: 2em; color: #1a1a1a; }}
h1 {{ color: #12355b; font-size: 16pt; margin-bottom: 0.2em; }}
table {{ border-collapse: collapse; font-variant-numeric: tabular-nums; }}
th, td {{ padding: 0.35em 0.6em; text-align: right; vertical-align: top; }}
th {{ border-bottom: 1pt solid #333; font-size: 9pt; }}
td.text, th.text {{ text-align: left; }}
.nowrap {{ white-space: nowrap; }}
.target {{ font-style: italic; }}
td.breakeven {{ min-width: 11em; }}
td.status {{ min-width: 9em; }}
tr:nth-child(even) {{ background: #f3f6f9; }}
.small {{ font-size: 8pt; color: #5a6470; }}
td.closed {{ color: #8a939c; }}
td.status.ok {{ color: #2e7d4f; font-weight: 600; }}
td.status.stale {{ color: #a66a00; font-weight: 600; }}
td.status.failed {{ color: #a40000; font-weight: 600; }}
.why {{ font-weight: normal; display: inline-block; max-width: 22em; }}
p.note {{ font-size: 8.5pt; color: #5a6470; max-width: 60em; }}
</style></head>
<body><h1>msomodel reports</h1><p>{summary}</p>
<table><thead><tr>{head}</tr></thead><tbody>
{body}
</tbody></table>
<p class="note">NPVs, peak funding and payback are over the scenario's horizon; peak funding and
payback are those of the recommended option, or of the leader (the highest NPV) where none is
recommended. Break-even and current fee are in the fee's own
unit. <em>Stale</em>: the scenario (or a file it extends) changed after the report was rendered,
or is gone; re-render it, or delete its <code>.json</code> sidecar to drop it from this index.
The same data: <a href="index.csv">index.csv</a>, <a href="index.json">index.json</a>.</p>
</body></html>
"""


def failed_notebook_name(slug: str) -> str:
    return f"{FAILED_DIR}/{slug}.ipynb"
