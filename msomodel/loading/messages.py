"""pydantic's validation errors, rewritten for people: ``path: expected ..., found ...``.

Paths name items of lists of named mappings by name (``sites[Phoenix].open_month``, from the
raw data), other list items by index (``tiers.0``).  Echoed values are cut to ~60 characters.
"""

from __future__ import annotations

import datetime as dt
import difflib
import functools
import math
import re
import reprlib
import types
import typing
from typing import Any, NamedTuple

import annotated_types
from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo

from msomodel.errors import Problem, clip, render  # noqa: F401  (render: re-exported)
from msomodel.loading.tree import _is_named_list
from msomodel.scenario.base import unwrap_annotation

_REPR = reprlib.Repr()
_REPR.maxstring = _REPR.maxother = 60
_REPR.maxlist = _REPR.maxdict = _REPR.maxtuple = _REPR.maxset = 4
_REPR.maxlevel = 2


def _fmt(value: Any) -> str:
    """A short, bounded rendering of an input value (never the whole of a huge one)."""
    if isinstance(value, float) and (math.isnan(value) or math.isinf(value)):
        return str(value)
    if value is None:
        return "nothing"
    if isinstance(value, bool):  # as YAML writes it
        return str(value).lower()
    if isinstance(value, (dt.date, dt.datetime)):  # YAML read an unquoted date
        return f"the date {value.isoformat()}"
    return clip(_REPR.repr(value), 60)


def _expected(err: dict[str, Any]) -> str:
    kind = err["type"]
    ctx = {k: (f"{v:g}" if isinstance(v, float) else v) for k, v in (err.get("ctx") or {}).items()}
    table = {
        "missing": "a value (this field is required)",
        "float_parsing": "a number",
        "float_type": "a number",
        "int_parsing": "a whole number",
        "int_type": "a whole number",
        "int_from_float": "a whole number",
        "finite_number": "a finite number",
        "string_type": "text",
        "bool_type": "true or false",
        "bool_parsing": "true or false",
        "list_type": "a list",
        "dict_type": "a mapping",
        "model_type": "a mapping",
        "model_attributes_type": "a mapping",
        "too_short": "at least {min_length} item(s)",
        "too_long": "at most {max_length} item(s)",
        "string_too_short": "non-empty text",
        "string_pattern_mismatch": "text matching {pattern}",
        "greater_than_equal": "a value >= {ge}",
        "greater_than": "a value > {gt}",
        "less_than_equal": "a value <= {le}",
        "less_than": "a value < {lt}",
        "literal_error": "one of {expected}",
        "union_tag_invalid": "type one of {expected_tags}",
        "union_tag_not_found": "a 'type' field ({discriminator})",
    }
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == "^[^.]+$":
        return "a name without '.' (names are used in dotted input paths)"
    if kind in table:
        try:
            return table[kind].format(**ctx)
        except (KeyError, IndexError):
            return table[kind]
    return err["msg"][0].lower() + err["msg"][1:]


# --------------------------------------------------------------------------- the model's shape
def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _tagged(tp: Any, tag: Any = None, value: Any = None) -> Any:
    """The member of a discriminated union chosen by ``tag`` (pydantic's location part) or by the
    mapping ``value`` (its discriminator field, e.g. ``type: flat``)."""
    for member in typing.get_args(tp):
        member, _ = unwrap_annotation(member)
        if not _is_model(member):
            continue
        for name, info in member.model_fields.items():
            if typing.get_origin(info.annotation) is not typing.Literal:
                continue
            choices = typing.get_args(info.annotation)
            if (value is None and tag in choices) or (
                    isinstance(value, dict) and value.get(name) in choices):
                return member
    return None


def field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    """The type at pydantic location ``loc`` (union tags included) and its constraints."""
    try:  # a list's items share a type: look each shape up once
        return _field_at(model, tuple(0 if isinstance(p, int) else p for p in loc))
    except TypeError:  # an unhashable part
        return _field_at.__wrapped__(model, loc)


