"""Vellum: Markdown articles to a static journal of explorable interpretability papers.

`generator.interpret` is the engine and can be used on its own; the rest builds sites.
"""

__version__ = "0.1.0"
