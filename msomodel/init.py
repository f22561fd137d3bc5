"""``msomodel init``: a commented client scenario that validates at once.

The file extends the packaged, sourced benchmark base (``msomodel:benchmarks/single_site``),
names the owner, picks the legal structure the state rules allow for the owner's license
(with the reason, confidence and source in a comment), lays out the sites, and lists the
inputs an advisor should replace first.  It is validated before it is written; an existing
file is never overwritten without ``--force``.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

from msomodel import rules
from msomodel.atomic import replacing
from msomodel.loader import load_scenario
from msomodel.rules.codes import LICENCE_LABELS, STATE_NAMES, normalise_licence, normalise_state

BASE = "msomodel:benchmarks/single_site"
#: What drives the answer most and is most client-specific: replace these first.
REPLACE_FIRST = (
    ("mso.fee", "the third-party MSO's quote (type and level)"),
    ("site_defaults.service_lines[*].volume_per_month / price", "the client's expected visits and prices"),
    ("site_defaults.opex.rent.monthly", "the lease"),
    ("site_defaults.staffing.roles", "the roster and pay rates"),
    ("site_defaults.startup_cost / equipment", "the build-out and device quotes"),
    ("finance.loan", "the financing on offer"),
    ("software.per_location_monthly", "the software quote"),
)


@dataclass(frozen=True)
class Answers:
    state: str
    licence: str
    sites: int
    name: str
    spacing_months: int = 12
    start: str | None = None


def slug(name: str) -> str:
    text = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return text[:60] or "client"


def _structure(state: str, licence: str, on: dt.date) -> tuple[str, str]:
    """The lawful structure and a one-line comment saying why (status, source)."""
    found = rules.assess_structures(state, licence, on=on)
    direct, pc = found["direct"], found["friendly_pc"]
    if direct.status in ("feasible", "feasible_with_conditions"):
        chosen, why = "direct", direct
    else:
        chosen, why = "friendly_pc", pc if direct.status != "contested" else direct
    first = (why.reasons[:1] or [why.status])[0]
    reason = first.split(". ")[0].rstrip(".") + "."
    source = why.sources[0].citation if why.sources else "no source recorded"
    confidence = "contested" if why.status == "contested" else why.status.replace("_", " ")
    return chosen, f"{confidence}. {reason} Source: {source}."


def _wrap(text: str, prefix: str = "# ", width: int = 96) -> list[str]:
    words, lines, line = text.split(), [], ""
    for w in words:
        if len(prefix) + len(line) + len(w) + 1 > width and line:
            lines.append(prefix + line)
            line = w
        else:
            line = f"{line} {w}".strip()
    return [*lines, prefix + line] if line else lines


def render(a: Answers, today: dt.date | None = None) -> str:
    """The scenario file's text."""
    today = today or dt.date.today()
    start = a.start or dt.date(today.year + today.month // 12, today.month % 12 + 1, 1).strftime("%Y-%m")
    y, m = map(int, start.split("-"))
    structure, why = _structure(a.state, a.licence, dt.date(y, m, 1))
    who = LICENCE_LABELS[a.licence]
    lines = [f"# {a.name}: a {who} in {STATE_NAMES[a.state]}, {a.sites} site(s).",
             f"# Written by `msomodel init` on {today.isoformat()}; it validates as it is.",
             "# Every figure not set here comes from the sourced benchmark base named in",
             "# `extends:` (see docs/scenario-reference.md for every field). Replace first:"]
    lines += [f"#   - {path}: {what}" for path, what in REPLACE_FIRST]
    lines += ["", f"extends: {BASE}", f"name: {_quote(a.name)}",
              "description: >",
              *_wrap(f"{who.capitalize()} opening {a.sites} location(s) in "
                     f"{STATE_NAMES[a.state]}; compares in-house management, software and a "
                     "third-party MSO.", "  "),
              f"owner: {{state: {a.state}, licence: {a.licence}}}",
              "finance:",
              f"  start: {start}                   # month 1 of the projection; the state rules in force then apply",
              "structure:"]
    lines += _wrap(f"The state rules: {why} Not legal advice; confirm with counsel.", "  # ")
    lines += [f"  type: {structure}"]
    lines += ["sites:"]
    for i in range(a.sites):
        lines.append(f"  - {{name: Site {i + 1}, open_month: {1 + i * a.spacing_months}}}"
                     + ("   # rename to the location" if i == 0 else ""))
    lines += ["mso:                                # REPLACE with the third-party MSO's quote",
              "  fee:",
              "    type: flat",
              "    per_site_monthly: 12000         # placeholder: the quote you have",
              "    onboarding_fee_per_site: 15000  # placeholder",
              "    term_months: 24",
              "  purchasing_discount: 0.05         # assumption: no published figure found; a 0-15 % input",
              "  absorbed_roles: [office_manager, billing_admin]",
              "  absorbed_opex: {compliance: 1.0, accounting_legal: 0.6, software: 1.0}"]
    if structure == "friendly_pc":
        lines.insert(len(lines) - 8, "  provides_friendly_pc: true        # if it supplies the "
                     "PC's physician; else false")
        lines[-2] = ("  absorbed_roles: [office_manager, billing_admin, medical_director]  # drop "
                     "medical_director if the MSO does not supply one")
    lines += ["  source: placeholder quote; replace with the offer and its date", ""]
    return "\n".join(lines)


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def write(a: Answers, folder: Path, *, force: bool = False) -> Path:
    """Write ``<folder>/<slug of the name>.yaml`` atomically after validating it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{slug(a.name)}.yaml"
    if target.exists() and not force:
        raise FileExistsError(f"{target}: already exists; choose another --name or pass --force")
    with replacing(target, prefix=".msomodel-init-", suffix=".yaml") as tmp:
        Path(tmp).write_text(render(a), encoding="utf-8")
        load_scenario(tmp)  # validates at once, or this is a bug worth a traceback
    return target


def answers(state: str, licence: str, sites: int, name: str | None,
            spacing: int = 12, start: str | None = None) -> Answers:
    """Checked answers (state and license in any case or by full name)."""
    code, lic = normalise_state(state), normalise_licence(licence)
    if not 1 <= sites <= 20:
        raise ValueError(f"--sites: expected 1 to 20, found {sites}")
    if name is not None and (not name.strip() or any(c in name for c in "\r\n\t\x00")):
        raise ValueError(f"--name: expected one line of text, found {name!r}")
    spacing = min(spacing, 59 // max(sites - 1, 1)) if sites > 1 else spacing
    default = f"{STATE_NAMES[code]} {lic.upper() if lic in ('np', 'pa', 'rn') else lic}, {sites} site(s)"
    return Answers(code, lic, sites, name or default, max(spacing, 1), start)
