"""Two layout defects of the printed report: the ownership map's legend covered tiles (HI under
"owns outright", Florida's own outlined tile under "contested"), and headings ended pages with
their content on the next one (the appendix's group rows, the decision page's "Assumptions that
favor one option" with its introduction)."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import pytest  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from system_packages import unavailable  # noqa: E402

import msomodel  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "scenarios"


# -- the ownership map ---------------------------------------------------------------------------

def report_map(name: str, height: float | None):
    """The map as the report draws it for scenario ``name`` (its owner's license, its state
    outlined, title and notice hidden), ``height`` inches tall (None: the figure's own size)."""
    from msomodel.charts.usmap import tile_map

    result = msomodel.compare(msomodel.load_scenario(SCENARIOS / f"{name}.yaml"), trials=0)
    c = result.compliance
    fig = tile_map(c.licence, highlight=c.state, on=result.scenario.finance.start_date)
    fig._suptitle.set_visible(False)
    for text in fig.texts:
        if "legal advice" in text.get_text().lower():
            text.set_visible(False)
    if height is not None:
        width, own = fig.get_size_inches()
        fig.set_size_inches(width, min(own, height))
    return fig, c.state


def drawn(fig):
    """Draw ``fig`` (the map is a bare Figure: give it an Agg canvas) and return the renderer."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return canvas.get_renderer()


@pytest.mark.parametrize("height", [None, "report"])
@pytest.mark.parametrize("name", ["florida_entrepreneur_five_sites", "ohio_physician_single_site",
                                  "california_np_three_sites", "texas_rn_single_site"])
def test_the_map_legend_covers_no_tile(name: str, height: str | None) -> None:
    import matplotlib.pyplot as plt

    from msomodel.charts.usmap import TILES
    from msomodel.report.sections.common import FIGURE_MAX_HEIGHT

    fig, state = report_map(name, FIGURE_MAX_HEIGHT if height else None)
    renderer = drawn(fig)
    [legend] = fig.legends
    box = legend.get_window_extent(renderer)
    ax = fig.axes[0]
    tiles = [p for p in ax.patches if isinstance(p, Rectangle)]
    assert len(tiles) == len(TILES) + 1  # every state and DC, and the outline of the highlighted
    for patch in tiles:
        tile = patch.get_window_extent(renderer)
        assert not tile.overlaps(box), (name, patch.get_xy(), tile.bounds, box.bounds)
    for label in ax.texts:  # the state codes too
        assert not label.get_window_extent(renderer).overlaps(box), (name, label.get_text())
    assert f"highlighted: {state}" in [t.get_text() for t in legend.get_texts()]
    # all of it on the figure (nothing cut at the edge of the printed image)
    ink = fig.get_tightbbox(renderer).transformed(fig.dpi_scale_trans)
    assert ink.x0 >= -1 and ink.y0 >= -1, ink.bounds
    assert ink.x1 <= fig.bbox.width + 1 and ink.y1 <= fig.bbox.height + 1, ink.bounds
    plt.close(fig)


def test_the_maps_own_title_and_notice_stay_clear_of_the_tiles_and_legend() -> None:
    """As ``msomodel rules --map`` writes it: title above, legend beside, notice below."""
    from msomodel.charts.usmap import tile_map

    fig = tile_map("none", highlight="FL")
    renderer = drawn(fig)
    ax = fig.axes[0]
    others = [fig.legends[0].get_window_extent(renderer)] + [
        t.get_window_extent(renderer) for t in fig.texts if t.get_visible() and t.get_text()]
    assert len(others) == 3
    for patch in ax.patches:
        tile = patch.get_window_extent(renderer)
        assert not any(tile.overlaps(o) for o in others), patch.get_xy()
    for a in others:
        assert sum(a.overlaps(b) for b in others) == 1  # only itself


# -- headings stay with what follows them --------------------------------------------------------

HEADINGS = ("h2", "h3", "h4", "caption")


class Outline(HTMLParser):
    """The report's headings (h2-h4, table captions, the appendix's group rows) and each
    heading's introduction (a paragraph between a heading and its table), in order."""

    def __init__(self) -> None:
        super().__init__()
        self.items: list[list] = []  # [kind, text, the tag that follows]
        self.open: tuple[str, list[str], str] | None = None

    def handle_starttag(self, tag: str, attrs: list) -> None:
        classes = (dict(attrs).get("class") or "").split()
        if self.items and self.items[-1][2] is None and tag not in ("br", "span", "strong", "em"):
            self.items[-1][2] = tag
        if self.open is None:
            if tag in HEADINGS or (tag == "tr" and "group" in classes):
                self.open = (tag, [], "heading")
            elif tag == "p" and self.items and self.items[-1][:1] == ["heading"] \
                    and self.items[-1][2] == "p":
                self.open = (tag, [], "intro")

    def handle_endtag(self, tag: str) -> None:
        if self.open and tag == self.open[0]:
            self.items.append([self.open[2], " ".join("".join(self.open[1]).split()), None])
            self.open = None

    def handle_data(self, data: str) -> None:
        if self.open:
            self.open[1].append(data)


