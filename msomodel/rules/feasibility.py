"""Look up ownership rules and decide which legal structures are open to an owner.

Pure functions over the validated :class:`RuleBook`; no I/O beyond the cached loader.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from .codes import (
    LICENCE_LABELS,
    MSO_KINDS,
    OWNERSHIP_LABELS,
    STATE_NAMES,
    normalise_licence,
    normalise_state,
)
from .loader import load_rulebook
from .records import (
    Feasibility,
    FeePolicy,
    OwnershipShare,
    RuleBook,
    RuleChange,
    Source,
    StateRule,
)

UNKNOWN_NOTE = "unknown: consult counsel"
CONTESTED_NOTE = "contested: consult counsel"
_NO_DATA_SOURCE = Source(
    citation="msomodel rules data (msomodel/rules/data)",
    says="No rule is recorded for this state and license on this date.",
    kind="project",
)


def _day(on: dt.date | None) -> dt.date:
    if on is not None and not isinstance(on, dt.date):
        raise ValueError(f"on must be a date (YYYY-MM-DD); found {on!r}")
    return on or dt.date.today()


def lookup(
    state: str, licence: str, *, on: dt.date | None = None, rulebook: RuleBook | None = None
) -> StateRule:
    """Return the ownership rule for an owner with ``licence`` in ``state`` on date ``on``.

    ``state`` is a two-letter code or a state name, ``licence`` a code or a full name, any
    case; ``on`` defaults to today. The record carries the practice authority in force on
    that date (NP and PA records), kept apart from the ownership answer. Data that does not
    cover the state gives a synthetic record with ownership ``unknown``, confidence ``low``
    and the note "unknown: consult counsel" -- never a guess. Raises ``ValueError`` for an
    unknown license or text that is not a US state or DC.
    """
    lic = normalise_licence(licence)
    code = normalise_state(state)
    day = _day(on)
    book = rulebook or load_rulebook()
    rule = book.rule(code, lic, day)
    if rule is not None:
        authority = book.authority(code, lic, day)
        if authority is not None:
            rule = dataclasses.replace(rule, practice_authority=authority)
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
        confidence_reason="No record in the data.",
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
    Raises ``ValueError`` for unknown licenses, shares outside [0, 1] or a total above 1.
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


def _feas(status: str, reasons: list[str], rule: StateRule, conditions=()) -> Feasibility:
    return Feasibility(
        status=status,
        reasons=reasons,
        conditions=list(conditions),
        sources=list(rule.sources),
        ownership=rule.ownership,
        confidence=rule.confidence,
    )


def _with_status(reasons: list[str], rule: StateRule, *, force_conditions: bool) -> Feasibility:
    conds = list(rule.conditions)
    status = "feasible_with_conditions" if conds or force_conditions else "feasible"
    return _feas(status, reasons, rule, conds)


def _owner_owns_practice(rule: StateRule, ownership: Iterable[Any] | None) -> Feasibility:
    """Feasibility when the owner keeps ownership of the medical practice itself."""
    who = LICENCE_LABELS[rule.licence]
    where = rule.state_name
    match rule.ownership:
        case "yes":
            return _with_status(
                [f"A {who} may own a med spa in {where} outright ({OWNERSHIP_LABELS['yes']})."],
                rule,
                force_conditions=False,
            )
        case "with_licence":
            return _with_status(
                [
                    f"A {who} may own a med spa in {where} if the business holds the required "
                    "facility/clinic license (a conditional route; see the conditions)."
                ],
                rule,
                force_conditions=True,
            )
        case "co_own":
            if ownership is not None and physician_share(ownership) <= 0.0:
                return _feas(
                    "infeasible",
                    [
                        f"In {where} a {who} may own the practice only together with a "
                        "physician (co-own with physicians); the ownership split gives "
                        "physicians no share."
                    ],
                    rule,
                )
            return _with_status(
                [
                    f"In {where} a {who} may own the practice only together with a physician "
                    "co-owner (co-own with physicians)."
                ],
                rule,
                force_conditions=True,
            )
        case "minority_share":
            need = rule.min_physician_share
            rule_text = f"at least {need:.0%}" if need is not None else "more than half"
            if ownership is None:
                return _feas(
                    "infeasible",
                    [
                        f"In {where} a {who} may hold a minority stake only; physicians must "
                        f"own {rule_text}. Give an ownership split to check a shared practice."
                    ],
                    rule,
                )
            share = physician_share(ownership)
            ok = share >= need if need is not None else share > 0.5
            if not ok:
                return _feas(
                    "infeasible",
                    [
                        f"In {where} physicians must own {rule_text} of the practice (minority "
                        f"stake only for a {who}); the ownership split gives them {share:.0%}."
                    ],
                    rule,
                )
            return _with_status(
                [
                    f"In {where} a {who} may hold a minority stake only; the ownership split "
                    f"gives physicians {share:.0%}, which meets the required majority."
                ],
                rule,
                force_conditions=False,
            )
        case "mso_required":
            return _feas(
                "infeasible",
                [
                    f"In {where} a {who} may not own the medical practice: must use owned MSO "
                    "+ friendly PC (an MSO you own, managing a physician-owned PC)."
                ],
                rule,
            )
        case "contested":
            readings = ", ".join(OWNERSHIP_LABELS[r] for r in rule.readings)
            return _with_status(
                [
                    f"Warning: sources disagree on whether a {who} may own a med spa in {where}"
                    + (f" (readings: {readings})" if readings else "")
                    + f". {_cite(rule.sources)}. Confirm with counsel licensed in {where} "
                    "before relying on this option."
                ],
                rule,
                force_conditions=True,
            )
    return _feas(
        "unknown",
        [f"No reliable rule is recorded for a {who} in {where}: {UNKNOWN_NOTE}."],
        rule,
    )


def _contested(found: Feasibility, rule: StateRule) -> Feasibility:
    """A contested or low-confidence lawful answer reads 'contested', never plain feasible."""
    if found.status in ("feasible", "feasible_with_conditions") and (
        rule.ownership == "contested" or rule.confidence == "low"
    ):
        reasons = list(found.reasons)
        why = (
            "sources disagree"
            if rule.ownership == "contested"
            else f"confidence is low ({rule.confidence_reason.rstrip('.')})"
        )
        reasons.append(f"{CONTESTED_NOTE}: {why}.")
        return dataclasses.replace(found, status="contested", reasons=reasons)
    return found


def _friendly_pc(rule: StateRule, book: RuleBook, direct: Feasibility) -> Feasibility:
    if rule.ownership == "unknown":
        return _feas(
            "unknown",
            [
                f"No reliable rule is recorded for a {LICENCE_LABELS[rule.licence]} in "
                f"{rule.state_name}: {UNKNOWN_NOTE}."
            ],
            rule,
        )
    structure = book.structures["owned_mso_friendly_pc"]
    usual = direct.status == "infeasible" or rule.mso_required
    reasons = [
        "You own the MSO and a physician owns the PC that holds the medical side"
        + (
            f"; this is the usual structure for a {LICENCE_LABELS[rule.licence]} in "
            f"{rule.state_name}."
            if usual
            else f"; optional in {rule.state_name}, where the owner may also own the practice."
        )
    ]
    if rule.ownership == "contested":
        reasons.append(
            f"Sources disagree about direct ownership ({_cite(rule.sources)}); this "
            "structure also fits the stricter reading, but confirm with counsel."
        )
    if rule.friendly_pc_conditions:
        reasons.append(
            f"{rule.state_name} limits what the MSO may control in this period: "
            + "; ".join(c.description.rstrip(".") for c in rule.friendly_pc_conditions)
            + "."
        )
    return Feasibility(
        "feasible_with_conditions",
        reasons,
        list(structure.conditions) + list(rule.friendly_pc_conditions),
        list(rule.sources) + list(structure.sources),
        ownership=rule.ownership,
        confidence=rule.confidence,
    )


def assess_feasibility(
    state: str,
    licence: str,
    *,
    ownership: Iterable[OwnershipShare | Mapping[str, Any]] | None = None,
    mso_kind: str,
    mso_provides_friendly_pc: bool = False,
    on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> dict[str, Feasibility]:
    """Say which of ``self_managed``, ``mso`` and ``software_only`` the owner may choose.

    Kept for callers of the earlier option model; new code should call
    :func:`assess_structures`. Self-managed and software-only are the ``direct`` structure
    (before the low-confidence/contested upgrade, so statuses stay within ``feasible``,
    ``feasible_with_conditions``, ``infeasible`` and ``unknown``). ``mso_kind="owned"``
    (or a third-party MSO that supplies the PC) is the ``friendly_pc`` structure wherever an
    MSO is or may be required, and otherwise follows the owner-owns-practice rule.
    """
    if mso_kind not in MSO_KINDS:
        raise ValueError(f"unknown mso_kind {mso_kind!r}: expected one of {', '.join(MSO_KINDS)}")
    book = rulebook or load_rulebook()
    rule = lookup(state, licence, on=on, rulebook=book)
    shares = list(ownership) if ownership is not None else None
    self_managed = _owner_owns_practice(rule, shares)
    software_only = _owner_owns_practice(rule, shares)
    if mso_kind == "owned" or mso_provides_friendly_pc:
        if rule.ownership != "unknown" and rule.mso_required is False:
            mso = _owner_owns_practice(rule, shares)
            mso.reasons.append(
                "No MSO is required here; an owned MSO is optional and the owner may also own "
                "the practice."
            )
        else:
            mso = _friendly_pc(rule, book, self_managed)
            if rule.ownership == "contested":
                mso.reasons[1] = "Warning: " + mso.reasons[1]
        if mso_kind == "third_party":
            mso.reasons.insert(0, "The third-party MSO supplies the physician-owned PC.")
    else:
        mso = _owner_owns_practice(rule, shares)
        if mso.status == "infeasible":
            mso.reasons.append(
                "A third-party MSO alone does not change who owns the practice; it would need "
                "to supply a physician-owned PC."
            )
    return {"self_managed": self_managed, "mso": mso, "software_only": software_only}


#: The legal structures an owner can operate under (see :func:`assess_structures`).
STRUCTURES: tuple[str, ...] = ("direct", "friendly_pc")


def assess_structures(
    state: str,
    licence: str,
    *,
    ownership: Iterable[OwnershipShare | Mapping[str, Any]] | None = None,
    on: dt.date | None = None,
    rulebook: RuleBook | None = None,
) -> dict[str, Feasibility]:
    """Which legal structures are open to the owner on date ``on``: ``direct`` and
    ``friendly_pc``.

    ``direct``: the owner (or the ownership split) owns the clinical entity. Its reasons
    say which answer applies -- owns outright, owns outright with a facility/clinic license,
    co-own with physicians, minority stake only (checked against the split and
    ``min_physician_share``), or must use owned MSO + friendly PC (then ``infeasible``).
    ``friendly_pc``: an MSO owned by the owner manages a physician-owned PC under a
    management services agreement; lawful with the structure's conditions (plus any the
    state adds for the period) wherever anything is known.

    Each value's ``status`` is ``feasible``, ``feasible_with_conditions``, ``contested``
    (sources disagree, or low confidence: consult counsel; never shown as feasible),
    ``unknown`` or ``infeasible``. ``on`` defaults to today.
    """
    book = rulebook or load_rulebook()
    rule = lookup(state, licence, on=on, rulebook=book)
    shares = list(ownership) if ownership is not None else None
    base = _owner_owns_practice(rule, shares)
    direct = _contested(base, rule)
    friendly = _friendly_pc(rule, book, base)
    return {"direct": direct, "friendly_pc": friendly}


def _label(rule: StateRule) -> str:
    text = OWNERSHIP_LABELS[rule.ownership]
    if rule.ownership == "minority_share" and rule.min_physician_share is not None:
        text += f" (physicians at least {rule.min_physician_share:.0%})"
    if rule.ownership == "contested" and rule.readings:
        text += " (" + " / ".join(OWNERSHIP_LABELS[r] for r in rule.readings) + ")"
    return text


def rule_changes(
    state: str,
    licence: str,
    start: dt.date,
    end: dt.date,
    *,
    rulebook: RuleBook | None = None,
) -> list[RuleChange]:
    """Every dated change of the answer for ``state`` and ``licence`` strictly after
    ``start`` and up to ``end`` (inclusive), in date order.

    A change is a new ownership record (answer, conditions or the friendly-PC route's
    conditions), a new practice-authority record, or a state fee rule that starts or ends.
    Each :class:`RuleChange` has the date the new rule first applies, labels of the answer
    before and after, the ``direct`` structure's status either side, and the sources of the
    new rule. Raises ``ValueError`` if ``end`` is before ``start``.
    """
    if end < start:
        raise ValueError(f"end ({end}) is before start ({start})")
    lic = normalise_licence(licence)
    code = normalise_state(state)
    book = rulebook or load_rulebook()
    out: list[RuleChange] = []

    def within(day: dt.date | None) -> bool:
        return day is not None and start < day <= end

    recs = book.periods.get((code, lic), ())
    for prev, rec in zip(recs, recs[1:], strict=False):
        day = rec.effective_from
        if not within(day):
            continue
        before = assess_structures(code, lic, on=day - dt.timedelta(days=1), rulebook=book)
        after = assess_structures(code, lic, on=day, rulebook=book)
        parts = []
        if prev.ownership != rec.ownership or prev.readings != rec.readings:
            parts.append(f"ownership: {_label(prev)} -> {_label(rec)}")
        if {c.id for c in prev.conditions} != {c.id for c in rec.conditions}:
            parts.append(
                "conditions: "
                + (", ".join(c.id for c in prev.conditions) or "none")
                + " -> "
                + (", ".join(c.id for c in rec.conditions) or "none")
            )
        if {c.id for c in prev.friendly_pc_conditions} != {
            c.id for c in rec.friendly_pc_conditions
        }:
            parts.append(
                "friendly-PC route adds: "
                + (", ".join(c.id for c in rec.friendly_pc_conditions) or "nothing")
            )
        if before["direct"].status != after["direct"].status:
            parts.append(
                f"direct structure: {before['direct'].status} -> {after['direct'].status}"
            )
        if not parts:
            parts.append(f"the record is re-dated ({rec.confidence} confidence)")
        out.append(
            RuleChange(
                date=day,
                state=code,
                licence=lic,
                kind="ownership",
                before=_label(prev),
                after=_label(rec),
                summary=f"{rec.state_name}, {LICENCE_LABELS[lic]}, from {day}: "
                + "; ".join(parts)
                + ".",
                sources=rec.sources,
                before_status=before["direct"].status,
                after_status=after["direct"].status,
            )
        )
    auth = book.practice_authority.get((code, lic), ())
    for prev_a, rec_a in zip(auth, auth[1:], strict=False):
        day = rec_a.effective_from
        if within(day) and prev_a.value != rec_a.value:
            status = assess_structures(code, lic, on=day, rulebook=book)["direct"].status
            out.append(
                RuleChange(
                    date=day,
                    state=code,
                    licence=lic,
                    kind="practice_authority",
                    before=f"practice authority {prev_a.value}",
                    after=f"practice authority {rec_a.value}",
                    summary=f"{STATE_NAMES[code]}, {LICENCE_LABELS[lic]}, from {day}: practice "
                    f"authority {prev_a.value} -> {rec_a.value}. This does not by itself "
                    f"change who may own the practice (direct structure stays {status}).",
                    sources=rec_a.sources,
                    before_status=status,
                    after_status=status,
                )
            )
    for fr in book.fee_rules.get(code, ()):
        if within(fr.effective_from):
            out.append(
                RuleChange(
                    date=fr.effective_from,
                    state=code,
                    licence=lic,
                    kind="fee_rule",
                    before="no such fee rule",
                    after=fr.title,
                    summary=f"{STATE_NAMES[code]}, from {fr.effective_from}: {fr.title} -- "
                    f"{fr.rule}",
                    sources=fr.sources,
                )
            )
        if fr.effective_to is not None and within(fr.effective_to + dt.timedelta(days=1)):
            out.append(
                RuleChange(
                    date=fr.effective_to + dt.timedelta(days=1),
                    state=code,
                    licence=lic,
                    kind="fee_rule",
                    before=fr.title,
                    after="no such fee rule",
                    summary=f"{STATE_NAMES[code]}: {fr.title} ends on {fr.effective_to}.",
                    sources=fr.sources,
                )
            )
    out.sort(key=lambda c: (c.date, c.kind))
    return out
