"""The site to write, collected in memory, then published in one atomic swap.

    tree = OutputTree()
    tree.add("index.html", html)
    src = tree.add_hashed("my-article/data", "fig-grid", "webp", sprite)   # ".../fig-grid.1a2b3c4d5e.webp"
    tree.publish(Path("build"))

Nothing touches the disk until `publish`, which writes every file into a fresh folder beside
the target and then swaps it in: a build that fails leaves the previous site as it was, and
readers never see half of one. Files hold exactly the bytes given (no timestamps), so two
builds of the same input are byte-identical.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path, PurePosixPath
from typing import Callable, Iterator

from .fsutil import atomic_write, sibling, swap_dir
from .jobs import sha256_bytes

HASH_DIGITS = 10

FileWriter = Callable[[Path, bytes], None]


class OutputConflict(ValueError):
    """Two different contents were added at the same path."""


def check_relpath(relpath: str) -> str:
    """`relpath` as a clean relative POSIX path, or `ValueError` when it could escape the site."""
    if not isinstance(relpath, str) or not relpath or "\\" in relpath or "\x00" in relpath:
        raise ValueError(f"output path {relpath!r} must be a non-empty POSIX path")
    path = PurePosixPath(relpath)
    if path.is_absolute() or any(part in ("", ".", "..") for part in relpath.split("/")):
        raise ValueError(f"output path {relpath!r} must be relative, without '.', '..' or empty parts")
    return str(path)


def hashed_name(stem: str, ext: str, data: bytes) -> str:
    """`stem.<first 10 hex of sha256>.ext`: the name changes exactly when the bytes do."""
    ext = ext.lstrip(".")
    if not stem or "/" in stem or not ext or "/" in ext:
        raise ValueError(f"hashed name needs a plain stem and extension, got {stem!r} and {ext!r}")
    return f"{stem}.{sha256_bytes(data)[:HASH_DIGITS]}.{ext}"


def _write_file(path: Path, data: bytes) -> None:
    with open(path, "xb") as f:
        f.write(data)


class OutputTree:
    """Files of a site by relative path; `publish` writes them all at once."""

    def __init__(self) -> None:
        self._files: dict[str, bytes] = {}
        self._folders: set[str] = set()          # every folder a file lies in, for the checks below

    def add(self, relpath: str, data: bytes) -> str:
        """Add a file. Adding the same bytes twice is fine; different bytes raise `OutputConflict`."""
        relpath = check_relpath(relpath)
        if not isinstance(data, (bytes, bytearray, memoryview)):
            raise TypeError(f"{relpath}: expected bytes, got {type(data).__name__} (encode text as UTF-8)")
        data = bytes(data)
        known = self._files.get(relpath)
        if known is not None and known != data:
            raise OutputConflict(f"{relpath} was written twice with different contents — give one of them another name")
        parents = [str(parent) for parent in PurePosixPath(relpath).parents][:-1]   # without "."
        for parent in parents:
            if parent in self._files:
                raise OutputConflict(f"{relpath} needs {parent} to be a folder, but it is a file")
        if relpath in self._folders:
            raise OutputConflict(f"{relpath} is already a folder of other files")
        self._files[relpath] = data
        self._folders.update(parents)
        return relpath

    def add_hashed(self, directory: str, stem: str, ext: str, data: bytes) -> str:
        """Add `data` as `directory/stem.<hash>.ext` and return that relative path."""
        name = hashed_name(stem, ext, data)
        return self.add(f"{check_relpath(directory)}/{name}" if directory else name, data)

    def __contains__(self, relpath: str) -> bool:
        return relpath in self._files

    def __len__(self) -> int:
        return len(self._files)

    def get(self, relpath: str) -> bytes | None:
        """The bytes added at `relpath`, or None."""
        return self._files.get(relpath)

    def items(self) -> Iterator[tuple[str, bytes]]:
        """(relative path, bytes) pairs in sorted path order."""
        for relpath in sorted(self._files):
            yield relpath, self._files[relpath]

    def write_into(self, folder: Path, write: FileWriter = _write_file, *, old: Path | None = None,
                   old_digests: dict[str, str] | None = None, digests: dict[str, str] | None = None) -> None:
        """Write every file under `folder`, which must be empty or absent. A file that `old`
        (the published site) already holds with the same bytes (`old_digests` against these
        `digests`) is linked rather than written again: files are never changed in place, so
        a link is a copy."""
        folder.mkdir(parents=True, exist_ok=True)
        made: set[Path] = {folder}
        if old_digests and digests is None:
            digests = self.digests()
        for relpath, data in self.items():
            path = folder.joinpath(*relpath.split("/"))
            if path.parent not in made:
                path.parent.mkdir(parents=True, exist_ok=True)
                made.update([path.parent, *path.parent.parents])
            if old is not None and old_digests and old_digests.get(relpath) == digests[relpath]:
                source = old.joinpath(*relpath.split("/"))
                try:
                    if source.stat().st_size == len(data):
                        os.link(source, path)
                        continue
                except OSError:
                    pass                                   # gone, or no links here: write it
            write(path, data)

    def _intact(self, folder: Path) -> bool:
        """Whether `folder` holds exactly these paths, at these sizes (nobody edited it)."""
        try:
            on_disk = {p.relative_to(folder).as_posix(): p.stat().st_size for p in folder.rglob("*") if p.is_file()}
        except OSError:
            return False
        return on_disk == {relpath: len(data) for relpath, data in self._files.items()}

    def digests(self) -> dict[str, str]:
        """The sha256 of every file, by relative path."""
        return {relpath: sha256_bytes(data) for relpath, data in self._files.items()}

    def keep(self, folder: Path, skip: Callable[[str], bool]) -> None:
        """Add every file of a published `folder` that this tree does not hold and `skip`
        (of its relative path) does not refuse: how a build of one article keeps the rest."""
        if not folder.is_dir():
            return
        for path in sorted(folder.rglob("*")):
            relpath = path.relative_to(folder).as_posix()
            if path.is_file() and relpath not in self._files and not skip(relpath):
                self.add(relpath, path.read_bytes())

    def publish(self, target: str | os.PathLike, *, write: FileWriter = _write_file,
                manifest: Path | None = None) -> Path:
        """Replace `target` with exactly these files, atomically; return the target path.

        Files go to a temp folder beside `target` (same parent, same file system); only when
        all are written is the old target renamed aside, the new one renamed in and the old
        one deleted. If anything fails first, `target` is untouched and the temp folder gone.
        `write(path, data)` is injectable, for tests that fail midway.

        `manifest` (a file outside the site) remembers what was published: a site that is
        already exactly these files is left alone, and a file the last publish wrote with the
        same bytes is linked into the new site instead of written again.
        """
        target = Path(target)
        if target.exists() and not target.is_dir():
            raise NotADirectoryError(f"{target} exists and is not a folder — move it away or choose another --out")
        target.parent.mkdir(parents=True, exist_ok=True)
        remove_abandoned_siblings(target)
        published = _read_manifest(manifest) if manifest is not None and target.is_dir() else None
        digests = self.digests()
        if published == digests and self._intact(target):
            return target                                  # the site is already exactly this
        staging = sibling(target, "new")
        try:
            self.write_into(staging, write, old=target if published else None, old_digests=published,
                            digests=digests)
            if manifest is not None:
                manifest.unlink(missing_ok=True)           # a publish cut short leaves none: all is written next time
            swap_dir(staging, target)
            if manifest is not None:
                manifest.parent.mkdir(parents=True, exist_ok=True)
                atomic_write(manifest, json.dumps(digests, sort_keys=True).encode("utf-8"))
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
        return target


def _read_manifest(path: Path) -> dict[str, str] | None:
    """What the last publish of a site wrote, by path and sha256; None when unknown."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def remove_abandoned_siblings(target: Path) -> None:
    """Delete the temp folders (`.build.new-PID-…`, `.build.old-PID-…`) that a killed
    publish left beside `target`, when the process that made them is gone."""
    for path in target.parent.glob(f".{target.name}.*-*-*"):
        try:
            pid = int(path.name.rsplit("-", 2)[-2])
        except ValueError:
            continue
        if pid != os.getpid() and not _alive(pid):
            shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
