"""Datasets: folders of photos that `site.yml` names, for dataset examples, unit pages and
activation atlases.

```yaml
datasets:
  photos: {path: data/photos, labels: data/labels.csv}   # folder searched recursively
```

A dataset is identified by its **manifest**: every image's path relative to the folder, the
sha256 of its bytes and its label, sorted by path (`Dataset.manifest_sha256`). Results are
keyed by it, provenance records it, and a freeze keeps it, so a site builds from its freeze
when the folder is absent and `verify` can say when the folder on disk is not the one an
article was frozen with.

Files that are not readable images are skipped with one warning each; a missing folder, an
empty dataset, a malformed labels file or a label for a file that is not in the dataset is an
error naming the `site.yml` (or labels file) line and the fix. Image hashes are kept in
`.cache/datasets/` by path, size and modification time, so a large dataset is hashed once.
"""

from __future__ import annotations

import csv
import io
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from . import schema as s
from .errors import BuildError, Problems, SpecError, read_user_text
from .interpret.digest import sha256_file as file_digest
from .pipeline.fsutil import atomic_write
from .pipeline.jobs import key_of
from .yamlload import LineDict

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp")
DATASET = s.Schema("dataset", {
    "path": s.Option(s.text, required=True, doc="the folder of photos, relative to the project"),
    "labels": s.Option(s.optional(s.text), doc="a CSV file of `file,class` lines (optional)"),
    "description": s.Option(s.optional(s.text), doc="what the photos are and where they come from"),
})


NAME = s.pattern(r"[a-z0-9][a-z0-9_-]*", "photos")


def declarations(value) -> LineDict:
    """Validator of `site.yml`'s `datasets:`: {name: {path, labels, description}}, keeping the
    line of each entry for later messages."""
    if not isinstance(value, dict):
        raise SpecError("expected a mapping of dataset names to `{path: FOLDER}`",
                          "write e.g. `photos: {path: data/photos}` under `datasets:`")
    out = LineDict()
    out.line, out.lines = getattr(value, "line", 0), dict(getattr(value, "lines", {}))
    for name, entry in value.items():
        try:
            NAME(str(name))
            out[str(name)] = s.record(DATASET)(entry)
        except SpecError as err:
            raise SpecError(err.message, err.fix, field=f".{name}{err.field or ''}",
                              line=err.line or out.lines.get(name)) from None
    return out


@dataclass(frozen=True)
class DatasetImage:
    path: str            # relative to the dataset's folder, with / separators
    sha256: str
    label: str | None    # a class label or id as written in the labels file
    line: int | None = field(default=None, compare=False)   # the label's line in that file


@dataclass(frozen=True)
class Dataset:
    """A dataset as the build sees it: its images (sorted by path) and where it came from."""

    name: str
    folder: Path
    images: tuple[DatasetImage, ...]
    line: int | None = None            # of its entry in site.yml
    description: str = ""
    frozen: bool = False               # read from a freeze: the folder is not on disk
    skipped: tuple[str, ...] = field(default=(), compare=False)
    labels_file: str | None = field(default=None, compare=False)   # as site.yml names it

    @property
    def manifest(self) -> list[list]:
        """[[path, sha256, label], ...] sorted by path: what identifies the dataset."""
        return [[image.path, image.sha256, image.label] for image in self.images]

    @property
    def manifest_sha256(self) -> str:
        return key_of({"dataset-manifest": 1, "images": self.manifest})

    def file(self, image: DatasetImage) -> Path:
        return self.folder / image.path

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "description": self.description, "images": self.manifest},
                          indent=0, sort_keys=True)

    @classmethod
    def from_json(cls, text: str, folder: Path, line: int | None = None) -> "Dataset":
        data = json.loads(text)
        images = tuple(DatasetImage(p, h, label) for p, h, label in data["images"])
        return cls(data["name"], folder, images, line, data.get("description") or "", frozen=True)


@dataclass(frozen=True)
class Missing:
    """A dataset site.yml declares whose folder is not there (and that no freeze keeps):
    using it is an error that names its site.yml line."""

    name: str
    path: str
    line: int | None

    @property
    def problem(self) -> tuple[str, str]:
        """(message, fix) for a figure that uses it."""
        return (f"dataset '{self.name}': folder '{self.path}' (site.yml line {self.line}) not found",
                f"create it, or fix its `path:` in site.yml{_fetch_hint(self.name)}")


def frozen_datasets(root: Path) -> dict[str, str]:
    """The dataset manifests the articles' freezes keep: {name: JSON}, for building from a
    freeze when a dataset's folder is not on disk."""
    out = {}
    for index in sorted((root / "articles").glob("*/_freeze/index.json")):
        try:
            kept = json.loads(index.read_text(encoding="utf-8")).get("provenance", {}).get("datasets", {})
        except (OSError, ValueError):
            continue
        for name, manifest in kept.items():
            out.setdefault(name, json.dumps(manifest, sort_keys=True))
    return out


