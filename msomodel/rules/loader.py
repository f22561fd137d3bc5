"""Read, validate, layer and cache the rules data.

The package data is a directory (``msomodel/rules/data/``): ``common.yaml`` (shared
bibliography, conditions, structures, deal checks) plus one ``states/XX.yaml`` per
jurisdiction. ``read_rulebook(path)`` also accepts a single file holding a whole rule book
(tests, drafts). ``load_rulebook(path=None, *, overlays=None)`` caches the result and layers
override files (an advisor's counsel reading for a client; by default the files
``MSOMODEL_RULES_OVERLAY`` names) over the data; every overlay is validated by the same models
and the merged result by the same checks as the package data.

Every problem is reported as :class:`RulesDataError` naming the file, the dotted path of the
field, what was expected and what was found.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import yaml

from . import cache as disk_cache
from .codes import DEAL_CHECK_CODES, LICENCES, STATE_NAMES
from .records import (
    Condition,
    FeePolicy,
    FeeRule,
    PracticeAuthority,
    RuleBook,
    Source,
    StateRule,
    Structure,
)

if TYPE_CHECKING:  # the pydantic models are imported when a file is validated, not before
    from pydantic import ValidationError

    from .schema import (
        ConditionSpec,
        FeesSpec,
        LicenceRuleSpec,
        PracticeAuthoritySpec,
        RulesFragment,
        SourceRef,
        StateSpec,
    )

DATA_DIR = Path(__file__).with_name("data")
DEFAULT_PATH = DATA_DIR
#: Environment variable every command reads: overlay files separated by os.pathsep.
OVERLAY_ENV = "MSOMODEL_RULES_OVERLAY"


class RulesDataError(ValueError):
    """The rules data is malformed; the message names the file and the field path."""


def _construct_mapping_no_duplicates(loader: yaml.SafeLoader, node: yaml.MappingNode) -> Any:
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


class _StrictLoader(yaml.SafeLoader):
    """Safe loader that rejects duplicate keys in a mapping (PyYAML keeps the last one)."""


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
)

if getattr(yaml, "__with_libyaml__", False):
    class _StrictCLoader(yaml.CSafeLoader):
        """The same on libyaml's C parser (about 10x faster on the states data)."""

    _StrictCLoader.add_constructor(
        yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_no_duplicates
    )
    #: The loader :func:`read_yaml` uses: the C one when PyYAML has libyaml, else the pure one.
    FAST_LOADER: type = _StrictCLoader
else:  # pragma: no cover - PyYAML built without libyaml
    FAST_LOADER = _StrictLoader


def _yaml_message(exc: yaml.YAMLError) -> str:
    """``line L, column C: problem (context, line L, column C)``: the same text from either
    parser (the pure one would add a snippet of the file, the C one has none)."""
    if not isinstance(exc, yaml.MarkedYAMLError):
        return str(exc)
    mark, context_mark = exc.problem_mark, exc.context_mark
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
    text = f"{where}{exc.problem or exc}"
    if exc.context:
        at = (f", line {context_mark.line + 1}, column {context_mark.column + 1}"
              if context_mark and context_mark is not mark else "")
        text += f" ({exc.context}{at})"
    return text


def _dotted(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p != "[key]"]
    # pydantic may name validator wrappers (e.g. "function-after[...]"); they are noise.
    parts = [p for p in parts if "[" not in p]
    return ".".join(parts) or "<top level>"


def _format_validation_error(path: Path, err: ValidationError) -> str:
    lines = [f"{path}: {err.error_count()} problem(s) in the rules data:"]
    seen = set()
    for e in err.errors():
        where = _dotted(tuple(e["loc"]))
        msg = e["msg"].removeprefix("Value error, ")
        found = e.get("input")
        shown = "" if isinstance(found, dict | list) else f" (found {found!r})"
        line = f"  {where}: {msg}{shown}"
        if line not in seen:
            seen.add(line)
            lines.append(line)
    return "\n".join(lines)


