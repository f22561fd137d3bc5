"""The portfolio index without rendering: rows from a comparison's JSON (v1 and v2), sidecars,
stale entries, tidy CSV and JSON, readable HTML, slugs, folders of scenarios, the import graph."""

from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
from pathlib import Path

import pytest

from msomodel.report.common import unique_slugs
from msomodel.report.index import (
    COLUMNS,
    fee_level,
    index_csv,
    index_figures,
    index_html,
    index_json,
    index_row,
    make_sidecar,
    neutralise,
    read_sidecars,
    rebuild_index,
    sidecar_json,
    sidecar_row,
)
from msomodel.report.sources import expand_paths, inputs_sha256, scenarios_in

ROOT = Path(__file__).resolve().parents[1]

#: A comparison's JSON in schema version 2 (only the keys the index reads, plus noise).
V2 = {
    "schema_version": 2,
    "scenario": {"name": "Arizona PA, two sites", "path": "az.yaml", "sha256": "ab" * 32},
    "compliance": {"state": "AZ", "licence": "pa", "checked": True},
    "structure": {"id": "friendly_pc", "label": "Friendly PC and MSO", "status": "open"},
    "recommendation": {"option": "mso", "label": "Third-party MSO", "verdict": "close call",
                       "margin": 61630.584, "probability_best": 0.61237,
                       "runner_up_label": "Software only", "reason": "..."},
    "options": {
        "self_managed": {"label": "Self-managed", "feasible": False, "npv": 4035788.054965945,
                         "peak_funding": 1068818.4850852771, "payback_month": 38,
                         "monthly_net_cash_flow": [0.0] * 61},
        "software_only": {"label": "Software only", "feasible": True, "npv": -4886603.961660524,
                          "peak_funding": 970314.5171747248, "payback_month": None},
        "mso": {"label": "Third-party MSO", "feasible": True, "npv": 4948234.546640687,
                "peak_funding": 958187.000567642, "payback_month": 34},
    },
    "breakeven": {"level": 1.3178291085372675, "unit": "multiple of the scenario's tier rates",
                  "current": 1.0, "target": "mso_vs_self_managed", "field": None},
}


# -- one row from a comparison's JSON ----------------------------------------------------------

def test_index_row_reads_schema_v2() -> None:
    row = index_row(V2)
    assert row["client"] == "Arizona PA, two sites"
    assert (row["state"], row["licence"]) == ("AZ", "pa")
    assert (row["structure"], row["structure_status"]) == ("Friendly PC and MSO", "open")
    assert (row["recommended_option"], row["recommended"]) == ("mso", "Third-party MSO")
    assert row["probability_best"] == 0.6124 and row["runner_up"] == "Software only"
    assert row["verdict"] == "close call"
    # money rounded to the cent, in USD; negative values stay numbers
    assert row["npv_mso"] == 4948234.55 and row["npv_software_only"] == -4886603.96
    assert row["feasible_self_managed"] is False and row["feasible_mso"] is True
    assert row["peak_funding"] == 958187.0 and row["payback_month"] == 34  # the recommended's
    assert row["breakeven_level"] == 1.3178 and row["breakeven_current"] == 1.0
    assert row["breakeven_unit"] == "multiple of the scenario's tier rates"


def test_index_row_falls_back_to_schema_v1() -> None:
    """Today's ``to_dict()`` (no schema_version, no labels on the recommendation): the same row."""
    import msomodel

    figures = msomodel.compare(msomodel.load_scenario(
        ROOT / "scenarios" / "california_np_three_sites.yaml")).to_dict()
    row = index_row(figures)
    assert row["client"] == figures["scenario"]["name"]
    assert (row["state"], row["licence"]) == ("CA", "np")
    option = figures["recommendation"]["option"]
    assert row["recommended_option"] == option
    assert row["recommended"] == figures["options"][option]["label"]  # a label, never "mso"
    assert row["npv_mso"] == round(figures["options"]["mso"]["npv"], 2)
    assert row["breakeven_unit"] == figures["breakeven"]["unit"]
    assert index_row(index_figures(figures)) == row  # a sidecar keeps all the row needs
    assert len(json.dumps(index_figures(figures))) < 3000


def test_index_row_of_nothing_is_empty_not_an_error() -> None:
    row = index_row(None)
    assert set(row) <= set(COLUMNS) and all(v is None for v in row.values())
    assert index_row({"options": "garbage", "breakeven": {"level": float("nan")}})[
        "breakeven_level"] is None


# -- the index files ---------------------------------------------------------------------------

