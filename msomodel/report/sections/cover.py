"""The cover page."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from pathlib import Path

from msomodel import tables
from msomodel.compare import Comparison
from msomodel.report.sections.common import LICENCE_NAMES, _e, state_name, status_text, years


def opening_plan(result: Comparison) -> str:
    sites = result.scenario.sites
    if len(sites) == 1:
        return f"one site ({sites[0].name}), opening in month {sites[0].open_month}"
    parts = ", ".join(f"{s.name} (month {s.open_month})" for s in sites)
    return f"{len(sites)} sites: {parts}"


def structure_line(result: Comparison) -> str:
    """'Owned MSO + friendly PC (feasible with conditions)'."""
    found = result.compliance.structures.get(result.structure)
    status = f" ({status_text(found.status).lower()})" if found and result.compliance.checked else ""
    return result.structure_label + status


def title_page(results: Comparison | Sequence[Comparison], *, title: str | None = None,
               version: str, date: datetime.date | None = None) -> str:
    """The cover: name and description, owner, legal structure(s), sites, horizon, discount
    rate, provenance (the scenario's file name and hash, no local path)."""
    results = [results] if isinstance(results, Comparison) else list(results)
    result = results[0]
    s = result.scenario
    date = date or datetime.date.today()
    owner = ("not given (ownership rules not checked)" if s.owner is None else
             f"{LICENCE_NAMES.get(s.owner.licence, s.owner.licence)}, "
             f"{state_name(s.owner.state)}")
    be = result.breakeven
    rows = [
        ("Owner", owner),
        ("Legal structure" if len(results) == 1 else "Legal structures (side by side)",
         "; ".join(structure_line(r) for r in results)),
        ("Options compared", "Self-managed, self-managed + practice-management software, "
                             "a third-party MSO"),
        ("Sites", opening_plan(result)),
        ("Third-party MSO offer", f"fee {tables.fee_level(be.current, be.unit)}"),
        ("Horizon", f"{result.horizon} months ({years(result.horizon)})"),
        ("Discount rate", f"{tables.pct(s.finance.discount_rate_annual)} a year"),
        ("Prepared", f"{date:%d %B %Y}".lstrip("0")),
        ("Model", f"msomodel {version}"),
        ("Scenario file", f"{Path(s.source_path).name if s.source_path else '—'}, "
                          f"SHA-256 {(s.sha256 or '')[:12]}"),
    ]
    facts = "".join(f"<tr><th>{_e(k)}</th><td>{_e(v)}</td></tr>" for k, v in rows)
    desc = f'<p class="cover-description">{_e(s.description)}</p>' if s.description else ""
    return (
        '<section class="cover">'
        '<div class="cover-kicker">Operating-model comparison for a medical spa</div>'
        f'<h1 class="cover-title">{_e(title or s.name)}</h1>'
        '<div class="cover-subtitle">Legal structure &middot; self-managed &middot; '
        'practice-management software &middot; third-party MSO</div>'
        f"{desc}"
        f'<table class="cover-facts">{facts}</table>'
        '<div class="cover-notice"><strong>Not legal or financial advice.</strong> This report is '
        "a model of the scenario's assumptions, listed in the appendix. Ownership rules are "
        "summarised from public sources and have not been reviewed by counsel.</div>"
        "</section>"
    )
