"""Figure kinds: one file each in this package, registered by name in `KINDS` by the
`@KINDS.register` decorator on the kind's class.

Every module of the package is imported here, so a new kind's file is found without
touching any other file (the helpers the kinds share register nothing).
"""

import importlib
import pkgutil

from .base import KINDS, COMMON_OPTIONS, MODEL_OPTIONS, FigureContext, FigureKind, figure_html, spec_schema

for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")

__all__ = ["KINDS", "COMMON_OPTIONS", "MODEL_OPTIONS", "FigureContext", "FigureKind", "figure_html",
           "spec_schema"]
