"""Appendix: the bundled base against published benchmarks (see :mod:`msomodel.calibration`)."""

from __future__ import annotations

import pandas as pd

from msomodel import calibration
from msomodel.report.sections.common import _e, block, frame_html


def calibration_block(frame: pd.DataFrame | None = None) -> str:
    frame = calibration.table() if frame is None else frame
    shown = frame.set_index("Benchmark")[["Bundled base", "Published range", "Inside", "Source"]]
    return block("<p>The bundled single-site base, one site run by its owner, in its fifth year, "
                 "against published med-spa benchmarks. The scenario's own figures replace the "
                 "base's wherever it sets them; this shows where its defaults come from.</p>",
                 frame_html(shown, classes="pl", column_classes=["num", "num", "", "text"]),
                 "".join(f'<p class="small">{_e(r["Benchmark"])}: {_e(r["URL"])}</p>'
                         for _, r in frame.iterrows()))
