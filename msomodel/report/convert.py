"""Executed notebook → report HTML (no code, prompts, warnings) → PDF (headless Chromium or
WeasyPrint, :func:`pdf_engine`)."""

from __future__ import annotations

import json
import logging
import os
import sys
import warnings
from functools import cache
from pathlib import Path
from typing import Any

#: Packages that a dependency imports at start-up and no report uses. jsonschema (imported by
#: nbformat, hence by papermill and nbconvert) imports ``rfc3987_syntax`` when it is installed,
#: which builds a Lark grammar at import: 1-2 s of every report process's start-up, spent on
#: ``iri`` format checks that nbformat never runs (it validates notebooks without a format
#: checker). Marked absent before nbformat is imported, jsonschema simply skips those formats.
UNUSED_AT_STARTUP = ("rfc3987_syntax",)


def skip_unused_imports() -> None:
    """Keep :data:`UNUSED_AT_STARTUP` off this process's start-up path (unless already loaded)."""
    if "jsonschema" in sys.modules:
        return  # too late to matter, and jsonschema has decided already
    for name in UNUSED_AT_STARTUP:
        sys.modules.setdefault(name, None)  # type: ignore[arg-type]  # None: "import fails"


skip_unused_imports()

import nbformat  # noqa: E402

from msomodel.formatting import css_string  # noqa: E402

HERE = Path(__file__).parent
CSS_PATH = HERE / "print.css"
TEMPLATE_PATH = HERE / "templates" / "report.html.j2"

#: Cells with these tags never appear in the report.
HIDDEN_CELL_TAGS = ("parameters", "injected-parameters", "key-figures", "remove-cell", "remove")
KEY_FIGURES_TAG = "key-figures"


def _is_noise(output: dict[str, Any]) -> bool:
    """stderr streams and outputs marked as warnings (metadata ``warning`` or tag ``warning``)."""
    if output.get("output_type") == "stream" and output.get("name") == "stderr":
        return True
    meta = output.get("metadata") or {}
    return bool(meta.get("warning")) or "warning" in (meta.get("tags") or [])


def clean_notebook(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """A copy of ``nb`` as it should be shown: hidden cells dropped, stderr/warning outputs removed."""
    nb = nbformat.from_dict(json.loads(json.dumps(nb)))
    cells = []
    for cell in nb.cells:
        if set(cell.get("metadata", {}).get("tags", [])) & set(HIDDEN_CELL_TAGS):
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if not _is_noise(o)]
        cells.append(cell)
    nb.cells = cells
    return nb


def key_figures(nb: nbformat.NotebookNode) -> dict[str, Any] | None:
    """The JSON displayed by the cell tagged ``key-figures`` (the comparison's ``to_dict()``)."""
    for cell in nb.cells:
        if KEY_FIGURES_TAG in cell.get("metadata", {}).get("tags", []):
            for output in cell.get("outputs", []):
                data = output.get("data", {}).get("application/json")
                if isinstance(data, dict):
                    return data
                if isinstance(data, str):
                    return json.loads(data)
    return None


def stylesheet(title: str) -> str:
    """The print stylesheet with the running header set to ``title``."""
    return CSS_PATH.read_text(encoding="utf-8") + (
        f"\n@page {{ @top-left {{ content: {css_string(title)}; }} }}\n"
        "@page :first { @top-left { content: none; } }\n"
    )


@cache
def _exporter():  # type: ignore[no-untyped-def]
    from nbconvert import HTMLExporter

    return HTMLExporter(
        template_file=str(TEMPLATE_PATH),
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        embed_images=True,
    )


def to_html(nb: nbformat.NotebookNode, title: str) -> str:
    """Report HTML for an executed notebook; images are embedded as data URIs."""
    resources = {"report": {"title": title, "css": stylesheet(title)}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        body, _ = _exporter().from_notebook_node(clean_notebook(nb), resources=resources)
    return body


#: ``MSOMODEL_PDF_ENGINE`` (or ``msomodel report --pdf-engine``): which renderer prints the PDF.
PDF_ENGINES = ("auto", "chromium", "weasyprint")


class PdfEngineError(ValueError):
    """``MSOMODEL_PDF_ENGINE`` names no engine, or names Chromium and there is none."""


def pdf_engine() -> tuple[str, str | None]:
    """The renderer for PDFs, as ``(name, chromium executable or None)``.

    ``auto`` (the default) prints with headless Chromium when one is installed (about 0.5 s a
    report in a running browser) and with WeasyPrint otherwise (about 3.5 s, pure Python); both
    read the same print CSS. ``chromium`` requires a browser, ``weasyprint`` never uses one.
    """
    from .chromium import find_chromium

    wanted = os.environ.get("MSOMODEL_PDF_ENGINE", "auto").strip().lower() or "auto"
    if wanted not in PDF_ENGINES:
        raise PdfEngineError(f"MSOMODEL_PDF_ENGINE must be one of {', '.join(PDF_ENGINES)}, "
                             f"found {wanted!r}")
    if wanted == "weasyprint":
        return "weasyprint", None
    executable = find_chromium()
    if executable:
        return "chromium", executable
    if wanted == "chromium":
        named = os.environ.get("MSOMODEL_CHROMIUM")
        where = (f"MSOMODEL_CHROMIUM={named!r} is not an executable" if named else
                 "none of chromium, chromium-browser, google-chrome is on PATH")
        raise PdfEngineError(
            f"the PDF engine is chromium but no Chromium was found ({where}); install it "
            "with `bash scripts/ensure-system-deps.sh` as root (Debian: apt-get install "
            "chromium)")
    return "weasyprint", None


def to_pdf(html: str, target: Path, base_url: str | None = None) -> None:
    """Write the PDF of ``html`` to ``target`` with the engine :func:`pdf_engine` picks.

    Chromium reads the HTML from a file next to ``target``, removed afterwards; ``base_url``
    (where relative links resolve) applies to WeasyPrint, the report itself has none.
    Raises :class:`~.chromium.ChromiumError` if the browser fails twice.
    """
    engine, executable = pdf_engine()
    if engine == "chromium":
        from .chromium import print_pdf

        source = target.with_name(f".{target.stem}.print.html")
        try:
            source.write_text(html, encoding="utf-8")
            print_pdf(executable, source, target)  # type: ignore[arg-type]
        finally:
            source.unlink(missing_ok=True)
        return
    import weasyprint

    quiet_logs()
    weasyprint.HTML(string=html, base_url=base_url).write_pdf(target)


def quiet_logs() -> None:
    """WeasyPrint and fontTools log font-subsetting chatter at WARNING; keep the terminal clean."""
    for name in ("weasyprint", "fontTools", "fontTools.subset", "papermill", "traitlets"):
        logging.getLogger(name).setLevel(logging.ERROR)


def warm_imports() -> None:
    """Import the converters (and papermill) now and start the PDF engine, e.g. in a pool
    worker's initializer: Chromium boots in the background while the first notebook runs."""
    import papermill  # noqa: F401

    quiet_logs()
    try:
        engine, executable = pdf_engine()
    except PdfEngineError:
        engine = executable = None  # each report says so
    if engine == "chromium":
        from .chromium import browser

        browser(executable)  # type: ignore[arg-type]
    elif engine == "weasyprint":
        import weasyprint  # noqa: F401
    _exporter()
