"""Figures to PNG, drawn once.

``savefig(bbox_inches="tight")`` on a figure with constrained layout draws it twice: a first
pass (the layout and every text extent) to find the tight box, then the image.
:func:`png_bytes` draws the figure once, at the target resolution, and crops the rendered
pixels to the same box (the tight bounding box of the artists, padded by
``savefig.pad_inches``): the same picture, to within the half pixel of rounding the crop.
"""

from __future__ import annotations

import io

import matplotlib as mpl
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgba
from matplotlib.figure import Figure

__all__ = ["png_bytes"]


def png_bytes(fig: Figure, dpi: float = 170, *, facecolor: str = "white",
              pad_inches: float | None = None) -> bytes:
    """``fig`` as a PNG cropped to its content (as ``bbox_inches="tight"``), drawn once.

    The figure's dpi, face color and canvas are restored afterwards. The image is RGB: the
    face color must be opaque (a chart printed on white)."""
    from PIL import Image

    face = to_rgba(facecolor)
    if face[3] < 1:
        raise ValueError(f"png_bytes needs an opaque face color, not {facecolor!r}")
    pad = mpl.rcParams["savefig.pad_inches"] if pad_inches is None else pad_inches
    old_canvas, old_dpi, old_face = fig.canvas, fig.dpi, fig.get_facecolor()
    canvas = old_canvas if isinstance(old_canvas, FigureCanvasAgg) else FigureCanvasAgg(fig)
    try:
        fig.dpi = dpi
        fig.set_facecolor(face)
        canvas.draw()  # the layout engine runs here, once
        box = fig.get_tightbbox(canvas.get_renderer())
        if box is None or not np.isfinite(box.bounds).all() or min(box.width, box.height) <= 0:
            box = fig.bbox_inches  # nothing drawn: the whole figure
        box = box.padded(pad)
        pixels = np.asarray(canvas.buffer_rgba())[..., :3]
    finally:
        fig.dpi = old_dpi
        fig.set_facecolor(old_face)
        if canvas is not old_canvas:
            fig.set_canvas(old_canvas)
    height, width = pixels.shape[:2]
    # The box in pixels, from the top-left corner; parts beyond the canvas are face color.
    x0, x1 = round(box.x0 * dpi), round(box.x0 * dpi) + int(box.width * dpi)
    top = round(height - box.y1 * dpi)
    y0, y1 = top, top + int(box.height * dpi)
    out = np.empty((y1 - y0, x1 - x0, 3), dtype=np.uint8)
    out[...] = np.round(np.array(face[:3]) * 255).astype(np.uint8)
    sx0, sx1, sy0, sy1 = max(x0, 0), min(x1, width), max(y0, 0), min(y1, height)
    if sx1 > sx0 and sy1 > sy0:
        out[sy0 - y0:sy1 - y0, sx0 - x0:sx1 - x0] = pixels[sy0:sy1, sx0:sx1]
    buf = io.BytesIO()
    Image.fromarray(out, "RGB").save(buf, format="png", dpi=(dpi, dpi))
    return buf.getvalue()
