"""generator.interpret: a Lucid-like interpretability engine in pure PyTorch.

It knows nothing of sites and imports nothing from the rest of `generator`, so it works on
its own in a notebook:

    from generator import interpret as vi
    model = vi.load_model("efficientnet_lite0")
    image = vi.load_image("sample:chelsea")
    acts = vi.activations(model, image, ["blocks.10"])
"""

from .errors import InterpretError, LayerNotFound
from .hooks import get_layer, run_to_layers

# --- models and images (models.py, efficientnet.py, inception.py, images.py) ---
from .errors import ChannelOutOfRange, ImageError, ModelError, WeightsError, WeightsMismatch
from .images import MIN_SIDE, SAMPLES, fit_image, load_image, sample_path
from .imagenet import imagenet_labels
from .models import (
    LayerInfo,
    activations,
    check_channel,
    check_model,
    layers,
    load_model,
    predict,
    resolve_layer,
)
from .weights import cache_dir, sha256_file

# --- feature visualization (objectives.py, param.py, transforms.py, render.py, quality.py) ---
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
    total_variation,
)
from .param import ImageParam, ParamRecipe, fft_image, lowres_image, pixel_image
from .quality import QUALITY, Quality
from .render import feature_vis, objective_values
from .transforms import compose, jitter, pad, random_rotate, random_scale, standard_transforms

# --- attribution and factorization (attribution.py, factor.py) ---
from .attribution import (
    channel_attribution,
    class_attribution_maps,
    layer_attribution,
    spatial_attribution,
)
from .factor import NeuronGroups, SemanticDictionary, neuron_groups, semantic_dictionary
