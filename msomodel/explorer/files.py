"""The explorer's scenario files: the bundled starting scenarios, and saving the settings.

:func:`bundled_scenarios` finds the scenarios to start from, :func:`load_raw` reads one as a
dict, and :func:`save_scenario` writes a dict as a complete scenario YAML.
"""

from __future__ import annotations

import datetime
import os
import re
from pathlib import Path
from typing import Any

import yaml

from msomodel.atomic import replacing
from msomodel.loader import _load_tree, scenario_from_dict


# --------------------------------------------------------------------------- starting scenarios
def repo_root() -> Path:
    return Path(__file__).resolve().parents[2]


def scenario_folders() -> list[Path]:
    """Where bundled scenarios are looked for: the repository's and the launch folder's."""
    folders = [repo_root() / "scenarios"]
    launch = os.environ.get("MSOMODEL_EXPLORER_CWD") or os.getcwd()
    folders.append(Path(launch) / "scenarios")
    out: list[Path] = []
    for f in folders:
        f = f.resolve()
        if f.is_dir() and f not in out:
            out.append(f)
    return out


def bundled_scenarios() -> dict[str, Path]:
    """Label -> path of the scenario files found in :func:`scenario_folders` (not ``common/``)."""
    found: dict[str, Path] = {}
    for folder in scenario_folders():
        for path in sorted(folder.glob("*.yaml")):
            label = path.stem.replace("_", " ").capitalize()
            if label in found:
                label = f"{label} ({folder})"
            found[label] = path
    return found


def load_raw(path: str | Path) -> dict[str, Any]:
    """The scenario file as one dict, ``extends:`` resolved (raises ScenarioError)."""
    return _load_tree(Path(path).expanduser())


# --------------------------------------------------------------------------- saving
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def safe_filename(name: str) -> str:
    """``"Dr Lee's 3 sites!"`` -> ``dr_lee_s_3_sites.yaml``; never hidden, never a path."""
    stem = _UNSAFE.sub("_", name.strip().lower()).strip("._-")[:80]
    return f"{stem or 'scenario'}.yaml"


def default_save_dir() -> Path:
    return Path("~/msomodel-scenarios").expanduser()


def save_target(folder: str | Path, name: str) -> Path:
    """Where :func:`save_scenario` writes ``name`` in ``folder``."""
    return Path(folder).expanduser().resolve() / safe_filename(name)


def save_scenario(data: dict[str, Any], folder: str | Path, name: str, *,
                  origin: str | None = None, overwrite: bool = False) -> Path:
    """Write ``data`` as a complete scenario YAML ``folder/<safe name>.yaml`` (atomically).

    Validates first (raises ScenarioError) so that what is saved always loads.  An existing file
    is replaced only with ``overwrite=True``; otherwise FileExistsError (checked atomically: the
    file is linked into place, never over another file).
    """
    scenario_from_dict(data)
    target = save_target(folder, name)
    if not overwrite and target.exists():
        raise FileExistsError(17, "the file exists", str(target))
    target.parent.mkdir(parents=True, exist_ok=True)
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    header = f"# Saved by the msomodel explorer on {stamp}"
    header += f" (starting scenario: {origin}).\n" if origin else ".\n"
    header += "# A complete scenario: check it with `msomodel validate`, run `msomodel compare`.\n"
    text = header + yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    with replacing(target, suffix=".yaml", link=not overwrite) as tmp:
        Path(tmp).write_text(text, encoding="utf-8")
    return target