def full_row(**overrides: object) -> dict[str, object]:
    row = {c: None for c in COLUMNS}
    row.update(index_row(V2), slug="az", scenario="az.yaml", rendered="2026-12-02",
               status="ok", html="az.html", pdf="az.pdf")
    row.update(overrides)
    return row


def test_tiered_breakeven_is_a_multiple_never_dollars() -> None:
    page = index_html([full_row()])
    assert "1.32×" in page and "$1<" not in page and "$1 " not in page
    assert "MSO fee at which self-managed catches up" in page
    assert "Third-party MSO" in page and ">mso<" not in page  # plain labels, not codes
    assert "61% likely best" in page and "not open" in page  # self-managed is closed


#: Too close to call: no option is recommended, the leader (highest NPV) is named.
TOO_CLOSE = {**V2, "recommendation": {
    "option": None, "label": None, "verdict": "too_close", "leader": "software_only",
    "leader_label": "Software only", "margin": 12000.0,
    "probability_best": {"software_only": 0.5715, "mso": 0.3085, "self_managed": 0.12},
    "runner_up_label": "Third-party MSO", "reason": "..."}}


def test_a_too_close_row_names_no_recommended_option_but_the_leader_and_its_figures() -> None:
    row = index_row(TOO_CLOSE)
    assert (row["recommended_option"], row["recommended"]) == (None, None)
    assert row["verdict"] == "too_close" and row["leader"] == "Software only"
    assert row["probability_best"] == 0.5715  # the leader's
    assert row["peak_funding"] == 970314.52 and row["payback_month"] is None  # the leader's
    assert index_row(index_figures(TOO_CLOSE)) == row  # a sidecar keeps the leader
    assert index_row(V2)["leader"] == "Third-party MSO"  # recommended: the leader is it


def test_a_too_close_row_says_so_in_words_in_the_index_page() -> None:
    page = index_html([full_row(**index_row(TOO_CLOSE))])
    cells = re.findall(r"<td class=\"text\">([^<]*)<br><span class=\"small\">([^<]*)</span></td>",
                       page.split("Arizona PA")[1])
    assert cells[1] == ("Too close to call", "leader: Software only, 57% likely best")  # structure first
    assert "none open" not in page and "too_close" not in page
    recommended = index_html([full_row()])
    assert "Third-party MSO<br><span class=\"small\">61% likely best · recommended</span>" in recommended


@pytest.mark.parametrize(("level", "unit", "text"), [
    (9870.4, "USD per site per month", "$9,870"),
    (1.3178, "multiple of the scenario's tier rates", "1.32×"),
    (0.185, "share of collections", "18.5%"),
    (0.25, "markup on the MSO's cost base", "25.0%"),
    (None, "share of collections", "–"),
])
def test_fee_level_in_its_own_unit(level: float | None, unit: str, text: str) -> None:
    assert fee_level(level, unit) == text


@pytest.mark.parametrize("cell", ["=HYPERLINK(\"http://x\")", "+1+1", "-2+3", "@SUM(A1)",
                                  "\t=1", "\r=1"])
def test_csv_neutralises_formula_cells(cell: str) -> None:
    assert neutralise(cell) == "'" + cell
    text = index_csv([full_row(client=cell, npv_mso=-1234.5)])
    row = next(csv.DictReader(io.StringIO(text, newline="")))
    assert row["client"] == "'" + cell
    assert row["npv_mso"] == "-1234.5"  # numbers are ours: left as numbers
    assert json.loads(index_json([full_row(client=cell)]))["rows"][0]["client"] == cell


def test_csv_and_json_hold_the_same_tidy_rows() -> None:
    rows = [full_row(), full_row(slug="b", client="B", status="failed", npv_mso=None)]
    parsed = list(csv.DictReader(io.StringIO(index_csv(rows))))
    document = json.loads(index_json(rows))
    assert list(parsed[0]) == list(COLUMNS) == list(document["columns"])
    assert document["columns"]["npv_mso"]["unit"] == "USD"
    for text_row, typed in zip(parsed, document["rows"], strict=True):
        for column, value in typed.items():
            expected = "" if value is None else ("true" if value is True else
                                                 "false" if value is False else str(value))
            assert text_row[column] == expected, column


# -- sidecars and the portfolio ------------------------------------------------------------------

def write_report(out: Path, slug: str, scenario: Path, figures: dict | None = None) -> None:
    """A rendered report as the batch leaves it: its files and its sidecar."""
    for fmt in ("html", "pdf"):
        (out / f"{slug}.{fmt}").write_text("report")
    sidecar = make_sidecar(slug=slug, scenario_path=str(scenario), status="ok",
                           figures=figures or V2, outputs={"html": f"{slug}.html",
                                                           "pdf": f"{slug}.pdf"})
    (out / f"{slug}.json").write_text(sidecar_json(sidecar))


