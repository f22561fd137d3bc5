"""The scenario: every input of the model, validated by pydantic.

A scenario file is YAML (see :mod:`msomodel.loader`).  Units are in each field's description:
``[USD/month]`` is per site per month unless said otherwise, ``[fraction]`` is 0.10 for 10 %,
growth and escalators are annual and applied in steps at the start of each project year
(months 13, 25, ...).  Unknown keys are rejected so that a typo is an error, not a default.

Sites share ``site_defaults``; each site may override any of it under ``overrides:`` with the
same shape (lists of named items — service lines, roles — are merged by ``name``).

Modules: :mod:`.base` (number types), :mod:`.site` (a site's economics), :mod:`.fees` (fee
structures), :mod:`.deal` (structure, third-party MSO, software), :mod:`.uncertainty`.
"""

import datetime as dt
import re
from functools import lru_cache
from typing import Annotated, Any, Literal

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from msomodel import rules
from msomodel.merge import annotate, deep_merge
from msomodel.rules.codes import normalise_licence, normalise_state
from msomodel.scenario.base import (
    Float,
    Fraction,
    Growth,
    Int,
    Model,
    Name,
    NonNeg,
    Source,
)
from msomodel.scenario.deal import (
    MSO,
    ComplianceSettings,
    ConditionCost,
    ExistingSoftware,
    FriendlyPC,
    Infeasible,
    Software,
    StructureSettings,
)
from msomodel.scenario.fees import (
    CostPlusFee,
    Fee,
    FeeCommon,
    FlatFee,
    HybridFee,
    PercentageFee,
    SweepFee,
    Tier,
    TieredFee,
)
from msomodel.scenario.site import (
    Capacity,
    Equipment,
    OpexItem,
    Role,
    ServiceLine,
    Site,
    SiteAssumptions,
    Staffing,
)
from msomodel.scenario.uncertainty import UncertaintySpec

#: The management options, compared under the owner's legal structure.
OPTIONS = ("self_managed", "mso", "software_only")
#: Plain labels of the management options.
OPTION_LABELS = {"self_managed": "Self-managed", "software_only": "Self-managed + software",
                 "mso": "Third-party MSO"}
#: The legal structures (see :mod:`msomodel.scenario.deal`).
STRUCTURES = ("direct", "friendly_pc")
LICENCES = ("physician", "np", "pa", "rn", "none")
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")

__all__ = [
    "LICENCES", "MSO", "OPTION_LABELS", "OPTIONS", "STRUCTURES", "Adjustments", "Capacity", "ComplianceSettings",
    "ConditionCost", "CostPlusFee", "Equipment", "Fee", "FeeCommon", "Finance", "FlatFee",
    "ExistingSoftware", "Float", "Fraction", "FriendlyPC", "Growth", "HybridFee", "Infeasible", "Int", "Loan", "WorkingCapital",
    "LOGO_SUFFIXES", "Model", "Name", "NonNeg", "OpexItem", "Owner", "Ownership", "PercentageFee",
    "ReportSettings", "Role",
    "Scenario", "ServiceLine", "Site", "SiteAssumptions", "Software", "Source", "Staffing",
    "StructureSettings", "SweepFee", "Tier", "TieredFee", "UncertaintySpec",
]


def _clip(text: str, limit: int = 60, quote: bool = True) -> str:
    """A name echoed in a message, never longer than ``limit`` characters."""
    text = str(text)
    text = text if len(text) <= limit else text[:limit - 3] + "..."
    return f"'{text}'" if quote else text


@lru_cache(maxsize=64)
def _condition_ids(state: str | None, licence: str | None, on: dt.date,
                   overlays: tuple[tuple[Any, int, int], ...]) -> frozenset[str]:
    # ``overlays`` is rules.overlay_key(...): an overlay edited since is a new key.
    if state is None or licence is None:
        return frozenset()
    book = rules.load_rulebook(overlays=[o[0] for o in overlays])
    found = rules.assess_structures(state, licence, on=on, rulebook=book)
    return frozenset(c.id for f in found.values() for c in f.conditions)