def outline(html: str) -> tuple[set[str], set[str]]:
    """(headings, introductions) of the report ``html``. A heading followed by a chart is left
    out: the chart is an image, so the heading is the last *text* above it (its block is kept
    whole, ``.keep``)."""
    parser = Outline()
    parser.feed(html)
    heads = {text for kind, text, after in parser.items
             if kind == "heading" and text and after != "figure"}
    intros = {text for kind, text, after in parser.items
              if kind == "intro" and after == "table" and len(text) > 20}
    return heads, intros


def pdftotext(pdf: Path, option: str, what: str) -> str:
    """``pdftotext OPTION PDF -`` (Debian poppler-utils; ``what`` is the test that needs it)."""
    tool = shutil.which("pdftotext")
    if not tool:
        unavailable("pdftotext (Debian poppler-utils) is missing; install it with "
                    "`bash scripts/ensure-system-deps.sh` as root", what)
    return subprocess.run([tool, option, str(pdf), "-"], capture_output=True, text=True,
                          check=True, timeout=300).stdout


def page_lines(pdf: Path) -> list[list[str]]:
    """Each page's text lines (``pdftotext -layout``), without the footer's two lines ("Prepared
    for ... Page N of M" and "Not legal or financial advice")."""
    text = pdftotext(pdf, "-layout", "the heading test")
    return [[" ".join(line.split()) for line in page.splitlines()
             if line.strip() and not re.search(r"Page \d+ of \d+\s*$", line)
             and line.strip() != "Not legal or financial advice"]
            for page in text.split("\f")[:-1]]


def orphaned_headings(pdf: Path, html: str) -> dict[int, str]:
    """Pages (numbered from 1) whose last text line is a heading, or a heading's introduction
    (its table starts on the next page)."""
    heads, intros = outline(html)
    found = {}
    for number, lines in enumerate(page_lines(pdf), 1):
        if len(lines) < 2:
            continue
        last, two = lines[-1], " ".join(lines[-2:])  # a heading may wrap onto two lines
        if last in heads or two in heads or any(len(last) > 20 and last in t for t in intros):
            found[number] = last
    return found


def test_the_check_sees_an_orphaned_heading(tmp_path: Path) -> None:
    """The check itself, on pages laid out to end with a heading and with an introduction."""
    from msomodel.report.convert import stylesheet, to_pdf

    rows = "".join(f"<tr><td>Row {i}</td><td>{i}</td></tr>" for i in range(30))
    html = (f"<html><head><style>{stylesheet('Check')}</style></head><body>"
            "<section class='cover'>Cover</section>"
            "<div style='height: 220mm'>Filler</div><h3 style='break-after: page'>Lonely heading</h3>"
            f"<table><tbody>{rows}</tbody></table>"
            "<div style='break-before: page; height: 220mm'>Filler</div>"
            "<div class='block'><h3>Another heading</h3><p style='break-after: page'>An introduction "
            f"of more than twenty characters.</p><table><tbody>{rows}</tbody></table></div>"
            "</body></html>")
    to_pdf(html, tmp_path / "check.pdf")
    assert orphaned_headings(tmp_path / "check.pdf", html) == {
        2: "Lonely heading", 4: "An introduction of more than twenty characters."}


