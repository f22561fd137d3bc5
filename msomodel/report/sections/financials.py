"""Annual P&L per option; under the friendly-PC structure the PC's and the MSO's P&L."""

from __future__ import annotations

import pandas as pd

from msomodel import tables
from msomodel.compare import Comparison
from msomodel.formatting import heading
from msomodel.report.sections.common import (
    ENTITY_TITLES,
    _e,
    amount,
    block,
    frame_html,
    option_name,
)


def annual_pl_block(result: Comparison, option: str) -> str:
    frame = tables.annual_pl(result, option, amounts=amount)
    name = option_name(result, option)
    if not result.feasibility[option].allowed:
        name += "; for comparison"
    rows = ["strong" if i in ("EBITDA", "Net cash flow") else
            ("italic" if i == "EBITDA margin" else "") for i in frame.index]
    return block(f"<h3>{_e(name)}</h3>",
                 frame_html(frame, classes="pl", column_classes=["num"] * frame.shape[1],
                            row_classes=rows))


def entity_option(result: Comparison) -> str:
    """The option whose PC/MSO split is shown: the recommended one, else the leader."""
    d = result.decision
    return d.option or d.leader or "self_managed"


def entity_blocks(result: Comparison, option: str | None = None) -> str:
    """Friendly-PC structure only: the PC's and your MSO's annual P&L under ``option``
    (default: the recommended option, else the leader); '' under direct ownership."""
    option = option or entity_option(result)
    entities = result.entity_annual(option)
    if not entities:
        return ""
    from msomodel.report.sections.decision import pc_breakeven_sentence

    pc_note = pc_breakeven_sentence(result)
    out = [block(f"<h3>Inside the friendly-PC structure: {_e(result.label(option))}</h3>",
                 "<p>The physician-owned PC earns the medical revenue, employs the clinicians and "
                 "pays your MSO the management fee; your MSO receives the fee and bears the "
                 "business costs. The option's figures above are the two combined.</p>",
                 f"<p><strong>Break-even management fee.</strong> {_e(pc_note)}</p>" if pc_note else "")]
    for name, frame in entities.items():
        lines = [c for c in frame.columns if frame[c].abs().sum() > 0.005 or c == "ebitda"]
        table = pd.DataFrame(index=[tables.LINE_LABELS.get(c, heading(c))
                                    for c in lines])
        for year, row in frame.iterrows():
            table[f"Year {year}"] = [amount(row[c]) for c in lines]
        rows = ["strong" if c == "ebitda" else "" for c in lines]
        title = ENTITY_TITLES.get(name, name.upper())
        out.append(block(f"<h3>{_e(title)}: {_e(result.label(option))}</h3>",
                         frame_html(table, classes="pl", column_classes=["num"] * table.shape[1],
                                    row_classes=rows)))
    return "".join(out)


def by_site_block(result: Comparison, option: str | None = None) -> str:
    option = option or entity_option(result)
    frame = tables.by_site(result, option, "ebitda", amounts=amount)
    rows = ["strong" if i in ("All sites", "Consolidated") else "" for i in frame.index]
    return block(f"<h3>EBITDA by site: {_e(result.label(option))}</h3>",
                 frame_html(frame, classes="pl", column_classes=["num"] * frame.shape[1],
                            row_classes=rows))
