"""An Agg canvas that remembers rendered text, for figures redrawn on every slider change.

Rasterising text is most of what an Agg draw of a small chart costs (glyph layout and
rendering in FreeType: ~85 % of a redraw of the explorer's charts), yet between two slider
moves nearly every string on a chart is the same at the same place: titles, axis labels,
legends, most tick labels.  :class:`TextCachingCanvas` keeps the coverage bitmaps Agg drew
for each string and, when the same string is drawn again with the same font, size, angle and
sub-pixel position, stamps them again (in the color and clip of the new draw) instead of
rendering the glyphs.  The output is pixel-identical to :class:`FigureCanvasAgg`'s: a bitmap
drawn at a position shifted by whole pixels is the same bitmap, shifted (the fractional part
of the position is part of the key).

With ``snap=True`` (what the explorer uses) each string is drawn at the nearest whole pixel
instead: at most half a pixel from where Agg puts it, the glyphs' spacing within the string
unchanged, and a tick label that moves with the axis limits is then the same bitmap wherever
it lands (most of a chart's strings are tick labels).  The result depends only on the figure,
never on what the cache holds.

The cache is shared by every figure of the process and bounded (:data:`MAX_STRINGS`, least
recently used first out).  Maths text (``$...$`` with ``text.parse_math``) is drawn as usual.
"""

from __future__ import annotations

import math
import struct
import zlib
from collections import OrderedDict
from typing import Any

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg, get_hinting_flag
from matplotlib.font_manager import fontManager, get_font

MAX_STRINGS = 4096

#: key -> [(coverage bitmap, x offset, y offset, angle)] with offsets from the whole-pixel
#: part of the drawing position
_CACHE: OrderedDict[tuple, list[tuple[np.ndarray, int, int, float]]] = OrderedDict()


def clear_cache() -> None:
    """Forget every remembered string and font height (tests; fonts changed)."""
    _CACHE.clear()
    _HEIGHTS.clear()


def cache_size() -> int:
    return len(_CACHE)


class _Recorder:
    """Stands in for the C++ renderer during one ``draw_text``: forwards every call, and keeps
    a copy of what ``draw_text_image`` stamps."""

    def __init__(self, renderer: Any) -> None:
        self._renderer = renderer
        self.stamps: list[tuple[np.ndarray, float, float, float]] = []

    def draw_text_image(self, image: Any, x: float, y: float, angle: float, gc: Any) -> None:
        if hasattr(image, "get_image"):  # matplotlib < 3.11 passes the FT2Font itself
            image = image.get_image()
        bitmap = np.array(image, dtype=np.uint8, copy=True)
        self.stamps.append((bitmap, x, y, angle))
        self._renderer.draw_text_image(bitmap, x, y, angle, gc)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._renderer, name)


def _font_key(prop: Any) -> tuple:
    """What of a FontProperties decides the glyphs (a snapshot: the object may change)."""
    return (tuple(prop.get_family()), prop.get_style(), prop.get_variant(), prop.get_weight(),
            prop.get_stretch(), prop.get_size_in_points(), prop.get_file(),
            prop.get_math_fontfamily())


_HEIGHTS: dict[tuple, tuple[float | None, float | None, float | None]] = {}


