"""Fixed vocabularies of the rules data: state codes, licenses, ownership values.

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
_NAME_TO_CODE.update({"washington dc": "DC", "washington d.c.": "DC", "d.c.": "DC"})

Licence = Literal["physician", "np", "pa", "rn", "none"]
#: Owner licenses the data covers: physician (MD/DO), nurse practitioner, physician
#: assistant, registered nurse, and ``none`` for a lay owner or entrepreneur.
LICENCES: tuple[str, ...] = ("physician", "np", "pa", "rn", "none")
LICENCE_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "physician": "physician (MD/DO)",
        "np": "nurse practitioner",
        "pa": "physician assistant",
        "rn": "registered nurse",
        "none": "lay owner (no clinical license)",
    }
)

Ownership = Literal[
    "yes", "with_licence", "co_own", "minority_share", "mso_required", "contested", "unknown"
]
#: Answers to "may this owner own the clinical entity?":
#: ``yes`` owns outright; ``with_licence`` owns outright if the business holds a state
#: facility/clinic license; ``co_own`` only together with a physician co-owner;
#: ``minority_share`` a minority stake only (physicians hold the majority); ``mso_required``
#: may not own it -- must use an owned MSO + physician-owned ("friendly") PC;
#: ``contested`` sources disagree (the record lists the ``readings``); ``unknown``.
OWNERSHIP_VALUES: tuple[str, ...] = (
    "yes", "with_licence", "co_own", "minority_share", "mso_required", "contested", "unknown",
)  # fmt: skip
#: ownership value -> the mso_required value it implies (None: neither true nor false).
MSO_REQUIRED_BY_OWNERSHIP: MappingProxyType[str, bool | None] = MappingProxyType(
    {
        "yes": False,
        "with_licence": False,
        "co_own": False,
        "minority_share": True,
        "mso_required": True,
        "contested": None,
        "unknown": None,
    }
)
OWNERSHIP_LABELS: MappingProxyType[str, str] = MappingProxyType(
    {
        "yes": "owns outright",
        "with_licence": "owns outright with a state facility/clinic license",
        "co_own": "co-own with physicians",
        "minority_share": "minority stake only",
        "mso_required": "must use owned MSO + friendly PC",
        "contested": "contested: consult counsel",
        "unknown": "unknown: consult counsel",
    }
)

#: NP/PA practice authority (AANP's terms for NPs): ``full`` practice without a physician
#: agreement; ``reduced`` a career-long collaborative agreement; ``restricted`` career-long
#: supervision. Never read as an answer to the ownership question.
PracticeAuthorityValue = Literal["full", "reduced", "restricted", "unknown"]
PRACTICE_AUTHORITY_VALUES: tuple[str, ...] = ("full", "reduced", "restricted", "unknown")

#: What kind of publisher a source is; official texts and law firms weigh more than vendors.
SourceKind = Literal[
    "official", "law_firm", "association", "vendor", "news", "project", "other"
]
SOURCE_KINDS: tuple[str, ...] = (
    "official", "law_firm", "association", "vendor", "news", "project", "other",
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
    "registration",
    "admin_only_msa",
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
#: Code of a warning raised by a state's own fee rule (see ``fee_rules`` in the data).
STATE_FEE_RULE_CODE = "state_fee_rule"

#: Operating options assessed by :func:`msomodel.rules.assess_feasibility`.
OPTIONS: tuple[str, ...] = ("self_managed", "mso", "software_only")
#: ``owned``: the owner's own MSO plus a physician-owned ("friendly") PC;
#: ``third_party``: an outside MSO that is paid a fee.
MSO_KINDS: tuple[str, ...] = ("owned", "third_party")


def normalise_state(state: str) -> str:
    """Return the upper-case two-letter code for ``state`` (code or full name, any case).

    Raises ``ValueError`` if the text is neither a US state / DC code nor a state name.
    """
    text = " ".join(str(state).strip().replace(",", " ").split())
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


_LICENCE_ALIASES = {
    "physician": "physician", "md": "physician", "do": "physician", "doctor": "physician",
    "physician (md/do)": "physician", "md/do": "physician",
    "np": "np", "nurse practitioner": "np", "aprn": "np", "arnp": "np", "cnp": "np",
    "crnp": "np", "apn": "np", "nurse-practitioner": "np",
    "pa": "pa", "physician assistant": "pa", "physician associate": "pa", "pa-c": "pa",
    "rn": "rn", "registered nurse": "rn", "nurse": "rn",
    "none": "none", "lay": "none", "lay owner": "none", "layperson": "none",
    "entrepreneur": "none", "unlicensed": "none", "investor": "none",
}  # fmt: skip


def normalise_licence(licence: str) -> str:
    """Return the canonical license name (``physician``, ``np``, ``pa``, ``rn``, ``none``).

    Case-insensitive; accepts full names such as ``nurse practitioner``, ``RN`` or ``lay
    owner``. Raises ``ValueError`` listing the allowed values.
    """
    name = " ".join(str(licence).strip().lower().replace("_", " ").split())
    found = _LICENCE_ALIASES.get(name)
    if found is None:
        raise ValueError(
            f"unknown license {licence!r}: expected one of {', '.join(LICENCES)} (or a full "
            "name such as 'nurse practitioner')"
        )
    return found
