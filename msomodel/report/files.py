"""File names, run folders and atomic writes for report outputs.

A batch ("run") stages everything in one hidden folder of its own inside the output folder,
``.msomodel-tmp-<run id>`` (run id: host, process id, random part). A scenario's files are built
in ``<run folder>/<slug>/`` and moved into place together by :func:`commit_set` only once every
one of them is complete; the run folder is removed at the end. So a reader never sees a
half-written file, an interrupted run leaves nothing but its own run folder (which it removes
on the way out), and two runs into one folder never touch each other's temporaries.
"""

from __future__ import annotations

import errno
import os
import re
import secrets
import shutil
import signal
import socket
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

TEMP_PREFIX = ".msomodel-tmp-"
FAILED_DIR = "failed"
#: Suffixes of a scenario's output set: the report formats and the sidecar.
SET_SUFFIXES = (".ipynb", ".html", ".pdf", ".xlsx", ".json")
#: Set members removed only when the earlier set's sidecar lists them: a workbook of the same
#: name may be the user's own (``msomodel export ... -o reports/x.xlsx``), not a report's.
LISTED_ONLY = (".xlsx",)
#: Stems the index files use; no scenario may take them.
RESERVED_SLUGS = frozenset({"index"})
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class OutputDirError(Exception):
    """The output folder cannot be used (a file, under a file, read-only); ``str()`` says why."""


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


# -- the output folder --------------------------------------------------------------------------

def check_output_dir(out_dir: str | os.PathLike[str], create: bool = True) -> Path:
    """Prove ``out_dir`` is (or can be made) a writable folder; raise :class:`OutputDirError`.

    Catches ``-o`` naming a file, a path under a file, and a folder that is read-only (by mode or
    by mount) before any report is rendered. With ``create`` the folder is made; without, a
    missing folder is only checked for (its nearest existing parent must be writable).
    """
    out = Path(out_dir)
    for parent in [out, *out.parents]:
        if parent.exists() and not parent.is_dir():
            where = "is a file" if parent == out else f"is under {parent}, which is a file"
            raise OutputDirError(f"output folder {out} {where}")
    try:
        if create:
            out.mkdir(parents=True, exist_ok=True)
        folder = next(p for p in [out, *out.parents] if p.exists())
        probe = folder / f"{TEMP_PREFIX}probe-{os.getpid()}-{secrets.token_hex(4)}"
        probe.mkdir()
        probe.rmdir()
    except OSError as exc:
        raise OutputDirError(f"output folder {out} is not writable: {_reason(exc)}") from None
    return out


def _reason(exc: OSError) -> str:
    return exc.strerror or str(exc)


def describe_os_error(exc: OSError) -> str:
    """``path: reason`` for an I/O error (full disk, permissions), without a traceback."""
    where = exc.filename if exc.filename is not None else "(unknown file)"
    return f"{where}: {_reason(exc)}"


# -- runs and their temporaries -----------------------------------------------------------------

def new_run_id() -> str:
    """``<host>-<pid>-<random>``: unique per batch, and says which process owns a run folder."""
    host = _UNSAFE.sub("_", socket.gethostname())[:40] or "host"
    return f"{host}-{os.getpid()}-{secrets.token_hex(4)}"


def run_dir(out_dir: str | os.PathLike[str], run_id: str) -> Path:
    """The run's private staging folder inside ``out_dir`` (created if missing)."""
    folder = Path(out_dir) / f"{TEMP_PREFIX}{run_id}"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def staging_dir(out_dir: str | os.PathLike[str], run_id: str, slug: str) -> Path:
    """An empty folder in which one scenario's output set is built."""
    folder = run_dir(out_dir, run_id) / slug
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    return folder


def sweep_temporaries(out_dir: str | os.PathLike[str], run_id: str) -> list[Path]:
    """Remove the temporaries of run ``run_id`` (only those) from ``out_dir``."""
    folder = Path(out_dir) / f"{TEMP_PREFIX}{run_id}"
    if folder.exists():
        shutil.rmtree(folder, ignore_errors=True)
        return [folder]
    return []


def sweep_abandoned(out_dir: str | os.PathLike[str]) -> list[Path]:
    """Remove run folders left by runs on this host whose process is gone (e.g. ``kill -9``).

    Run folders of live processes, of other hosts, or with names this module did not make are
    left alone.
    """
    host = new_run_id().rsplit("-", 2)[0]
    removed = []
    for folder in Path(out_dir).glob(f"{TEMP_PREFIX}*"):
        parts = folder.name[len(TEMP_PREFIX):].rsplit("-", 2)
        if len(parts) != 3 or parts[0] != host or not parts[1].isdigit() or not folder.is_dir():
            continue
        if int(parts[1]) != os.getpid() and not _process_exists(int(parts[1])):
            shutil.rmtree(folder, ignore_errors=True)
            removed.append(folder)
    return removed


