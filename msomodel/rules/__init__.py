"""State ownership rules for med spas, shipped as validated data with provenance.

The data lives in ``states.yaml`` next to this file: one record per state and owner
licence (``physician``, ``np``, ``pa``, ``rn``, ``none``), each with its sources, what each
source says, a confidence and the date it was last checked. Nothing here is legal advice;
see :data:`DISCLAIMER`.

Public API::

    load_rulebook(path=None) -> RuleBook
    lookup(state, licence) -> StateRule
    fee_policy(state) -> FeePolicy
    assess_feasibility(state, licence, *, ownership=None, mso_kind,
                       mso_provides_friendly_pc=False) -> dict[str, Feasibility]
    condition_costs(conditions) -> ConditionCosts
    deal_warnings(*, state, fee_type, percent=None, fee_changes_per_year=1,
                  term_months=None, commission_on_medical_services=False,
                  owned_mso_pc_margin=None, percent_band=(0.08, 0.18)) -> list[DealWarning]
    format_rules(state, licence=None) -> str

Costs on :class:`Condition` are ``default_cost_usd_per_month`` [USD/month] and
``default_cost_usd_one_time`` [USD].
"""

from .codes import (
    LICENCES,
    MSO_KINDS,
    OPTIONS,
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
)
from .loader import DEFAULT_PATH, RulesDataError, load_rulebook, read_rulebook
from .records import (
    Condition,
    ConditionCosts,
    DealWarning,
    Feasibility,
    FeePolicy,
    OwnershipShare,
    RuleBook,
    Source,
    StateRule,
    Structure,
    condition_costs,
)
from .text import DISCLAIMER, format_rules

# The brief's name for DealWarning. It shadows the builtin only inside this module's
# namespace, and it is left out of __all__ so `import *` does not shadow it elsewhere.
Warning = DealWarning  # noqa: A001

__all__ = [
    "DEFAULT_PATH",
    "DEFAULT_PERCENT_BAND",
    "DISCLAIMER",
    "FEE_TYPES",
    "LICENCES",
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
    "OwnershipShare",
    "RuleBook",
    "RulesDataError",
    "Source",
    "StateRule",
    "Structure",
    "assess_feasibility",
    "assess_structures",
    "condition_costs",
    "deal_warnings",
    "fee_policy",
    "format_rules",
    "load_rulebook",
    "lookup",
    "normalise_licence",
    "normalise_state",
    "physician_share",
    "read_rulebook",
]