def test_index_is_rebuilt_from_every_sidecar_and_marks_stale_entries(tmp_path: Path) -> None:
    clients, out = tmp_path / "clients", tmp_path / "out"
    clients.mkdir()
    out.mkdir()
    (clients / "base.yaml").write_text("name: base\n")
    for name in ("a", "b", "c", "d"):
        (clients / f"{name}.yaml").write_text(f"extends: base.yaml\nname: {name}\n")
        write_report(out, name, clients / f"{name}.yaml",
                     {**V2, "scenario": {"name": f"Client {name}"}})
    (out / "notes.json").write_text('{"not": "a sidecar"}')
    paths, rows = rebuild_index(out)
    assert [r["client"] for r in rows] == ["Client a", "Client b", "Client c", "Client d"]
    assert {r["status"] for r in rows} == {"ok"}
    assert set(paths) == {"csv", "json", "html"}

    (clients / "a.yaml").write_text("extends: base.yaml\nname: a, new fee\n")
    (clients / "b.yaml").unlink()
    (out / "c.pdf").unlink()
    _, rows = rebuild_index(out)
    by_slug = {r["slug"]: r for r in rows}
    assert by_slug["a"]["status"] == "stale" and "changed" in by_slug["a"]["stale_reason"]
    assert by_slug["b"]["status"] == "stale" and "gone" in by_slug["b"]["stale_reason"]
    assert by_slug["c"]["status"] == "stale" and "c.pdf" in by_slug["c"]["stale_reason"]
    assert by_slug["d"]["status"] == "ok"
    (clients / "base.yaml").write_text("name: base\nmonths: 48\n")  # a shared base changed
    assert sidecar_row(next(s for s in read_sidecars(out) if s["slug"] == "d"), out)[
        "status"] == "stale"
    page = (out / "index.html").read_text()
    assert page.count("<tr>") == 5 and "stale" in page


