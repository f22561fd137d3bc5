"""Look up ownership rules and decide which operating options are open to an owner.

Pure functions over the validated :class:`RuleBook`; no I/O beyond the cached loader.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .codes import (
    LICENCE_LABELS,
    MSO_KINDS,
    STATE_NAMES,
    normalise_licence,
    normalise_state,
)
from .loader import load_rulebook
from .records import Feasibility, FeePolicy, OwnershipShare, RuleBook, Source, StateRule

UNKNOWN_NOTE = "unknown: consult counsel"
_NO_DATA_SOURCE = Source(
    citation="msomodel rules data (msomodel/rules/states.yaml)",
    says="No rule is recorded for this state.",
)


def lookup(state: str, licence: str, *, rulebook: RuleBook | None = None) -> StateRule:
    """Return the ownership rule for an owner with ``licence`` in ``state``.

    ``state`` is a two-letter code or a state name, any case. A state the data does not
    cover gives a synthetic record with ownership ``unknown``, confidence ``low`` and the
    note "unknown: consult counsel" -- never a guess. Raises ``ValueError`` for a licence
    outside :data:`LICENCES` or text that is not a US state or DC.
    """
    lic = normalise_licence(licence)
    code = normalise_state(state)
    book = rulebook or load_rulebook()
    rule = book.rules.get((code, lic))
    if rule is not None:
        return rule
    return StateRule(
        state=code,
        state_name=STATE_NAMES[code],
        licence=lic,
        ownership="unknown",
        mso_required=None,
        conditions=(),
        sources=(_NO_DATA_SOURCE,),
        confidence="low",
        last_checked=None,
        notes=UNKNOWN_NOTE,
        in_data=False,
    )


def fee_policy(state: str, *, rulebook: RuleBook | None = None) -> FeePolicy:
    """Return the state's fee-splitting fields; all ``unknown`` for a state not in the data."""
    code = normalise_state(state)
    book = rulebook or load_rulebook()
    policy = book.fees.get(code)
    if policy is not None:
        return policy
    return FeePolicy(
        state=code,
        fee_splitting="unknown",
        percentage_fee_risk=None,
        commission_is_fee_splitting="unknown",
        sources=(_NO_DATA_SOURCE,),
        notes=UNKNOWN_NOTE,
    )


def physician_share(ownership: Iterable[OwnershipShare | Mapping[str, Any]]) -> float:
    """Return the physicians' total share [fraction] of an ownership split.

    Each item is an :class:`OwnershipShare` or a mapping with ``licence`` and ``share``.
    Raises ``ValueError`` for unknown licences, shares outside [0, 1] or a total above 1.
    """
    total = 0.0
    physicians = 0.0
    for item in ownership:
        if isinstance(item, Mapping):
            lic, share = item["licence"], item["share"]
        else:
            lic, share = item.licence, item.share
        lic = normalise_licence(lic)
        share = float(share)
        if not 0.0 <= share <= 1.0:
            raise ValueError(f"ownership share must be a fraction in [0, 1]; found {share!r}")
        total += share
        if lic == "physician":
            physicians += share
    if total > 1.0 + 1e-9:
        raise ValueError(f"ownership shares add up to {total:.4g}, more than 1")
    return physicians


def _cite(sources: Iterable[Source]) -> str:
    return "; ".join(f"{s.citation} says: {s.says.rstrip('.')}" for s in sources)


def _with_status(reasons: list[str], rule: StateRule, *, force_conditions: bool) -> Feasibility:
    conds = list(rule.conditions)
    status = "feasible_with_conditions" if conds or force_conditions else "feasible"
    return Feasibility(status=status, reasons=reasons, conditions=conds, sources=list(rule.sources))