def read_datasets(root: Path, declared: dict, problems: Problems, *, hashes: Path | None = None,
                  frozen: dict[str, str] | None = None) -> dict[str, Dataset]:
    """The datasets `site.yml` declares (`declared`: its checked `datasets` mapping, with the
    line of each entry), read from disk. A dataset whose folder is missing is taken from a
    freeze's manifest (`frozen`: name -> JSON) when one has it, else it is `Missing`: an
    error for the figures that use it, none for a site that declares it and does not."""
    out = {}
    lines = getattr(declared, "lines", {})
    for name, entry in (declared or {}).items():
        line = lines.get(name)
        folder = root / entry["path"]
        if not folder.is_dir():
            if frozen and name in frozen:      # the figures that use it come from their freeze
                out[name] = Dataset.from_json(frozen[name], folder, line)
            else:                              # an error where a figure uses it
                out[name] = Missing(name, entry["path"], line)
            continue
        dataset = _read_folder(root, name, entry, line, problems, hashes)
        if dataset is not None:
            out[name] = dataset
    return out


def _fetch_hint(name: str) -> str:
    return " (`python -m generator datasets fetch` downloads the example photos)" if name == "example-photos" else ""


def _read_folder(root: Path, name: str, entry: dict, line: int | None, problems: Problems,
                 hashes: Path | None) -> Dataset | None:
    folder = root / entry["path"]
    labels_path = (root / entry["labels"]).resolve() if entry.get("labels") else None
    known = _load_hashes(hashes, name)
    images, skipped, seen = [], [], {}
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        rel = path.relative_to(folder).as_posix()
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue                                    # hidden files and folders
        if labels_path is not None and path.resolve() == labels_path:
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES or not _readable(path):
            skipped.append(rel)
            problems.warn(f"{entry['path']}/{rel}", None, f"dataset '{name}': not a readable image, skipped",
                          "remove it, or convert it to JPEG, PNG or WebP")
            continue
        st = path.stat()
        stamp = f"{st.st_size}:{st.st_mtime_ns}"
        digest = known.get(rel, {}).get(stamp) or file_digest(path)
        seen[rel] = {stamp: digest}
        images.append((rel, digest))
    _save_hashes(hashes, name, seen, known)
    if not images:
        problems.error("site.yml", line, f"dataset '{name}': no images in '{entry['path']}'",
                       f"put JPEG, PNG or WebP files in it{_fetch_hint(name)}")
        return None
    labels = _read_labels(root, entry, name, {rel for rel, _ in images}, problems, line) if labels_path else {}
    if labels is None:
        return None
    return Dataset(name, folder, tuple(DatasetImage(rel, digest, *labels.get(rel, (None, None)))
                                       for rel, digest in images),
                   line, entry.get("description") or "", skipped=tuple(skipped), labels_file=entry.get("labels"))


def _readable(path: Path) -> bool:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.verify()
        return True
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return False


def _read_labels(root: Path, entry: dict, name: str, files: set[str], problems: Problems,
                 line: int | None = None) -> dict | None:
    """{relative path: (label, line)} from the labels CSV (`file,class` per line; a header line
    `file,class` is allowed); None after an error."""
    shown = entry["labels"]
    path = root / shown
    if not path.is_file():
        problems.error("site.yml", line, f"dataset '{name}': labels file '{shown}' not found",
                       "fix its `labels:`, or create the file")
        return None
    labels = {}
    try:
        rows = csv.reader(io.StringIO(read_user_text(path, shown)))
    except BuildError as err:
        problems.errors.extend(err.problems)
        return None
    for number, row in enumerate(rows, start=1):
        if not row or not "".join(row).strip() or row[0].lstrip().startswith("#"):
            continue
        if number == 1 and [c.strip().lower() for c in row] == ["file", "class"]:
            continue
        if len(row) != 2 or not row[0].strip() or not row[1].strip():
            problems.error(shown, number, f"expected `file,class`, got {','.join(row)!r}",
                           "write one `path/to/photo.jpg,class label` per line")
            return None
        file, label = row[0].strip().replace("\\", "/"), row[1].strip()
        if file not in files:
            problems.error(shown, number, f"dataset '{name}' has no image '{file}'",
                           "fix the path (relative to the dataset's folder) or remove the line")
            return None
        labels[file] = (label, number)
    return labels


def _load_hashes(hashes: Path | None, name: str) -> dict:
    if hashes is None:
        return {}
    try:
        return json.loads((hashes / f"{name}.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _save_hashes(hashes: Path | None, name: str, seen: dict, known: dict) -> None:
    if hashes is None or seen == known:
        return
    os.makedirs(hashes, exist_ok=True)
    atomic_write(hashes / f"{name}.json", json.dumps(seen, sort_keys=True).encode())
