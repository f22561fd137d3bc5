"""Hostile scenario files: each is refused quickly, as an input error (exit 2), naming the file,
without a traceback, and leaving nothing behind.

``tests/cases/hostile/*.yaml`` state their expected message on the first line; large inputs are
generated here, against small limits set for the test rather than by exhausting the machine.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

import msomodel
from msomodel.cli import main
from msomodel.loading import validate as validation
from msomodel.loading import yamlio
from tests.conftest import CASES

HOSTILE = sorted((CASES / "hostile").glob("*.yaml"))
EXE = Path(sys.executable).parent / "msomodel"


def _expected(path: Path) -> str:
    first = path.read_bytes().split(b"\n", 1)[0].decode()
    assert first.startswith("# expect: "), f"{path.name} must state its expected error"
    return first[len("# expect: "):]


def test_corpus_covers_the_reported_attacks():
    names = {p.stem for p in HOSTILE}
    assert {"alias_bomb", "nested_brackets", "huge_float", "huge_integer", "boolean_number"} <= names
    assert len(HOSTILE) >= 12


@pytest.mark.parametrize("path", HOSTILE, ids=[p.stem for p in HOSTILE])
def test_hostile_file_is_an_input_error(path, capsys):
    start = time.perf_counter()
    code = main(["validate", str(path)])
    out, err = capsys.readouterr()
    assert time.perf_counter() - start < 5
    assert code == 2 and not out
    assert _expected(path) in err
    assert err.startswith(f"{path}: ") and "Traceback" not in err
    assert max(len(line) for line in err.splitlines()) < 1200  # nothing echoed whole


def _run(args, cwd: Path, **env) -> subprocess.CompletedProcess:
    return subprocess.run([str(EXE), *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, **env}, timeout=60)


@pytest.mark.parametrize("command", [["validate"], ["compare", "--format", "json"],
                                     ["sensitivity"]], ids=["validate", "compare", "sensitivity"])
@pytest.mark.parametrize("case", ["alias_bomb", "nested_brackets"])
def test_entry_point_refuses_fast_and_leaves_nothing(tmp_path, command, case):
    src = CASES / "hostile" / f"{case}.yaml"
    work = tmp_path / "hostile"
    work.mkdir()
    (tmp_path / "good_base.yaml").write_bytes((CASES / "good_base.yaml").read_bytes())
    target = work / src.name
    target.write_bytes(src.read_bytes())
    start = time.perf_counter()
    proc = _run([*command, str(target)], cwd=work)
    assert time.perf_counter() - start < 30  # was 58 s and 3 GB for the bomb
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and str(target) in proc.stderr
    assert _expected(src) in proc.stderr
    assert sorted(p.name for p in work.iterdir()) == [src.name]  # nothing partial left


def _sites_file(path: Path, sites: int) -> Path:
    lines = [f"extends: {CASES / 'good_base.yaml'}", "sites:"]
    lines += [f"  - {{name: site{i}, open_month: 1}}" for i in range(sites)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_file_size_limit(tmp_path, monkeypatch):
    big = _sites_file(tmp_path / "big.yaml", 2000)  # ~70 kB, generated
    monkeypatch.setenv("MSOMODEL_MAX_FILE_BYTES", str(big.stat().st_size - 1))
    with pytest.raises(msomodel.ScenarioError) as info:
        msomodel.load_scenario(big)
    assert str(info.value) == (f"{big}: expected a file of at most {big.stat().st_size - 1} bytes,"
                               " found a larger one (limit: MSOMODEL_MAX_FILE_BYTES)")
    monkeypatch.setenv("MSOMODEL_MAX_FILE_BYTES", str(big.stat().st_size))
    with pytest.raises(msomodel.ScenarioError, match="sites: expected at most 200 item"):
        msomodel.load_scenario(big)  # read at the limit, then refused by the model


def test_huge_generated_file_through_the_entry_point(tmp_path):
    big = _sites_file(tmp_path / "huge.yaml", 60_000)  # ~2.3 MB: over the default limit
    assert big.stat().st_size > yamlio.LIMITS["MSOMODEL_MAX_FILE_BYTES"]
    proc = _run(["validate", str(big)], cwd=tmp_path)
    assert proc.returncode == 2 and "Traceback" not in proc.stderr
    assert f"{big}: expected a file of at most 2097152 bytes" in proc.stderr


def test_alias_expansion_limit_is_settable(tmp_path, monkeypatch):
    f = tmp_path / "x.yaml"
    f.write_text(f"extends: {CASES / 'good_base.yaml'}\ndescription: &a hi\nname: *a\n")
    assert msomodel.load_scenario(f).name == "hi"
    monkeypatch.setenv("MSOMODEL_MAX_YAML_NODES", "5")
    with pytest.raises(msomodel.ScenarioError, match=r"at most 5 values after expanding aliases"):
        msomodel.load_scenario(f)


def test_depth_limit_is_settable(tmp_path, monkeypatch):
    f = tmp_path / "x.yaml"
    f.write_text("name: [[[[1]]]]\n")
    monkeypatch.setenv("MSOMODEL_MAX_YAML_DEPTH", "4")
    with pytest.raises(msomodel.ScenarioError, match="nested at most 4 deep"):
        yamlio.parse_file(f)
    monkeypatch.setenv("MSOMODEL_MAX_YAML_DEPTH", "6")
    assert yamlio.parse_file(f).data == {"name": [[[[1]]]]}


def test_a_bad_limit_setting_is_an_input_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("MSOMODEL_MAX_FILE_BYTES", "lots")
    assert main(["validate", str(CASES / "good_base.yaml")]) == 2
    assert "MSOMODEL_MAX_FILE_BYTES: expected a whole number >= 1, found 'lots'" in capsys.readouterr().err


def test_pure_parser_recursion_is_an_input_error(tmp_path, monkeypatch):
    f = CASES / "hostile" / "nested_brackets.yaml"
    monkeypatch.setenv("MSOMODEL_MAX_YAML_DEPTH", "100000")
    with pytest.raises(msomodel.ScenarioError, match="nested too deeply to read"):
        yamlio.parse_file(f, loader=yamlio.PureLoader)


@pytest.mark.parametrize("error, message", [(RecursionError, "too deep to check"),
                                            (MemoryError, "ran out of memory")])
def test_recursion_and_memory_errors_become_input_errors(monkeypatch, capsys, error, message):
    def boom(*args, **kwargs):
        raise error()

    monkeypatch.setattr(validation, "validate", boom)
    path = str(CASES / "good_base.yaml")
    assert main(["validate", path]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"{path}: ") and message in err and "Traceback" not in err


def _paths(tree, path=()):
    """Every path of ``tree`` with its value (mappings, lists and the values inside them)."""
    yield path, tree
    if isinstance(tree, dict):
        for k, v in tree.items():
            yield from _paths(v, (*path, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            yield from _paths(v, (*path, i))


#: What replaces a value of each kind: the wrong shapes a hand-edited file can hold.
_WRONG = {list: (3, "three", {"a": 1}), dict: (3, "three", [1, 2]),
          float: ([1.0], {"a": 1.0}), int: ([1], {"a": 1}), str: ([], {"a": "b"})}


@pytest.mark.parametrize("scenario", sorted(Path(msomodel.__file__).parent.parent.glob(
    "scenarios/*.yaml")), ids=lambda p: p.stem)
def test_a_value_of_the_wrong_shape_anywhere_is_an_input_error(scenario):
    """Each value of each bundled scenario (merged with its bases) replaced in turn by values
    of the wrong shape (a number or text for a list or mapping, a list or mapping for a number
    or text): always a ScenarioError naming that field (or, for an item, its list), never
    another exception and never accepted (no field takes two shapes)."""
    import copy

    from msomodel.loader import ScenarioError, _load_tree, scenario_from_dict

    tree = _load_tree(scenario)
    cases = [(path, bad) for path, value in _paths(tree) if path
             for bad in _WRONG.get(type(value), ())]
    assert sum(isinstance(bad, int | str) for _, bad in cases) >= 10  # lists and mappings
    for path, bad in cases:
        data = copy.deepcopy(tree)
        parent = data
        for k in path[:-1]:
            parent = parent[k]
        parent[path[-1]] = bad
        with pytest.raises(ScenarioError) as info:
            scenario_from_dict(data, source="bad.yaml")
        name = next(str(k) for k in reversed(path) if not isinstance(k, int))
        assert any(name in p.path for p in info.value.problems), (path, bad, str(info.value))
