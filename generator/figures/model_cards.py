"""Model facts, in one place: what a figure kind may know of a model before computing
anything (its card: layers with channel counts and sizes, class labels, input size, the
sha256 of its weights), and the loaded model a job computes with.

Loading a model (and importing torch) takes seconds; a build whose results all come from the
cache or the freeze should not pay that to check a spec. A `ModelCard` is read from the model
once and kept as JSON in `.cache/models/`, keyed by the model's name, what identifies its
weights (`generator.interpret.registry`) and the engine version, so changed weights or a
changed engine make a new card. The build keeps one `ModelCards` and hands it to every figure
in its context:

    card = ctx.card()                       # ModelCards(root / ".cache" / "models").get(ctx.model)
    card.channel_map("blocks.10").channels  # 112
    card.check_classes([285, 282])          # [285, 282], or a SpecError naming the count

Jobs load the model itself with `loaded_model(name, runtime.device)`: once per process.
"""

from __future__ import annotations

import difflib
import functools
import json
import math
import operator
import os
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Sequence

from .. import __version__
from ..errors import SpecError, closest, did_you_mean
from ..interpret.fitting import fitted_shape
from ..interpret.layer_info import LayerInfo
from ..interpret.registry import weights_identity
from ..pipeline.fsutil import atomic_write

CARD_FORMAT = 2          # bump when what a card holds changes (2: the sha256 of seeded weights)
LAYERS_FIX = " (`python -m generator layers MODEL` lists them)"


