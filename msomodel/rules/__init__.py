"""State ownership rules for med spas, shipped as validated data with provenance.

The data lives in ``data/`` next to this file (``common.yaml`` plus one ``states/XX.yaml``
per jurisdiction; see ``docs/state-rules.md``): for all 50 states and DC, one or more dated
records per owner license (``physician``, ``np``, ``pa``, ``rn``, ``none``), each with its
sources, what each source says, a confidence with its reason and the date it was last
checked. Nothing here is legal advice; see :data:`DISCLAIMER`.

Public API::

    load_rulebook(path=None, *, overlays=None) -> RuleBook   (None: MSOMODEL_RULES_OVERLAY)
    lookup(state, licence, *, on=None) -> StateRule
    fee_policy(state) -> FeePolicy
    assess_structures(state, licence, *, ownership=None, on=None, rulebook=None)
        -> {"direct": Feasibility, "friendly_pc": Feasibility}
    rule_changes(state, licence, start, end) -> list[RuleChange]
    assess_feasibility(...)  # earlier option model, kept until its last caller goes
    condition_costs(conditions) -> ConditionCosts
    known_condition_ids(rulebook=None) -> frozenset[str]
    deal_warnings(*, state, fee_type, percent=None, fee_changes_per_year=1,
                  term_months=None, commission_on_medical_services=False,
                  owned_mso_pc_margin=None, percent_band=(0.08, 0.18), on=None)
        -> list[DealWarning]
    format_rules(state, licence=None, *, on=None) -> str
    rules_matrix(*, on=None) -> list[dict]

Costs on :class:`Condition` are ``default_cost_usd_per_month`` [USD/month] and
``default_cost_usd_one_time`` [USD].
"""

from .codes import (
    LICENCE_LABELS,
    LICENCES,
    MSO_KINDS,
    OPTIONS,
    OWNERSHIP_LABELS,
    OWNERSHIP_VALUES,
    STATE_NAMES,
    normalise_licence,
    normalise_state,
)
from .deals import DEFAULT_PERCENT_BAND, FEE_TYPES, PC_MARGIN_BAND, deal_warnings
from .feasibility import (
    STRUCTURES,
    assess_feasibility,
    assess_structures,
    fee_policy,
    lookup,
    physician_share,
    rule_changes,
)
from .loader import (
    DEFAULT_PATH,
    OVERLAY_ENV,
    RulesDataError,
    load_rulebook,
    overlay_key,
    overlays_from_env,
    read_rulebook,
    use_overlays,
)
from .records import (
    Condition,
    ConditionCosts,
    DealWarning,
    Feasibility,
    FeePolicy,
    FeeRule,
    OwnershipShare,
    PracticeAuthority,
    RuleBook,
    RuleChange,
    Source,
    StateRule,
    Structure,
    condition_costs,
)
from .text import DISCLAIMER, format_matrix, format_rules, rules_matrix


def known_condition_ids(rulebook: RuleBook | None = None) -> frozenset[str]:
    """Every condition id the data defines (for validating ``condition_costs`` overrides)."""
    return frozenset((rulebook or load_rulebook()).conditions)


# The brief's name for DealWarning. It shadows the builtin only inside this module's
# namespace, and it is left out of __all__ so `import *` does not shadow it elsewhere.
Warning = DealWarning  # noqa: A001

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_PERCENT_BAND",
    "DISCLAIMER",
    "FEE_TYPES",
    "LICENCES",
    "LICENCE_LABELS",
    "OVERLAY_ENV",
    "OWNERSHIP_LABELS",
    "MSO_KINDS",
    "OPTIONS",
    "OWNERSHIP_VALUES",
    "PC_MARGIN_BAND",
    "STATE_NAMES",
    "STRUCTURES",
    "Condition",
    "ConditionCosts",
    "DealWarning",
    "Feasibility",
    "FeePolicy",
    "FeeRule",
    "OwnershipShare",
    "PracticeAuthority",
    "RuleBook",
    "RuleChange",
    "RulesDataError",
    "Source",
    "StateRule",
    "Structure",
    "assess_feasibility",
    "assess_structures",
    "condition_costs",
    "deal_warnings",
    "fee_policy",
    "format_matrix",
    "format_rules",
    "known_condition_ids",
    "load_rulebook",
    "lookup",
    "normalise_licence",
    "normalise_state",
    "overlay_key",
    "overlays_from_env",
    "physician_share",
    "read_rulebook",
    "rule_changes",
    "rules_matrix",
    "use_overlays",
]
