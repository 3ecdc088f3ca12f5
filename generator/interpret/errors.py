"""Errors of the engine. The engine knows nothing of sites, so it has its own exceptions;
the build turns them into `path:line: ...` problems. Each carries what to fix as a field."""

from __future__ import annotations

import difflib
import numbers
from typing import Iterable


class InterpretError(ValueError):
    """Base of every error a user of the engine can cause: what is wrong (`message`) and how
    to fix it (`fix`, may be empty); printed as `message — fix`."""

    def __init__(self, message: str = "", fix: str = ""):
        super().__init__(*((message, fix) if fix else (message,)))
        self.message, self.fix = message, fix

    def __str__(self) -> str:
        return f"{self.message} — {self.fix}" if self.fix else self.message


def whole(name: str, value, low: int = 0, fix: str = "", error: type = InterpretError) -> int:
    """`value` as an int, when it is a whole number (a numpy integer too) from `low`; else
    `error` naming `name`. Zero or 2.0 is never taken for "unset" or rounded."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < low:
        raise error(f"{name} must be a whole number from {low}, got {value!r}", fix or f"e.g. {name}={max(low, 3)}")
    return int(value)


class LayerNotFound(InterpretError):
    """A layer name that is not a module path of the model."""

    def __init__(self, name: str, known: Iterable[str], never_runs: bool = False):
        known = list(known)
        self.name = name
        if never_runs:                    # a module of the model that its forward never calls
            self.closest = []
            super().__init__(f"layer '{name}' is a module of the model, but its forward pass never runs it",
                             "pick a layer the forward pass uses (`vi.layers(model)` lists them)")
            return
        self.closest = difflib.get_close_matches(name, known, n=3, cutoff=0.4)
        hint = (
            "did you mean " + " or ".join(f"'{c}'" for c in self.closest) + "?"
            if self.closest
            else "list the layers with `python -m generator layers MODEL`"
        )
        super().__init__(f"unknown layer '{name}'", f"{hint}")


# --- models and images ---


def _listing(names: Iterable[str], limit: int = 8) -> str:
    names = list(names)
    shown = ", ".join(names[:limit])
    return shown + (f" and {len(names) - limit} more" if len(names) > limit else "")


class ModelError(InterpretError):
    """A model that cannot be loaded or used: unknown name, bad factory spec, train mode."""


class WeightsError(InterpretError):
    """A weights file that cannot be read, fetched or trusted (e.g. a wrong sha256)."""


class WeightsMismatch(WeightsError):
    """A state dict whose keys or shapes do not match the model."""

    def __init__(self, what: str, missing: Iterable[str], unexpected: Iterable[str],
                 wrong_shape: Iterable[str] = ()):
        self.missing, self.unexpected = list(missing), list(unexpected)
        self.wrong_shape = list(wrong_shape)
        parts = []
        if self.missing:
            parts.append(f"missing keys: {_listing(self.missing)}")
        if self.unexpected:
            parts.append(f"unexpected keys: {_listing(self.unexpected)}")
        if self.wrong_shape:
            parts.append(f"wrong shapes: {_listing(self.wrong_shape)}")
        super().__init__(
            f"{what} does not match the model ({'; '.join(parts)})", ""
            "use weights saved from this exact architecture (model.state_dict())"
        )


class ImageError(InterpretError):
    """An image that cannot be read or used: not an image, unknown sample, too small."""


class ChannelOutOfRange(InterpretError):
    """A channel index outside a layer's channels."""


# --- attribution and factorization ---


class ClassOutOfRange(InterpretError):
    """A class index outside the model's classes (the message names how many there are)."""


class NegativeActivations(InterpretError):
    """NMF asked of a layer with negative activations; pick a layer after a ReLU."""
