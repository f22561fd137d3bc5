"""How scenario mappings merge: ``extends:`` bases and site ``overrides:`` (pure functions).

- mappings merge key by key;
- a mapping whose ``type`` differs from the base's replaces it (a flat fee replaced by a
  percentage fee does not keep the flat fee's fields);
- lists of named items (service lines, roles, equipment) merge item by item by ``name``
  (new names are appended);
- every other value replaces the base's;
- a list or mapping tagged ``!replace`` in the child file (:class:`ReplaceList`,
  :class:`ReplaceDict`) replaces the base's whole, e.g. ``sites: !replace [...]`` for a child
  with its own site list.
"""

from __future__ import annotations

import copy
from typing import Any


class ReplaceList(list):
    """A list tagged ``!replace``: it replaces the base's list instead of merging by name."""


class ReplaceDict(dict):
    """A mapping tagged ``!replace``: it replaces the base's mapping instead of merging keys."""


def plain(value: Any) -> Any:
    """``value`` with every ``!replace`` marker turned into a plain list or dict."""
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def is_named_list(value: Any) -> bool:
    """A non-empty list of mappings with unique ``name`` keys (merged item by item)."""
    if not isinstance(value, list) or not value:
        return False
    if not all(isinstance(v, dict) and "name" in v for v in value):
        return False
    names = [v["name"] for v in value]
    if not all(isinstance(n, str | int | float) for n in names):  # e.g. a list: not a name
        return False
    return len(set(map(str, names))) == len(names)


def deep_merge(base: Any, over: Any) -> Any:
    """Merge ``over`` onto ``base`` (neither is modified); see the module docstring."""
    if isinstance(over, (ReplaceList, ReplaceDict)):
        return plain(over)
    if isinstance(base, dict) and isinstance(over, dict):
        if "type" in base and "type" in over and base["type"] != over["type"]:
            return copy.deepcopy(over)  # e.g. a fee of another type: replace, don't mix fields
        out = dict(base)
        for key, value in over.items():
            out[key] = deep_merge(base[key], value) if key in base else plain(value)
        return out
    if is_named_list(base) and is_named_list(over):
        out_list = [copy.deepcopy(item) for item in base]
        index = {item["name"]: i for i, item in enumerate(out_list)}
        for item in over:
            if item["name"] in index:
                out_list[index[item["name"]]] = deep_merge(out_list[index[item["name"]]], item)
            else:
                out_list.append(plain(item))
        return out_list
    return plain(copy.deepcopy(over))


def annotate(value: Any, prefix: str) -> Any:
    """Mirror of ``value`` whose leaves are their own dotted paths (named list items by name)."""
    if isinstance(value, dict):
        return {k: annotate(v, f"{prefix}.{k}") for k, v in value.items()}
    if is_named_list(value):
        return [annotate(v, f"{prefix}.{v['name']}") | {"name": v["name"]} for v in value]
    if isinstance(value, list):
        return [annotate(v, f"{prefix}.{i}") for i, v in enumerate(value)]
    return prefix