def test_inputs_hash_covers_the_extends_chain(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: base\n")
    (tmp_path / "x.yaml").write_text("extends: base.yaml\n")
    before = inputs_sha256(tmp_path / "x.yaml")
    (tmp_path / "base.yaml").write_text("name: changed\n")
    assert before and inputs_sha256(tmp_path / "x.yaml") != before
    assert inputs_sha256(tmp_path / "missing.yaml") is None


# -- slugs -------------------------------------------------------------------------------------

def test_slugs_are_unique_against_everything_taken(tmp_path: Path) -> None:
    a, b = tmp_path / "a" / "x.yaml", tmp_path / "b" / "x.yaml"
    assert unique_slugs([a, tmp_path / "x-2.yaml", b]) == ["x", "x-2", "x-3"]
    assert unique_slugs([b, a]) == ["x", "x-2"]
    # Reports already in the folder: a scenario keeps its own slug, another one gets a new one.
    taken = {"x": str(a.resolve()), "x-2": str(tmp_path / "other.yaml")}
    assert unique_slugs([b, a], taken) == ["x-3", "x"]
    assert unique_slugs([tmp_path / "index.yaml"]) == ["index-2"]  # the index's own names


# -- folders of scenarios ----------------------------------------------------------------------

def test_a_folder_gives_its_scenarios_without_bases(tmp_path: Path) -> None:
    bundled = scenarios_in(ROOT / "scenarios")
    assert bundled and all(p.parent == ROOT / "scenarios" for p in bundled)
    # a client file that a variant extends is a client too (it validates on its own)
    assert ROOT / "scenarios" / "ohio_physician_single_site.yaml" in bundled
    assert len(bundled) == len(list((ROOT / "scenarios").glob("*.yaml")))
    assert not [p for p in bundled if "common" in p.parts]
    (tmp_path / "common").mkdir()
    (tmp_path / "common" / "shared.yaml").write_text("name: shared\n")
    (tmp_path / "base.yml").write_text("name: base\n")
    (tmp_path / "client.yaml").write_text("extends: base.yml\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "other.yaml").write_text("extends: ../common/shared.yaml\n")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.yaml").write_text("name: x\n")
    (tmp_path / "broken.yaml").write_text("options: [1, 2\n")  # still a client: it fails later
    (tmp_path / "notes.txt").write_text("")
    bases: list[tuple[Path, Path]] = []
    found = [p.relative_to(tmp_path).as_posix() for p in scenarios_in(tmp_path, bases)]
    assert found == ["broken.yaml", "client.yaml", "sub/other.yaml"]
    assert bases == [(tmp_path / "base.yml", tmp_path / "client.yaml")]
    files, missing, empty = expand_paths([tmp_path, tmp_path / "nope.yaml", tmp_path / "common" /
                                          "shared.yaml", tmp_path / "sub" / "x"])
    assert len(files) == 4 and missing == [str(tmp_path / "nope.yaml"), str(tmp_path / "sub/x")]
    (tmp_path / "empty").mkdir()
    assert expand_paths([tmp_path / "empty"])[2] == [str(tmp_path / "empty")]


# -- the command line --------------------------------------------------------------------------

def test_report_help_describes_every_argument(capsys: pytest.CaptureFixture[str]) -> None:
    from msomodel.cli import build_parser

    with pytest.raises(SystemExit):
        build_parser().parse_args(["report", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    for expected in ("SCENARIO", "folders", "common/", "(default: reports/)",
                     "any of: ipynb, html, pdf", "(default: number of CPUs)", "--scheduler",
                     "examples:", "msomodel report scenarios/", "exit status"):
        assert expected in text, expected


@pytest.mark.parametrize("case", ["file", "under_file", "read_only"])
def test_unusable_output_folder_exits_2_before_rendering(
        case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    from msomodel.cli import main

    (tmp_path / "a_file").write_text("")
    target = {"file": tmp_path / "a_file", "under_file": tmp_path / "a_file" / "out",
              "read_only": tmp_path / "ro"}[case]
    if case == "read_only":
        target.mkdir()
        target.chmod(0o555)
        if os.geteuid() == 0:  # root ignores the mode: stand in for a read-only mount
            real_mkdir = Path.mkdir

            def refuse(self: Path, *args: object, **kw: object) -> None:
                if self.parent == target:
                    raise OSError(30, "Read-only file system", str(self))
                real_mkdir(self, *args, **kw)  # type: ignore[arg-type]

            monkeypatch.setattr(Path, "mkdir", refuse)
    scenario = ROOT / "tests" / "fixtures" / "report" / "alpha.yaml"
    assert main(["report", str(scenario), "-o", str(target), "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and str(target) in err and "-o" in err
    assert {"file": "is a file", "under_file": "which is a file",
            "read_only": "not writable"}[case] in err
    target.chmod(0o755) if target.is_dir() else None


def test_bad_arguments_exit_2_with_a_message(tmp_path: Path,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    from msomodel.cli import main

    (tmp_path / "empty").mkdir()
    assert main(["report", str(tmp_path / "empty"), "-o", str(tmp_path / "o")]) == 2
    assert "no scenario files" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["report", str(tmp_path), "--formats", "pdf,docx"])
    assert exc.value.code == 2 and "ipynb, html, pdf" in capsys.readouterr().err
    assert not (tmp_path / "o").exists()


# -- the import graph ----------------------------------------------------------------------------

def test_report_modules_import_one_way() -> None:
    """No cycle among msomodel.report's modules, counting imports inside functions too."""
    folder = ROOT / "msomodel" / "report"
    graph: dict[str, set[str]] = {}
    for path in folder.glob("*.py"):
        edges = graph.setdefault(path.stem, set())
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module:
                    edges.add(node.module.split(".")[0])
                elif node.level == 1:
                    edges.update(a.name for a in node.names)
                elif (node.module or "").startswith("msomodel.report."):
                    edges.add(node.module.split(".")[2])
    graph.pop("__init__")
    for edges in graph.values():
        edges.discard("__init__")

    def reach(start: str, seen: set[str]) -> set[str]:
        for nxt in graph.get(start, ()):
            if nxt not in seen:
                seen.add(nxt)
                reach(nxt, seen)
        return seen

    cycles = sorted(m for m in graph if m in reach(m, set()))
    assert not cycles, f"import cycle through {cycles}"
    assert "cluster" in graph["batch"] and "batch" not in graph["cluster"]


def test_index_row_of_a_real_comparison_has_the_probability_of_the_recommended_option() -> None:
    import msomodel
    from msomodel.report import index_row

    r = msomodel.compare(msomodel.load_scenario(ROOT / "scenarios" / "texas_rn_single_site.yaml"))
    row = index_row(r.to_dict())
    d = r.decision
    assert row["recommended_option"] == d.leader == "mso" and row["verdict"] == "recommended"
    assert row["probability_best"] == pytest.approx(d.probability_best["mso"], abs=5e-5)
    assert row["structure"] == "Owned MSO + friendly PC"
