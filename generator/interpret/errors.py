"""Errors of the engine. The engine knows nothing of sites, so it has its own exceptions;
the build turns them into `path:line: ...` problems. Each message says what to fix."""

from __future__ import annotations

import difflib
from typing import Iterable


class InterpretError(ValueError):
    """Base of every error a user of the engine can cause."""


class LayerNotFound(InterpretError):
    """A layer name that is not a module path of the model."""

    def __init__(self, name: str, known: Iterable[str]):
        known = list(known)
        self.name = name
        self.closest = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        hint = (
            "did you mean " + " or ".join(f"'{c}'" for c in self.closest) + "?"
            if self.closest
            else "list the layers with `python -m generator layers MODEL`"
        )
        super().__init__(f"unknown layer '{name}' — {hint}")
