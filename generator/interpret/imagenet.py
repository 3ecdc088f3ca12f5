"""The 1000 ImageNet (ILSVRC 2012) class names, offline.

`imagenet_classes.txt` holds one name per line in class-index order (the order every
ImageNet classifier's logits use): line 286 is class 285, "Egyptian cat".
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

CLASSES_FILE = Path(__file__).with_name("imagenet_classes.txt")


@lru_cache(maxsize=1)
def _classes() -> tuple[str, ...]:
    names = tuple(CLASSES_FILE.read_text(encoding="utf-8").splitlines())
    if len(names) != 1000:  # pragma: no cover - guards the committed data file
        raise RuntimeError(f"{CLASSES_FILE} has {len(names)} lines, expected 1000")
    return names


def imagenet_labels() -> list[str]:
    """The 1000 class names, index i is class i (a fresh list the caller may keep)."""
    return list(_classes())
