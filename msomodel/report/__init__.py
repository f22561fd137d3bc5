"""Reports: one parameterized notebook per scenario → executed notebook, HTML and PDF, in batches."""

from .batch import BatchResult, render_batch
from .cli import main_report, run_report_command
from .index import index_row, rebuild_index
from .render import ALL_FORMATS, DEFAULT_NOTEBOOK, FORMATS, RenderResult, render_one

__all__ = [
    "ALL_FORMATS",
    "DEFAULT_NOTEBOOK",
    "FORMATS",
    "BatchResult",
    "RenderResult",
    "index_row",
    "main_report",
    "rebuild_index",
    "render_batch",
    "render_one",
    "run_report_command",
]
