"""The assumptions appendix: every input with its unit and the source written beside it."""

from __future__ import annotations

import msomodel
from msomodel import assumptions
from tests.conftest import ROOT
from tests.spelling import british


def _by_path(name: str) -> dict[str, assumptions.Assumption]:
    s = msomodel.load_scenario(f"scenarios/{name}")
    return {a.path: a for a in assumptions.collect(s)}


def test_sources_from_comments_fields_and_defaults():
    rows = _by_path("ohio_physician_single_site.yaml")
    a = rows["site_defaults.service_lines.neurotoxin.cost_fraction_of_price"]
    assert (a.value, a.unit) == (0.3, "fraction")
    assert "insidemedspa" in a.source                       # trailing comment in the base file
    assert "help.joinmoxie.com" in rows["mso.fee.per_site_monthly"].source  # comment in the client file
    assert rows["site_defaults.staffing.roles.injector_rn.hourly_rate"].unit == "USD/hour"
    assert rows["adjustments.volume_multiplier"].source == "model default"
    assert rows["sites.Columbus.open_month"].source == "assumption (no source given)"


def test_variant_comment_wins_over_base():
    rows = _by_path("ohio_physician_percentage_fee.yaml")
    assert "getlemma.com" in rows["mso.fee.percent"].source
    assert "mso.fee.per_site_monthly" not in rows


def test_site_overrides_are_listed_with_units():
    rows = _by_path("california_np_three_sites.yaml")
    rent = rows["sites.Los Angeles.overrides.opex.rent.monthly"]
    assert rent.value == 15000 and rent.unit == "USD/month per site" and "LA retail rent" in rent.source
    assert rows["sites.San Diego.overrides.service_lines.body_contouring.volume_per_month"].value == 8


def test_every_numeric_input_is_listed(bundled):
    s = msomodel.load_scenario(bundled)
    frame = assumptions.table(s)
    assert list(frame.columns) == ["input", "value", "unit", "source"]
    assert frame["source"].str.len().min() > 0
    assert len(frame) > 100


def test_source_counts_say_what_the_figures_rest_on():
    from msomodel import assumptions

    frame = assumptions.table(msomodel.load_scenario(ROOT / "scenarios" / "texas_rn_single_site.yaml"))
    counts = assumptions.source_counts(frame)
    assert sum(counts.values()) == len(frame)
    assert all(n > 0 for n in counts.values()), counts
    assert assumptions.source_kind("model default") == "default"
    assert assumptions.source_kind("assumption (no source given)") == "own"
    assert assumptions.source_kind("assumption: 7-year life") == "assumption"
    assert assumptions.source_kind("BLS Occupational Outlook Handbook") == "sourced"


def test_a_value_without_a_comment_never_takes_the_next_lines():
    """A block mapping ends where the next key starts: that key's comment is not its own.
    California's fee ends with ``term_months: 24`` (no comment), followed by the purchasing
    discount's note; the term must not carry it."""
    rows = _by_path("california_np_three_sites.yaml")
    assert "purchasing" not in rows["mso.fee.term_months"].source
    assert "purchasing" in rows["mso.purchasing_discount"].source
    # nor its first child's ("type: tiered  # fixed, tier-based or cost-plus fees ..."): the
    # mapping's own source, here the MSO's
    assert rows["mso.fee.term_months"].source.startswith("assumptions as marked (Lemma")
    florida = _by_path("florida_entrepreneur_five_sites.yaml")
    for path, a in florida.items():  # the legal-structuring note stays on its own line
        if "five sites" in a.source:
            assert "structuring" in path or "legal" in path, path


#: Words of a research log, not of a client's report: how a source was fetched or re-read.
RESEARCH_LOG = ("search tool", "stored copy", "re-read", "this session", "earlier notes",
                "api-evangelist/", ".yml", "transcribed", "not reconciled", "docs/")


def test_sources_printed_in_reports_read_for_the_client_not_as_a_research_log():
    """Every source text the appendix prints (base files and bundled scenarios), and every text
    of the rules data (citations, what each source says, confidence reasons, notes), names the
    source in a reader's words: no fetch tool, file path or session in it."""
    import yaml

    texts = []
    for f in [*sorted((ROOT / "msomodel/bases").rglob("*.yaml")), *sorted((ROOT / "scenarios").glob("*.yaml"))]:
        texts += [(f.name, path, s) for path, s in assumptions.file_sources(f).items()]
    for f in sorted((ROOT / "msomodel/rules/data").rglob("*.yaml")):
        stack = [("", yaml.safe_load(f.read_text(encoding="utf-8")))]
        while stack:
            path, v = stack.pop()
            if isinstance(v, dict):
                stack += [(f"{path}.{k}", x) for k, x in v.items()]
            elif isinstance(v, list):
                stack += [(f"{path}.{i}", x) for i, x in enumerate(v)]
            elif isinstance(v, str):
                texts.append((f.name, path, v))
    assert len(texts) > 1000
    found = [(f, p, w) for f, p, s in texts for w in RESEARCH_LOG if w in s.lower()]
    assert not found, found[:10]
    spelt = [(f, p, w) for f, p, s in texts for w in british(s)]
    assert not spelt, spelt[:10]  # American English, as in the report


def test_the_user_documentation_is_in_american_english():
    """README and docs/ (the scenario reference and the state tables are generated from the
    schema's descriptions and the rules data) spell as a US reader does; code blocks and code
    spans aside, where the file format's keys (``licence``, ``utilisation``) keep theirs."""
    import re

    docs = [ROOT / "README.md", ROOT / "reports" / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    prose = {f.name: re.sub(r"(?s)```.*?```|`[^`\n]*`", " ", f.read_text(encoding="utf-8"))
             for f in docs}
    found = [(name, w) for name, text in prose.items() for w in british(text)]
    assert not found, found[:10]