def read_yaml(path: Path, *, loader: type | None = None) -> Any:
    """Parse ``path`` with the safe, duplicate-rejecting loader (``loader``: default
    :data:`FAST_LOADER`)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise RulesDataError(f"{path}: cannot read the rules data file: {exc}") from exc
    except UnicodeDecodeError as exc:
        raise RulesDataError(f"{path}: expected UTF-8 text, found binary data ({exc.reason} "
                             f"at byte {exc.start})") from None
    try:
        return yaml.load(text, Loader=loader or FAST_LOADER)  # noqa: S506 - SafeLoader subclasses
    except yaml.YAMLError as exc:
        raise RulesDataError(f"{path}: invalid YAML: {_yaml_message(exc)}") from exc


def read_fragment(path: str | os.PathLike[str]) -> RulesFragment:
    """Read and validate one data or overlay file (no cross-file checks)."""
    from pydantic import ValidationError

    from .schema import RulesFragment

    p = Path(path)
    raw = read_yaml(p)
    if not isinstance(raw, dict):
        raise RulesDataError(f"{p}: <top level>: expected a mapping (found {type(raw).__name__})")
    try:
        return RulesFragment.model_validate(raw)
    except ValidationError as exc:
        raise RulesDataError(_format_validation_error(p, exc)) from None


# --- merging fragments ----------------------------------------------------------------


@dataclass
class _StateParts:
    name: str | None = None
    name_from: str = ""
    last_checked: dt.date | None = None
    fees: FeesSpec | None = None
    fees_from: str = ""
    fee_rules: dict[str, tuple[Any, str]] = field(default_factory=dict)
    authority: dict[str, tuple[list[PracticeAuthoritySpec], str]] = field(default_factory=dict)
    licences: dict[str, tuple[list[LicenceRuleSpec], str, dt.date | None]] = field(
        default_factory=dict
    )


@dataclass
class _Merged:
    bibliography: dict[str, tuple[Any, str]] = field(default_factory=dict)
    conditions: dict[str, tuple[ConditionSpec, str]] = field(default_factory=dict)
    structures: dict[str, tuple[Any, str]] = field(default_factory=dict)
    deal_checks: dict[str, tuple[Any, str]] = field(default_factory=dict)
    states: dict[str, _StateParts] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


def _merge(merged: _Merged, frag: RulesFragment, origin: str, *, replace: bool) -> None:
    """Layer ``frag`` into ``merged``. Package files may not redefine an id another package
    file defines (``replace=False``); overlays replace whole items (``replace=True``)."""
    for section in ("bibliography", "conditions", "structures", "deal_checks"):
        target = getattr(merged, section)
        for key, value in getattr(frag, section).items():
            if key in target and not replace:
                merged.problems.append(
                    f"{origin}: {section}.{key}: already defined in {target[key][1]}"
                )
                continue
            target[key] = (value, origin)
    for code, st in frag.states.items():
        parts = merged.states.get(code)
        if parts is None:
            parts = merged.states[code] = _StateParts()
        elif not replace:
            merged.problems.append(
                f"{origin}: states.{code}: already defined in {parts.name_from or 'another file'}"
            )
            continue
        _merge_state(parts, st, origin)


def _merge_state(parts: _StateParts, st: StateSpec, origin: str) -> None:
    if st.name is not None:
        parts.name, parts.name_from = st.name, origin
    elif not parts.name_from:
        parts.name_from = origin
    if st.last_checked is not None:
        parts.last_checked = st.last_checked
    if st.fees is not None:
        parts.fees, parts.fees_from = st.fees, origin
    for rid, rule in st.fee_rules.items():
        parts.fee_rules[rid] = (rule, origin)
    for lic, recs in st.practice_authority.items():
        parts.authority[lic] = (list(recs), origin)
    for lic, recs in st.licences.items():
        parts.licences[lic] = (list(recs), origin, st.last_checked)


# --- building records -----------------------------------------------------------------


class _Builder:
    def __init__(self, merged: _Merged) -> None:
        self.m = merged
        self.problems = merged.problems

    def sources(self, refs: Iterable[SourceRef], where: str, origin: str) -> tuple[Source, ...]:
        out = []
        for i, ref in enumerate(refs):
            found = self.m.bibliography.get(ref.ref)
            if found is None:
                self.problems.append(
                    f"{origin}: {where}.{i}.ref: no bibliography entry with this id "
                    f"(found {ref.ref!r})"
                )
                continue
            entry = found[0]
            out.append(Source(citation=entry.citation, says=ref.says, url=entry.url,
                              kind=entry.kind))
        return tuple(out)

    def conditions(self, ids: Iterable[str], where: str, origin: str) -> tuple[Condition, ...]:
        out = []
        for i, cid in enumerate(ids):
            found = self.m.conditions.get(cid)
            if found is None:
                self.problems.append(
                    f"{origin}: {where}.{i}: no entry with this id under conditions "
                    f"(found {cid!r})"
                )
                continue
            out.append(_condition(cid, found[0]))
        return tuple(out)

    def periods(self, recs: Sequence[Any], where: str, origin: str) -> None:
        """Dated records must be in date order, not overlap, and leave no gap."""
        for i, rec in enumerate(recs):
            if i == 0 and rec.effective_from is not None:
                self.problems.append(
                    f"{origin}: {where}.0.effective_from: the first record must be open at the "
                    f"start (leave effective_from out) so every date has an answer "
                    f"(found {rec.effective_from})"
                )
            if i == len(recs) - 1 and rec.effective_to is not None:
                self.problems.append(
                    f"{origin}: {where}.{i}.effective_to: the last record must be open at the "
                    f"end (leave effective_to out) so every date has an answer "
                    f"(found {rec.effective_to})"
                )
            if i == 0:
                continue
            prev = recs[i - 1]
            if rec.effective_from is None:
                self.problems.append(
                    f"{origin}: {where}.{i}.effective_from: needed on every record after the "
                    "first"
                )
                continue
            if prev.effective_to is None:
                self.problems.append(
                    f"{origin}: {where}.{i - 1}.effective_to: needed because record {i} "
                    f"starts on {rec.effective_from}"
                )
                continue
            if prev.effective_to >= rec.effective_from:
                self.problems.append(
                    f"{origin}: {where}.{i}.effective_from: periods overlap: record {i - 1} "
                    f"runs to {prev.effective_to}, record {i} starts on {rec.effective_from}"
                )
            elif prev.effective_to + dt.timedelta(days=1) != rec.effective_from:
                self.problems.append(
                    f"{origin}: {where}.{i}.effective_from: gap between periods: record "
                    f"{i - 1} ends on {prev.effective_to}, record {i} starts on "
                    f"{rec.effective_from} (expected {prev.effective_to + dt.timedelta(days=1)})"
                )


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


def _build(
    label: str, merged: _Merged, *, require_all: bool, overlays: tuple[str, ...] = ()
) -> RuleBook:
    b = _Builder(merged)
    periods: dict[tuple[str, str], tuple[StateRule, ...]] = {}
    authority: dict[tuple[str, str], tuple[PracticeAuthority, ...]] = {}
    fees: dict[str, FeePolicy] = {}
    fee_rules: dict[str, tuple[FeeRule, ...]] = {}
    if require_all:
        missing = [c for c in STATE_NAMES if c not in merged.states]
        if missing:
            b.problems.append(
                f"{label}: states: no data for {', '.join(sorted(missing))} (every state and "
                "DC must answer)"
            )
    for code, parts in sorted(merged.states.items()):
        name = STATE_NAMES[code]
        if parts.name is not None and parts.name != name:
            b.problems.append(
                f"{parts.name_from}: states.{code}.name: expected {name!r} (found {parts.name!r})"
            )
        if parts.fees is None:
            from .schema import FeesSpec

            b.problems.append(f"{parts.name_from}: states.{code}.fees: missing")
            spec = FeesSpec()
            fees_from = parts.name_from
        else:
            spec, fees_from = parts.fees, parts.fees_from
        fees[code] = FeePolicy(
            state=code,
            fee_splitting=spec.fee_splitting,
            percentage_fee_risk=spec.percentage_fee_risk,
            commission_is_fee_splitting=spec.commission_is_fee_splitting,
            sources=b.sources(spec.sources, f"states.{code}.fees.sources", fees_from),
            notes=spec.notes,
        )
        fee_rules[code] = tuple(
            FeeRule(
                id=rid,
                state=code,
                title=r.title,
                fee_types=tuple(r.fee_types),
                severity=r.severity,
                rule=r.rule,
                sources=b.sources(r.sources, f"states.{code}.fee_rules.{rid}.sources", origin),
                effective_from=r.effective_from,
                effective_to=r.effective_to,
            )
            for rid, (r, origin) in parts.fee_rules.items()
        )
        for lic, (recs, origin) in parts.authority.items():
            where = f"states.{code}.practice_authority.{lic}"
            b.periods(recs, where, origin)
            authority[(code, lic)] = tuple(
                PracticeAuthority(
                    value=r.value,
                    sources=b.sources(r.sources, f"{where}.{i}.sources", origin),
                    effective_from=r.effective_from,
                    effective_to=r.effective_to,
                    notes=r.notes,
                )
                for i, r in enumerate(recs)
            )
        if "np" not in parts.authority and require_all:
            b.problems.append(
                f"{parts.name_from}: states.{code}.practice_authority.np: missing (record the "
                "NP's practice authority, or 'unknown' with a source)"
            )
        missing_lic = [lic for lic in LICENCES if lic not in parts.licences]
        if missing_lic:
            b.problems.append(
                f"{parts.name_from}: states.{code}.licences: missing records for: "
                f"{', '.join(missing_lic)}"
            )
        for lic, (recs, origin, file_checked) in parts.licences.items():
            where = f"states.{code}.licences.{lic}"
            b.periods(recs, where, origin)
            built = []
            for i, spec_r in enumerate(recs):
                w = f"{where}.{i}" if len(recs) > 1 else where
                built.append(_rule(b, code, name, lic, spec_r, w, origin,
                                   spec_r.last_checked or file_checked or parts.last_checked))
            periods[(code, lic)] = tuple(built)
    structures = {
        sid: Structure(
            id=sid,
            description=s.description,
            conditions=b.conditions(s.conditions, f"structures.{sid}.conditions", origin),
            sources=b.sources(s.sources, f"structures.{sid}.sources", origin),
        )
        for sid, (s, origin) in merged.structures.items()
    }
    if "owned_mso_friendly_pc" not in structures:
        b.problems.append(
            f"{label}: structures.owned_mso_friendly_pc: missing (needed for the owned MSO)"
        )
    deal_checks = {
        code: b.sources(spec.sources, f"deal_checks.{code}.sources", origin)
        for code, (spec, origin) in merged.deal_checks.items()
    }
    missing_checks = [c for c in DEAL_CHECK_CODES if c not in deal_checks]
    if missing_checks:
        b.problems.append(
            f"{label}: deal_checks: missing sources for: {', '.join(missing_checks)}"
        )
    if b.problems:
        raise RulesDataError(
            f"{label}: {len(b.problems)} problem(s) in the rules data:\n  "
            + "\n  ".join(b.problems)
        )
    return RuleBook(
        path=label,
        periods=MappingProxyType(periods),
        fees=MappingProxyType(fees),
        structures=MappingProxyType(structures),
        deal_checks=MappingProxyType(deal_checks),
        conditions=MappingProxyType(
            {cid: _condition(cid, spec) for cid, (spec, _) in merged.conditions.items()}
        ),
        fee_rules=MappingProxyType(fee_rules),
        practice_authority=MappingProxyType(authority),
        overlays=overlays,
        bibliography_size=len(merged.bibliography),
    )


def _rule(
    b: _Builder,
    code: str,
    name: str,
    lic: str,
    spec: LicenceRuleSpec,
    where: str,
    origin: str,
    checked: dt.date | None,
) -> StateRule:
    conds = b.conditions(spec.conditions, f"{where}.conditions", origin)
    pc_conds = b.conditions(spec.friendly_pc_conditions, f"{where}.friendly_pc_conditions",
                            origin)
    if checked is None:
        b.problems.append(
            f"{origin}: {where}.last_checked: missing (give it on the record or the state)"
        )
    kinds = {c.kind for c in conds}
    if spec.ownership == "with_licence" and "clinic_licence" not in kinds:
        b.problems.append(
            f"{origin}: {where}.conditions: ownership 'with_licence' needs a clinic_licence "
            "condition"
        )
    if spec.ownership == "co_own" and "physician_co_owner" not in kinds:
        b.problems.append(
            f"{origin}: {where}.conditions: ownership 'co_own' needs a physician_co_owner "
            "condition"
        )
    if lic == "physician" and spec.ownership in ("minority_share", "mso_required", "co_own"):
        b.problems.append(
            f"{origin}: {where}.ownership: a physician owner cannot be {spec.ownership!r}"
        )
    return StateRule(
        state=code,
        state_name=name,
        licence=lic,
        ownership=spec.ownership,
        mso_required=spec.implied_mso_required,
        conditions=conds,
        sources=b.sources(spec.sources, f"{where}.sources", origin),
        confidence=spec.confidence,
        last_checked=checked,
        notes=spec.notes,
        min_physician_share=spec.min_physician_share,
        confidence_reason=spec.confidence_reason,
        readings=tuple(spec.readings),
        friendly_pc_conditions=pc_conds,
        effective_from=spec.effective_from,
        effective_to=spec.effective_to,
        origin=origin,
    )


def _package_files(directory: Path) -> list[Path]:
    common = directory / "common.yaml"
    states = sorted((directory / "states").glob("*.yaml"))
    files = [common] if common.exists() else []
    if not files:
        raise RulesDataError(f"{directory}: no common.yaml in the rules data directory")
    return files + states


def _merge_package(files: list[Path]) -> _Merged:
    merged = _Merged()
    for f in files:
        frag = read_fragment(f)
        if f.parent.name == "states":
            expected = f.stem.upper()
            if set(frag.states) != {expected}:
                merged.problems.append(
                    f"{f}: states: a file states/{f.name} must define exactly states.{expected} "
                    f"(found {', '.join(frag.states) or 'none'})"
                )
        _merge(merged, frag, str(f), replace=False)
    return merged


def read_rulebook(
    path: str | os.PathLike[str],
    *,
    overlays: Sequence[str | os.PathLike[str]] = (),
    require_all_jurisdictions: bool | None = None,
) -> RuleBook:
    """Read and validate rules data without caching; raise :class:`RulesDataError`.

    ``path`` is a data directory (``common.yaml`` + ``states/*.yaml``) or a single file with
    a whole rule book. ``overlays`` are layered on top, in order. Every jurisdiction must
    answer when ``require_all_jurisdictions`` is true (default: true for a directory).
    """
    p = Path(path)
    if p.is_dir():
        merged = _merge_package(_package_files(p))
        require = True if require_all_jurisdictions is None else require_all_jurisdictions
    else:
        merged = _Merged()
        _merge(merged, read_fragment(p), str(p), replace=False)
        require = bool(require_all_jurisdictions)
    names = []
    for ov in overlays:
        op = Path(ov)
        frag = read_fragment(op)
        _merge(merged, frag, f"{op} (overlay)", replace=True)
        names.append(str(op))
    return _build(str(p), merged, require_all=require, overlays=tuple(names))


def overlay_key(overlays: Sequence[str | os.PathLike[str]]) -> tuple[tuple[Path, int, int], ...]:
    """The overlays as a cache key: each resolved path with its modification time and size, so
    an overlay edited during a session (the explorer, a notebook) is read again, not served from
    the cache. A file that cannot be stat'ed keys as (-1, -1); reading it reports the error."""
    out = []
    for o in overlays:
        p = Path(o).resolve()
        try:
            st = p.stat()
            out.append((p, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append((p, -1, -1))
    return tuple(out)


@functools.lru_cache(maxsize=16)
def _cached(path: Path, versions: tuple[tuple[Path, int, int], ...]) -> RuleBook:
    """Once per process and overlay version (:func:`overlay_key`); across processes from the
    user's cache folder (see :mod:`msomodel.rules.cache`), keyed by the hash of every file read
    and of this code."""
    overlays = tuple(v[0] for v in versions)
    files = _package_files(path) if path.is_dir() else [path]
    key = disk_cache.key([*files, *overlays], label=(str(path), *map(str, overlays)))
    found = disk_cache.get(key) if key else None
    if found is None:
        found = read_rulebook(path, overlays=overlays)
        if key:
            disk_cache.put(key, found)
    return found


def load_rulebook(
    path: str | os.PathLike[str] | None = None,
    *,
    overlays: Sequence[str | os.PathLike[str]] | None = None,
) -> RuleBook:
    """Return the validated rule book, read once per path and overlay list (and again when an
    overlay file changes), and cached.

    With no ``path`` the bundled data directory (``msomodel/rules/data``) is used.
    ``overlays`` are override files (e.g. counsel's reading for one client) in the same
    format as the package files, validated the same way and layered on top in order: an
    overlay replaces whole items (a license's records, a condition, a fee rule).  Default:
    the files ``MSOMODEL_RULES_OVERLAY`` names (:func:`overlays_from_env`), so that every
    command (``compare``, ``report``, ``validate``, ``rules``) applies an advisor's overlay;
    ``()`` for the package data alone.  The result is immutable, so sharing the cached object
    is safe.
    """
    base = Path(path).resolve() if path is not None else DEFAULT_PATH
    if overlays is None:
        overlays = overlays_from_env()
    return _cached(base, overlay_key(overlays))


def use_overlays(setting: str | None) -> None:
    """Set this process's overlays (``MSOMODEL_RULES_OVERLAY``) from a report notebook's
    ``rules_overlay`` parameter: ``None`` leaves the environment as it is; a string (files
    separated by ``os.pathsep``, ``""`` for none) replaces it. ``msomodel report`` always passes
    its own setting, so a report rendered on a Dask worker uses the overlays of the batch that
    asked for it, not the worker's."""
    if setting is None:
        return
    if setting.strip():
        os.environ[OVERLAY_ENV] = setting
    else:
        os.environ.pop(OVERLAY_ENV, None)


def overlays_from_env(environ: dict[str, str] | None = None) -> tuple[str, ...]:
    """Overlay paths named by ``MSOMODEL_RULES_OVERLAY`` (``os.pathsep``-separated)."""
    env = os.environ if environ is None else environ
    raw = env.get(OVERLAY_ENV, "")
    return tuple(p for p in raw.split(os.pathsep) if p.strip())