def applicable_condition_ids(owner: "Owner | None", on: dt.date) -> frozenset[str]:
    """Ids of the license conditions that can apply to ``owner`` under any structure on ``on``
    (by the rule book in use: the package data and any ``MSOMODEL_RULES_OVERLAY``)."""
    if owner is None:
        return frozenset()
    return _condition_ids(owner.state, owner.licence, on,
                          rules.overlay_key(rules.overlays_from_env()))


# --------------------------------------------------------------------------- finance
class Loan(Model):
    financed_fraction: Fraction = Field(
        description="Share of each site's capital borrowed [fraction]."
    )
    rate_annual_nominal: Annotated[Float, Field(ge=0.0, le=0.5)] = Field(
        description="Nominal APR, compounded monthly (monthly rate = APR / 12) [fraction/year]."
    )
    term_months: Int = Field(ge=1, le=360, description="Repayment term [months].")
    program: Literal["conventional", "sba_7a"] = Field(
        "conventional", description="conventional: a bank term loan; sba_7a: an SBA 7(a) term "
        "loan (SBA's upfront guaranty fee on the guaranteed share, paid from the proceeds; "
        "maturity at most 120 months for equipment and working capital)."
    )
    dscr_covenant: Annotated[Float, Field(ge=0.0, le=10.0)] | None = Field(
        None, description="Minimum debt-service coverage (EBITDA / interest + principal) per "
        "year the lender asks for [x]; default 1.15 for sba_7a (SBA SOP 50 10), 1.25 otherwise."
    )

    @model_validator(mode="after")
    def _sba_maturity(self) -> "Loan":
        if self.program == "sba_7a" and self.term_months > 120:
            raise ValueError(
                f"an SBA 7(a) loan for build-out, equipment and working capital has a maturity of "
                f"at most 120 months, found term_months: {self.term_months} (real-estate loans of "
                f"up to 25 years are not modeled)")
        return self

    @property
    def covenant(self) -> float:
        if self.dscr_covenant is not None:
            return self.dscr_covenant
        return 1.15 if self.program == "sba_7a" else 1.25


class WorkingCapital(Model):
    """Money tied up in running the business (all zero by default: no working capital)."""

    inventory_days: Annotated[Float, Field(ge=0.0, le=365.0)] = Field(
        0.0, description="Product stock held, in days of product cost [days]."
    )
    payables_days: Annotated[Float, Field(ge=0.0, le=365.0)] = Field(
        0.0, description="Days suppliers of product are paid after purchase [days]."
    )
    prepaid_share: Fraction = Field(
        0.0, description="Share of revenue clients pay ahead (packages, memberships) [fraction]."
    )
    prepaid_days: Annotated[Float, Field(ge=0.0, le=730.0)] = Field(
        0.0, description="Average days between a prepayment and the treatment it pays for; "
        "revenue is recognized at the treatment and held as deferred revenue till then [days]."
    )