class TextCachingRenderer(RendererAgg):
    """:class:`RendererAgg` whose plain-text draws go through the process-wide cache, and
    which remembers each font's ascent, descent and line gap (what :class:`~matplotlib.text.
    Text` otherwise reads from the font's tables at every layout of every string)."""

    snap = False  #: draw each string at the nearest whole pixel (see the module docstring)

    def _get_font_height_metrics(self, prop: Any) -> tuple[float | None, float | None,
                                                            float | None]:
        # The hook matplotlib >= 3.11's Text._get_layout asks the renderer first; the values
        # are the ones it computes itself without it (OS/2 table, else hhea), remembered.
        key = (_font_key(prop), float(self.dpi))
        found = _HEIGHTS.get(key)
        if found is None:
            found = _HEIGHTS[key] = _font_heights(prop, self.dpi)
        return found

    def draw_text(self, gc: Any, x: float, y: float, s: str, prop: Any, angle: float,
                  ismath: Any = False, mtext: Any = None) -> None:
        if ismath:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
            return
        if self.snap:
            x, y = float(round(x)), float(round(y))
        ix, iy = math.floor(x), math.floor(y)
        extra = (getattr(mtext, "get_fontfeatures", lambda: None)(),
                 getattr(mtext, "get_language", lambda: None)()) if mtext is not None else None
        features = None if extra is None else (tuple(extra[0] or ()), extra[1])
        key = (s, _font_key(prop), float(angle), float(self.dpi), bool(gc.get_antialiased()),
               get_hinting_flag(), x - ix, y - iy, features)
        stamps = _CACHE.get(key)
        if stamps is not None:
            _CACHE.move_to_end(key)
            for bitmap, dx, dy, a in stamps:
                self._renderer.draw_text_image(bitmap, ix + dx, iy + dy, a, gc)
            return
        real = self._renderer
        recorder = _Recorder(real)
        self._renderer = recorder
        try:
            super().draw_text(gc, x, y, s, prop, angle, ismath, mtext)
        finally:
            self._renderer = real
        _CACHE[key] = [(b, int(sx) - ix, int(sy) - iy, a) for b, sx, sy, a in recorder.stamps
                       if float(sx).is_integer() and float(sy).is_integer()]
        if len(_CACHE[key]) != len(recorder.stamps):  # a position Agg did not round: no reuse
            del _CACHE[key]
        while len(_CACHE) > MAX_STRINGS:
            _CACHE.popitem(last=False)


def _font_heights(prop: Any, dpi: float) -> tuple[float | None, float | None, float | None]:
    font = get_font(fontManager._find_fonts_by_props(prop))
    for table_name, gap_key, ascent_key, descent_key in (
            ("OS/2", "sTypoLineGap", "sTypoAscender", "sTypoDescender"),
            ("hhea", "lineGap", "ascent", "descent")):
        table = font.get_sfnt_table(table_name)
        if table is None:
            continue
        scale = 1 / font.get_sfnt_table("head")["unitsPerEm"] * prop.get_size_in_points() * dpi / 72
        return table[ascent_key] * scale, -table[descent_key] * scale, table[gap_key] * scale
    return None, None, None


class TextCachingCanvas(FigureCanvasAgg):
    """:class:`FigureCanvasAgg` drawing with :class:`TextCachingRenderer`; ``snap``: strings
    at whole pixels."""

    def __init__(self, figure: Any = None, *, snap: bool = False) -> None:
        super().__init__(figure)
        self.snap = snap

    def get_renderer(self) -> RendererAgg:
        w, h = self.get_width_height(physical=True)
        key = w, h, self.figure.dpi
        if getattr(self, "_lastKey", None) != key or not isinstance(
                getattr(self, "renderer", None), TextCachingRenderer):
            self.renderer = TextCachingRenderer(w, h, self.figure.dpi)
            self._lastKey = key
        self.renderer.snap = self.snap
        return self.renderer


def png_bytes(canvas: FigureCanvasAgg, level: int = 1) -> bytes:
    """The canvas's last drawing as an RGBA PNG: rows unfiltered, zlib ``level`` 1.

    Several times faster than Pillow's encoder (which tries a filter per row) on these
    charts, and smaller: flat colors and white compress well without filters.  The decoded
    pixels are the canvas's ``buffer_rgba()``, exactly.
    """
    w, h = canvas.get_width_height(physical=True)
    pixels = np.asarray(canvas.buffer_rgba())
    rows = np.zeros((h, 1 + 4 * w), dtype=np.uint8)  # a 0 byte (filter: none) before each row
    rows[:, 1:] = pixels.reshape(h, 4 * w)
    return b"".join((b"\x89PNG\r\n\x1a\n",
                     _chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0)),
                     _chunk(b"IDAT", zlib.compress(rows.tobytes(), level)),
                     _chunk(b"IEND", b"")))


def _chunk(tag: bytes, body: bytes) -> bytes:
    return (struct.pack(">I", len(body)) + tag + body
            + struct.pack(">I", zlib.crc32(tag + body) & 0xFFFFFFFF))
