"""Figure kinds: one file each, registered by name in `KINDS`."""

from .base import KINDS, COMMON_OPTIONS, MODEL_OPTIONS, FigureContext, FigureKind, figure_html, spec_schema
from . import bokeh, image  # noqa: F401  (each registers its kind)
from . import activation_grid, feature_vis, semantic_dictionary  # noqa: F401
from . import channel_attribution, neuron_groups, spatial_attribution  # noqa: F401

__all__ = ["KINDS", "COMMON_OPTIONS", "MODEL_OPTIONS", "FigureContext", "FigureKind", "figure_html",
           "spec_schema"]
