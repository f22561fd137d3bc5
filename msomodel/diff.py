"""What changed between two scenarios, and what it does to the answer (``msomodel diff``).

Inputs are compared after ``extends:`` is merged, leaf by leaf, by dotted path (named list
items — sites, service lines, roles, equipment — by name, so reordering is not a change).
The effect is each option's NPV in both, and the recommendation in both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pandas as pd

from msomodel.compare import Comparison, compare
from msomodel.formatting import money, pct
from msomodel.scenario import OPTION_LABELS, OPTIONS, Scenario

_MISSING = object()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Leaves of a dumped scenario by dotted path; lists of named mappings keyed by name."""
    out: dict[str, Any] = {}
    if isinstance(value, dict):
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(value, list) and value and all(isinstance(v, dict) and "name" in v for v in value):
        for v in value:
            rest = {k: x for k, x in v.items() if k != "name"}
            out.update(flatten(rest, f"{prefix}[{v['name']}]"))
            if not rest:
                out[f"{prefix}[{v['name']}]"] = "(present)"
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


@dataclass
class ScenarioDiff:
    """Inputs that differ, and both comparisons."""

    a: Comparison
    b: Comparison
    changes: list[tuple[str, Any, Any]]

    def inputs(self) -> pd.DataFrame:
        rows = [{"input": path, "before": _show(x), "after": _show(y)} for path, x, y in self.changes]
        return pd.DataFrame(rows, columns=["input", "before", "after"])

    def effect(self) -> pd.DataFrame:
        rows = []
        for o in OPTIONS:
            x, y = self.a.metrics[o]["npv"], self.b.metrics[o]["npv"]
            rows.append({"option": OPTION_LABELS[o], "NPV before": money(x), "NPV after": money(y),
                         "change": money(y - x),
                         "change %": pct((y - x) / abs(x)) if x else "—"})
        return pd.DataFrame(rows)

    def recommendation(self) -> dict[str, str]:
        return {"before": self.a.decision.sentence, "after": self.b.decision.sentence,
                "changed": _answer(self.a) != _answer(self.b)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "before": {"name": self.a.scenario.name, "path": self.a.scenario.source_path,
                       "sha256": self.a.scenario.sha256},
            "after": {"name": self.b.scenario.name, "path": self.b.scenario.source_path,
                      "sha256": self.b.scenario.sha256},
            "inputs": [{"path": p, "before": _json(x), "after": _json(y)} for p, x, y in self.changes],
            "npv": {o: {"before": self.a.metrics[o]["npv"], "after": self.b.metrics[o]["npv"]}
                    for o in OPTIONS},
            "structure": {"before": self.a.structure, "after": self.b.structure},
            "recommendation": {"before": self.a.recommendation, "after": self.b.recommendation,
                               "changed": _answer(self.a) != _answer(self.b)},
        }


def _answer(r: Comparison) -> tuple[str, str | None, str]:
    return (r.decision.verdict, r.decision.leader, r.structure)


def _show(v: Any) -> str:
    if v is _MISSING:
        return "(not set)"
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def _json(v: Any) -> Any:
    return None if v is _MISSING else v


def diff(a: Scenario, b: Scenario, **compare_args: Any) -> ScenarioDiff:
    """Inputs that differ between ``a`` and ``b`` (after merging), and both comparisons."""
    fa = flatten(a.model_dump(mode="json"))
    fb = flatten(b.model_dump(mode="json"))
    changes = [(p, fa.get(p, _MISSING), fb.get(p, _MISSING))
               for p in sorted(set(fa) | set(fb))
               if p != "name" and fa.get(p, _MISSING) != fb.get(p, _MISSING)]
    return ScenarioDiff(compare(a, **compare_args), compare(b, **compare_args), changes)
