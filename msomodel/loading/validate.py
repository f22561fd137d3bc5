"""From a file to a validated :class:`~msomodel.scenario.Scenario`, every problem in one pass.

pydantic stops early in two ways: a model's cross-field checks do not run while any of its fields
is invalid, and per-site overrides are only merged once the scenario is valid.  So after the
field errors this module

1. runs the cross-field checks once more, with the offending values set aside (unknown keys
   removed, invalid numbers replaced by a valid one); a check whose model holds a set-aside value
   is not reported (it could be about the stand-in), and
2. merges and checks each site's ``overrides`` against the raw ``site_defaults``, reporting what
   the overrides add to the defaults' own problems;

and it rejects yes/no values where a number is expected (pydantic would read ``true`` as 1).
"""

from __future__ import annotations

import copy
import difflib
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from msomodel.errors import Problem, ScenarioError
from msomodel.loading.messages import (
    Issue,
    bool_issues,
    drop_union_tags,
    issues,
    named,
    render,
    valid_number,
)
from msomodel.loading.tree import Cache, Tree, load_tree
from msomodel.merge import annotate as _annotate
from msomodel.merge import deep_merge
from msomodel.scenario import Scenario, SiteAssumptions
from msomodel.scenario.spelling import BOTH, canonical_keys

#: Keys the loader reads itself (offered in "did you mean" hints at the top level).
_LOADER_KEYS = ("extends",)


#: Most problems listed for one file (a generated file can have thousands of the same one).
MAX_PROBLEMS = 100


def to_problems(file: str, found: list[Issue], marks: dict | None = None) -> list[Problem]:
    """Issues as Problems of ``file``, located with ``marks`` (see :class:`Tree`), deduplicated."""
    out: list[Problem] = []
    seen: set[Problem] = set()
    for issue in found:
        chain, line, column = (), None, None
        at = issue.path
        while marks and at and at not in marks:
            at = at[:-1]
        if marks and at:
            chain, mark = marks[at]
            use_key = issue.key and at == issue.path and mark.key_line is not None
            line, column = (mark.key_line, mark.key_column) if use_key else (mark.line, mark.column)
        problem = Problem(file, render(issue.path), issue.message, tuple(chain), line, column)
        if problem not in seen:
            seen.add(problem)
            out.append(problem)
    # in the order of the files: the scenario's own lines first, then each base's
    out.sort(key=lambda p: (len(p.chain), p.chain, p.line or 0, p.column or 0))
    if len(out) > MAX_PROBLEMS:
        more = len(out) - MAX_PROBLEMS
        out = [*out[:MAX_PROBLEMS], Problem(file, "", f"... and {more} more problem(s) not shown")]
    return out


# --------------------------------------------------------------------------- sites
def not_a_file(path: Path) -> str:
    """What stands at a path that is not a regular file, in words."""
    if path.is_dir():
        return "a folder"
    if path.exists():
        return "a device or pipe, not a file"
    return "no such file"


def _new_item_hint(issue: Issue, defaults: Any) -> str:
    """A required field missing in an override's list item that site_defaults does not have:
    most likely a misspelt name (the override then adds a new item, which needs every field)."""
    path, msg = issue.path, issue.message
    if not (msg.startswith("expected a value (this field is required)") and len(path) >= 3
            and isinstance(defaults, dict) and isinstance(defaults.get(path[0]), list)
            and isinstance(path[1], str)):
        return msg
    item = path[1][1:-1] if path[1].startswith("[") and path[1].endswith("]") else path[1]
    names = [x.get("name") for x in defaults[path[0]] if isinstance(x, dict)]
    if item in names:
        return msg
    near = difflib.get_close_matches(item, [n for n in names if isinstance(n, str)], n=1)
    what = str(path[0]).replace("_", " ").rstrip("s")
    return (f"{msg} ('{item}' is no {what} of site_defaults, so the override adds a new one, "
            f"which needs every field" + (f"; did you mean '{near[0]}'?" if near else "") + ")")