def _process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # exists but not ours (EPERM), or cannot tell: keep its folder
        return True
    return True


def other_run_dirs(out_dir: str | os.PathLike[str], run_id: str) -> list[Path]:
    return [p for p in Path(out_dir).glob(f"{TEMP_PREFIX}*")
            if p.is_dir() and p.name != f"{TEMP_PREFIX}{run_id}"]


# -- atomic writes ------------------------------------------------------------------------------

@contextmanager
def atomic_path(final: Path, tmp_dir: Path | None = None) -> Iterator[Path]:
    """Yield a temporary path; move it onto ``final`` if the block succeeds, delete it otherwise.

    The temporary is in ``tmp_dir`` (a run folder on the same file system) or, by default, a
    hidden sibling of ``final``.
    """
    final.parent.mkdir(parents=True, exist_ok=True)
    folder = tmp_dir if tmp_dir is not None else final.parent
    tmp = folder / f"{TEMP_PREFIX}{os.getpid()}-{secrets.token_hex(4)}-{final.name}"
    try:
        yield tmp
        try:
            os.replace(tmp, final)
        except OSError as exc:  # name the file the user asked for, not the temporary
            raise OSError(exc.errno, exc.strerror, str(final)) from exc
    finally:
        tmp.unlink(missing_ok=True)


def atomic_write_text(final: Path, text: str, tmp_dir: Path | None = None) -> Path:
    with atomic_path(final, tmp_dir) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return final


def atomic_write_bytes(final: Path, data: bytes, tmp_dir: Path | None = None) -> Path:
    with atomic_path(final, tmp_dir) as tmp:
        tmp.write_bytes(data)
    return final


# -- committing a scenario's output set ---------------------------------------------------------

def set_members(out_dir: str | os.PathLike[str], slug: str) -> list[Path]:
    """The files of ``slug``'s output set now in ``out_dir`` (never other files: a scenario
    ``x.yaml`` beside its report ``x.pdf`` is not part of the set)."""
    return [p for p in (output_path(out_dir, f"{slug}{s}") for s in SET_SUFFIXES) if p.exists()]


def commit_set(out_dir: str | os.PathLike[str], slug: str, staged: Iterable[Path],
               sidecar: Path) -> dict[str, Path]:
    """Move ``staged`` files (named ``<slug>.<fmt>``) into ``out_dir`` as one set, then the sidecar.

    Siblings of an earlier set that the new one lacks are removed (a re-run with fewer formats
    leaves no old file beside the new ones). The old sidecar goes first and the new one comes
    last, so a set interrupted mid-commit (power loss; signals are held off meanwhile) has no
    sidecar vouching for it. Runs under the folder lock, so concurrent commits never interleave.
    Returns the final paths by suffix.
    """
    staged = list(staged)
    names = {p.name for p in staged} | {sidecar.name}
    final: dict[str, Path] = {}
    with signals_held(), folder_lock(out_dir):
        old_sidecar = output_path(out_dir, f"{slug}.json")
        listed = _listed_outputs(old_sidecar)
        old_sidecar.unlink(missing_ok=True)
        for path in staged:
            target = output_path(out_dir, path.name)
            os.replace(path, target)
            final[target.suffix] = target
        for old in set_members(out_dir, slug):
            if old.name not in names and (old.suffix not in LISTED_ONLY or old.name in listed):
                old.unlink(missing_ok=True)
        target = output_path(out_dir, sidecar.name)
        os.replace(sidecar, target)
        final[".json"] = target
    return final


def _listed_outputs(sidecar: Path) -> set[str]:
    """The file names an earlier set's sidecar lists as its outputs (none if unreadable)."""
    import json

    try:
        outputs = json.loads(sidecar.read_text(encoding="utf-8")).get("outputs")
    except (OSError, ValueError, AttributeError):
        return set()
    return {str(v) for v in outputs.values()} if isinstance(outputs, dict) else set()


@contextmanager
def signals_held() -> Iterator[None]:
    """Hold SIGINT and SIGTERM off for a few renames (delivered right after); no-op elsewhere."""
    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None:
        yield
        return
    previous = mask(signal.SIG_BLOCK, {signal.SIGINT, signal.SIGTERM})
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


@contextmanager
def folder_lock(out_dir: str | os.PathLike[str]) -> Iterator[None]:
    """An exclusive advisory lock on the output folder (``flock`` on the folder itself).

    Serializes committing sets, choosing slugs and rebuilding the index across processes and
    runs. Where locking is unavailable (Windows, some network file systems) it does nothing.
    """
    if sys.platform == "win32":
        yield
        return
    import fcntl

    try:
        fd = os.open(os.fspath(out_dir), os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
        except OSError as exc:
            if exc.errno not in (errno.ENOLCK, errno.EOPNOTSUPP, errno.EINVAL, errno.EBADF):
                raise
        yield
    finally:
        os.close(fd)  # releases the lock
