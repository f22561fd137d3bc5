"""Writing a file so that nobody ever sees it half-written: a temporary file beside the target,
given the permissions a new file would get (``0666`` less the umask, where ``mkstemp`` gives
``0600``), then renamed over the target.  A failure leaves the target as it was."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


def _umask() -> int:
    """The process's umask, read without changing it where Linux says it (setting it to read
    it, for a moment, would let another thread create a world-writable file)."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError):
        pass
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _permissions(tmp: str, target: Path) -> None:
    """The target's own mode when it is replaced (a file kept private stays so), else a new
    file's; a file system without modes (vfat) keeps what it has."""
    try:
        mode = target.stat().st_mode & 0o7777 if target.is_file() else 0o666 & ~_umask()
        os.chmod(tmp, mode)
    except OSError:
        pass


@contextmanager
def replacing(target: str | os.PathLike[str], *, prefix: str = ".msomodel-tmp-",
              suffix: str | None = None, link: bool = False) -> Iterator[str]:
    """Yield a temporary path beside ``target``; on success it becomes ``target``.

    ``link``: never replace an existing ``target`` (``FileExistsError`` if one appeared).
    The folder is created if missing.  Raises ``OSError`` as the file system does.
    """
    target = Path(target)
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except FileExistsError:  # a file where one of the path's folders should be
        raise NotADirectoryError(20, "a file stands where a folder of the path should be",
                                 str(target.parent)) from None
    fd, tmp = tempfile.mkstemp(prefix=prefix, suffix=target.suffix if suffix is None else suffix,
                               dir=target.parent)
    os.close(fd)
    try:
        yield tmp
        _permissions(tmp, target)
        if link:
            try:  # fails if the file appeared meanwhile
                os.link(tmp, target)
            except FileExistsError:
                raise
            except OSError:  # no hard links on this file system
                if target.exists():
                    raise FileExistsError(17, "the file exists", str(target)) from None
                os.replace(tmp, target)
        else:
            if target.is_dir():
                raise IsADirectoryError(21, "a folder has this name", str(target))
            os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def write_error(option: str, target: str | os.PathLike[str], exc: OSError) -> ValueError:
    """The message for output that cannot be written where the user asked: the option, the
    path and the reason, never a temporary file's name."""
    why = exc.strerror or str(exc)
    return ValueError(f"{option} {os.fspath(target)}: cannot write it there ({why})")
