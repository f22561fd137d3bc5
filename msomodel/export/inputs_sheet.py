"""The Inputs sheet: every input of the scenario (after ``extends:`` and site overrides) with a
plain label, unit and source, as the cells the formulas reference.

Three sections: the numeric inputs the engine reads (one row per scenario path; a path shared by
several sites, e.g. ``site_defaults.startup_cost``, is one cell that every site's formulas use),
model constants that have no scenario path (a site without capacity, a line's kind, ...), and the
remaining documented inputs (yes/no switches, texts) that no formula reads.
"""

from __future__ import annotations

import numpy as np
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook

from msomodel.analysis.paths import bounds
from msomodel.assumptions import Assumption, collect
from msomodel.export import validation
from msomodel.formatting import ACRONYMS, US_SPELLING
from msomodel.inputs import ModelInputs
from msomodel.scenario import Scenario
from msomodel.scenario.describe import schema_unit

SHEET = "Inputs"
VALUE_COL = 1
#: Defined names of the main drivers: name -> array (scalars).
NAMES = {
    "DiscountRate": "discount_rate", "TaxRate": "tax_rate", "ExitMultiple": "exit_multiple",
    "LoanShare": "loan_frac", "LoanRate": "loan_rate", "LoanTerm": "loan_term",
    "DepreciationMonths": "dep_months", "EquipmentDepreciationMonths": "dep_equip_months",
    "InventoryDays": "inventory_days", "PayablesDays": "payables_days",
    "PrepaidShare": "prepaid_share", "PrepaidDays": "prepaid_days", "ExitTaxRate": "exit_tax_rate",
    "CashReserve": "cash_reserve", "VolumeMultiplier": "vol_mult", "PriceMultiplier": "price_mult",
    "WageMultiplier": "wage_mult", "OpexMultiplier": "opex_mult",
}
_ORDER = ("finance", "adjustments", "sites", "site_defaults", "mso", "software",
          "existing_software", "structure")
_WORDS = {**ACRONYMS, **US_SPELLING, "opex": "running cost", "fte": "FTE", "md": "MD"}


#: What the workbook writes for "no limit" (a cap or tier edge the scenario leaves open): a
#: number formulas can compare with, shown as "none" by its number format.
NONE = 1e300
#: Fee arrays' prefixes and whose fee they are.
_FEES = {"fee": "MSO: fee", "mf": "Structure: friendly PC: management fee"}
#: Fee constants: label, unit and why the value is what it is.
_FEE_PARTS = {
    "floor": ("floor (per site, monthly)", "USD/month per site", "no floor set"),
    "cap": ("cap (per site, monthly)", "USD/month per site", "no cap set"),
    "tier_scale": ("tier rates multiplier", "x", "the tier rates as stated (a sensitivity handle)"),
}
#: Engine arrays that hold a scenario's yes/no switch (no numeric input path: nothing samples
#: or sweeps a switch), shown with the switch's path.
_SWITCHES = {"provides_pc": "mso.provides_friendly_pc"}
_CONSTANTS = {
    # the loan's terms when the scenario has no loan (with one, they are its live inputs)
    "loan_frac": ("Loan: share of each site's capital borrowed", "fraction",
                  "the scenario has no loan"),
    "loan_rate": ("Loan: nominal APR", "fraction/year", "the scenario has no loan"),
    "loan_term": ("Loan: term", "months", "the scenario has no loan"),
    **{f"mf_inc_{part}": (f"Structure: friendly PC: management fee: cost base includes the "
                         f"owner's MSO's {part} (1 = yes, 0 = no)", "yes/no",
                         "structure.friendly_pc.management_fee.cost_base_includes")
       for part in ("overhead", "depreciation", "interest")},
    "loan_sba": ("Loan: SBA 7(a) guaranty fee applies (1 = yes, 0 = no)", "",
                 "from the loan's program"),
    "mso_exit_multiple": ("MSO: exit multiple (-1 = the finance exit multiple)", "x",
                          "none set for this option"),
    "sw_exit_multiple": ("Software: exit multiple (-1 = the finance exit multiple)", "x",
                         "none set for this option"),
    "sw_proc_rate": ("Software: card-processing rate (-1 = the site's own)", "fraction of revenue",
                     "the software does not process cards"),
    "termination_fee": ("MSO: fee: termination fee paid at the exit", "USD",
                        "the agreement is not terminated at the exit"),
}


def plain_label(path: str) -> str:
    """A readable label of a dotted input path: ``site_defaults.service_lines.filler.price``
    -> "Service line filler: price"; site overrides name the site."""
    parts = path.split(".")
    site = None
    if parts[0] == "sites" and len(parts) > 2:
        site, parts = parts[1], parts[2:]
        if parts and parts[0] == "overrides":
            parts = parts[1:]
    elif parts[0] == "site_defaults":
        parts = parts[1:]

    def words(p: str) -> str:
        if p.isdigit():  # an unnamed list item (owner.ownership.0): counted from one
            return f"no. {int(p) + 1}"
        return " ".join(_WORDS.get(w, w) for w in p.split("_"))

    text = ": ".join(words(p) for p in parts)
    text = text[:1].upper() + text[1:]
    return f"{site} — {text}" if site else text