@functools.lru_cache(maxsize=4096)
def _field_at(model: type[BaseModel], loc: tuple[Any, ...]) -> tuple[Any, list[Any]] | None:
    tp: Any = model
    meta: list[Any] = []
    for part in loc:
        tp, _ = unwrap_annotation(tp)
        if _is_model(tp):
            if part not in tp.model_fields:
                return None
            info: FieldInfo = tp.model_fields[part]
            tp, meta = info.annotation, list(info.metadata)
            continue
        origin, args = typing.get_origin(tp), typing.get_args(tp)
        if origin is list and isinstance(part, int):
            tp, meta = args[0], []
        elif origin is dict and args:
            tp, meta = args[1], []
        elif origin in (typing.Union, types.UnionType):
            tp, meta = _tagged(tp, part), []
            if tp is None:
                return None
        else:
            return None
    tp, inner = unwrap_annotation(tp)
    return tp, meta + inner


def _fields_at(model: type[BaseModel] | None, loc: tuple[Any, ...]) -> list[str]:
    """Field names of the model found at ``loc`` (for 'did you mean' hints)."""
    found = field_at(model, loc) if model is not None else None
    if found is None or not _is_model(found[0]):
        return []
    return list(found[0].model_fields)


def _bounds(meta: list[Any]) -> list[Any]:
    out = []
    for m in meta:
        if isinstance(m, FieldInfo):
            out += _bounds(list(m.metadata))
        elif isinstance(m, (annotated_types.Ge, annotated_types.Gt, annotated_types.Le,
                            annotated_types.Lt)):
            out.append(m)
    return out


def valid_number(model: type[BaseModel], loc: tuple[Any, ...]) -> float | None:
    """A number that the float field at ``loc`` accepts, or None if it is no float field."""
    found = field_at(model, loc)
    if found is None or found[0] is not float:
        return None
    bounds = _bounds(found[1])

    def ok(x: float) -> bool:
        return all((not isinstance(b, annotated_types.Ge) or x >= b.ge)
                   and (not isinstance(b, annotated_types.Gt) or x > b.gt)
                   and (not isinstance(b, annotated_types.Le) or x <= b.le)
                   and (not isinstance(b, annotated_types.Lt) or x < b.lt) for b in bounds)

    edges = [float(getattr(b, a)) for b in bounds for a in ("ge", "gt", "le", "lt") if hasattr(b, a)]
    for x in (0.0, 1.0, 0.5, *edges, *(e + 1 for e in edges), *(e - 1 for e in edges)):
        if ok(x):
            return x
    return None


def is_number_field(model: type[BaseModel], loc: tuple[Any, ...]) -> bool:
    found = field_at(model, loc)
    return found is not None and found[0] in (float, int)


# --------------------------------------------------------------------------- paths
def drop_union_tags(loc: tuple[Any, ...], model: type[BaseModel] | None = None) -> tuple[Any, ...]:
    """pydantic puts a discriminated union's tag in the location (``mso.fee.flat.x``); drop it."""
    out: list[Any] = []
    for i, part in enumerate(loc):
        if i and isinstance(part, str) and model is not None:
            found = field_at(model, loc[:i])
            if found is not None and typing.get_origin(found[0]) in (typing.Union, types.UnionType):
                continue
        elif i and loc[i - 1] == "fee" and part in _FEE_TAGS:
            continue
        out.append(part)
    return tuple(out)


_FEE_TAGS = {"flat", "percentage", "cost_plus", "tiered", "hybrid"}


def named(loc: tuple[Any, ...], data: Any, cache: dict[int, bool] | None = None) -> tuple[Any, ...]:
    """``loc`` with indexes into lists of named mappings replaced by ``"[name]"``.

    ``cache`` (list id -> is it named) saves rechecking a long list for each of its errors.
    """
    cache = {} if cache is None else cache
    out: list[Any] = []
    current = data
    for part in loc:
        if isinstance(current, list) and isinstance(part, int):
            item = current[part] if -len(current) <= part < len(current) else None
            if id(current) not in cache:
                cache[id(current)] = _is_named_list(current)
            out.append(f"[{item['name']}]" if item is not None and cache[id(current)] else part)
            current = item
        else:
            out.append(part)
            current = current.get(part) if isinstance(current, dict) else None
    return tuple(out)


# --------------------------------------------------------------------------- errors
class Issue(NamedTuple):
    """One problem before it is given a file: the named path, the message, is it about a key."""

    path: tuple[Any, ...]
    message: str
    key: bool = False


