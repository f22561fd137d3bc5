"""The workbook's Inputs sheet takes only what the scenario schema allows: each input cell's data
validation, read back from the file, against the schema itself (msomodel's loader deciding on
the same values), at every bound, just beyond it and half-way between two whole numbers."""

from __future__ import annotations

import math
import re
from pathlib import Path

import openpyxl
import pytest
import yaml

import msomodel
from msomodel.errors import ScenarioError
from tests.test_export import NAMED_LISTS, SCENARIOS, VARIANTS, _edit_scenario, build

ROOT = Path(__file__).resolve().parent.parent
#: Bounds this far out are the schema's guard against absurd amounts; a step beyond is not tried.
FAR = 1e12


def input_rows(path: Path) -> dict[str, tuple[str, float, object]]:
    """Scenario path -> (value cell, value, its data validation or None), for the inputs the
    formulas read (the Inputs sheet's first section)."""
    ws = openpyxl.load_workbook(path)["Inputs"]
    rules = {}
    for dv in ws.data_validations.dataValidation:
        for cell in str(dv.sqref).split():
            rules[cell] = dv
    out = {}
    for row in ws.iter_rows(min_row=6):
        label, value, _, _, key = (c.value for c in row[:5])
        if label and label.startswith("Model constants"):
            break
        if key:
            out[key] = (row[1].coordinate, float(value), rules.get(row[1].coordinate))
    return out


def passes(dv, cell: str, v: float) -> bool:
    """What Excel or LibreOffice decides when ``v`` is typed into ``cell`` under ``dv``."""
    if dv is None:
        return True
    if dv.type == "custom":
        expr = dv.formula1.lstrip("=").replace(cell, repr(v))
        expr = re.sub(r"(?<![<>])=", "==", expr).replace("INT(", "math.floor(")
        expr = expr.replace("AND(", "all((").rstrip(")") + "))"
        return bool(eval(expr, {"math": math}))  # noqa: S307 - our own rule, in a test
    if dv.type == "whole" and v != math.floor(v):
        return False
    a = float(dv.formula1)
    b = float(dv.formula2) if dv.formula2 is not None else None
    op = dv.operator or "between"
    return {"between": lambda: a <= v <= b, "greaterThanOrEqual": lambda: v >= a,
            "lessThanOrEqual": lambda: v <= a}[op]()


def problem_paths(scenario: Path, edits: list[tuple[str, float]], tmp: Path) -> set[str]:
    """The edited paths the schema rejects (msomodel's own loader on a variant file)."""
    try:
        _edit_scenario(scenario, edits, tmp)
    except ScenarioError as e:
        text = str(e)
    else:
        return set()
    found = set()
    for dotted, _ in edits:
        if re.search(re.escape(error_path(dotted)) + r": ", text):
            found.add(dotted)
    return found


def error_path(dotted: str) -> str:
    """How the loader writes a path: a named list's item in brackets (``sites[Miami].x``)."""
    out: list[str] = []
    parts = dotted.split(".")
    while parts:
        part = parts.pop(0)
        out.append(f"{part}[{parts.pop(0)}]" if part in NAMED_LISTS and parts else part)
    return ".".join(out)


def kind(dotted: str) -> str:
    """The field a path is a copy of (named list items replaced by ``*``)."""
    return re.sub(r"\[[^]]*\]", "[*]", error_path(dotted))


def candidates(dv, value: float) -> tuple[list[float], list[float]]:
    """Values the cell accepts at its bounds, and values just beyond them (or half-way between
    whole numbers) that it rejects."""
    inside, outside = [], []
    if dv is None:
        return inside, outside
    if dv.type == "custom":
        bounds = [float(x) for x in re.findall(r"[<>]=?(-?[\d.e+]+)", dv.formula1)]
    else:
        bounds = [float(dv.formula1)] + ([float(dv.formula2)] if dv.formula2 is not None else [])
    whole = dv.type == "whole" or "INT(" in (dv.formula1 or "")
    for b in bounds:
        if abs(b) >= FAR:
            continue
        step = 1.0 if whole else max(abs(b), 1.0) * 1e-6
        for v in (b, b - step, b + step):
            (inside if passes_cell(dv, v) else outside).append(v)
    if whole:
        outside.append(math.floor(value) + 0.5)
    return inside, outside


def passes_cell(dv, v: float) -> bool:
    return passes(dv, str(dv.sqref).split()[0], v)


CASES = [(p.name, p, None) for p in SCENARIOS] + [
    (name, ROOT / "scenarios" / base, over) for name, (base, over) in sorted(VARIANTS.items())
    if name in ("providers_hired_by_demand", "cost_plus_percentage_pc", "hybrid_direct",
                "membership_credit_over_months")]


@pytest.mark.parametrize(("name", "base", "over"), CASES, ids=[c[0] for c in CASES])
def test_input_cells_take_only_what_the_schema_allows(name, base, over, tmp_path):
    scenario = base
    if over is not None:
        scenario = tmp_path / "variant.yaml"
        scenario.write_text(yaml.safe_dump({"extends": str(base), **over}))
    result = msomodel.compare(msomodel.load_scenario(scenario), trials=0)
    rows = input_rows(build(result, tmp_path / "w.xlsx"))
    assert rows, "no inputs read"
    missing = [k for k, (_, _, dv) in rows.items() if dv is None]
    assert not missing, f"inputs without data validation: {missing}"
    # every current value passes its cell's rule
    assert not [k for k, (c, v, dv) in rows.items() if not passes(dv, c, v)]
    # one field of each kind (the sites' and lines' copies share their field's bounds)
    kinds: dict[str, str] = {}
    for key in rows:
        kinds.setdefault(kind(key), key)
    chosen = sorted(kinds.values())
    tried = {k: candidates(rows[k][2], rows[k][1]) for k in chosen}
    inside, outside = ({k: v[i] for k, v in tried.items()} for i in (0, 1))
    assert sum(map(len, outside.values())) > 20
    for i in range(max(map(len, inside.values()))):  # the bounds the cell accepts: so does the schema
        for edits in chunks([(k, v[i]) for k, v in inside.items() if len(v) > i]):
            assert problem_paths(scenario, edits, tmp_path) == set(), edits
    for i in range(max(map(len, outside.values()))):  # what the cell rejects, the schema rejects
        for edits in chunks([(k, v[i]) for k, v in outside.items() if len(v) > i]):
            found = problem_paths(scenario, edits, tmp_path)
            for edit in edits:  # a cross-field rule (open month within the horizon) runs only
                if edit[0] not in found:  # once every field passes: that edit alone
                    assert problem_paths(scenario, [edit], tmp_path) == {edit[0]}, edit


def chunks(edits: list, size: int = 15) -> list[list]:
    """Edits in groups the loader reports whole (it lists the first problems only)."""
    return [edits[i:i + size] for i in range(0, len(edits), size)]