@pytest.fixture(scope="module")
def ohio_percentage(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """The Ohio percentage-fee report: its decision page ended with a heading and its
    introduction, its appendix pages with group rows ("Loan", "Role: billing admin")."""
    from msomodel.report import render_one

    out = tmp_path_factory.mktemp("report")
    result = render_one(SCENARIOS / "ohio_physician_percentage_fee.yaml", out,
                        formats=("html", "pdf"))
    assert result.ok, result.error
    return Path(result.outputs["pdf"]), Path(result.outputs["html"]).read_text(encoding="utf-8")


def test_no_page_ends_with_a_heading(ohio_percentage: tuple[Path, str]) -> None:
    pdf, html = ohio_percentage
    heads, intros = outline(html)
    assert {"Assumptions that favor one option", "Loan", "Role: billing admin"} <= heads
    assert any(t.startswith("Each input set equal across the options") for t in intros)
    assert orphaned_headings(pdf, html) == {}


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_no_page_ends_with_a_heading_in_either_engine(
        ohio_percentage: tuple[Path, str], engine: str, tmp_path: Path) -> None:
    from msomodel.report import chromium
    from msomodel.report.convert import to_pdf

    if engine == "chromium" and not chromium.find_chromium():
        unavailable("no Chromium on PATH; install it with `bash scripts/ensure-system-deps.sh` "
                    "as root (apt-get install chromium)", "the Chromium layout test")
    _, html = ohio_percentage
    to_pdf(html, tmp_path / "report.pdf", engine=engine)
    assert orphaned_headings(tmp_path / "report.pdf", html) == {}


# -- every page prints at its designed size, nothing past the margins ----------------------------
#
# A table wider than the page (the monthly appendix's one-line headers, a source's unbreakable
# URL) made Chromium print *every* page at about 90 % of its size, and WeasyPrint print past the
# right margin.  The cover's first word starts at the cover's border and padding (9 + 26 mm) only
# at 100 %; every word must end inside the right margin (18 mm; the cover's is 22 mm).

A4_WIDTH_PT = 595.28
MM = 72 / 25.4


def words(pdf: Path) -> list[tuple[int, float, float, str]]:
    """Every word of ``pdf`` as (page from 1, left, right [pt], text) (``pdftotext -bbox``)."""
    text = pdftotext(pdf, "-bbox", "the page-size test")
    out, page = [], 0
    for line in text.splitlines():
        if "<page " in line:
            page += 1
        m = re.search(r'xMin="([\d.]+)".*xMax="([\d.]+)".*>(.*)</word>', line)
        if m:
            out.append((page, float(m.group(1)), float(m.group(2)), m.group(3)))
    return out


def size_problems(pdf: Path) -> list[str]:
    """What is wrong with the printed size: a cover not at 100 %, words past the right margin."""
    found = words(pdf)
    first = next(w for w in found if w[0] == 1)
    problems = []
    if abs(first[1] - 35 * MM) > 0.5:
        problems.append(f"cover's first word '{first[3]}' at {first[1]:.1f} pt, expected "
                        f"{35 * MM:.1f} pt (the page is printed at {first[1] / (35 * MM):.0%})")
    right = A4_WIDTH_PT - 18 * MM + 1.0
    problems += [f"page {p}: '{t}' ends at {x1:.1f} pt, past the margin at {right - 1:.1f} pt"
                 for p, _, x1, t in found if x1 > right]
    return problems[:10]


@pytest.fixture(scope="module")
def florida_html(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The Florida report's HTML: its monthly table is the widest (14 columns), and its
    assumptions appendix cites a long URL with no place to break."""
    from msomodel.report import render_one

    out = tmp_path_factory.mktemp("florida")
    result = render_one(SCENARIOS / "florida_entrepreneur_five_sites.yaml", out, formats=("html",))
    assert result.ok, result.error
    html = Path(result.outputs["html"]).read_text(encoding="utf-8")
    assert "140749253.html?page=2" in html and 'class="report pl monthly"' in html
    return html


@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
@pytest.mark.parametrize("which", ["florida", "ohio_percentage"])
def test_every_page_prints_at_its_size_inside_the_margins(
        request: pytest.FixtureRequest, which: str, engine: str, tmp_path: Path) -> None:
    from msomodel.report import chromium
    from msomodel.report.convert import to_pdf

    if engine == "chromium" and not chromium.find_chromium():
        unavailable("no Chromium on PATH; install it with `bash scripts/ensure-system-deps.sh` "
                    "as root (apt-get install chromium)", "the Chromium page-size test")
    html = (request.getfixturevalue("florida_html") if which == "florida"
            else request.getfixturevalue("ohio_percentage")[1])
    to_pdf(html, tmp_path / "report.pdf", engine=engine)
    assert size_problems(tmp_path / "report.pdf") == []


def test_the_size_check_sees_a_shrunk_page_and_a_word_past_the_margin(tmp_path: Path) -> None:
    """The check itself: a page too wide for A4 (Chromium shrinks it; WeasyPrint overflows)."""
    from msomodel.report.convert import stylesheet, to_pdf

    html = (f"<html><head><style>{stylesheet('Check')}</style></head><body>"
            "<section class='cover'>Cover</section>"
            "<p style='white-space: nowrap'>" + "wide " * 60 + "end</p></body></html>")
    to_pdf(html, tmp_path / "wide.pdf")
    problems = size_problems(tmp_path / "wide.pdf")
    assert any("past the margin" in p for p in problems), problems
