"""Report sections as HTML, built from the package's objects (presentation only, no model logic).

Each function takes a :class:`~msomodel.compare.Comparison` (or an analysis result) and returns
an HTML fragment styled by ``print.css``: the notebook displays it with ``IPython.display.HTML``.

Reading order of a report: cover (:mod:`.cover`); the decision, led by the legal structure
(:mod:`.decision`); legal structure and compliance (:mod:`.structure`); annual P&L and, under
the friendly-PC structure, the PC's and the MSO's (:mod:`.financials`); the three financial
statements, sources and uses and debt service (:mod:`.statements`); charts; uncertainty for
the leader against the runner-up (:mod:`.uncertainty`); glossary and appendix (:mod:`.appendix`).

Amounts in every table follow one rule, :func:`msomodel.formatting.amount` (``amount`` here),
stated once in the glossary.
"""

from html import escape

from msomodel.report.sections.appendix import (
    GLOSSARY,
    assumptions_appendix,
    glossary,
    plain_name,
    provenance,
)
from msomodel.report.sections.calibration import calibration_block
from msomodel.report.sections.common import (
    AMOUNT_RULE,
    SourceList,
    amount,
    amounts_in_text,
    block,
    figure_html,
    frame_html,
    input_label,
    option_name,
    schema_label,
    section,
    structure_title,
)
from msomodel.report.sections.cover import (
    LogoError,
    cover_logo,
    logo_data_uri,
    notice,
    opening_plan,
    scenario_logo,
    structure_line,
    title_page,
)
from msomodel.report.sections.decision import (
    asymmetries_block,
    breakeven_block,
    breakeven_sentence,
    decision_facts,
    decision_section,
    flips_block,
    key_figures_table,
    pc_breakeven_sentence,
    structure_statement,
    structures_side_by_side,
    verdict_box,
)
from msomodel.report.sections.financials import (
    annual_pl_block,
    by_site_block,
    entity_blocks,
    entity_option,
)
from msomodel.report.sections.statements import monthly_appendix, statements_parts
from msomodel.report.sections.structure import compliance_parts, compliance_section
from msomodel.report.sections.uncertainty import (
    drivers_table,
    grid_axes,
    grid_block,
    no_pair_note,
    pair_words,
    probability_best,
    simulate,
    simulation_tables,
    tornado_block,
    tornado_for,
    uncertainty_pair,
    uncertainty_section,
)

_label = input_label  # older name, kept for callers

__all__ = [
    "AMOUNT_RULE", "GLOSSARY", "LogoError", "SourceList", "amount", "amounts_in_text",
    "cover_logo", "glossary",
    "logo_data_uri", "notice", "scenario_logo", "schema_label", "annual_pl_block", "assumptions_appendix", "asymmetries_block",
    "breakeven_block", "breakeven_sentence", "by_site_block", "block", "calibration_block", "compliance_parts",
    "compliance_section",
    "decision_facts", "decision_section", "drivers_table", "entity_blocks", "entity_option",
    "escape", "figure_html", "flips_block", "frame_html", "grid_axes", "grid_block",
    "input_label", "key_figures_table", "monthly_appendix", "no_pair_note", "opening_plan", "option_name",
    "pair_words", "pc_breakeven_sentence", "plain_name", "probability_best", "provenance",
    "section", "simulate", "simulation_tables", "statements_parts", "structure_line", "structure_statement",
    "structure_title", "structures_side_by_side", "title_page", "tornado_block", "tornado_for",
    "uncertainty_pair", "uncertainty_section", "verdict_box",
]
