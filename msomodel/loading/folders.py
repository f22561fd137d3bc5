"""Which files of a folder are scenarios, and which are only bases.

A folder's scenarios are its ``*.yaml`` and ``*.yml`` files (subfolders are not searched: keep
shared bases in one, e.g. ``common/``), except a file that is *only a base*: another file of the
folder extends it and, on its own, it is not a valid scenario.  Its problems are reported
through the files that extend it (``client.yaml: extends base.yaml: ...``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from msomodel.errors import ScenarioError
from msomodel.loading.tree import Cache, _parse, _resolve

SUFFIXES = (".yaml", ".yml")


@dataclass
class Folder:
    """The files of a folder: candidate scenarios, and for each file extended, who extends it."""

    path: Path
    files: list[Path]
    extended_by: dict[Path, list[Path]] = field(default_factory=dict)

    def base_of(self, path: Path) -> list[Path]:
        """The files of the folder that extend ``path`` (empty if none)."""
        return self.extended_by.get(path.resolve(), [])


def scan(folder: str | Path, cache: Cache | None = None) -> Folder:
    """The YAML files directly in ``folder`` and which of them others extend (parsed once)."""
    root = Path(folder)
    files = sorted(p for p in root.iterdir() if p.suffix.lower() in SUFFIXES and p.is_file())
    out = Folder(root, files)
    for path in files:
        try:
            parsed = _parse(path, cache)
        except ScenarioError:
            continue  # reported when the file itself is checked
        if "extends" in parsed.data:
            base, _ = _resolve(parsed.data["extends"], path)
            if base is not None:
                out.extended_by.setdefault(base.resolve(), []).append(path)
    return out