class Finance(Model):
    horizon_months: Int = Field(60, ge=12, le=240, description="Projection length [months].")
    discount_rate_annual: Fraction = Field(
        0.12, description="Owner's required return, annual effective [fraction/year]."
    )
    tax_rate: Fraction | None = Field(
        None, description="Income tax on profit after interest and depreciation; default: "
        "federal 21% plus the owner's state's top corporate income tax rate, deducted "
        "federally (a C corporation's rate: state your own for pass-through income; 25% with "
        "no owner state; README, 'Tax') [fraction]."
    )
    depreciation_months: Int = Field(
        84, ge=1, le=480, description="Straight-line life of build-out (start-up cost), and of "
        "equipment unless equipment_depreciation_months is set [months]."
    )
    equipment_depreciation_months: Annotated[Int, Field(ge=1, le=480)] | None = Field(
        None, description="Straight-line life of equipment (default: depreciation_months) [months]."
    )
    working_capital: WorkingCapital = Field(
        default_factory=WorkingCapital, description="Inventory, supplier credit and prepayments."
    )
    exit_tax_rate: Fraction = Field(
        0.0, description="Tax on the gain from the sale at the horizon: sale price less the tax "
        "basis of what is sold (fixed assets net of depreciation, inventory, less payables) "
        "[fraction]."
    )
    cash_reserve: NonNeg = Field(
        0.0, description="Cash the owner puts in at month 0 and keeps in the business as a "
        "buffer; it comes back at the exit [USD]."
    )
    exit_multiple: NonNeg | None = Field(
        None, description="Exit value = multiple x trailing-12-month EBITDA at the horizon; "
        "default: the sourced band for the scenario's size and management model: 3.5x for "
        "one location that depends on its owner, 4.75x with an employed provider team, 5x and "
        "6.5x for two or more locations (README, 'The exit multiple') [x]."
    )
    owner_is_key_provider: bool | None = Field(
        None, description="Whether the practice depends on its owner as the key provider "
        "(primary injector or medical director), which buyers price lower; picks the default "
        "exit multiple (default: yes for an owner with a clinical license, no for a lay owner)."
    )
    loan: Loan | None = Field(None, description="Borrowing against each site's capital.")
    start: str | None = Field(
        None, description="Calendar month of projection month 1, YYYY-MM (default: the month "
        "after today); the state rules in force then apply."
    )

    @field_validator("start", mode="before")
    @classmethod
    def _month(cls, value: Any) -> Any:
        if isinstance(value, dt.date):
            if value.day != 1:
                raise ValueError(f"expected a month YYYY-MM, found the date {value.isoformat()}")
            return value.strftime("%Y-%m")
        if value is not None and (not isinstance(value, str) or not _MONTH.match(value)):
            raise ValueError(f"expected a month YYYY-MM (e.g. 2027-01), found {str(value)[:40]!r}")
        return value

    @field_validator("start")
    @classmethod
    def _ends_in_the_calendar(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is None:
            return value
        year, month = map(int, value.split("-"))
        horizon = info.data.get("horizon_months", 60)
        end = year + (month - 1 + horizon) // 12
        if end > 9999:
            raise ValueError(f"expected a month whose {horizon}-month projection ends by the "
                             f"year 9999, found {value!r} (it would end in {end})")
        return value

    @property
    def start_date(self) -> dt.date:
        """First day of projection month 1."""
        if self.start is None:
            today = dt.date.today()
            return dt.date(today.year + today.month // 12, today.month % 12 + 1, 1)
        year, month = map(int, self.start.split("-"))
        return dt.date(year, month, 1)


class Adjustments(Model):
    """Scenario-wide multipliers, used by sensitivity analysis and the explorer."""

    volume_multiplier: NonNeg = Field(1.0, description="Scales every service line's volume [x].")
    price_multiplier: NonNeg = Field(1.0, description="Scales every price [x].")
    wage_multiplier: NonNeg = Field(1.0, description="Scales hourly and salaried pay [x].")
    opex_multiplier: NonNeg = Field(1.0, description="Scales fixed running costs [x].")


def _tolerant_licence(cls: type, value: Any) -> Any:
    """'RN', 'Nurse Practitioner', 'MD' -> the canonical license; anything else is left for the
    Literal to report with the expected values."""
    try:
        return normalise_licence(value) if isinstance(value, str) else value
    except ValueError:
        return value


class Ownership(Model):
    licence: Literal["physician", "np", "pa", "rn", "none"] = Field(
        description="This owner's license ('none' for a lay owner; full names accepted)."
    )
    share: Fraction = Field(description="Share of the practice held by this owner [fraction].")

    _licence = field_validator("licence", mode="before")(_tolerant_licence)


class Owner(Model):
    state: str = Field(description="US state or DC, two-letter code (e.g. OH).")
    licence: Literal["physician", "np", "pa", "rn", "none"] = Field(
        description="The owner's license; 'none' for a lay owner (any case; full names such as "
        "'nurse practitioner' are accepted)."
    )
    ownership: list[Ownership] | None = Field(
        None, description="Ownership split for groups (shares add up to 1)."
    )

    _licence = field_validator("licence", mode="before")(_tolerant_licence)

    @field_validator("state")
    @classmethod
    def _known_state(cls, value: str) -> str:
        try:
            return normalise_state(value)
        except ValueError:
            raise ValueError(
                f"expected a two-letter code of a US state or DC (e.g. OH), found {value!r}"
            ) from None

    @model_validator(mode="after")
    def _shares(self) -> "Owner":
        if self.ownership:
            total = sum(o.share for o in self.ownership)
            if abs(total - 1.0) > 1e-6:
                raise ValueError(f"ownership shares must add up to 1, found {total:g}")
        return self



# --------------------------------------------------------------------------- scenario
#: Logo file types a report embeds (the suffix is checked here, the content when rendering).
LOGO_SUFFIXES = (".png", ".jpg", ".jpeg")


class ReportSettings(Model):
    """Who the report is for and from, shown on its cover, for example
    `report: {prepared_by: "Jane Doe, Example Advisory LLC", logo: firm-logo.png}`. Every field
    is optional; the `msomodel report` flags `--prepared-for`, `--prepared-by` and `--logo`
    override them for a run."""

    prepared_for: str | None = Field(
        None, description="The client named on the cover (default: the scenario's `name`); at "
                          "most 200 characters.")
    prepared_by: str | None = Field(
        None, description="Who prepared the report, e.g. 'Jane Doe, Example Advisory LLC'; at "
                          "most 200 characters.")
    logo: str | None = Field(
        None, description="A PNG or JPEG file shown on the cover and embedded in the PDF (nothing "
                          "is fetched from the network); a relative path is relative to the "
                          "folder of the scenario file that sets it.")

    @field_validator("prepared_for", "prepared_by")
    @classmethod
    def _short_text(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = " ".join(value.split())
        if not value or len(value) > 200:
            raise ValueError(f"expected 1 to 200 characters, found {len(value)}")
        return value

    @field_validator("logo")
    @classmethod
    def _logo_type(cls, value: str | None) -> str | None:
        if value is not None and not value.strip().lower().endswith(LOGO_SUFFIXES):
            raise ValueError(f"expected a .png, .jpg or .jpeg file, found {_clip(value)}")
        return value.strip() if value is not None else None


class Scenario(Model):
    """A client scenario: the owner, sites and their economics, the legal structure's terms,
    and the third-party MSO's and the software's offers."""

    name: str = Field(min_length=1, description="Client or scenario name shown in reports.")
    description: str | None = Field(None, description="A sentence or two for the report.")
    owner: Owner | None = Field(
        None, description="State and license of the owner; decides which options are allowed."
    )
    finance: Finance = Field(default_factory=Finance, description="Horizon, rates, loan, exit.")
    adjustments: Adjustments = Field(
        default_factory=Adjustments, description="Scenario-wide multipliers (sensitivity)."
    )
    site_defaults: SiteAssumptions = Field(description="Economics shared by every site.")
    sites: list[Site] = Field(
        min_length=1, max_length=200, description="The locations, their opening and overrides."
    )
    structure: StructureSettings = Field(
        default_factory=StructureSettings,
        description="Legal structure (direct ownership or owned MSO + friendly PC) and its terms.",
    )
    mso: MSO = Field(description="The third-party MSO's offer: fee, what it takes over, effects.")
    software: Software = Field(description="The practice-management software offer.")
    existing_software: ExistingSoftware = Field(
        default_factory=ExistingSoftware,
        description="The tool the self-managed baseline already has (none by default).",
    )
    infeasible: dict[Literal["self_managed", "mso", "software_only"], Infeasible] = Field(
        default_factory=dict, description="Options to mark infeasible, with the reason."
    )
    compliance: ComplianceSettings = Field(
        default_factory=ComplianceSettings, description="Costing of license conditions."
    )
    uncertainty: UncertaintySpec | None = Field(
        None, description="Ranges for sensitivity and distributions for Monte Carlo."
    )
    report: ReportSettings = Field(
        default_factory=ReportSettings,
        description="The report's cover: prepared for, prepared by, logo (all optional).",
    )

    _source_path: str | None = PrivateAttr(None)
    _sha256: str | None = PrivateAttr(None)
    _resolved: list[SiteAssumptions] | None = PrivateAttr(None)
    _provenance: list[dict[str, Any]] | None = PrivateAttr(None)
    _sources: dict[str, str] | None = PrivateAttr(None)  # input path -> source (cache)
    _tree: dict[str, Any] | None = PrivateAttr(None)  # the file as loaded, bases merged in
    _marks: dict[Any, Any] | None = PrivateAttr(None)  # path -> (extends chain, line/column)

    @model_validator(mode="after")
    def _check(self) -> "Scenario":
        """Cross-field checks; every problem found is reported (one ``path: message`` line each)."""
        problems: list[str] = []
        seen: set[str] = set()
        for i, site in enumerate(self.sites):
            if site.name in seen:  # at the second one (the loader shows sites.1, not a name)
                problems.append(f"sites.{i}.name: expected a name no other site has, found "
                                f"{_clip(site.name)} again")
            seen.add(site.name)
        items = set(self.site_defaults.opex)
        for section, keys in (("mso.absorbed_opex", self.mso.absorbed_opex),
                              ("software.replaces_opex", self.software.replaces_opex)):
            for key in keys:
                if key not in items:
                    problems.append(f"{section}: expected one of the opex items {sorted(items)}, "
                                    f"found {_clip(key)}")
        if self.compliance.condition_costs:
            known = applicable_condition_ids(self.owner, self.finance.start_date)
            for key in self.compliance.condition_costs:
                if key not in known:
                    problems.append(
                        f"compliance.condition_costs.{_clip(key, 40, quote=False)}: expected a "
                        f"condition that applies to this owner's state and license "
                        f"({', '.join(sorted(known)) or 'none'}), found {_clip(key)}")
        roles = {r.name for r in self.site_defaults.staffing.roles}
        for name in self.mso.absorbed_roles or []:
            if name not in roles:
                problems.append(f"mso.absorbed_roles: expected one of the roles {sorted(roles)}, "
                                f"found {_clip(name)}")
        horizon = self.finance.horizon_months
        for i, site in enumerate(self.sites):
            if site.open_month > horizon:  # the loader names the site: sites[Name].open_month
                problems.append(f"sites.{i}.open_month: expected a month within the horizon "
                                f"(<= {horizon}), found {site.open_month}")
        if problems:
            raise ValueError("\n".join(problems))
        return self

    # -- provenance set by the loader --------------------------------------------------------
    @property
    def source_path(self) -> str | None:
        """The file the scenario was loaded from (None when built in Python)."""
        return self._source_path

    @property
    def sha256(self) -> str | None:
        """SHA-256 of the scenario file's bytes (None when built in Python)."""
        return self._sha256

    def site_assumptions(self) -> list[SiteAssumptions]:
        """Each site's assumptions: `site_defaults` merged with that site's overrides.

        The loader resolves them when it loads a file (with located errors); a scenario built
        in Python resolves them here on first use (pydantic's error if a merge is invalid).
        """
        if self._resolved is None:
            base = self.site_defaults.model_dump(mode="python")
            paths = annotate(base, "site_defaults")
            self._resolved = [SiteAssumptions.model_validate(deep_merge(base, s.overrides))
                              for s in self.sites]
            self._provenance = [deep_merge(paths, annotate(s.overrides, f"sites.{s.name}.overrides"))
                                for s in self.sites]
        return self._resolved

    def site_provenance(self) -> list[dict[str, Any]]:
        """For each site, the scenario path each resolved value came from (same shape)."""
        self.site_assumptions()
        assert self._provenance is not None
        return self._provenance
