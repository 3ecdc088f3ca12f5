"""Small atomic file-system moves shared by the cache, the freeze store and the output tree.

The one trick, used everywhere: build the new thing beside the old one on the same file
system, make it durable, then `rename` it into place. A rename is atomic, so a reader (or a
process killed at any instant) sees the old thing or the new one, never a mixture.
"""

from __future__ import annotations

import os
import shutil
import uuid
from pathlib import Path


def write_synced(path: Path, data: bytes) -> None:
    """Write `data` to a new file (never an existing one) and fsync it."""
    with open(path, "xb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())


def fsync_dir(path: Path) -> None:
    """Make renames inside `path` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, data: bytes) -> None:
    """Replace the file at `path` with `data` in one step (temp file beside it, then rename)."""
    temp = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}.tmp")
    try:
        write_synced(temp, data)
        os.replace(temp, path)
    finally:
        if temp.exists():
            temp.unlink()
    fsync_dir(path.parent)


def remove_tree(path: Path, trash: Path | None = None) -> None:
    """Remove a directory by renaming it aside first, so no reader sees it half gone.

    It is renamed into `trash` when given (where a later sweep finds anything left behind),
    else to a hidden sibling.
    """
    if trash is not None:
        trash.mkdir(parents=True, exist_ok=True)
        aside = trash / f"gone-{uuid.uuid4().hex}"
    else:
        aside = sibling(path, "gone")
    try:
        os.rename(path, aside)
    except FileNotFoundError:
        return
    shutil.rmtree(aside, ignore_errors=True)


def sibling(target: Path, tag: str) -> Path:
    """A fresh hidden path beside `target` (same parent, so same file system)."""
    return target.with_name(f".{target.name}.{tag}-{os.getpid()}-{uuid.uuid4().hex[:8]}")


def exchange(a: Path, b: Path) -> bool:
    """Swap two directories in one atomic rename (Linux's `renameat2` with RENAME_EXCHANGE):
    a reader sees one or the other, never neither. False where the system cannot."""
    import ctypes
    import ctypes.util
    import sys

    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd, rename_exchange = -100, 2
    return renameat2(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), rename_exchange) == 0


def swap_dir(staging: Path, target: Path) -> None:
    """Put the complete directory `staging` at `target`, replacing what was there.

    Where the system can, the two are exchanged in one atomic rename, so a server reading
    `target` meanwhile never finds it missing; the old one is then deleted. Elsewhere, the old
    target is renamed aside and the new one renamed in (put back if that fails).
    """
    if target.exists() and not target.is_dir():
        raise NotADirectoryError(f"{target} exists and is not a directory — move it away or pick another path")
    fsync_dir(staging)
    if target.is_dir() and exchange(staging, target):       # staging now holds the old site
        fsync_dir(target.parent)
        shutil.rmtree(staging, ignore_errors=True)
        return
    old = None
    if target.exists():
        old = sibling(target, "old")
        os.rename(target, old)
    try:
        os.rename(staging, target)
    except BaseException:
        if old is not None:
            os.rename(old, target)
        raise
    fsync_dir(target.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
