"""The report carries the statements' figures exactly as the JSON holds them."""

from __future__ import annotations

import json

import pypdf
import pytest

from msomodel.formatting import amount
from msomodel.report import render_one
from tests.conftest import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def texas(tmp_path_factory):
    out = tmp_path_factory.mktemp("report")
    result = render_one(ROOT / "scenarios" / "texas_rn_single_site.yaml", out, formats=("pdf",))
    assert result.ok, result.error
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(out / f"{result.slug}.pdf").pages)
    return text, json.loads((out / f"{result.slug}.json").read_text())


def test_pdf_holds_the_statements_totals_from_the_json(texas):
    text, sidecar = texas
    from msomodel import compare, load_scenario

    figures = compare(load_scenario(ROOT / "scenarios" / "texas_rn_single_site.yaml")).to_dict()
    option = figures["recommendation"]["option"] or "self_managed"
    st = figures["options"][option]["statements"]
    for heading in ("Financial statements", "Sources and uses of funds", "Income statement",
                    "Cash flow statement", "Balance sheet (year end)", "Debt service",
                    "Appendix: monthly statements"):
        assert heading in text
    group = st["entities"]["consolidated"]
    final = group["balance_sheet"][-1]
    for value in (st["sources_and_uses"]["total"], final["total_assets"],
                  final["total_liabilities"], final["total_equity"],
                  group["income_statement"][-1]["net_income"],
                  st["debt_service"]["years"][1]["debt_service"]):
        assert amount(value) in text, amount(value)
    assert f"{st['debt_service']['years'][1]['dscr']:.2f}x" in text
    assert "-$0" not in text
    assert "What the figures rest on. Of the" in text and "cite a published source" in text


def test_the_money_at_risk_is_the_peak_funding_need_the_key_figures_show(texas):
    # cash stays at the reserve by the cash policy, so the debt page names the peak funding
    # need (the same figure as the key figures and as sources and uses), not a "lowest cash"
    text, _ = texas
    from msomodel import compare, load_scenario

    c = compare(load_scenario(ROOT / "scenarios" / "texas_rn_single_site.yaml"), trials=0)
    option = c.decision.option or c.decision.leader
    peak = amount(c.metrics[option]["peak_funding"])
    flat = " ".join(text.split())
    assert f"Cash stays at the {amount(50000)} reserve every month" in flat
    assert f"the money at risk is your peak funding need, {peak} by" in flat
    assert "The lowest cash balance" not in flat
