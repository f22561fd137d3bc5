"""The rules data: the C parser, and the validated rule book kept between runs (rules/cache.py)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from msomodel.rules import RulesDataError, cache, read_rulebook
from msomodel.rules import loader as rules_loader
from msomodel.rules.loader import DATA_DIR

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(cache.ENV, str(folder))
    rules_loader._cached.cache_clear()
    yield folder
    rules_loader._cached.cache_clear()


def _copy_data(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target)
    return target


def test_the_c_parser_reads_the_rules_data_like_the_pure_one():
    assert yaml.__with_libyaml__ and issubclass(rules_loader.FAST_LOADER, yaml.CSafeLoader)
    for path in sorted(DATA_DIR.rglob("*.yaml")):
        pure = rules_loader.read_yaml(path, loader=rules_loader._StrictLoader)
        assert rules_loader.read_yaml(path) == pure, path


@pytest.mark.parametrize("loader", ["c", "pure"])
@pytest.mark.parametrize("text, message", [
    ("a: 1\nb:\n  c: 1\n  c: 2\n", r"invalid YAML: line 4, column 3: duplicate key 'c' "
                                   r"\(first defined on line 3\)"),
    ("a: [1, 2\nb: 3\n", r"invalid YAML: line 2, column 2: .*\(while parsing a flow sequence, "
                         r"line 1, column 4\)"),
    ("a: !!python/object/apply:os.system [echo]\n", "could not determine a constructor"),
])
def test_both_parsers_give_the_line_and_column(tmp_path, loader, text, message):
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    use = rules_loader.FAST_LOADER if loader == "c" else rules_loader._StrictLoader
    with pytest.raises(RulesDataError, match=message) as err:
        rules_loader.read_yaml(path, loader=use)
    assert str(err.value).startswith(f"{path}: invalid YAML: ")
    assert "\n" not in str(err.value)  # no snippet of the file from the pure parser either


def test_the_saved_rule_book_reads_back_equal(cache_dir):
    book = read_rulebook(DATA_DIR)
    again = cache.loads(cache.dumps(book))
    assert again == book
    assert type(again.periods) is type(book.periods)
    assert again.rules == book.rules and again.to_dict() == book.to_dict()


def test_a_second_process_reads_the_cache_and_skips_validation(cache_dir):
    first = rules_loader.load_rulebook()
    assert len(list(cache_dir.glob("rules-*.json"))) == 1
    rules_loader._cached.cache_clear()
    code = ("import sys; from msomodel.rules import load_rulebook; load_rulebook(); "
            "print('msomodel.rules.schema' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=ROOT, env={**__import__("os").environ, cache.ENV: str(cache_dir)})
    assert out.stdout.strip() == "False"  # the pydantic models were not even imported
    assert rules_loader.load_rulebook() == first


def test_an_edited_data_file_is_validated_again(cache_dir, tmp_path):
    data = _copy_data(tmp_path)
    book = rules_loader.load_rulebook(data)
    assert book.path == str(data.resolve())
    tx = data / "states" / "TX.yaml"
    tx.write_text(tx.read_text(encoding="utf-8") + "\nbogus_key: 1\n", encoding="utf-8")
    rules_loader._cached.cache_clear()
    with pytest.raises(RulesDataError, match="bogus_key"):
        rules_loader.load_rulebook(data)
    assert len(list(cache_dir.glob("rules-*.json"))) == 1  # nothing invalid is saved


def test_a_corrupt_or_foreign_cache_file_is_ignored_and_replaced(cache_dir):
    book = rules_loader.load_rulebook()
    (saved,) = cache_dir.glob("rules-*.json")
    key = saved.read_text(encoding="utf-8").partition("\n")[0]
    for text in ("garbage", f"{key}\n{{\"$\": \"NotARecord\", \"f\": {{}}}}", f"{key}\n[1, 2]",
                 f"{'0' * 64}\n{cache.dumps(book)}"):
        saved.write_text(text, encoding="utf-8")
        assert cache.get(key) is None
        rules_loader._cached.cache_clear()
        assert rules_loader.load_rulebook() == book
        assert cache.get(key) == book


@pytest.mark.parametrize("value", ["off", "0", ""])
def test_the_cache_can_be_turned_off(monkeypatch, tmp_path, value):
    monkeypatch.setenv(cache.ENV, value)
    assert cache.folder() is None and cache.key([DATA_DIR / "common.yaml"]) is None


def test_an_unwritable_cache_folder_is_not_an_error(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    monkeypatch.setenv(cache.ENV, str(blocker / "cache"))  # below a file: cannot be created
    rules_loader._cached.cache_clear()
    try:
        assert rules_loader.load_rulebook().states
    finally:
        rules_loader._cached.cache_clear()
