"""msomodel init: a client scenario that validates at once, under the lawful structure."""

from __future__ import annotations

import pytest

import msomodel
from msomodel.cli import main


@pytest.mark.parametrize("state, licence, sites, structure", [
    ("AZ", "pa", 2, "friendly_pc"), ("Texas", "RN", 1, "friendly_pc"),
    ("oh", "physician", 3, "direct"), ("FL", "none", 5, "direct")])
def test_init_writes_a_scenario_that_validates_under_the_lawful_structure(
        tmp_path, capsys, state, licence, sites, structure):
    assert main(["init", str(tmp_path), "--state", state, "--licence", licence,
                 "--sites", str(sites), "--name", "Client X"]) == 0
    out = capsys.readouterr().out
    path = tmp_path / "client_x.yaml"
    assert f"wrote {path}" in out and "mso.fee" in out
    text = path.read_text()
    assert text.splitlines()[0].startswith("# Client X:")
    assert "extends: msomodel:benchmarks/single_site" in text and "Not legal advice" in text
    s = msomodel.load_scenario(path)
    assert len(s.sites) == sites and s.structure.type == structure
    assert max(site.open_month for site in s.sites) <= s.finance.horizon_months
    r = msomodel.compare(s, trials=0)
    assert r.structure == structure and all(f.allowed for f in r.feasibility.values())


def test_init_never_overwrites_without_force(tmp_path, capsys):
    args = ["init", str(tmp_path), "--state", "AZ", "--licence", "pa", "--sites", "1", "--name", "A"]
    assert main(args) == 0
    (tmp_path / "a.yaml").write_text("# mine\n")
    assert main(args) == 2
    assert "already exists" in capsys.readouterr().err
    assert (tmp_path / "a.yaml").read_text() == "# mine\n"
    assert main([*args, "--force"]) == 0
    assert list(tmp_path.iterdir()) == [tmp_path / "a.yaml"]  # no temporary file left


def test_init_without_a_terminal_names_the_missing_flags(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin.isatty", lambda: False)
    assert main(["init", str(tmp_path), "--state", "TX"]) == 2
    assert "expected --licence --sites" in capsys.readouterr().err


def test_init_asks_in_a_terminal(tmp_path, capsys, monkeypatch):
    replies = iter(["Arizona", "nurse practitioner", "2", "Desert NP"])
    monkeypatch.setattr("sys.stdin.isatty", lambda: True)
    monkeypatch.setattr("builtins.input", lambda _prompt: next(replies))
    assert main(["init", str(tmp_path)]) == 0
    s = msomodel.load_scenario(tmp_path / "desert_np.yaml")
    assert (s.owner.state, s.owner.licence, len(s.sites)) == ("AZ", "np", 2)


def test_init_rejects_an_unknown_state(tmp_path, capsys):
    assert main(["init", str(tmp_path), "--state", "Atlantis", "--licence", "rn", "--sites", "1"]) == 2
    assert "Atlantis" in capsys.readouterr().err