def _owner_owns_practice(rule: StateRule, ownership: Iterable[Any] | None) -> Feasibility:
    """Feasibility when the owner keeps ownership of the medical practice itself."""
    who = LICENCE_LABELS[rule.licence]
    where = rule.state_name
    match rule.ownership:
        case "yes":
            return _with_status(
                [f"A {who} may own a med spa in {where}."], rule, force_conditions=False
            )
        case "with_licence":
            return _with_status(
                [
                    f"A {who} may own a med spa in {where} if the business holds the required licence."
                ],
                rule,
                force_conditions=True,
            )
        case "minority_share":
            need = rule.min_physician_share
            rule_text = f"at least {need:.0%}" if need is not None else "more than half"
            if ownership is None:
                return Feasibility(
                    "infeasible",
                    [
                        f"In {where} a {who} may hold only a minority share; physicians must own "
                        f"{rule_text}. Give an ownership split to check a shared practice."
                    ],
                    [],
                    list(rule.sources),
                )
            share = physician_share(ownership)
            ok = share >= need if need is not None else share > 0.5
            if not ok:
                return Feasibility(
                    "infeasible",
                    [
                        f"In {where} physicians must own {rule_text} of the practice; the "
                        f"ownership split gives them {share:.0%}."
                    ],
                    [],
                    list(rule.sources),
                )
            return _with_status(
                [
                    f"In {where} a {who} may hold a minority share; the ownership split gives "
                    f"physicians {share:.0%}, which meets the required majority."
                ],
                rule,
                force_conditions=False,
            )
        case "mso_required":
            return Feasibility(
                "infeasible",
                [
                    f"In {where} a {who} may not own the medical practice; an MSO owned by you "
                    "with a physician-owned PC is the usual route."
                ],
                [],
                list(rule.sources),
            )
        case "contested":
            return _with_status(
                [
                    f"Warning: sources disagree on whether a {who} may own a med spa in {where}. "
                    f"{_cite(rule.sources)}. Confirm with counsel licensed in {where} before "
                    "relying on this option."
                ],
                rule,
                force_conditions=True,
            )
    return Feasibility(
        "unknown",
        [f"No reliable rule is recorded for a {who} in {where}: {UNKNOWN_NOTE}."],
        [],
        list(rule.sources),
    )


def _owned_mso(rule: StateRule, book: RuleBook, ownership: Iterable[Any] | None) -> Feasibility:
    """Feasibility of the owner's own MSO contracting with a physician-owned PC."""
    if rule.ownership == "unknown":
        return _owner_owns_practice(rule, ownership)
    structure = book.structures["owned_mso_friendly_pc"]
    needs_pc = rule.mso_required is not False
    if not needs_pc:
        own = _owner_owns_practice(rule, ownership)
        own.reasons.append(
            "No MSO is required here; an owned MSO is optional and the owner may also own "
            "the practice."
        )
        return own
    reasons = [
        f"You own the MSO and a physician owns the PC that holds the medical side; this is "
        f"the usual structure for a {LICENCE_LABELS[rule.licence]} in {rule.state_name}."
    ]
    if rule.ownership == "contested":
        reasons.append(
            f"Warning: sources disagree about direct ownership ({_cite(rule.sources)}); this "
            "structure also fits the stricter reading, but confirm with counsel."
        )
    return Feasibility(
        "feasible_with_conditions",
        reasons,
        list(structure.conditions),
        list(rule.sources) + list(structure.sources),
    )


