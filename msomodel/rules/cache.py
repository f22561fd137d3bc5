"""The validated rule book, kept between runs in the user's cache folder.

Reading the rules data means parsing 52 YAML files, validating them with the pydantic models of
:mod:`msomodel.rules.schema` (whose import alone builds every model's schema) and cross-checking
them: most of what a short command such as ``msomodel compare`` would spend before its first
projection.  The result depends only on those files and on this package's code, so it is saved
once validated, keyed by the SHA-256 of every file read (its path and bytes) and of the rules
package's own source, and read back by the next process whose files hash the same.  Editing a
data file, an overlay or the code therefore always validates afresh; nothing that failed
validation is ever saved.

The saved form is JSON with type tags, decoded into the records of
:mod:`msomodel.rules.records` only (no pickle: nothing in the folder can run code).  A file that
cannot be read or decoded is ignored, and then replaced.

Where: ``$MSOMODEL_CACHE_DIR``, else ``$XDG_CACHE_HOME/msomodel``, else ``~/.cache/msomodel``;
``MSOMODEL_CACHE_DIR=off`` (or ``0``, ``none``, empty) turns the cache off.  At most
:data:`KEEP` rule books are kept (several checkouts can share one folder).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any

from . import records

ENV = "MSOMODEL_CACHE_DIR"
#: Format of the saved file; part of the key.
FORMAT = 1
#: Rule books kept in the folder (the oldest beyond this are removed).
KEEP = 8
_OFF = {"", "0", "off", "none", "false", "no"}
_HERE = Path(__file__).resolve().parent
#: The rules package's modules whose code shapes a RuleBook.
_CODE = ("loader.py", "schema.py", "records.py", "codes.py", "cache.py")
_CLASSES = {c.__name__: c for c in vars(records).values()
            if isinstance(c, type) and dataclasses.is_dataclass(c)}


def folder() -> Path | None:
    """The cache folder, or None when the cache is turned off."""
    value = os.environ.get(ENV)
    if value is not None:
        return None if value.strip().lower() in _OFF else Path(value).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "msomodel"


def key(files: Iterable[Path], *, label: Iterable[str] = ()) -> str | None:
    """SHA-256 of the code, ``label`` and every file's resolved path and bytes; None if the
    cache is off or a file cannot be read (the full read then reports it)."""
    if folder() is None:
        return None
    digest = hashlib.sha256(f"msomodel rules cache {FORMAT}\0".encode())
    try:
        for name in _CODE:
            digest.update((_HERE / name).read_bytes())
        for part in label:
            digest.update(f"{part}\0".encode())
        for f in files:
            digest.update(f"{Path(f).resolve()}\0".encode())
            data = Path(f).read_bytes()
            digest.update(f"{len(data)}\0".encode())
            digest.update(data)
    except OSError:
        return None
    return digest.hexdigest()


# --------------------------------------------------------------------------- encoding
def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {"$": type(value).__name__,
                "f": {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, dt.date):
        return {"$d": value.isoformat()}
    if isinstance(value, tuple):
        return {"$t": [_encode(v) for v in value]}
    if isinstance(value, list):
        return [_encode(v) for v in value]
    if isinstance(value, Mapping):
        tag = "$p" if isinstance(value, MappingProxyType) else "$m"
        return {tag: [[_encode(k), _encode(v)] for k, v in value.items()]}
    if value is None or isinstance(value, str | int | float):
        return value
    raise TypeError(f"cannot save a {type(value).__name__} in the rules cache")


def _decode(obj: dict[str, Any]) -> Any:
    if "$" in obj:
        return _CLASSES[obj["$"]](**obj["f"])
    if "$d" in obj:
        return dt.date.fromisoformat(obj["$d"])
    if "$t" in obj:
        return tuple(obj["$t"])
    if "$m" in obj:
        return {_hashable(k): v for k, v in obj["$m"]}
    if "$p" in obj:
        return MappingProxyType({_hashable(k): v for k, v in obj["$p"]})
    return obj


def _hashable(k: Any) -> Any:
    return tuple(k) if isinstance(k, list) else k


def dumps(book: records.RuleBook) -> str:
    """``book`` as the cache's JSON text."""
    return json.dumps(_encode(book), separators=(",", ":"), ensure_ascii=False)


def loads(text: str) -> records.RuleBook:
    """The rule book :func:`dumps` wrote (raises ValueError, KeyError or TypeError if not)."""
    book = json.loads(text, object_hook=_decode)
    if not isinstance(book, records.RuleBook):
        raise TypeError("not a rule book")
    return book


# --------------------------------------------------------------------------- the folder
def _path(k: str) -> Path | None:
    where = folder()
    return None if where is None else where / f"rules-{k[:40]}.json"


def get(k: str) -> records.RuleBook | None:
    """The rule book saved under key ``k``, or None."""
    path = _path(k)
    if path is None:
        return None
    try:
        text = path.read_text(encoding="utf-8")
        head, _, body = text.partition("\n")
        if head != k:
            return None
        return loads(body)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def put(k: str, book: records.RuleBook) -> None:
    """Save ``book`` under key ``k`` (atomically; silently not if the folder is unwritable)."""
    path = _path(k)
    if path is None:
        return
    import tempfile

    try:
        text = f"{k}\n{dumps(book)}"
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(prefix=".rules-", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(path.parent)
    except (OSError, TypeError):
        return


def _prune(where: Path) -> None:
    found = sorted(where.glob("rules-*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in found[KEEP:]:
        old.unlink(missing_ok=True)