@dataclass(frozen=True)
class ModelCard:
    """The parts of a loaded model that specs are checked against."""

    model_id: str
    weights_sha256: str    # of the weights file, or of the state dict's tensors (a factory, a seed)
    input_size: int
    min_size: int
    labels: tuple[str, ...] | None
    layers: tuple[LayerInfo, ...]

    @property
    def source(self) -> str | None:
        """The Python file the model comes from, for a `path/to/mynet.py:make` model."""
        file, _, _ = self.model_id.rpartition(":")
        return file if file.endswith(".py") else None

    @property
    def shown_id(self) -> str:
        """The model as messages name it (`shown_model`, from the current folder)."""
        return shown_model(self.model_id, Path.cwd())

    @property
    def job_model(self) -> str:
        """The model as job params name it: its id, or for a model from a file the file's
        name and factory (`mynet.py:make`), so keys do not depend on where the article lies."""
        return f"{Path(self.source).name}:{self.model_id.rpartition(':')[2]}" if self.source else self.model_id

    def job_io(self, image: Path | None = None) -> dict[str, dict[str, str]]:
        """`inputs` and `files` of a job that runs the model, on `image` when given (as
        `Job(..., **card.job_io(path))`): the sha256 of the weights (new weights recompute
        exactly the figures that use them), of the model's file and of the image, and where
        the job finds those files."""
        from ..pipeline.jobs import sha256_file

        inputs, files = {"weights": self.weights_sha256}, {}
        for name, path in (("model", self.source), ("image", image)):
            if path is not None:
                inputs[name], files[name] = sha256_file(path), str(path)
        return {"inputs": inputs, "files": files}

    def view(self, image: Path, crop: str) -> tuple[int, int]:
        """(height, width) of `image` as the model sees it: shorter side at the input size,
        whole (`crop: none`) or its centre square (`crop: center`). Reads the header only."""
        from PIL import Image

        with Image.open(image) as picture:
            width, height = picture.size
        return fitted_shape(height, width, self.input_size, crop)

    def grid(self, layer: LayerInfo, view: tuple[int, int]) -> tuple[int, int]:
        """(rows, cols) of `layer` on an input of `view` pixels, from the layer's stride at the
        input size (exact for "same" padding, as EfficientNet's; the job's result is the truth)."""
        stride_y, stride_x = self.input_size / layer.height, self.input_size / layer.width
        return math.ceil(view[0] / stride_y - 1e-6), math.ceil(view[1] / stride_x - 1e-6)

    @property
    def classes(self) -> int:
        """How many classes the model scores: its labels, else its output's channels."""
        return len(self.labels) if self.labels is not None else self.layers[-1].channels

    def layer(self, name: str, field: str = "layer") -> LayerInfo:
        """The layer `name`, or a SpecError naming the closest layers."""
        for info in self.layers:
            if info.name == name:
                return info
        names = [info.name for info in self.layers]
        near = did_you_mean(name, names) if closest(name, names) else (
            "its blocks are " + ", ".join(info.name for info in self.blocks()) if self.blocks() else
            did_you_mean(name, names))
        raise SpecError(f"model '{self.shown_id}' has no layer '{name}'",
                        near + LAYERS_FIX.replace("MODEL", self.shown_id), field=field)

    def blocks(self) -> list[LayerInfo]:
        """The model's blocks, what `units: {layers: all}` pages: the numbered children of its
        containers at the shallowest depth that has them (`blocks.0` to `blocks.15` of
        EfficientNet-Lite0, `layer1.0` to `layer4.2` of a ResNet, `features.0`... of a VGG),
        in forward order; empty when the model has none."""
        numbered = [info for info in self.layers[:-1]
                    if info.name.rpartition(".")[2].isdigit() and "." in info.name and info.channels >= 2]
        depth = min((info.name.count(".") for info in numbered), default=0)
        return [info for info in numbered if info.name.count(".") == depth]

    def channel_map(self, name: str, field: str = "layer") -> LayerInfo:
        """The layer `name`, which must have channels to show (not the model's output)."""
        info = self.layer(name, field)
        if info.height == 1 and info.width == 1 and info is self.layers[-1]:
            raise SpecError(f"layer '{name}' is the model's output, not a channel map",
                            "pick a convolutional layer", field=field)
        return info

    def check_order(self, layers: Sequence[str], field: str = "layers") -> None:
        """Two layers must come earlier first; a SpecError shows them swapped."""
        order = [info.name for info in self.layers]
        first, second = layers
        if order.index(first) >= order.index(second):
            raise SpecError(f"'{first}' does not come before '{second}'",
                            f"put the earlier layer first: `{field}: [{second}, {first}]`", field=field)

    def check_class(self, value: int | str, field: str = "classes") -> int:
        """The id of a class named by its id (`285`, `"285"`) or its label (`Egyptian cat`,
        in any case); a SpecError names the count, the closest labels or, for a label two
        classes share, both ids."""
        if isinstance(value, str) and value.strip().isdigit():
            value = int(value.strip())
        if isinstance(value, str):
            return self._class_by_label(value, field)
        index = operator.index(value)
        if not 0 <= index < self.classes:
            raise SpecError(f"class {index} is out of range: model '{self.shown_id}' has {self.classes} classes",
                            f"use an index from 0 to {self.classes - 1}", field=field)
        return index

    def _class_by_label(self, text: str, field: str) -> int:
        if self.labels is None:
            raise SpecError(f"model '{self.shown_id}' has no class labels, so '{text}' names no class",
                            f"write a class id from 0 to {self.classes - 1}", field=field)
        wanted = " ".join(text.split()).casefold()
        found = [i for i, name in enumerate(self.labels) if name.casefold() == wanted]
        if len(found) == 1:
            return found[0]
        if found:
            listed = " and ".join(f"{self.labels[i]} ({i})" for i in found)
            raise SpecError(f"'{text}' names {len(found)} classes: {listed}", "write the id of the one you mean",
                            field=field)
        near = closest_classes(text, self.labels, 3)
        hint = ("did you mean " + " or ".join(f"'{self.labels[i]}' ({i})" for i in near) + "? " if near else "")
        raise SpecError(f"model '{self.shown_id}' has no class '{text}'",
                        f"{hint}`python -m generator classes WORD` lists the classes with WORD in their label",
                        field=field)

    def check_classes(self, classes: Sequence[int | str] | None, *, most: int = 2,
                      field: str = "classes") -> list[int]:
        """The ids of one to `most` different classes, each named by its id or label."""
        classes = list(classes or [])
        if not 1 <= len(classes) <= most:
            raise SpecError(f"expected {'one or two' if most == 2 else f'1 to {most}'} classes, "
                            f"got {len(classes)}", "write e.g. `classes: [Egyptian cat, tiger cat]`", field=field)
        checked = [self.check_class(value, f"{field}[{i}]") for i, value in enumerate(classes)]
        if len(set(checked)) != len(checked):
            raise SpecError("the same class is given twice", "give two different classes", field=field)
        return checked

    def class_name(self, index: int) -> str:
        """How the page names class `index`: its label and id, "Egyptian cat (285)"."""
        return f"{self.labels[index]} ({index})" if self.labels is not None else f"class {index}"

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


