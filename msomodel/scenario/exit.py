"""The exit multiple when a scenario does not state one: a sourced band by size and by how
much the practice depends on its owner.

Buyers pay a multiple of normalized EBITDA; the published ranges depend on two things a
scenario already says, so the default is read from them:

- **size**: one location, or two or more opened within the horizon (a multi-location group);
- **management model**: whether the practice depends on its owner as the key provider
  (primary injector or medical director), which buyers discount, or runs on an employed
  provider team.  ``finance.owner_is_key_provider`` states it; left unset it is *yes* for an
  owner with a clinical license and *no* for a lay owner, who cannot treat.

The value is the same for every option (an option's own multiple must be stated, with its
source, in ``mso.exit_multiple`` or ``software.exit_multiple``).  The band's low and high
ends are shown beside it in the JSON and the report; the recommendation's flip values say
where in (or outside) the band the answer changes.  The sources are brokers' and valuers' published ranges, not a transaction database: confidence
medium.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # the scenario package imports this module
    from msomodel.scenario import Scenario

DEALFLOW = ("DealFlow OS, \"Med spa valuation: EBITDA multiples\" "
            "(https://dealflow-os.com/value/med-spa)")
BROKER_COLLECTIVE = ("Business Broker Collective, med spa playbook "
                     "(https://businessbrokercollective.com/playbook/med-spa)")


@dataclass(frozen=True)
class ExitBand:
    """A published range of EBITDA multiples and the default taken from it [x]."""

    size: str            # "single" | "multi"
    owner_key: bool      # the practice depends on its owner as the key provider
    value: float
    low: float
    high: float
    label: str
    source: str

    def to_dict(self) -> dict[str, object]:
        return {"value": self.value, "low": self.low, "high": self.high, "size": self.size,
                "owner_is_key_provider": self.owner_key, "band": self.label,
                "source": self.source}


#: (size, owner is the key provider) -> band.  Single location: DealFlow OS puts independents
#: at 3.5x / 4.75x / 6x EBITDA and practices "where the owner is the primary injector" at
#: "3.5x or below"; Business Broker Collective gives 3-6x for a single location under $5M of
#: revenue.  Multi-location: Business Broker Collective gives 5-8x for mid-sized groups
#: ($5M-$20M of revenue) and 7-12x only for PE-backed platforms (not a default here).
BANDS: dict[tuple[str, bool], ExitBand] = {
    ("single", True): ExitBand(
        "single", True, 3.5, 3.5, 6.0,
        "one location that depends on its owner as the key provider: the low end of 3.5-6x",
        f"{DEALFLOW}: owner as primary injector \"3.5x or below\"; independents 3.5-6x"),
    ("single", False): ExitBand(
        "single", False, 4.75, 3.5, 6.0,
        "one location with an employed provider team: the middle of 3.5-6x",
        f"{DEALFLOW}: independents 3.5x / 4.75x / 6x; {BROKER_COLLECTIVE}: 3-6x under $5M"),
    ("multi", True): ExitBand(
        "multi", True, 5.0, 5.0, 8.0,
        "a multi-location group that depends on its owner: the low end of 5-8x",
        f"{BROKER_COLLECTIVE}: mid-sized groups 5-8x; owner dependence priced at the low end "
        f"({DEALFLOW})"),
    ("multi", False): ExitBand(
        "multi", False, 6.5, 5.0, 8.0,
        "a multi-location group with an employed provider team: the middle of 5-8x",
        f"{BROKER_COLLECTIVE}: mid-sized groups ($5M-$20M revenue) 5-8x"),
}


def band_for(sites: int, owner_key: bool) -> ExitBand:
    """The band of a practice with ``sites`` locations opened within the horizon."""
    return BANDS[("multi" if sites > 1 else "single", owner_key)]


def owner_is_key_provider(scenario: Scenario) -> bool:
    """The stated ``finance.owner_is_key_provider``, else yes for a licensed owner."""
    stated = scenario.finance.owner_is_key_provider
    if stated is not None:
        return stated
    return scenario.owner is not None and scenario.owner.licence != "none"


def exit_band(scenario: Scenario) -> ExitBand:
    """The band the scenario falls in (whether or not it states its own multiple)."""
    horizon = scenario.finance.horizon_months
    opened = sum(1 for s in scenario.sites if s.open_month <= horizon)
    return band_for(opened, owner_is_key_provider(scenario))


def exit_multiple(scenario: Scenario) -> float:
    """``finance.exit_multiple`` if stated, else the band's default [x]."""
    stated = scenario.finance.exit_multiple
    return float(stated) if stated is not None else exit_band(scenario).value