def assess_feasibility(
    state: str,
    licence: str,
    *,
    ownership: Iterable[OwnershipShare | Mapping[str, Any]] | None = None,
    mso_kind: str,
    mso_provides_friendly_pc: bool = False,
    rulebook: RuleBook | None = None,
) -> dict[str, Feasibility]:
    """Say which of ``self_managed``, ``mso`` and ``software_only`` the owner may choose.

    Self-managed and software-only leave the owner owning the medical practice, so they
    follow the owner's licence: ``yes`` is feasible; ``minority_share`` is feasible only if
    ``ownership`` (a list of ``{licence, share}``) gives physicians the required majority;
    ``mso_required`` is infeasible; ``with_licence`` and ``contested`` are feasible with
    conditions (contested adds a warning naming the sources); ``unknown`` stays unknown.

    ``mso_kind="owned"`` (your MSO + a physician-owned PC) is feasible with conditions
    (physician-owned PC, MSA at fair market value, medical director) wherever an MSO is or
    may be required, and otherwise follows the owner-owns-practice rule.
    ``mso_kind="third_party"`` is like self-managed unless ``mso_provides_friendly_pc``,
    in which case it is like ``owned``. Conditions recorded for the state and licence
    attach to each option in which the owner owns the practice; their default costs
    [USD/month, USD one-time] are on each :class:`Condition`.
    """
    if mso_kind not in MSO_KINDS:
        raise ValueError(f"unknown mso_kind {mso_kind!r}: expected one of {', '.join(MSO_KINDS)}")
    book = rulebook or load_rulebook()
    rule = lookup(state, licence, rulebook=book)
    ownership = list(ownership) if ownership is not None else None
    self_managed = _owner_owns_practice(rule, ownership)
    software_only = _owner_owns_practice(rule, ownership)
    if mso_kind == "owned" or mso_provides_friendly_pc:
        mso = _owned_mso(rule, book, ownership)
        if mso_kind == "third_party":
            mso.reasons.insert(0, "The third-party MSO supplies the physician-owned PC.")
    else:
        mso = _owner_owns_practice(rule, ownership)
        if mso.status == "infeasible":
            mso.reasons.append(
                "A third-party MSO alone does not change who owns the practice; it would need "
                "to supply a physician-owned PC."
            )
    return {"self_managed": self_managed, "mso": mso, "software_only": software_only}


#: The legal structures an owner can operate under (see :func:`assess_structures`).
STRUCTURES: tuple[str, ...] = ("direct", "friendly_pc")


def _contested(found: Feasibility, rule: StateRule) -> Feasibility:
    """A contested or low-confidence lawful answer reads 'contested', never plain feasible."""
    if found.status in ("feasible", "feasible_with_conditions") and (
        rule.ownership == "contested" or rule.confidence == "low"
    ):
        return Feasibility("contested", found.reasons, found.conditions, found.sources)
    return found


def assess_structures(
    state: str,
    licence: str,
    *,
    ownership: Iterable[OwnershipShare | Mapping[str, Any]] | None = None,
    rulebook: RuleBook | None = None,
) -> dict[str, Feasibility]:
    """Which legal structures are open to the owner: ``direct`` and ``friendly_pc``.

    ``direct``: the owner (or the ownership split) owns the clinical entity outright;
    follows the owner's licence as :func:`assess_feasibility` describes for self-managed.
    ``friendly_pc``: an MSO owned by the owner manages a physician-owned PC under a
    management services agreement; lawful with the structure's conditions wherever an MSO
    is or may be required, and also where direct ownership is allowed (then optional).

    Each value's ``status`` is ``feasible``, ``feasible_with_conditions``, ``contested``
    (sources disagree, or low confidence: consult counsel), ``unknown`` or ``infeasible``.
    The management options (in-house, software, third-party MSO) are compared under
    whichever structure is lawful; this function decides only the structure.
    """
    book = rulebook or load_rulebook()
    rule = lookup(state, licence, rulebook=book)
    shares = list(ownership) if ownership is not None else None
    direct = _contested(_owner_owns_practice(rule, shares), rule)
    if rule.ownership == "unknown":
        friendly = Feasibility(
            "unknown",
            [f"No reliable rule is recorded for a {LICENCE_LABELS[rule.licence]} in "
             f"{rule.state_name}: {UNKNOWN_NOTE}."],
            [],
            list(rule.sources),
        )
    else:
        structure = book.structures["owned_mso_friendly_pc"]
        reasons = [
            "You own the MSO and a physician owns the PC that holds the medical side"
            + (
                f"; this is the usual structure for a {LICENCE_LABELS[rule.licence]} in "
                f"{rule.state_name}."
                if direct.status == "infeasible" or rule.mso_required
                else f"; optional in {rule.state_name}, where the owner may also own the practice."
            )
        ]
        if rule.ownership == "contested":
            reasons.append(
                f"Sources disagree about direct ownership ({_cite(rule.sources)}); this "
                "structure also fits the stricter reading, but confirm with counsel."
            )
        friendly = Feasibility(
            "feasible_with_conditions",
            reasons,
            list(structure.conditions),
            list(rule.sources) + list(structure.sources),
        )
    return {"direct": direct, "friendly_pc": friendly}
