"""Read, validate and cache the rules data file.

``load_rulebook()`` reads the bundled ``states.yaml`` once per process; ``load_rulebook(path)``
reads another file (tests, drafts). Every problem is reported as :class:`RulesDataError`
naming the file, the dotted path of the field, what was expected and what was found.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import MappingProxyType
from typing import Any

import yaml
from pydantic import ValidationError

from .codes import DEAL_CHECK_CODES, STATE_NAMES
from .records import Condition, FeePolicy, RuleBook, Source, StateRule, Structure
from .schema import ConditionSpec, RulesFile, SourceRef

DEFAULT_PATH = Path(__file__).with_name("states.yaml")


class RulesDataError(ValueError):
    """The rules data file is malformed; the message names the file and the field path."""


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys in a mapping (PyYAML keeps the last one)."""


def _construct_mapping_no_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> Any:
    seen: dict[Any, yaml.Node] = {}
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            first = seen[key].start_mark.line + 1
            raise yaml.constructor.ConstructorError(
                None,
                None,
                f"duplicate key {key!r} (first defined on line {first})",
                key_node.start_mark,
            )
        seen[key] = key_node
    return loader.construct_mapping(node, deep=True)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
)


def _dotted(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "[key]"]
    return ".".join(parts) or "<top level>"


def _format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} problem(s) in the rules data:"]
    for e in err.errors():
        where = _dotted(tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ")
        found = e.get("input")
        shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
        lines.append(f"  {where}: {msg}{shown}")
    return "\n".join(lines)


def read_yaml(path: Path) -> Any:
    """Parse ``path`` with the safe, duplicate-rejecting loader."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesDataError(f"{path}: cannot read the rules data file: {exc}") from exc
    try:
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise RulesDataError(f"{path}: invalid YAML: {exc}") from exc


class _Resolver:
    """Turns validated specs into result records, checking cross-references on the way."""

    def __init__(self, path: Path, data: RulesFile) -> None:
        self.path = path
        self.data = data
        self.problems: list[str] = []

    def sources(self, refs: list[SourceRef], where: str) -> tuple[Source, ...]:
        out = []
        for i, ref in enumerate(refs):
            entry = self.data.bibliography.get(ref.ref)
            if entry is None:
                self.problems.append(
                    f"{where}.{i}.ref: no bibliography entry with this id (found {ref.ref!r})"
                )
                continue
            out.append(Source(citation=entry.citation, says=ref.says, url=entry.url))
        return tuple(out)

    def conditions(self, ids: list[str], where: str) -> tuple[Condition, ...]:
        out = []
        for i, cid in enumerate(ids):
            spec = self.data.conditions.get(cid)
            if spec is None:
                self.problems.append(
                    f"{where}.{i}: no entry with this id under conditions (found {cid!r})"
                )
                continue
            out.append(_condition(cid, spec))
        return tuple(out)


def _condition(cid: str, spec: ConditionSpec) -> Condition:
    return Condition(
        id=cid,
        kind=spec.kind,
        description=spec.description,
        default_cost_usd_per_month=spec.default_cost_usd_per_month,
        default_cost_usd_one_time=spec.default_cost_usd_one_time,
        cost_source=spec.cost_source,
        cost_is_assumption=spec.cost_is_assumption,
        cost_rationale=spec.cost_rationale,
    )


def _build(path: Path, data: RulesFile) -> RuleBook:
    r = _Resolver(path, data)
    rules: dict[tuple[str, str], StateRule] = {}
    fees: dict[str, FeePolicy] = {}
    for code, st in data.states.items():
        if st.name != STATE_NAMES[code]:
            r.problems.append(
                f"states.{code}.name: expected {STATE_NAMES[code]!r} (found {st.name!r})"
            )
        fees[code] = FeePolicy(
            state=code,
            fee_splitting=st.fee_splitting,
            percentage_fee_risk=st.percentage_fee_risk,
            commission_is_fee_splitting=st.commission_is_fee_splitting,
            sources=r.sources(st.fee_sources, f"states.{code}.fee_sources"),
            notes=st.fee_notes,
        )
        for lic, spec in st.licences.items():
            where = f"states.{code}.licences.{lic}"
            conds = r.conditions(spec.conditions, f"{where}.conditions")
            if spec.ownership == "with_licence" and not any(
                c.kind == "clinic_licence" for c in conds
            ):
                r.problems.append(
                    f"{where}.conditions: ownership 'with_licence' needs a clinic_licence condition"
                )
            rules[(code, lic)] = StateRule(
                state=code,
                state_name=st.name,
                licence=lic,
                ownership=spec.ownership,
                mso_required=spec.mso_required,
                conditions=conds,
                sources=r.sources(spec.sources, f"{where}.sources"),
                confidence=spec.confidence,
                last_checked=spec.last_checked,
                notes=spec.notes,
                min_physician_share=spec.min_physician_share,
            )
    structures = {
        sid: Structure(
            id=sid,
            description=s.description,
            conditions=r.conditions(s.conditions, f"structures.{sid}.conditions"),
            sources=r.sources(s.sources, f"structures.{sid}.sources"),
        )
        for sid, s in data.structures.items()
    }
    if "owned_mso_friendly_pc" not in structures:
        r.problems.append("structures.owned_mso_friendly_pc: missing (needed for the owned MSO)")
    deal_checks = {
        code: r.sources(spec.sources, f"deal_checks.{code}.sources")
        for code, spec in data.deal_checks.items()
    }
    for code in data.deal_checks:
        if code not in DEAL_CHECK_CODES:
            r.problems.append(
                f"deal_checks.{code}: unknown check; expected one of {', '.join(DEAL_CHECK_CODES)}"
            )
    for code in DEAL_CHECK_CODES:
        if code not in data.deal_checks:
            r.problems.append(f"deal_checks.{code}: missing sources for this check")
    if r.problems:
        raise RulesDataError(
            f"{path}: {len(r.problems)} problem(s) in the rules data:\n  " + "\n  ".join(r.problems)
        )
    return RuleBook(
        path=str(path),
        rules=MappingProxyType(rules),
        fees=MappingProxyType(fees),
        structures=MappingProxyType(structures),
        deal_checks=MappingProxyType(deal_checks),
    )


def read_rulebook(path: str | os.PathLike[str]) -> RuleBook:
    """Read and validate a rules data file without caching; raise :class:`RulesDataError`."""
    p = Path(path)
    raw = read_yaml(p)
    if not isinstance(raw, dict):
        raise RulesDataError(f"{p}: <top level>: expected a mapping (found {type(raw).__name__})")
    try:
        data = RulesFile.model_validate(raw)
    except ValidationError as exc:
        raise RulesDataError(_format_validation_error(p, exc)) from None
    return _build(p, data)


@functools.lru_cache(maxsize=8)
def _cached(path: Path) -> RuleBook:
    return read_rulebook(path)


def load_rulebook(path: str | os.PathLike[str] | None = None) -> RuleBook:
    """Return the validated rule book, read once per path and cached.

    With no ``path``, the bundled ``msomodel/rules/states.yaml`` is used. The result is
    immutable, so sharing the cached object is safe.
    """
    return _cached(Path(path).resolve() if path is not None else DEFAULT_PATH)
