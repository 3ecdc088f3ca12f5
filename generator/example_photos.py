"""The example dataset: real photos that packages from reachable registries actually ship,
fetched into a folder by `python -m generator datasets fetch`.

The list (`example_photos.json`, beside this file) names each photo by where it comes from:
a Debian package (its pool path and sha256, and the member of its data archive) or a Python
package installed with Vellum (scikit-image, scikit-learn, matplotlib), and by the sha256 of
the photo's own bytes. Fetching downloads each Debian package once from the mirror
(`VELLUM_DEBIAN_MIRROR`, default `http://deb.debian.org/debian`), checks its sha256, reads the
listed members out of its `data.tar.*` without installing anything, checks each photo's
sha256 and writes it as `<package>/<file name>`; Python packages' photos are copied from the
installed package. `<folder>-SOURCES.csv` beside the folder says where each photo came from, its
subject and its license. Nothing is generated, and nothing is padded: a photo whose bytes do
not match the list is left out with a warning, so the folder is the list or a clear subset.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import tarfile
import urllib.request
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Callable

LIST = Path(__file__).with_name("example_photos.json")
DEBIAN_MIRROR = "http://deb.debian.org/debian"
NAME = "example-photos"
FOLDER = "data/example-photos"


@dataclass
class Fetched:
    written: list[str]        # relative paths written (or already there with the right bytes)
    skipped: list[str]        # "file: why" for photos left out
    downloaded_bytes: int


def photos(path: Path = LIST) -> list[dict]:
    return json.loads(path.read_text(encoding="utf-8"))


def target_name(entry: dict) -> str:
    """Where a photo goes in the folder: the list's `file` (`<package>/<name>`, the name
    made of as many of the member's last folders as keep it unique), else
    `<package>/<file name>`."""
    return entry.get("file") or f"{entry['package']}/{Path(entry['member']).name}"


def fetch(dest: Path, entries: list[dict] | None = None, *, mirror: str | None = None,
          say: Callable[[str], None] = print) -> Fetched:
    """Fetch the example photos into `dest`; photos already there with the right bytes stay."""
    entries = photos() if entries is None else entries
    mirror = (mirror or os.environ.get("VELLUM_DEBIAN_MIRROR") or DEBIAN_MIRROR).rstrip("/")
    written, skipped, downloaded = [], [], 0
    todo = [e for e in entries if not _present(dest / target_name(e), e["sha256"])]
    written += [target_name(e) for e in entries if e not in todo]
    by_deb: dict[str, list[dict]] = {}
    for entry in todo:
        if entry["source"] == "debian":
            by_deb.setdefault(entry["deb_path"], []).append(entry)
        else:
            why = _copy_from_python_package(entry, dest)
            (skipped.append(f"{target_name(entry)}: {why}") if why else written.append(target_name(entry)))
    for deb_path, wanted in sorted(by_deb.items()):
        url = f"{mirror}/{deb_path}"
        say(f"downloading {url} ({wanted[0]['deb_size'] / 1e6:.0f} MB) for {len(wanted)} photo(s)")
        try:
            data = _download(url)
        except OSError as exc:
            skipped += [f"{target_name(e)}: {url} could not be downloaded ({exc})" for e in wanted]
            continue
        downloaded += len(data)
        if hashlib.sha256(data).hexdigest() != wanted[0]["deb_sha256"]:
            skipped += [f"{target_name(e)}: {url} is not the package the list names (sha256 differs)" for e in wanted]
            continue
        members = _members(data, {e["member"] for e in wanted})
        for entry in wanted:
            body = members.get(entry["member"])
            if body is None or hashlib.sha256(body).hexdigest() != entry["sha256"]:
                skipped.append(f"{target_name(entry)}: not found with the listed bytes in {Path(deb_path).name}")
                continue
            _write(dest / target_name(entry), body)
            written.append(target_name(entry))
    _write_sources(dest, entries, set(written))
    return Fetched(sorted(written), skipped, downloaded)


def _present(path: Path, sha256: str) -> bool:
    return path.is_file() and hashlib.sha256(path.read_bytes()).hexdigest() == sha256


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=60) as response:
        return response.read()


def _copy_from_python_package(entry: dict, dest: Path) -> str | None:
    """Copy a photo a Python package ships; the reason it cannot, or None."""
    module = {"scikit-image": "skimage", "scikit-learn": "sklearn", "matplotlib": "matplotlib"}.get(
        entry["package"], entry["package"])
    try:
        body = resources.files(module).joinpath(entry["member"]).read_bytes()
    except (ModuleNotFoundError, FileNotFoundError, OSError):
        return f"{entry['package']} does not ship {entry['member']} here"
    if hashlib.sha256(body).hexdigest() != entry["sha256"]:
        return f"{entry['package']}'s {entry['member']} differs from the listed one (another version)"
    _write(dest / target_name(entry), body)
    return None


def _members(deb: bytes, wanted: set[str]) -> dict[str, bytes]:
    """The files `wanted` (paths without a leading ./) of a .deb's data archive."""
    out = {}
    for name, body in _ar_members(deb):
        if not name.startswith("data.tar"):
            continue
        with tarfile.open(fileobj=io.BytesIO(body), mode="r:*") as archive:
            for member in archive:
                path = member.name[2:] if member.name.startswith("./") else member.name
                if path in wanted and member.isfile():
                    out[path] = archive.extractfile(member).read()
    return out


def _ar_members(data: bytes):
    """(name, bytes) of each member of an `ar` archive (the format of a .deb)."""
    if not data.startswith(b"!<arch>\n"):
        raise ValueError("not a Debian package (no ar header)")
    at = 8
    while at + 60 <= len(data):
        header = data[at:at + 60]
        name = header[:16].decode().strip().rstrip("/")
        size = int(header[48:58].decode().strip())
        yield name, data[at + 60:at + 60 + size]
        at += 60 + size + (size % 2)


def _write(path: Path, body: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    part.write_bytes(body)
    os.replace(part, path)


def _write_sources(dest: Path, entries: list[dict], written: set[str]) -> None:
    """`SOURCES.csv` beside the folder: every photo written, where it comes from, its license."""
    out = io.StringIO()
    table = csv.writer(out, lineterminator="\n")
    table.writerow(["file", "source", "package", "version", "member", "width", "height", "kind", "subject", "license"])
    for entry in sorted(entries, key=target_name):
        if target_name(entry) in written:
            table.writerow([target_name(entry), entry["source"], entry["package"], entry["version"], entry["member"],
                            entry.get("width", ""), entry.get("height", ""), entry.get("kind", ""),
                            entry.get("subject", ""), entry.get("license", "")])
    dest.mkdir(parents=True, exist_ok=True)
    (dest.parent / f"{dest.name}-SOURCES.csv").write_text(out.getvalue(), encoding="utf-8")
