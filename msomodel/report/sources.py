"""Scenario files as the report batch sees them: folders expanded, ``extends:`` chains, hashes.

Read tolerantly on purpose: nothing here validates a scenario (the notebook does, and reports
the error as the scenario's failure); an unreadable file is simply taken as it is.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

SCENARIO_SUFFIXES = (".yaml", ".yml")
#: Folders whose files are shared bases, never clients of their own.
BASE_FOLDERS = ("common",)


def _read_yaml(path: Path) -> Any:
    import yaml

    try:
        return yaml.safe_load(path.read_bytes().decode("utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError, RecursionError):
        return None


def _extends(path: Path, data: Any) -> Path | None:
    """The file ``data`` (the YAML of ``path``) extends, resolved; None if none or not a file path."""
    base = data.get("extends") if isinstance(data, dict) else None
    if not isinstance(base, str):
        return None
    packaged = ":" in base.split("/", 1)[0] and not Path(base).is_absolute()
    return None if packaged else (path.parent / base).resolve()  # "msomodel:benchmarks/..."


def extends_chain(path: str | os.PathLike[str]) -> list[Path]:
    """The scenario file and the files it ``extends:``, resolved, as far as they can be read.

    A chain that cannot be followed (bad YAML, a missing base, a cycle) stops where it breaks.
    """
    chain: list[Path] = []
    current: Path | None = Path(path).resolve()
    while current is not None and current.is_file() and current not in chain:
        chain.append(current)
        current = _extends(current, _read_yaml(current))
    return chain


def inputs_sha256(path: str | os.PathLike[str]) -> str | None:
    """SHA-256 over the scenario file and every file it extends (None if it cannot be read).

    A report is stale when this changes: a new client figure or a new shared benchmark alike.
    """
    chain = extends_chain(path)
    if not chain:
        return None
    digest = hashlib.sha256()
    for file in chain:
        try:
            data = file.read_bytes()
        except OSError:
            return None
        digest.update(hashlib.sha256(data).digest())
    return digest.hexdigest()


def scenario_name(path: str | os.PathLike[str]) -> str | None:
    """The ``name:`` of a scenario file (or of the base it extends), without validating it."""
    for file in extends_chain(path):
        data = _read_yaml(file)
        if isinstance(data, dict) and isinstance(data.get("name"), str):
            return data["name"]
    return None


def scenarios_in(folder: str | os.PathLike[str],
                 bases_found: list[tuple[Path, Path]] | None = None) -> list[Path]:
    """Every client scenario under ``folder``, sorted: ``*.yaml``/``*.yml`` at any depth, except

    - files under a ``common/`` folder or a hidden folder, and
    - bases: files another scenario in the folder ``extends:`` and that are not valid
      scenarios on their own (a client file that a variant extends, such as the Ohio scenario
      and its percentage-fee variant, is rendered too); each skipped base is appended to
      ``bases_found`` as ``(base, a file that extends it)``.
    """
    from msomodel.errors import ScenarioError
    from msomodel.loader import load_scenario

    def stands_alone(file: Path) -> bool:
        try:
            load_scenario(file)
        except ScenarioError:
            return False
        return True

    root = Path(folder)
    found = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in BASE_FOLDERS)
        for name in sorted(filenames):
            if name.lower().endswith(SCENARIO_SUFFIXES) and not name.startswith("."):
                found.append(Path(dirpath) / name)
    bases: dict[Path, Path] = {}
    for file in found:
        base = _extends(file.resolve(), _read_yaml(file))
        if base is not None:
            bases.setdefault(base, file)
    clients = []
    for file in found:
        if file.resolve() in bases and not stands_alone(file):
            if bases_found is not None:
                bases_found.append((file, bases[file.resolve()]))
        else:
            clients.append(file)
    return clients


def expand_paths(paths: Iterable[str | os.PathLike[str]],
                 bases_found: list[tuple[Path, Path]] | None = None,
                 ) -> tuple[list[str], list[str], list[str]]:
    """``(scenario files, missing paths, empty folders)``: folders replaced by their scenarios
    (bases skipped, and listed in ``bases_found``)."""
    files: list[str] = []
    missing: list[str] = []
    empty: list[str] = []
    for path in paths:
        text = os.fspath(path)
        if os.path.isdir(text):
            inside = scenarios_in(text, bases_found)
            files += [os.fspath(p) for p in inside]
            if not inside:
                empty.append(text)
        elif os.path.isfile(text):
            files.append(text)
        else:
            missing.append(text)
    return files, missing, empty


def resolved(path: str | os.PathLike[str]) -> str:
    return os.fspath(Path(path).resolve())


def same_file(a: str | None, b: str | None) -> bool:
    return bool(a and b) and os.path.normcase(a) == os.path.normcase(b)  # type: ignore[arg-type]


def dedupe(paths: Sequence[str]) -> list[str]:
    """``paths`` with a file given twice (``x.yaml`` and ``./x.yaml``, or via a folder) once."""
    seen: set[str] = set()
    out = []
    for path in paths:
        key = os.path.normcase(resolved(path))
        if key not in seen:
            seen.add(key)
            out.append(path)
    return out