#: ``sites.0.open_month: expected ...`` in a model validator's message: the path is moved out.
_EMBEDDED = re.compile(r"^([A-Za-z_]\w*(?:\.[\w-]+)*): (.+)$", re.S)


def issues(errors: list[dict[str, Any]], model: type[BaseModel], data: Any = None,
           prefix: tuple[Any, ...] = (), known_top: tuple[str, ...] = (),
           split: bool = False) -> list[Issue]:
    """One :class:`Issue` per pydantic error (from validating ``data`` against ``model``).

    With ``split``, a model check's message of several lines (``path: message`` each) gives one
    issue per line, so that a check may report all it finds at once.
    """
    out = []
    lists: dict[int, bool] = {}
    for err in errors:
        text = str((err.get("ctx") or {}).get("error", err["msg"]))
        if split and err["type"] == "value_error" and "\n" in text:
            parts = [line for line in text.splitlines() if line.strip()]
            errors_ = [{**err, "ctx": {"error": line}} for line in parts]
            out += issues(errors_, model, data, prefix, known_top)
            continue
        raw_loc = tuple(err["loc"])
        loc = drop_union_tags(raw_loc, model)
        key = False
        if err["type"] == "extra_forbidden":
            fields = _fields_at(model, raw_loc[:-1]) + (list(known_top) if len(loc) == 1 else [])
            hint = difflib.get_close_matches(str(loc[-1]), fields, n=1)
            extra = f" (did you mean '{hint[0]}'?)" if hint else ""
            msg = f"expected a known field{extra}, found unknown field {_fmt(str(loc[-1]))}"
            key = True
        elif err["type"] == "value_error":
            msg = str(err.get("ctx", {}).get("error", err["msg"]))
            m = _EMBEDDED.match(msg)
            if m and m.group(1).split(".")[0] in _fields_at(model, raw_loc):
                loc = (*loc, *(int(p) if p.isdigit() else p for p in m.group(1).split(".")))
                msg = m.group(2)
        elif err["type"] == "union_tag_invalid":
            loc = (*loc, str(err["ctx"].get("discriminator", "type")).strip("'"))
            msg = f"expected {_expected(err)}, found {_fmt(err['ctx'].get('tag'))}"
        elif err["type"] == "missing":
            msg = "expected a value (this field is required), found nothing"
        else:
            msg = f"expected {_expected(err)}, found {_fmt(err.get('input'))}"
        path = (*prefix, *loc)
        out.append(Issue(named(path, data, lists) if data is not None else path, msg, key))
    return out


def _problems(file: str, exc: ValidationError, prefix: tuple[Any, ...], model: type[BaseModel]):
    """One Problem per error of ``exc``, in order, paths dotted with list indexes."""
    return [Problem(file, ".".join(str(p) for p in i.path), i.message)
            for i in issues(exc.errors(include_url=False), model, None, prefix)]


def bool_issues(data: Any, model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[Issue]:
    """A yes/no value (``true``, ``on``, ``yes``) where ``model`` wants a number.

    pydantic would read it as 1 or 0; in a scenario it is always a slip.
    """
    out = []
    stack: list[tuple[Any, Any, tuple[Any, ...]]] = [(data, model, ())]
    while stack:
        value, tp, loc = stack.pop()
        tp, _ = unwrap_annotation(tp)
        if isinstance(value, bool):
            if tp in (float, int):
                out.append(Issue((*prefix, *named(loc, data)), f"expected a number, found {str(value).lower()}"
                                 " (YAML reads true/false, yes/no and on/off as yes/no values)"))
            continue
        if typing.get_origin(tp) in (typing.Union, types.UnionType):
            tp = _tagged(tp, value=value)
        if _is_model(tp) and isinstance(value, dict):
            stack += [(v, tp.model_fields[k].annotation, (*loc, k))
                      for k, v in value.items() if k in tp.model_fields]
        elif typing.get_origin(tp) is list and isinstance(value, list):
            stack += [(v, typing.get_args(tp)[0], (*loc, i)) for i, v in enumerate(value)]
        elif typing.get_origin(tp) is dict and isinstance(value, dict) and typing.get_args(tp):
            stack += [(v, typing.get_args(tp)[1], (*loc, k)) for k, v in value.items()]
    return out