def _rank(path: str) -> int:
    head = path.split(".", 1)[0]
    return _ORDER.index(head) if head in _ORDER else len(_ORDER)


class InputsSheet:
    """Writes the Inputs sheet and hands out the cell of any input array element."""

    def __init__(self, wb: Workbook, scenario: Scenario, inputs: ModelInputs, formats: dict):
        self.wb, self.inputs, self.f = wb, inputs, formats
        self.ws = wb.add_worksheet(SHEET)
        self.ws.set_column(0, 0, 58)
        self.ws.set_column(1, 1, 14)
        self.ws.set_column(2, 2, 22)
        self.ws.set_column(3, 3, 70)
        self.ws.set_column(4, 4, 60)
        self.assumptions: dict[str, Assumption] = {a.path: a for a in collect(scenario)}
        self.cells: dict[tuple[str, tuple[int, ...]], str] = {}
        self.used_paths: set[str] = set()
        self.ws.write(0, 0, f"Inputs — {scenario.name}", formats["title"])
        self.ws.write(1, 0, "Change a value in column B and the workbook recalculates (see Read me "
                      "for which lines follow); each cell takes only the values msomodel's "
                      "scenario schema allows (its bounds, whole numbers for counts of months).",
                      formats["text"])
        self.ws.write_row(3, 0, ["Input", "Value", "Unit", "Source", "Scenario path"],
                          formats["header"])
        row = 4
        self.ws.write(row, 0, "Start of the projection (month 1)", formats["text"])
        self.ws.write_datetime(row, 1, _datetime(scenario.finance.start_date), formats["date"])
        self.ws.write(row, 2, "date")
        self.ws.write(row, 3, "the calendar months of every sheet follow it; the state rules in "
                      "force at the start are msomodel's (not re-read here)", formats["text"])
        self.ws.write(row, 4, "finance.start", formats["path"])
        wb.define_name("StartDate", f"={SHEET}!$B${row + 1}")
        row += 1
        for path in sorted(inputs.paths, key=lambda p: (_rank(p), list(inputs.paths).index(p))):
            if inputs.structure != "friendly_pc" and path.startswith("structure.friendly_pc."):
                continue  # no formula of direct ownership reads them: listed with the others
            targets = inputs.paths[path]
            a = self.assumptions.get(path)
            value = float(inputs.arrays[targets[0][0]][targets[0][1]])
            unit = ("1 = yes, 0 = no" if a and isinstance(a.value, bool)
                    else (a.unit if a and a.unit else schema_unit(path)))
            self._write_row(row, plain_label(path), value, unit,
                            a.source if a else "model default", path)
            self._validate(row, scenario, path, unit)
            for name, idx in targets:
                self.cells.setdefault((name, idx), self._addr(row))
            self.used_paths.add(path)
            row += 1
        self.row = row + 1
        self.ws.write(self.row, 0, "Model constants (no scenario field: structure or a "
                      "switch, read from the scenario)", formats["heading"])
        self.row += 1
        for defined, array in NAMES.items():
            wb.define_name(defined, "=" + self.ref(array))

    def _validate(self, row: int, scenario: Scenario, path: str, unit: str) -> None:
        """The schema's bounds as the value cell's data validation (:mod:`.validation`)."""
        cell = xl_rowcol_to_cell(row, VALUE_COL)
        options = validation.rule(bounds(scenario, path), cell, plain_label(path), unit)
        if options is not None:
            self.ws.data_validation(row, VALUE_COL, row, VALUE_COL, options)

    def _addr(self, row: int) -> str:
        return f"{SHEET}!" + xl_rowcol_to_cell(row, VALUE_COL, row_abs=True, col_abs=True)

    def _write_row(self, row: int, label: str, value: float, unit: str, source: str,
                   path: str) -> None:
        self.ws.write(row, 0, label, self.f["text"])
        v = float(value)
        if v >= NONE:
            self.ws.write_number(row, 1, v, self.f["input_none"])
        elif np.isfinite(v):
            self.ws.write_number(row, 1, v, self.f["input"])
        else:
            self.ws.write_string(row, 1, "none", self.f["input"])
        self.ws.write(row, 2, counted(v, unit), self.f["text"])
        self.ws.write(row, 3, source, self.f["text"])
        self.ws.write(row, 4, path, self.f["path"])

    def ref(self, name: str, *idx: int) -> str:
        """Absolute address of input array ``name`` at ``idx`` (sheet included); an element
        without a scenario path gets a row in the constants section."""
        key = (name, tuple(idx))
        if key not in self.cells:
            value = float(self.inputs.arrays[name][tuple(idx)])
            path = _SWITCHES.get(name)
            if path:  # a yes/no switch of the scenario: its own row, path and source
                a = self.assumptions.get(path)
                self._write_row(self.row, plain_label(path), value, "1 = yes, 0 = no",
                                a.source if a else "model default", path)
                self.used_paths.add(path)
            else:
                label, unit, why = self._constant(name, idx)
                self._write_row(self.row, label, value if np.isfinite(value) else NONE, unit,
                                f"model constant: {why}", "")
            self.cells[key] = self._addr(self.row)
            self.row += 1
        return self.cells[key]

    def _constant(self, name: str, idx: tuple[int, ...]) -> tuple[str, str, str]:
        """Label, unit and meaning of a model constant (an engine array element with no
        scenario field); an unknown one by its array name."""
        fee = next((p for p in _FEES if name.startswith(p + "_")), None)
        if fee:
            owner, part = _FEES[fee], name[len(fee) + 1:]
            if part == "tier_edges":
                return (f"{owner}: tier {idx[0] + 1}: up to (monthly)", "USD/month per site",
                        "the top tier has no upper edge")
            if part in _FEE_PARTS:
                label, unit, why = _FEE_PARTS[part]
                return f"{owner}: {label}", unit, why
        if name in ("absorbed_opex", "sw_replaces") and idx:
            who = "the MSO absorbs" if name == "absorbed_opex" else "the software replaces"
            item = self.inputs.opex[idx[0]].replace("_", " ")
            return (f"Share of running cost {item} {who}", "fraction",
                    "none named in the scenario")
        if name in ("cond_monthly", "cond_once") and idx:
            from msomodel.scenario import OPTION_LABELS, OPTIONS

            when = "per month" if name == "cond_monthly" else "one time"
            return (f"License conditions, cost {when}: {OPTION_LABELS[OPTIONS[idx[0]]]}",
                    "USD/month per site" if name == "cond_monthly" else "USD per site",
                    "the state rules' conditions for this structure (see Legal structure)")
        if name in _CONSTANTS:
            return _CONSTANTS[name]
        return (name + (f" [{', '.join(self._axis_names(name, idx))}]" if idx else ""), "",
                "derived from the scenario")

    def _axis_names(self, name: str, idx: tuple[int, ...]) -> list[str]:
        inp = self.inputs
        out = []
        if name in ("volume", "price", "is_treatment", "discountable", "hours_per_unit",
                    "cost_frac", "cost_unit") and len(idx) == 2:
            return [inp.sites[idx[0]], inp.lines[idx[1]]]
        if name.startswith("cond_"):
            from msomodel.scenario import OPTIONS
            return [OPTIONS[idx[0]]]
        if len(idx) >= 1 and name in ("open_month", "ramp_months", "ramp_start", "has_capacity",
                                      "providers", "provider_hours", "utilisation", "startup",
                                      "no_show", "equipment"):
            out.append(inp.sites[idx[0]])
            out += [str(i) for i in idx[1:]]
            return out
        return [str(i) for i in idx]

    def finish(self) -> None:
        """The documented inputs no formula reads."""
        row = self.row + 1
        self.ws.write(row, 0, "Other inputs (documented here; no formula reads them)",
                      self.f["heading"])
        row += 1
        for path, a in self.assumptions.items():
            if path in self.used_paths:
                continue
            self.ws.write(row, 0, plain_label(path), self.f["text"])
            value, unit = a.value, a.unit or schema_unit(path)
            if isinstance(value, bool):
                self.ws.write_string(row, 1, "yes" if value else "no", self.f["documented"])
                unit = "yes/no"
            elif isinstance(value, (int, float)):
                self.ws.write_number(row, 1, float(value), self.f["documented"])
            else:
                self.ws.write_string(row, 1, str(value), self.f["documented"])
            self.ws.write(row, 2, counted(value, unit), self.f["text"])
            self.ws.write(row, 3, a.source, self.f["text"])
            self.ws.write(row, 4, path, self.f["path"])
            row += 1
        self.ws.freeze_panes(4, 1)


#: Units that read in the singular for a value of one ("1 month", not "1 months").
_COUNTED = {"months": "month", "years": "year", "days": "day", "hours": "hour",
            "weeks": "week", "sites": "site"}


def counted(value: object, unit: str | None) -> str:
    """``unit`` as it reads after ``value``: singular for exactly one."""
    unit = unit or ""
    if not isinstance(value, bool) and isinstance(value, (int, float)) and value == 1:
        return _COUNTED.get(unit, unit)
    return unit


def _datetime(d):
    import datetime as dt

    return dt.datetime(d.year, d.month, d.day)