def _site_issues(defaults: Any, sites: list[tuple[Any, dict[str, Any]]], data: Any,
                 ) -> tuple[list[SiteAssumptions], list[dict[str, Any]], list[Issue]]:
    """Each site's merged assumptions, where each value came from, and the overrides' problems.

    ``sites`` holds (index, overrides); ``data`` is the scenario mapping (for naming sites).
    """
    own: set[Issue] = set()
    try:
        if sites:
            SiteAssumptions.model_validate(defaults)
    except ValidationError as exc:
        own = set(issues(exc.errors(include_url=False), SiteAssumptions, defaults, split=True))
    base_paths = _annotate(defaults, "site_defaults")
    resolved, provenance, found = [], [], []
    for i, overrides in sites:
        merged = deep_merge(defaults, overrides)
        where = named(("sites", i, "overrides"), data)
        try:
            resolved.append(SiteAssumptions.model_validate(merged))
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            found += [Issue((*where, *x.path), _new_item_hint(x, defaults), x.key)
                      for x in issues(errors, SiteAssumptions, merged, split=True) if x not in own]
            continue
        label = f"sites.{data['sites'][i].get('name')}.overrides"  # dotted, as input paths are
        provenance.append(deep_merge(base_paths, _annotate(overrides, label)))
    return resolved, provenance, found


def resolve_sites(scenario: Scenario) -> tuple[list[SiteAssumptions], list[dict[str, Any]]]:
    """Validate each site's merged assumptions; also return where each value came from.

    Provenance paths are dotted with names (``sites.Austin.overrides.opex.rent.monthly``).
    """
    resolved, provenance, found = _resolve(scenario)
    if found:
        raise ScenarioError(to_problems(scenario.source_path or "<scenario>", found))
    return resolved, provenance


def _resolve(scenario: Scenario):
    base = scenario.site_defaults.model_dump(mode="python")
    data = {"sites": [{"name": s.name} for s in scenario.sites]}
    resolved, provenance, found = _site_issues(
        base, [(i, s.overrides) for i, s in enumerate(scenario.sites)], data)
    return resolved, provenance, found


# --------------------------------------------------------------------------- one pass
def _walk_to(data: Any, loc: tuple[Any, ...]) -> tuple[Any, Any] | None:
    """(container, key) of ``loc`` in ``data``, or None."""
    current = data
    for part in loc[:-1]:
        try:
            current = current[part]
        except (KeyError, IndexError, TypeError):
            return None
    if isinstance(current, dict) and loc and loc[-1] in current:
        return current, loc[-1]
    if isinstance(current, list) and loc and isinstance(loc[-1], int) and -len(current) <= loc[-1] < len(current):
        return current, loc[-1]
    return None


def _embedded_loc(err: dict[str, Any]) -> tuple[Any, ...] | None:
    """The location named at the start of a scenario-wide check's message, if any."""
    if err["type"] != "value_error" or err["loc"]:
        return None
    found = issues([err], Scenario)[0].path
    return found or None


def _set_aside(patched: dict[str, Any], err: dict[str, Any]) -> tuple[Any, ...] | None:
    """Take the value of ``err`` out of the way in ``patched``; its location, or None if unsafe.

    Unknown keys and the value a scenario-wide check names are removed (the check then runs on
    without it); an invalid number is replaced by one its field accepts.
    """
    loc = _embedded_loc(err) or drop_union_tags(tuple(err["loc"]), Scenario)
    spot = _walk_to(patched, loc)
    if spot is None:
        return None
    if err["type"] == "extra_forbidden" or (err["type"] == "value_error" and not err["loc"]):
        if isinstance(spot[0], list):
            return None
        del spot[0][spot[1]]
    else:
        stand_in = valid_number(Scenario, tuple(err["loc"]))
        if stand_in is None:
            return None
        spot[0][spot[1]] = stand_in
    return loc


#: Rounds of scenario-wide checks re-run, each after setting aside the value the last one named.
MAX_ROUNDS = 25


def _second_look(data: dict[str, Any], errors: list[dict[str, Any]]) -> list[Issue]:
    """Problems hidden behind the first ones (see the module docstring)."""
    patched = copy.deepcopy(data)
    aside: list[tuple[Any, ...]] = []
    for err in errors:
        if err["type"] == "value_error" and err["loc"]:
            continue  # a nested model's own check: reported already, left in place
        loc = _set_aside(patched, err)
        if loc is None:
            return []
        aside.append(loc)
    found: list[Issue] = []
    for _ in range(MAX_ROUNDS):
        try:
            Scenario.model_validate(patched)
            break
        except ValidationError as exc:
            again = exc.errors(include_url=False)
        if any(e["type"] != "value_error" for e in again):
            break
        keep = [e for e in again if not e["loc"] or not any(
            a[: len(loc)] == loc for a in aside
            for loc in [drop_union_tags(tuple(e["loc"]), Scenario)])]
        found += issues(keep, Scenario, patched, known_top=_LOADER_KEYS, split=True)
        progress = False
        for e in again:
            if not e["loc"] and (loc := _set_aside(patched, e)) is not None:
                aside.append(loc)
                progress = True
        if not progress:
            break
    return found


