"""Shared fixtures: bundled scenarios, the hand-worked case, raw scenario dicts."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from msomodel.loader import _load_tree, scenario_from_dict

ROOT = Path(__file__).resolve().parent.parent
SCENARIOS = sorted((ROOT / "scenarios").glob("*.yaml"))
CASES = Path(__file__).resolve().parent / "cases"


def raw(name: str) -> dict:
    """The merged (extends resolved) but unvalidated dict of a bundled scenario or test case."""
    path = ROOT / "scenarios" / name if (ROOT / "scenarios" / name).exists() else CASES / name
    return copy.deepcopy(_load_tree(path))


def build(data: dict):
    return scenario_from_dict(copy.deepcopy(data))


@pytest.fixture(params=SCENARIOS, ids=[p.stem for p in SCENARIOS])
def bundled(request) -> Path:
    return request.param


@pytest.fixture(autouse=True, scope="session")
def _no_rules_overlay_from_the_developers_shell():
    """The package's rules data alone (a test that wants an overlay sets it): an exported
    MSOMODEL_RULES_OVERLAY would change every comparison."""
    import os

    before = os.environ.pop("MSOMODEL_RULES_OVERLAY", None)
    yield
    if before is not None:
        os.environ["MSOMODEL_RULES_OVERLAY"] = before


@pytest.fixture(autouse=True, scope="session")
def _rules_cache_in_a_temporary_folder(tmp_path_factory):
    """The rules cache (msomodel/rules/cache.py) of the test run: not the user's folder
    (child processes inherit the variable)."""
    import os

    from msomodel.rules import cache

    before = os.environ.get(cache.ENV)
    os.environ[cache.ENV] = str(tmp_path_factory.mktemp("msomodel-cache"))
    yield
    if before is None:
        os.environ.pop(cache.ENV, None)
    else:
        os.environ[cache.ENV] = before
