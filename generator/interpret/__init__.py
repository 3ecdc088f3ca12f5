"""generator.interpret: a Lucid-like interpretability engine in pure PyTorch.

It knows nothing of sites and imports nothing from the rest of `generator`, so it works on
its own in a notebook:

    from generator import interpret as vi
    model = vi.load_model("efficientnet_lite0")
    image = vi.load_image("sample:chelsea")
    acts = vi.activations(model, image, ["blocks.10"])

Names are imported on first use, so `import generator.interpret` (and a build whose figures
all come from the cache) does not pay for importing torch.
"""

from __future__ import annotations

import importlib
from typing import Any

RESULTS_VERSION = 2
"""Bumped when the same call to the engine gives different results (2: photos are seen
whole by default). Results computed by code outside the engine's knowledge, such as an
article's own charts, are keyed by it, so they are recomputed when it changes."""

# The public names, by the module of this package that defines each: the one list of them.
_MODULES: dict[str, tuple[str, ...]] = {
    "errors": ("ChannelOutOfRange", "ClassOutOfRange", "ImageError", "InterpretError",
               "LayerNotFound", "ModelError", "NegativeActivations", "WeightsError",
               "WeightsMismatch",),
    "hooks": ("get_layer", "run_to_layers",),
    "images": ("MIN_SIDE", "fit_image", "load_image",),
    "fitting": ("CROPS", "fitted_shape",),
    "samples": ("SAMPLES", "sample_path",),
    "imagenet": ("imagenet_labels",),
    "layer_info": ("LayerInfo",),
    "models": ("ModelInfo", "activations", "check_channel", "check_model", "layers", "load_model",
               "predict", "receptive_field", "resolve_layer",),
    "weights": ("cache_dir",),
    "digest": ("sha256_file",),
    "expression": ("ObjectiveSyntaxError", "parse_objective",),
    "objectives": ("Context", "L1", "L2", "Objective", "alignment", "blur_input_each_step",
                   "channel", "class_logit", "deepdream", "direction", "direction_neuron",
                   "diversity", "neuron", "saturation", "total_variation",),
    "param": ("ImageParam", "ParamRecipe", "fft_image", "lowres_image", "pixel_image",),
    "quality": ("QUALITY", "Quality",),
    "render": ("feature_vis", "feature_vis_many", "objective_values", "speed",),
    "transforms": ("compose", "jitter", "pad", "random_rotate", "random_scale",
                   "same_size_transforms", "standard_transforms",),
    "attribution": ("channel_attribution", "class_attribution_maps", "layer_attribution",
                    "spatial_attribution",),
    "factor": ("NeuronGroups", "SemanticDictionary", "neuron_groups", "semantic_dictionary",),
    "unit_stats": ("HISTOGRAM_EDGES", "UnitStats",),
    "atlas": ("AtlasCell", "atlas_cells", "atlas_layout", "tiled_logits", "whitening",),
}
_EXPORTS: dict[str, str] = {name: module for module, names in _MODULES.items() for name in names}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'generator.interpret' has no attribute '{name}'")
    value = getattr(importlib.import_module(f".{module}", __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__

