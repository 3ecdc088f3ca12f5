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
from typing import TYPE_CHECKING, Any

from .errors import (ChannelOutOfRange, ImageError, InterpretError, LayerNotFound, ModelError,
                     WeightsError, WeightsMismatch)

# name -> the module of this package that defines it
_EXPORTS: dict[str, str] = {
    # errors.py
    "InterpretError": "errors", "LayerNotFound": "errors", "ChannelOutOfRange": "errors",
    "ImageError": "errors", "ModelError": "errors", "WeightsError": "errors",
    "WeightsMismatch": "errors",
    # hooks.py
    "get_layer": "hooks", "run_to_layers": "hooks",
    # images.py
    "MIN_SIDE": "images", "fit_image": "images", "load_image": "images",
    # samples.py
    "SAMPLES": "samples", "sample_path": "samples",
    # imagenet.py
    "imagenet_labels": "imagenet",
    # models.py
    "LayerInfo": "layer_info", "activations": "models", "check_channel": "models",
    "check_model": "models", "layers": "models", "load_model": "models", "predict": "models",
    "resolve_layer": "models",
    # weights.py
    "cache_dir": "weights", "sha256_file": "weights",
    # expression.py
    "ObjectiveSyntaxError": "expression", "parse_objective": "expression",
    # objectives.py
    "L1": "objectives", "L2": "objectives", "Context": "objectives", "Objective": "objectives",
    "alignment": "objectives", "blur_input_each_step": "objectives", "channel": "objectives",
    "class_logit": "objectives", "deepdream": "objectives", "direction": "objectives",
    "direction_neuron": "objectives", "diversity": "objectives", "neuron": "objectives",
    "saturation": "objectives", "total_variation": "objectives",
    # param.py
    "ImageParam": "param", "ParamRecipe": "param", "fft_image": "param",
    "lowres_image": "param", "pixel_image": "param",
    # quality.py
    "QUALITY": "quality", "Quality": "quality",
    # render.py
    "feature_vis": "render", "objective_values": "render",
    # transforms.py
    "compose": "transforms", "jitter": "transforms", "pad": "transforms",
    "random_rotate": "transforms", "random_scale": "transforms",
    "same_size_transforms": "transforms", "standard_transforms": "transforms",
    # attribution.py
    "channel_attribution": "attribution", "class_attribution_maps": "attribution",
    "layer_attribution": "attribution", "spatial_attribution": "attribution",
    "ClassOutOfRange": "errors",
    # factor.py
    "NegativeActivations": "errors",
    "NeuronGroups": "factor", "SemanticDictionary": "factor", "neuron_groups": "factor",
    "semantic_dictionary": "factor",
}

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


if TYPE_CHECKING:  # for editors and type checkers: the same names, imported eagerly
    from .errors import InterpretError, LayerNotFound
    from .hooks import get_layer, run_to_layers
    from .errors import ChannelOutOfRange, ImageError, ModelError, WeightsError, WeightsMismatch
    from .images import MIN_SIDE, SAMPLES, fit_image, load_image, sample_path
    from .imagenet import imagenet_labels
    from .layer_info import LayerInfo
    from .models import (
        activations,
        check_channel,
        check_model,
        layers,
        load_model,
        predict,
        resolve_layer,
    )
    from .weights import cache_dir, sha256_file
    from .expression import ObjectiveSyntaxError, parse_objective
    from .objectives import (
        L1,
        L2,
        Context,
        Objective,
        alignment,
        blur_input_each_step,
        channel,
        class_logit,
        deepdream,
        direction,
        direction_neuron,
        diversity,
        neuron,
        saturation,
        total_variation,
    )
    from .param import ImageParam, ParamRecipe, fft_image, lowres_image, pixel_image
    from .quality import QUALITY, Quality
    from .render import feature_vis, objective_values
    from .transforms import (compose, jitter, pad, random_rotate, random_scale,
                             same_size_transforms, standard_transforms)
    from .attribution import (
        channel_attribution,
        class_attribution_maps,
        layer_attribution,
        spatial_attribution,
    )
    from .errors import ClassOutOfRange, NegativeActivations
    from .factor import NeuronGroups, SemanticDictionary, neuron_groups, semantic_dictionary
