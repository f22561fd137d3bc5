"""The system libraries reports rely on for speed are found (scripts/ensure-system-deps.sh)."""

from __future__ import annotations

from system_packages import unavailable


def test_weasyprint_subsets_fonts_with_harfbuzz() -> None:
    """With Debian's libharfbuzz-subset0, WeasyPrint subsets fonts in C instead of fontTools'
    pure Python (about 0.5 s of each report's CPU); without it reports still render."""
    from weasyprint.text import ffi

    # WeasyPrint's own condition for the HarfBuzz path (weasyprint/pdf/fonts.py: Font.subset).
    if ffi.harfbuzz_subset is not None and ffi.harfbuzz.hb_version_atleast(4, 1, 0):
        return
    unavailable("libharfbuzz-subset0 is missing: WeasyPrint falls back to fontTools; install it "
                "with `bash scripts/ensure-system-deps.sh report` as root", "the HarfBuzz check")


def test_pdf_fonts_are_subset(tmp_path) -> None:
    """The subsetter in use (HarfBuzz or fontTools) keeps the PDF small: a one-line page embeds
    a subset of DejaVu/the default font, not the whole file."""
    import weasyprint

    pdf = tmp_path / "x.pdf"
    weasyprint.HTML(string="<p>Self-managed $982k</p>").write_pdf(pdf)
    assert 0 < pdf.stat().st_size < 60_000