def journal_path(path: str | Path, root: str | Path | None) -> str:
    """`path` as the journal names it: relative to `root` (its folder) when it lies inside, so
    what is published or printed runs from any copy and keeps the author's folders out; else
    as given."""
    if root is not None:
        try:
            return Path(path).resolve().relative_to(Path(root).resolve()).as_posix()
        except ValueError:
            pass
    return Path(path).as_posix()


def shown_model(model: str, root: str | Path | None) -> str:
    """A model as the journal names it: a built-in name or `package.module:factory` as written,
    a model from a file by its `journal_path` (`articles/a/mynet.py:make`)."""
    file, _, factory = model.rpartition(":")
    return f"{journal_path(file, root)}:{factory}" if file.endswith(".py") else model


def closest_classes(text: str, labels: Sequence[str], n: int = 5) -> list[int]:
    """The ids of the labels closest to a misspelt `text`, best first: a label is as close as
    the label itself or its closest word (`egyptain` finds `Egyptian cat`)."""
    wanted = " ".join(text.split()).casefold()

    def score(label: str) -> float:
        label = label.casefold()
        pairs = [(wanted, label), *((wanted, word) for word in label.split()),
                 *((word, label) for word in wanted.split() if len(word) > 3)]
        return max(difflib.SequenceMatcher(None, a, b).ratio() for a, b in pairs)

    scored = sorted(((score(name), i) for i, name in enumerate(labels)), key=lambda s: (-s[0], s[1]))
    best = scored[0][0] if scored else 0.0
    return [i for value, i in scored[:n] if value >= max(0.75, best - 0.1)]


def label(model, index: int) -> str:
    """The name of class `index` of a card or a loaded model (`class N` when it has none)."""
    return model.labels[index] if model.labels is not None else f"class {index}"


class ModelCards:
    """Cards by model name, from memory, then `folder` (None: memory only), then by loading
    the model, when the card is kept in `folder` unless `save` is False. One per build."""

    def __init__(self, folder: Path | None, save: bool = True):
        self.folder = folder
        self.save = save
        self._cards: dict[str, ModelCard] = {}

    def get(self, name: str) -> ModelCard:
        if name in self._cards:
            return self._cards[name]
        fingerprint = weights_identity(name)
        path = None
        if fingerprint is not None and self.folder is not None:
            safe = re.sub(r"[^A-Za-z0-9_.-]", "_", name)
            path = self.folder / f"{safe}-{fingerprint[:16]}-v{__version__}-card{CARD_FORMAT}.json"
            if path.is_file():
                try:
                    card = ModelCard.from_json(path.read_text())
                    self._cards[name] = card
                    return card
                except (ValueError, TypeError, KeyError):
                    pass  # a damaged card is made again
        card = ModelCard.of(loaded_model(name))
        if path is not None and self.save:
            os.makedirs(path.parent, exist_ok=True)
            atomic_write(path, card.to_json().encode("utf-8"))
        self._cards[name] = card
        return card


def job_model(params: dict, device: str = "cpu"):
    """In a job: the model its params name, on `device` (a model from a file is loaded from
    the path in the job's `files`)."""
    name = params["model"]
    files = params.get("files") or {}
    if "model" in files:
        name = f"{files['model']}:{name.rpartition(':')[2]}"
    return loaded_model(name, device)


def loaded_model(name: str, device: str = "cpu"):
    """The engine's model `name` on `device` (eval mode, frozen weights), loaded once per
    process. Jobs render feature visualizations on `runtime.device` and run activations,
    attribution and groups, which take seconds, on the CPU."""
    return _load(name, device)


@functools.lru_cache(maxsize=8)
def _load(name: str, device: str):
    from .. import interpret as vi

    return vi.load_model(name, device=device)
