"""The ``msomodel rules`` command and the US tile map."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from msomodel.cli import main
from msomodel.rules import DISCLAIMER, STATE_NAMES

CASES = Path(__file__).parent / "cases" / "rules"
ROOT = Path(__file__).resolve().parents[1]


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize("state", sorted(STATE_NAMES))
def test_every_jurisdiction_answers(capsys, state):
    code, out, _ = run(capsys, "rules", state)
    assert code == 0 and DISCLAIMER in out and "last checked:" in out and "source (" in out


def test_names_and_case_insensitive(capsys):
    a = run(capsys, "rules", "Texas", "--licence", "RN", "--on", "2026-12-02")[1]
    b = run(capsys, "rules", "tx", "--licence", "registered nurse", "--on", "2026-12-02")[1]
    assert a == b and "registered nurse: must use owned MSO + friendly PC" in a
    code, out, _ = run(capsys, "rules", "new york", "--licence", "nurse practitioner")
    assert code == 0 and "contested: consult counsel" in out


def test_all_matrix_table(capsys):
    code, out, _ = run(capsys, "rules", "--all", "--on", "2026-12-02")
    assert code == 0 and DISCLAIMER in out
    lines = [ln for ln in out.splitlines() if ln[:2] in STATE_NAMES and ln[2:4] == "  "]
    assert len(lines) == 51
    tx = next(ln for ln in lines if ln.startswith("TX"))
    assert tx.split()[1:] == ["Texas", "owns", "MSO+PC", "minority", "MSO+PC", "MSO+PC"]


def test_all_matrix_csv_and_json(capsys):
    code, out, _ = run(capsys, "rules", "--all", "--format", "csv", "--on", "2026-12-02")
    rows = [r for r in csv.DictReader(io.StringIO(out)) if not r["state"].startswith("#")]
    assert code == 0 and len(rows) == 51 * 5
    assert all(r["sources"] and r["confidence"] and r["confidence_reason"] for r in rows)
    fl = next(r for r in rows if r["state"] == "FL" and r["licence"] == "none")
    assert fl["ownership"] == "with_licence" and "fl_clinic_licence" in fl["conditions"]
    code, out, _ = run(capsys, "rules", "--all", "--format", "json", "--licence", "np")
    data = json.loads(out)
    assert code == 0 and data["disclaimer"] == DISCLAIMER and len(data["rows"]) == 51
    assert {r["cell"] for r in data["rows"]} >= {"contested", "MSO+PC"}


def test_state_json_and_dated_view(capsys):
    code, out, _ = run(capsys, "rules", "VT", "--licence", "none", "--format", "json",
                       "--on", "2026-06-30")
    data = json.loads(out)
    assert code == 0 and data["licences"]["none"]["rule"]["ownership"] == "yes"
    assert data["licences"]["none"]["changes"][0]["date"] == "2026-07-01"
    code, out, _ = run(capsys, "rules", "VT", "--licence", "none", "--on", "2026-07-01")
    assert "contested: consult counsel" in out


@pytest.mark.parametrize(
    ("argv", "needle"),
    [
        (["rules", "XX"], "unknown state"),
        (["rules", "OH", "--licence", "dentist"], "unknown license"),
        (["rules", "OH", "--on", "2026-13-01"], "--on expects a date"),
        (["rules"], "give a STATE"),
    ],
)
def test_bad_input_is_one_line_exit_2_with_disclaimer(capsys, argv, needle):
    code, _, err = run(capsys, *argv)
    assert code == 2 and needle in err.splitlines()[0]
    assert "Traceback" not in err and DISCLAIMER in err


def test_overlay_from_environment(capsys, monkeypatch):
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(CASES / "overlay_oh_np.yaml"))
    code, out, _ = run(capsys, "rules", "OH", "--licence", "np")
    assert code == 0 and "Example LLP" in out and "from overlay:" in out
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(CASES / "overlay_typo.yaml"))
    code, _, err = run(capsys, "rules", "OH")
    assert code == 2 and "overlay_typo.yaml" in err and "Traceback" not in err


def test_map_png_written(capsys, tmp_path):
    out_png = tmp_path / "map.png"
    code, out, _ = run(capsys, "rules", "--map", str(out_png), "--licence", "RN",
                       "--highlight", "texas")
    assert code == 0 and out_png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "highlight: TX" in out and DISCLAIMER in out


def test_tile_map_colours_contested_amber_and_highlights():
    from matplotlib.colors import to_hex

    from msomodel.charts.usmap import CATEGORIES, TILES, category, tile_map

    assert len(TILES) == 51 and len(set(TILES.values())) == 51
    fig = tile_map("none", highlight="AZ")
    ax = fig.axes[0]
    faces = {to_hex(p.get_facecolor()) for p in ax.patches if p.get_facecolor()[3] > 0}
    assert CATEGORIES["contested"][1].lower() in faces
    assert category("AZ", "none") == "contested" and category("TX", "none") == "mso"
    assert category("OH", "rn") == "owns"
    outlined = [p for p in ax.patches if p.get_linewidth() >= 3]
    assert len(outlined) == 1 and outlined[0].get_xy() == (TILES["AZ"][1] - 0.02,
                                                           -TILES["AZ"][0] - 0.02)
    labels = [t.get_text() for t in fig.legends[0].get_texts()]
    assert any(lbl.startswith("contested: consult counsel") for lbl in labels)


def test_an_advisors_overlay_applies_to_compare_and_says_so(capsys, monkeypatch, tmp_path):
    # Ohio lets an NP own the practice; counsel's overlay for this client says an MSO is needed
    scenario = tmp_path / "ohio_np.yaml"
    scenario.write_text(f"extends: {ROOT / 'scenarios' / 'ohio_physician_single_site.yaml'}\n"
                        "name: Ohio NP\nowner: {state: OH, licence: np}\n")
    monkeypatch.delenv("MSOMODEL_RULES_OVERLAY", raising=False)

    def compare() -> dict:
        code, out, err = run(capsys, "compare", str(scenario), "--format", "json", "--trials", "0")
        assert code == 0, err
        return json.loads(out)

    plain = compare()
    assert not [w for w in plain["compliance"]["warnings"] if w["code"] == "rules_from_overlay"]
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(CASES / "overlay_oh_np.yaml"))
    ruled = compare()
    assert (plain["structure"]["id"], ruled["structure"]["id"]) == ("direct", "friendly_pc")
    [note] = [w for w in ruled["compliance"]["warnings"] if w["code"] == "rules_from_overlay"]
    assert "overlay file overlay_oh_np.yaml" in note["message"]
    assert note["sources"][0]["citation"].startswith("Example LLP")
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(CASES / "overlay_typo.yaml"))
    code, _, err = run(capsys, "compare", str(scenario), "--trials", "0")
    assert code == 2 and "overlay_typo.yaml" in err and "Traceback" not in err


def test_the_condition_ids_a_scenario_may_price_follow_the_overlay(monkeypatch, tmp_path):
    import msomodel
    from msomodel.scenario import applicable_condition_ids

    owner = msomodel.scenario.Owner(state="OH", licence="np")
    when = msomodel.load_scenario(ROOT / "scenarios" / "ohio_physician_single_site.yaml"
                                  ).finance.start_date
    plain = applicable_condition_ids(owner, when)
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(CASES / "overlay_oh_np.yaml"))
    overlaid = applicable_condition_ids(owner, when)
    monkeypatch.delenv("MSOMODEL_RULES_OVERLAY")
    assert applicable_condition_ids(owner, when) == plain != overlaid  # not a stale cache


def test_an_overlay_edited_during_a_session_is_read_again(monkeypatch, tmp_path):
    """The explorer or a notebook keeps one process: editing counsel's overlay there must change
    the rule book and the priced conditions at the next call, not after a restart."""
    import os

    import msomodel
    from msomodel.rules import load_rulebook
    from msomodel.scenario import applicable_condition_ids

    overlay = tmp_path / "counsel.yaml"
    text = (CASES / "overlay_oh_np.yaml").read_text(encoding="utf-8")
    overlay.write_text(text, encoding="utf-8")
    monkeypatch.setenv("MSOMODEL_RULES_OVERLAY", str(overlay))
    owner = msomodel.scenario.Owner(state="OH", licence="np")
    when = msomodel.load_scenario(ROOT / "scenarios" / "ohio_physician_single_site.yaml"
                                  ).finance.start_date
    before = load_rulebook()
    assert before.rule("OH", "np", when).ownership == "mso_required"
    mso_ids = applicable_condition_ids(owner, when)
    assert load_rulebook() is before  # unchanged file: the cached book
    overlay.write_text(text.replace("ownership: mso_required",
                                    "ownership: \"yes\"\n        conditions: [np_collaboration]"),
                       encoding="utf-8")
    st = overlay.stat()  # a same-second edit on a coarse clock: make the change visible
    os.utime(overlay, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000))
    after = load_rulebook()
    assert after is not before and after.rule("OH", "np", when).ownership == "yes"
    assert applicable_condition_ids(owner, when) == mso_ids | {"np_collaboration"}
    monkeypatch.delenv("MSOMODEL_RULES_OVERLAY")
