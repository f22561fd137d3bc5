"""How the bundled single-site base compares with published med-spa benchmarks.

The base (``msomodel:benchmarks/single_site.yaml``) is projected for one site, self-managed, and
its mature year (the last project year) is set against each benchmark's published range.  The
table is in ``docs/calibration.md`` (``python -m msomodel.calibration > docs/calibration.md``) and in every report's
appendix; a test keeps the base inside every range.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import yaml

from msomodel import engine
from msomodel.compare import Comparison, compare
from msomodel.formatting import amount, pct
from msomodel.loading.validate import load_scenario
from msomodel.scenario import Scenario


@dataclass(frozen=True)
class Benchmark:
    key: str
    label: str
    low: float
    high: float
    kind: str          # "money", "share" or "count"
    source: str
    url: str


BENCHMARKS = (
    Benchmark("revenue", "Revenue per location", 1_400_000.0, 1_982_896.0, "money",
              "AmSpa State of the Industry: $1.98m per location in 2022 (via Boulevard); "
              "about $1.4M in 2023 (second-hand)",
              "https://www.joinblvd.com/blog/average-medical-spa-revenue"),
    Benchmark("ebitda_margin", "EBITDA margin", 0.20, 0.29, "share",
              "Marketdata 2022: profit margin 20-25% of net sales; AmSpa 2019: 29%",
              "https://www.laingbuissonnews.com/imtj/news-imtj/rapid-growth-of-medical-spa-sector-in-usa/"),
    Benchmark("payroll_share", "Payroll share of sales (with taxes and benefits)", 0.25, 0.35,
              "share", "Liguori CPA: payroll typically 25-35% of sales",
              "https://liguoricpa.com/2024/11/22/med-spa-financial-health/"),
    Benchmark("product_share", "Product cost share of sales", 0.0, 0.40, "share",
              "Liguori CPA: cost of goods no more than 30-40% of sales",
              "https://liguoricpa.com/2024/11/22/med-spa-financial-health/"),
    Benchmark("staff", "Staff per location (FTE)", 6.0, 10.0, "count",
              "AmSpa 2022: about 8 employees (via Crux Data); range +-2 is our assumption",
              "https://cruxdata.io/post/medspa-revenue-potential-optimization"),
    Benchmark("revenue_per_visit", "Spend per visit (all revenue / treatment visits)", 460.0, 536.0, "money",
              "AmSpa: $460 per visit (2018 data, via LaingBuisson); $536 per session (2022, via "
              "Rejuvapen NXT)", "https://www.rejuvapennxt.com/post/med-spa-business-is-booming"),
)

CALIBRATION_SCENARIO = {
    "extends": "msomodel:benchmarks/single_site.yaml",
    "name": "Bundled base, one site",
    "owner": {"state": "OH", "licence": "physician"},
    "sites": [{"name": "Base", "open_month": 1}],
    "mso": {"fee": {"type": "flat", "per_site_monthly": 12000}},
}


def base_scenario() -> Scenario:
    """The bundled single-site base as a one-site, self-managed scenario."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "calibration.yaml"
        path.write_text(yaml.safe_dump(CALIBRATION_SCENARIO), encoding="utf-8")
        return load_scenario(path)


def measured(result: Comparison) -> dict[str, float]:
    """The self-managed option's mature-year figures of a one-site comparison."""
    year = result.annual("self_managed").iloc[-1]
    revenue = float(year["revenue"])
    s = result.scenario
    treatments = [line.name for line in s.site_defaults.service_lines if line.kind == "treatment"]
    # visits: the same projection with every treatment priced at $1 and everything else at $0,
    # so its revenue counts the treatments delivered (after no-shows and capacity caps)
    inputs = result.inputs
    values = {f"site_defaults.service_lines.{line}.price": (1.0 if line in treatments else 0.0)
              for line in inputs.lines}
    values.update({f"site_defaults.service_lines.{line}.price_growth_annual": 0.0
                   for line in inputs.lines})
    counted = engine.run(inputs, 1, values=values, options=("self_managed",))["self_managed"]
    months = slice(-12, None)
    visits = float(counted.site["revenue"][0, :, months].sum())
    spend = float(result.projections["self_managed"].site["revenue"][0, :, months].sum())
    return {
        "revenue": revenue,
        "ebitda_margin": float(year["ebitda"]) / revenue,
        "payroll_share": float(year["staff_clinical"] + year["staff_admin"]) / revenue,
        "product_share": float(year["product_cost"]) / revenue,
        "staff": float(sum(r.fte for r in s.site_defaults.staffing.roles)),
        "revenue_per_visit": spend / visits if visits else float("nan"),
    }


def table(result: Comparison | None = None) -> pd.DataFrame:
    """One row per benchmark: the base's figure, the published range, inside or not, source."""
    result = result or compare(base_scenario(), trials=0)
    got = measured(result)
    rows = []
    for b in BENCHMARKS:
        fmt = amount if b.kind == "money" else (pct if b.kind == "share" else (lambda v: f"{v:.1f}"))
        rows.append({"Benchmark": b.label, "Bundled base": fmt(got[b.key]),
                     "Published range": f"{fmt(b.low)} to {fmt(b.high)}",
                     "Inside": "yes" if b.low <= got[b.key] <= b.high else "no",
                     "Source": b.source, "URL": b.url})
    return pd.DataFrame(rows)


def markdown(result: Comparison | None = None) -> str:
    """``docs/calibration.md``."""
    frame = table(result)
    head = ("# Calibration: the bundled base against published benchmarks\n\n"
            "Generated by `python -m msomodel.calibration` (a test keeps it current). The bundled "
            "single-site base (`msomodel:benchmarks/single_site.yaml`), one site, self-managed, "
            "in its mature year (project year 5), against each benchmark's published range.\n\n"
            "| Benchmark | Bundled base | Published range | Inside | Source |\n|---|---|---|---|---|\n")
    body = "".join(f"| {r['Benchmark']} | {r['Bundled base']} | {r['Published range']} | "
                   f"{r['Inside']} | [{r['Source']}]({r['URL']}) |\n" for _, r in frame.iterrows())
    return head + body


if __name__ == "__main__":
    print(markdown(), end="")
