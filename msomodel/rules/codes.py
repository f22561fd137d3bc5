"""Fixed vocabularies of the rules data: state codes, licences, ownership values.

These are the names the data file may use; anything else is rejected when the file is
loaded, so a typo in the data surfaces as an error rather than a silently ignored row.
"""

from __future__ import annotations

from types import MappingProxyType
from typing import Literal

#: Two-letter USPS codes of the 50 states and the District of Columbia, with their names.
STATE_NAMES: MappingProxyType[str, str] = MappingProxyType(
    {
        "AL": "Alabama", "AK": "Alaska", "AZ": "Arizona", "AR": "Arkansas",
        "CA": "California", "CO": "Colorado", "CT": "Connecticut", "DE": "Delaware",
        "DC": "District of Columbia", "FL": "Florida", "GA": "Georgia", "HI": "Hawaii",
        "ID": "Idaho", "IL": "Illinois", "IN": "Indiana", "IA": "Iowa", "KS": "Kansas",
        "KY": "Kentucky", "LA": "Louisiana", "ME": "Maine", "MD": "Maryland",
        "MA": "Massachusetts", "MI": "Michigan", "MN": "Minnesota", "MS": "Mississippi",
        "MO": "Missouri", "MT": "Montana", "NE": "Nebraska", "NV": "Nevada",
        "NH": "New Hampshire", "NJ": "New Jersey", "NM": "New Mexico", "NY": "New York",
        "NC": "North Carolina", "ND": "North Dakota", "OH": "Ohio", "OK": "Oklahoma",
        "OR": "Oregon", "PA": "Pennsylvania", "RI": "Rhode Island", "SC": "South Carolina",
        "SD": "South Dakota", "TN": "Tennessee", "TX": "Texas", "UT": "Utah",
        "VT": "Vermont", "VA": "Virginia", "WA": "Washington", "WV": "West Virginia",
        "WI": "Wisconsin", "WY": "Wyoming",
    }
)  # fmt: skip

_NAME_TO_CODE = {name.lower(): code for code, name in STATE_NAMES.items()}

Licence = Literal["physician", "np", "pa", "rn", "none"]
#: Owner licences the data covers: physician (MD/DO), nurse practitioner, physician
#: assistant, registered nurse, and ``none`` for a lay owner or entrepreneur.
LICENCES: tuple[str, ...] = ("physician", "np", "pa", "rn", "none")
LICENCE_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "physician": "physician (MD/DO)",
        "np": "nurse practitioner",
        "pa": "physician assistant",
        "rn": "registered nurse",
        "none": "lay owner (no clinical licence)",
    }
)

Ownership = Literal["yes", "minority_share", "mso_required", "with_licence", "contested", "unknown"]
OWNERSHIP_VALUES: tuple[str, ...] = (
    "yes", "minority_share", "mso_required", "with_licence", "contested", "unknown",
)  # fmt: skip

Confidence = Literal["high", "medium", "low"]
FeeSplitting = Literal["strict", "standard", "unknown"]

ConditionKind = Literal[
    "supervision_agreement",
    "collaboration_agreement",
    "medical_director",
    "clinic_licence",
    "physician_majority",
    "professional_corporation",
    "physician_co_owner",
    "friendly_pc",
    "msa_fair_market_value",
]

#: Checks made by :func:`msomodel.rules.deal_warnings`; each needs sources in the data file.
DEAL_CHECK_CODES: tuple[str, ...] = (
    "percentage_fee_splitting_risk",
    "percentage_fee_rules_unknown",
    "commission_fee_splitting_risk",
    "fee_changes_too_often",
    "term_too_short",
    "percent_outside_fmv_band",
    "pc_margin_not_break_even",
)

#: Operating options assessed by :func:`msomodel.rules.assess_feasibility`.
OPTIONS: tuple[str, ...] = ("self_managed", "mso", "software_only")
#: ``owned``: the owner's own MSO plus a physician-owned ("friendly") PC;
#: ``third_party``: an outside MSO that is paid a fee.
MSO_KINDS: tuple[str, ...] = ("owned", "third_party")


def normalise_state(state: str) -> str:
    """Return the upper-case two-letter code for ``state`` (code or full name, any case).

    Raises ``ValueError`` if the text is neither a US state / DC code nor a state name.
    """
    text = str(state).strip()
    code = text.upper()
    if code in STATE_NAMES:
        return code
    by_name = _NAME_TO_CODE.get(text.lower())
    if by_name is not None:
        return by_name
    raise ValueError(
        f"unknown state {state!r}: expected a two-letter code of a US state or DC "
        "(for example 'OH') or a state name"
    )


def normalise_licence(licence: str) -> str:
    """Return the canonical licence name; raise ``ValueError`` listing the allowed values."""
    name = str(licence).strip().lower()
    if name not in LICENCES:
        raise ValueError(f"unknown licence {licence!r}: expected one of {', '.join(LICENCES)}")
    return name