def _raw_site_issues(data: dict[str, Any]) -> list[Issue]:
    defaults, sites = data.get("site_defaults"), data.get("sites")
    if not isinstance(defaults, dict) or not isinstance(sites, list):
        return []
    pairs = [(i, s["overrides"]) for i, s in enumerate(sites)
             if isinstance(s, dict) and isinstance(s.get("overrides"), dict) and s["overrides"]]
    return _site_issues(defaults, pairs, data)[2]


def _override_bools(data: dict[str, Any]) -> list[Issue]:
    out: list[Issue] = []
    sites = data.get("sites")
    for i, site in enumerate(sites if isinstance(sites, list) else []):  # else: pydantic says
        if isinstance(site, dict) and isinstance(site.get("overrides"), dict):
            out += bool_issues(site["overrides"], SiteAssumptions,
                               named(("sites", i, "overrides"), data))
    return out


def validate(data: dict[str, Any], *, source: str, sha256: str | None = None,
             marks: dict | None = None) -> Scenario:
    """Validate a merged scenario mapping; every problem is reported at once (ScenarioError)."""
    found = bool_issues(data, Scenario) + _override_bools(data)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        found += issues(errors, Scenario, data, known_top=_LOADER_KEYS, split=True)
        found += _second_look(data, errors)
        found += _raw_site_issues(data)
        raise ScenarioError(to_problems(source, found, marks)) from None
    scenario._source_path = source
    scenario._sha256 = sha256
    resolved, provenance, site_found = _resolve(scenario)
    if found or site_found:
        raise ScenarioError(to_problems(source, found + site_found, marks))
    scenario._resolved, scenario._provenance = resolved, provenance
    return scenario


def _guarded(file: str, work):
    """Run ``work()``; a RecursionError or MemoryError becomes an input error of ``file``."""
    try:
        return work()
    except RecursionError:
        raise ScenarioError([Problem(file, "", "expected a scenario nested less deeply, found one "
                                     "too deep to check (limit: MSOMODEL_MAX_YAML_DEPTH)")]) from None
    except MemoryError:
        raise ScenarioError([Problem(file, "", "ran out of memory reading the scenario: expected "
                                     "a smaller file (limits: MSOMODEL_MAX_FILE_BYTES, "
                                     "MSOMODEL_MAX_YAML_NODES)")]) from None


def load_scenario(path: str | Path, *, cache: Cache | None = None) -> Scenario:
    """Load, merge (``extends:``) and validate a scenario file; each file is parsed once.

    Raises
    ------
    ScenarioError
        With one ``FILE: field.path: expected ..., found ... (line L, column C)`` line per
        problem, all of them at once.
    """
    path = Path(path)
    name = str(path)
    if not path.is_file():
        raise ScenarioError([Problem(name, "", f"expected a scenario file, found {not_a_file(path)}")])

    def work() -> Scenario:
        tree = load_tree(path, cache=cache)
        scenario = validate(tree.data, source=name, sha256=tree.sha256, marks=tree.marks)
        scenario._tree = tree.data  # what the file sets (msomodel.assumptions), not read again
        scenario._marks = tree.marks  # where each value is, for problems found later
        return scenario

    return _guarded(name, work)


def load(path: str | Path, *, cache: Cache | None = None) -> Tree:
    """The merged tree of a scenario file (no validation), RecursionError/MemoryError guarded."""
    return _guarded(str(path), lambda: load_tree(path, cache=cache))


def scenario_from_dict(data: dict[str, Any], *, source: str = "<dict>",
                       sha256: str | None = None) -> Scenario:
    """Validate a scenario given as a mapping (e.g. built in a notebook); US-spelled keys
    (``license``, ``utilization``) are read as the schema's (:mod:`msomodel.scenario.spelling`)."""

    def work() -> Scenario:
        schema, both = canonical_keys(data)
        if both:
            raise ScenarioError([Problem(source, render(path[:-1] + (name,)),
                                         BOTH.format(schema=name, us=path[-1]))
                                 for path, name in both])
        return validate(schema, source=source, sha256=sha256)

    return _guarded(source, work)
