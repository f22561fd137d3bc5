"""File names and atomic writes for report outputs.

Every output is written to a hidden temporary name inside the output folder and moved into place
with :func:`os.replace` only once it is complete, so a reader never sees a half-written file and an
interrupted run leaves nothing behind but what :func:`sweep_temporaries` removes.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_PREFIX = ".msomodel-tmp-"
FAILED_DIR = "failed"
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slugify(scenario_path: str | os.PathLike[str]) -> str:
    """Output stem for a scenario: the file stem reduced to ``[A-Za-z0-9._-]``.

    Leading dots and dashes are stripped so the result is never hidden, never ``..`` and never
    mistaken for a command-line option.
    """
    stem = Path(os.fspath(scenario_path)).stem
    slug = _UNSAFE.sub("_", stem).strip("._-")
    return slug or "scenario"


def output_path(out_dir: str | os.PathLike[str], name: str, subdir: str | None = None) -> Path:
    """``out_dir/[subdir/]name``, refusing any name that would land outside ``out_dir``."""
    root = Path(out_dir).resolve()
    parent = root / subdir if subdir else root
    target = (parent / name).resolve()
    if name != Path(name).name or target.parent != parent.resolve() or root not in target.parents:
        raise ValueError(f"refusing to write {name!r} outside the output folder {root}")
    return target


def temp_path_for(final: Path) -> Path:
    """A unique hidden sibling of ``final`` (same folder, so ``os.replace`` is atomic)."""
    return final.with_name(f"{TEMP_PREFIX}{os.getpid()}-{final.stem}{final.suffix}")


@contextmanager
def atomic_path(final: Path) -> Iterator[Path]:
    """Yield a temporary path; move it onto ``final`` if the block succeeds, delete it otherwise."""
    final.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_path_for(final)
    try:
        yield tmp
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(final: Path, text: str) -> Path:
    with atomic_path(final) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return final


def sweep_temporaries(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove temporaries left by an interrupted run in ``out_dir`` and ``out_dir/failed``."""
    removed = []
    for folder in (Path(out_dir), Path(out_dir) / FAILED_DIR):
        if folder.is_dir():
            for tmp in folder.glob(f"{TEMP_PREFIX}*"):
                tmp.unlink(missing_ok=True)
                removed.append(tmp)
    return removed
