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


def pdf_engine(wanted: str | None = None, *, here: bool = True) -> tuple[str, str | None]:
    """The renderer for PDFs, as ``(name, chromium executable or None)``.

    ``wanted``: ``auto``, ``chromium`` or ``weasyprint`` (default: ``MSOMODEL_PDF_ENGINE``, else
    ``auto``). ``auto`` prints with headless Chromium when one is installed and starts (about
    0.5 s a report in a running browser) and with WeasyPrint otherwise (about 3.5 s, pure
    Python); both read the same print CSS. ``chromium`` requires a browser, ``weasyprint``
    never uses one. ``here=False`` checks the name only (for another machine's workers) and
    returns it with no executable.
    """
    from . import chromium

    wanted = pdf_engine_wanted(wanted)
    if wanted not in PDF_ENGINES:
        raise PdfEngineError(f"MSOMODEL_PDF_ENGINE must be one of {', '.join(PDF_ENGINES)}, "
                             f"found {wanted!r}")
    if wanted == "weasyprint" or not here:
        return wanted, None
    executable = chromium.find_chromium()
    if executable and not (wanted == "auto" and chromium.unusable.get(executable)):
        return "chromium", executable
    if wanted == "chromium":
        named = os.environ.get("MSOMODEL_CHROMIUM")
        where = (f"MSOMODEL_CHROMIUM={named!r} is not an executable" if named else
                 f"none of {', '.join(chromium.EXECUTABLES)} is on PATH")
        raise PdfEngineError(
            f"the PDF engine is chromium but no Chromium was found ({where}); install it "
            "with `bash scripts/ensure-system-deps.sh` as root (Debian: apt-get install "
            "chromium)")
    return "weasyprint", None


def to_pdf(html: str, target: Path, base_url: str | None = None,
           engine: str | None = None) -> None:
    """Write the PDF of ``html`` to ``target`` with the engine :func:`pdf_engine` picks for
    ``engine`` (default: ``MSOMODEL_PDF_ENGINE``).

    ``base_url`` (where relative links resolve) applies to WeasyPrint; the report has no
    relative links, and Chromium prints it from a blank page, which loads no local files.
    Under ``auto``, a Chromium that cannot start in this process is reported once on stderr
    and WeasyPrint prints instead. Raises :class:`~.chromium.ChromiumError` if the browser
    fails (after one retry when it was gone).
    """
    name, executable = pdf_engine(engine)
    if name == "chromium":
        from . import chromium

        try:
            chromium.print_pdf(executable, html, target)  # type: ignore[arg-type]
            return
        except chromium.ChromiumUnusable as exc:
            if pdf_engine_wanted(engine) != "auto":
                raise
            chromium.unusable[executable] = str(exc)  # type: ignore[index]
            print(f"msomodel: {exc}; printing PDFs with WeasyPrint instead", file=sys.stderr)
    import weasyprint

    quiet_logs()
    weasyprint.HTML(string=html, base_url=base_url).write_pdf(target)


def pdf_engine_wanted(engine: str | None = None) -> str:
    """``engine``, else ``MSOMODEL_PDF_ENGINE``, else ``auto`` (normalized, not checked)."""
    return (engine if engine is not None else os.environ.get("MSOMODEL_PDF_ENGINE", "auto")
            ).strip().lower() or "auto"


def quiet_logs() -> None:
    """WeasyPrint and fontTools log font-subsetting chatter at WARNING; keep the terminal clean."""
    for name in ("weasyprint", "fontTools", "fontTools.subset", "papermill", "traitlets"):
        logging.getLogger(name).setLevel(logging.ERROR)


def warm_imports(pdf: bool = True) -> None:
    """Import the converters (and papermill) now and, with ``pdf``, start the PDF engine, e.g.
    in a pool worker's initializer: Chromium boots in the background while the first notebook
    runs."""
    import papermill  # noqa: F401

    quiet_logs()
    engine = executable = None
    if pdf:
        try:
            engine, executable = pdf_engine()
        except PdfEngineError:
            pass  # each report says so
    if engine == "chromium":
        from .chromium import browser

        browser(executable)  # type: ignore[arg-type]
    elif engine == "weasyprint":
        import weasyprint  # noqa: F401
    _exporter()
